// Jobs dashboard home: a live graph of jobs per poll and a daily history, drawn as SVG
// from stats.json. Values are set with setAttribute/textContent only, never as HTML.
(function () {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";
  const HEIGHT = 180;
  const PAD = { left: 44, right: 8, top: 10, bottom: 22 };
  const LIVE_POINTS = 60;
  // Numbers and times as the page's language writes them (Django's codes are BCP 47 tags).
  const language = document.documentElement.lang || undefined;
  const format = new Intl.NumberFormat(language);

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach((key) => node.setAttribute(key, String(attrs[key])));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // series: [{name, values}], labels: one per point. Draws lines, a grid and point titles.
  function draw(container, labels, series) {
    const WIDTH = Math.max(280, Math.round(container.clientWidth || 600));
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const n = Math.max(2, labels.length);
    const x = (i) => PAD.left + (i * (WIDTH - PAD.left - PAD.right)) / (n - 1);
    const y = (v) => HEIGHT - PAD.bottom - (v / max) * (HEIGHT - PAD.top - PAD.bottom);
    const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT });
    [0, 0.5, 1].forEach(function (f) {
      const value = Math.round(max * f);
      svg.appendChild(el("line", { class: f ? "grid" : "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }));
      svg.appendChild(el("text", { class: "label", x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end" }, format.format(value)));
    });
    if (labels.length) {
      svg.appendChild(el("text", { class: "label", x: PAD.left, y: HEIGHT - 6 }, labels[0]));
      svg.appendChild(el("text", { class: "label", x: WIDTH - PAD.right, y: HEIGHT - 6, "text-anchor": "end" }, labels[labels.length - 1]));
    }
    series.slice().reverse().forEach(function (s) {  // the first series is drawn on top
      const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      svg.appendChild(el("polyline", { class: `line line-${s.name}`, points: points }));
      s.values.forEach(function (v, i) {
        const dot = el("circle", { class: "dot", cx: x(i), cy: y(v), r: 4 });
        const word = (container.dataset[`label${s.name[0].toUpperCase()}${s.name.slice(1)}`]) || s.name;  // translated
        dot.appendChild(el("title", {}, `${labels[i]}: ${format.format(v)} ${word}`));
        svg.appendChild(dot);
      });
    });
    container.replaceChildren(svg);
    drawn.set(container, [labels, series]);
  }

  // Redraw at the new width when the window is resized (phones turning, sidebars).
  const drawn = new Map();
  let resizeTimer = 0;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => drawn.forEach((args, container) => draw(container, ...args)), 150);
  });

  // Live: the difference between consecutive polls of the totals.
  const live = document.getElementById("live-graph");
  if (live) {
    let previous = null;
    const labels = [];
    const processed = [];
    const failed = [];
    document.addEventListener("jobs:stats", function (event) {
      const stats = event.detail.stats;
      if (previous) {
        labels.push(new Date(event.detail.time * 1000).toLocaleTimeString(language));
        processed.push(Math.max(0, stats.processed - previous.processed));
        failed.push(Math.max(0, stats.failed - previous.failed));
        if (labels.length > LIVE_POINTS) { labels.shift(); processed.shift(); failed.shift(); }
        draw(live, labels, [{ name: "processed", values: processed }, { name: "failed", values: failed }]);
      }
      previous = stats;
    });
  }

  // History: one request for the chosen number of days, refreshed every minute.
  const history = document.getElementById("history-graph");
  const root = document.getElementById("jobs-root");
  if (history && root) {
    const days = parseInt(history.dataset.days, 10) || 30;
    const loadHistory = function () {
      fetch(`${root.dataset.statsUrl}?days=${days}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then(function (data) {
          if (!data || !data.history) return;
          const h = data.history;
          draw(history, h.dates, [{ name: "processed", values: h.processed }, { name: "failed", values: h.failed }]);
        })
        .catch(function () { if (!drawn.has(history)) history.textContent = history.dataset.failedText || "The history could not be loaded."; });
    };
    loadHistory();
    window.setInterval(function () { if (!document.hidden) loadHistory(); }, 60_000);
  }
})();
