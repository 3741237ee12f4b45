// The page after a Pay N Play checkout, while the bank's identity is not in yet:
// poll data-paynplay-status ({state}) and reload the page once the state is no
// longer "waiting", so that the server signs the browser in or says why not.
// The page works without it (its reload link). Loaded with defer; the CSP allows
// no inline script.
(function () {
  "use strict";
  document.querySelectorAll("[data-paynplay-status]").forEach(function (box) {
    var url = box.getAttribute("data-paynplay-status");
    var interval = 1000;
    var stopAt = Date.now() + 10 * 60 * 1000;
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (answer) {
          if (answer.state !== "waiting") {
            window.location.reload();
            return;
          }
          interval = 1000;
          next();
        })
        .catch(function () {
          interval = Math.min(interval * 2, 15000);
          next();
        });
    };
    var next = function () {
      if (Date.now() < stopAt) window.setTimeout(poll, interval);
    };
    next();
  });
})();
