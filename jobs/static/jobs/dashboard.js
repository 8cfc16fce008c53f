// Jobs dashboard, every page: confirmations, selection, and live numbers.
// No framework, no inline script (the pages send a strict CSP).
(function () {
  "use strict";

  const root = document.getElementById("jobs-root");
  if (!root) return;

  // Ask before destructive actions: the clicked button's data-confirm, else the form's.
  document.addEventListener("submit", function (event) {
    const button = event.submitter;
    const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Row selection: "select all", a live count, buttons enabled only with a selection.
  const boxes = () => Array.from(document.querySelectorAll('input[type="checkbox"][name="key"]'));
  function updateSelection() {
    const count = boxes().filter((box) => box.checked).length;
    document.querySelectorAll("[data-selected-count]").forEach((el) => { el.textContent = String(count); });
    document.querySelectorAll("form[data-needs-selection] button").forEach((b) => { b.disabled = count === 0; });
  }
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      boxes().forEach((box) => { box.checked = all.checked; });
      updateSelection();
    });
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches('input[name="key"]')) updateSelection();
  });
  updateSelection();

  // Live numbers: poll stats.json and update every [data-stat] element.
  const url = root.dataset.statsUrl;
  const seconds = Math.min(60, Math.max(1, parseInt(root.dataset.interval, 10) || 5));
  // As the page's language writes numbers (Django's language codes are BCP 47 tags).
  const format = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function apply(data) {
    if (!data || !data.stats) return;
    document.querySelectorAll("[data-stat]").forEach(function (el) {
      const value = data.stats[el.dataset.stat];
      if (typeof value === "number") el.textContent = format.format(value);
    });
    document.dispatchEvent(new CustomEvent("jobs:stats", { detail: data }));
  }

  function poll() {
    if (document.hidden) { window.setTimeout(poll, seconds * 1000); return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then(apply)
      .catch(function () { /* offline for a moment: try again at the next tick */ })
      .finally(function () { window.setTimeout(poll, seconds * 1000); });
  }
  if (url) poll();

  // A page waiting for a change it asked for (Busy after Quiet/Stop) reloads until it shows.
  const refresh = parseInt(root.dataset.refresh, 10);
  if (refresh > 0) window.setTimeout(function () { window.location.reload(); }, Math.min(60, refresh) * 1000);
})();
