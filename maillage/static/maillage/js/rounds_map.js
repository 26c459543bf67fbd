// Maillage — the proposed rounds on a map (Leaflet): one line per carer through the communes of
// her visits in their proposed order, a point per commune with its number of visits. The data
// is in the page (json_script), already limited to what the coordination may see; the tables
// under the map give the same routes. No inline script (CSP); every text set with textContent.
(function () {
  "use strict";

  var ROUTE_COLOURS = ["#1f4e79", "#b3261e", "#2e7d32", "#6a1b9a", "#e65100", "#00695c",
                       "#4e342e", "#ad1457"];
  var DASHES = [null, "8 6", "2 6", null, "8 6", "2 6", null, "8 6"];

  function setUp() {
    var container = document.getElementById("rounds-map");
    var status = document.getElementById("rounds-map-status");
    var source = document.getElementById("rounds-map-data");
    if (!container || !status || !source || typeof L === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var map = window.MaillageMap.create(container, function () {
      status.textContent = "Le fond de carte est injoignable : les tournées restent dessinées sur un fond uni.";
    }).map;
    var points = [];
    data.routes.forEach(function (route) {
      var colour = ROUTE_COLOURS[route.colour % ROUTE_COLOURS.length];
      var line = L.polyline(route.points, {color: colour, weight: 4, opacity: 0.85,
                                           dashArray: DASHES[route.colour % DASHES.length],
                                           className: "rounds-route"});
      line.bindTooltip(route.carer + " — " + route.km + " km", {sticky: true});
      line.addTo(map);
      route.points.forEach(function (p) { points.push(p); });
    });
    data.communes.forEach(function (commune) {
      var point = [commune.latitude, commune.longitude];
      points.push(point);
      L.circleMarker(point, {radius: 6, color: "#0b2740", weight: 2, fillColor: "#ffffff",
                             fillOpacity: 1, className: "rounds-commune"})
        .bindTooltip(commune.name + " : " + commune.visits +
                     (commune.visits >= 2 ? " passages" : " passage"),
                     {direction: "right", offset: [8, 0]})
        .addTo(map);
    });
    if (points.length) {
      map.fitBounds(L.latLngBounds(points), {padding: [30, 30], maxZoom: 12});
    } else {
      map.setView([46.6, 2.4], 5);
      status.textContent = "Aucune commune de ces passages n'a de position : voir les tableaux.";
    }
    container.setAttribute("data-ready", "1");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
