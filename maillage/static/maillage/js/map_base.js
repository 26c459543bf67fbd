// Maillage — what the Leaflet maps share (territory, rounds): the map with French zoom controls
// and, when a tile server is configured (data-tiles, data-attribution on the container), its
// tiles; one failing tile removes them and calls onTilesFailed: the drawing stays on a plain
// background. No inline script (CSP).
(function () {
  "use strict";

  window.MaillageMap = {
    // Returns {map, tiled}: tiled is false when no tile server is configured.
    create: function (container, onTilesFailed) {
      container.textContent = "";
      var map = L.map(container, {zoomControl: false, attributionControl: false});
      L.control.zoom({zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"}).addTo(map);
      var tilesUrl = container.getAttribute("data-tiles");
      if (!tilesUrl) {
        return {map: map, tiled: false};
      }
      L.control.attribution({prefix: false}).addTo(map);
      var tiles = L.tileLayer(tilesUrl, {
        attribution: container.getAttribute("data-attribution") || "",
        maxZoom: 18
      });
      var failed = false;
      tiles.on("tileerror", function () {
        if (failed) { return; }
        failed = true;
        // One failure is enough: stop asking.
        map.removeLayer(tiles);
        onTilesFailed();
      });
      tiles.addTo(map);
      return {map: map, tiled: true};
    }
  };
})();
