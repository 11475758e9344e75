/* Draws each figure of the charts page from its json_script data (no inline script: the
   Content-Security-Policy allows scripts from the portal only). The table beside each chart
   holds the same numbers for screen readers. */
(function () {
  "use strict";
  var palette = ["#1d4ed8", "#16a34a", "#ca8a04", "#ea580c", "#b91c1c", "#7c3aed", "#0891b2", "#6b7280"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.figure);
    if (!source || typeof Chart === "undefined") return;
    var figure = JSON.parse(source.textContent);
    var datasets = figure.series.map(function (series, i) {
      var colour = palette[i % palette.length];
      return {
        label: series.label,
        data: series.values,
        backgroundColor: colour,
        borderColor: colour,
        borderDash: figure.kind === "line" && i > 0 ? [6, 4] : [],
        spanGaps: true
      };
    });
    new Chart(canvas, {
      type: figure.kind,
      data: { labels: figure.labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: figure.stacked },
          y: { stacked: figure.stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-figure]").forEach(draw);
  });
})();
