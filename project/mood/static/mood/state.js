// The thanks page: ask the demo for the job's state every second until it is settled.
(function () {
  "use strict";
  var element = document.getElementById("job-state");
  if (!element) return;
  var settled = { done: true, failed: true };
  function poll() {
    if (settled[element.dataset.state]) return;
    fetch(element.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && typeof data.state === "string" && typeof data.words === "string") {
          element.dataset.state = data.state;
          element.className = "job-state state-" + data.state.replace(/[^a-z]/g, "");
          element.textContent = data.words;
        }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 1000); });
  }
  window.setTimeout(poll, 1000);
})();
