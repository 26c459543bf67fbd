// Maillage — the territory map (Leaflet). Its data comes from the page's JSON endpoint
// (per-commune counts, already filtered by the access rules on the server); the table under
// the map lists the same numbers. Without a tile URL, or when the tile server cannot be
// reached, the communes are drawn on a plain background. No inline script (CSP); every text
// is set with textContent.
(function () {
  "use strict";

  var COVERAGE = {
    both: {color: "#0b2740", weight: 2, fillColor: "#1f4e79", fillOpacity: 0.9},
    volet2: {color: "#1f4e79", weight: 2, fillColor: "#9cc3e6", fillOpacity: 0.9},
    volet1: {color: "#1f4e79", weight: 2, dashArray: "4 3", fill: false}
  };
  // Where each layer's label sits around the commune's point (pixels, from the label's
  // top-left corner to the point).
  var ANCHORS = [[-10, 22], [34, 22], [-10, -4], [34, -4]];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function say(status, text) {
    status.textContent = text;
  }

  function popupFor(commune, layers) {
    var box = element("div");
    box.appendChild(element("strong", "", commune.name + " (" + commune.insee_code + ")"));
    var list = element("ul", "list-unstyled mb-0 mt-1");
    list.appendChild(element("li", "", commune.coverage_label));
    list.appendChild(element("li", "", "Trajet depuis le site : " + commune.travel_minutes + " min"));
    layers.forEach(function (layer) {
      var value = layer.cells[commune.insee_code];
      list.appendChild(element("li", "", layer.label + " : " + (value || "aucun")));
    });
    box.appendChild(list);
    return box;
  }

  function draw(container, data, status) {
    var base = window.MaillageMap.create(container, function () {
      say(status, "Le fond de carte est injoignable : les communes restent dessinées sur un fond uni.");
    });
    var map = base.map;
    if (!base.tiled) {
      say(status, "Fond de carte non configuré : les communes sont dessinées sur un fond uni.");
    }

    var groups = {communes: L.featureGroup().addTo(map)};
    data.layers.forEach(function (layer) { groups[layer.key] = L.layerGroup().addTo(map); });
    var placed = [];
    data.communes.forEach(function (commune) {
      if (commune.latitude === null || commune.longitude === null) { return; }
      var point = [commune.latitude, commune.longitude];
      placed.push(point);
      var style = COVERAGE[commune.coverage] || COVERAGE.both;
      var options = {radius: 8, className: "coverage-" + commune.coverage};
      Object.keys(style).forEach(function (key) { options[key] = style[key]; });
      L.circleMarker(point, options)
        .bindPopup(popupFor(commune, data.layers))
        // The name always written beside the point: on a plain background (no tiles), the
        // only way to read the map.
        .bindTooltip(commune.name, {permanent: true, direction: "right", offset: [8, 0],
                                    className: "commune-name"})
        .addTo(groups.communes);
      data.layers.forEach(function (layer, index) {
        var value = layer.cells[commune.insee_code];
        if (!value) { return; }
        var label = element("span", "map-badge map-badge--" + (index % 4), value);
        L.marker(point, {
          icon: L.divIcon({className: "map-badge-icon", html: label, iconSize: null,
                           iconAnchor: ANCHORS[index % ANCHORS.length]}),
          interactive: false,
          keyboard: false
        }).addTo(groups[layer.key]);
      });
    });
    if (placed.length) {
      map.fitBounds(L.latLngBounds(placed), {padding: [30, 30], maxZoom: 12});
    } else {
      map.setView([46.6, 2.4], 5);
      say(status, "Aucune commune du territoire n'a de position : voir le tableau.");
    }
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", "Fermer");
        close.setAttribute("title", "Fermer");
      }
    });

    var toggles = document.getElementById("territory-map-layers");
    if (toggles) {
      toggles.hidden = false;
      toggles.addEventListener("change", function (event) {
        var group = groups[event.target.getAttribute("data-layer")];
        if (!group) { return; }
        if (event.target.checked) { group.addTo(map); } else { map.removeLayer(group); }
      });
    }
    container.setAttribute("data-ready", "1");
  }

  function setUp() {
    var container = document.getElementById("territory-map");
    var status = document.getElementById("territory-map-status");
    if (!container || !status || typeof L === "undefined") { return; }
    fetch(container.getAttribute("data-url"), {
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      draw(container, data, status);
    }).catch(function () {
      say(status, "La carte n'a pas pu être chargée : le tableau ci-dessous donne les mêmes nombres.");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
