// The dashboards' charts, drawn with the vendored ECharts from each panel's JSON block
// (<script type="application/json" id="data-…">): the same rows as the table under the chart.
// No inline script anywhere (the CSP forbids it); amounts arrive as exact decimal text and become
// floats here only to be drawn.
(function () {
  "use strict";
  // Dark enough on white for a graphic (WCAG 1.4.11, 3:1), told apart by hue and by lightness.
  var COLOURS = ["#1f5fa8", "#b8590b", "#2b7a3d", "#6b4fa0", "#4a535c", "#a3334a", "#00707a"];

  function label(row, keys) {
    return keys.map(function (k) { return row[k]; }).join(" ");
  }

  function number(value, scale) {
    if (value === null || value === undefined || value === "") return null;  // a gap, not a zero
    var n = parseFloat(value);
    return isNaN(n) ? null : n / scale;
  }

  function columnLabel(panel, key) {
    var found = panel.columns.filter(function (c) { return c.key === key; })[0];
    return found ? found.label : key;
  }

  function series(panel) {
    var chart = panel.chart, rows = panel.rows;
    var type = chart.kind === "line" ? "line" : "bar";
    if (chart.kind === "pivot") {
      var groups = [], categories = [];
      rows.forEach(function (r) {
        if (groups.indexOf(r[chart.group]) < 0) groups.push(r[chart.group]);
        var c = label(r, chart.category);
        if (categories.indexOf(c) < 0) categories.push(c);
      });
      return {
        categories: categories,
        series: groups.map(function (g) {
          return {
            name: g, type: "bar", stack: "all",
            data: categories.map(function (c) {
              var hit = rows.filter(function (r) { return r[chart.group] === g && label(r, chart.category) === c; })[0];
              return hit ? number(hit[chart.series[0]], chart.scale) : 0;
            })
          };
        })
      };
    }
    return {
      categories: rows.map(function (r) { return label(r, chart.category); }),
      series: chart.series.map(function (key) {
        return {
          name: columnLabel(panel, key), type: type,
          data: rows.map(function (r) { return number(r[key], chart.scale); })
        };
      })
    };
  }

  function options(panel) {
    var drawn = series(panel), horizontal = panel.chart.kind === "hbar";
    var categoryAxis = { type: "category", data: drawn.categories, axisLabel: { color: "#1d2330", width: 220, overflow: "truncate" } };
    var valueAxis = { type: "value", name: panel.chart.unit, axisLabel: { color: "#1d2330" }, nameTextStyle: { color: "#1d2330" } };
    if (horizontal) categoryAxis.inverse = true;
    return {
      color: COLOURS,
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v.toLocaleString(undefined, { maximumFractionDigits: 2 }); } },
      legend: { top: 0, textStyle: { color: "#1d2330" } },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: drawn.series
    };
  }

  function draw(element) {
    var block = document.getElementById(element.getAttribute("data-chart"));
    if (!block || typeof echarts === "undefined") return;
    var panel = JSON.parse(block.textContent);
    if (panel.chart.kind === "hbar") {
      var rows = parseInt(element.getAttribute("data-rows") || "1", 10);
      element.style.height = Math.max(12, 5 + rows * (panel.chart.series.length > 1 ? 3 : 1.8)) + "rem";
    }
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(options(panel));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  });
})();
