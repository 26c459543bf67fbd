// Maillage — the charts of an indicator page (Chart.js). Each <canvas data-chart="ID"> draws
// the rows of the JSON block #ID (written by the server with json_script: the same rows as
// the table beside it, which stays the accessible source). No inline script (CSP); sizes are
// set through the DOM.
(function () {
  "use strict";

  var BAR = "#1f4e79";  // contrast > 4.5:1 on white

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var box = canvas.parentNode;
    box.style.position = "relative";
    box.style.height = Math.max(160, data.labels.length * 30 + 50) + "px";
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    canvas.chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{label: data.title, data: data.values, backgroundColor: BAR,
                     borderColor: BAR, borderWidth: 1}]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : {duration: 300},
        locale: "fr-FR",
        plugins: {legend: {display: false}},
        scales: {x: {beginAtZero: true, ticks: {precision: 0}}}
      }
    });
    canvas.setAttribute("data-drawn", String(data.values.length));
  }

  function init() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
