// The bank account and payout pages' JavaScript. Every page works without it; it
// only saves a click or a reload. Loaded with defer; the CSP allows no inline script.
(function () {
  "use strict";
  if (window.cashierPayout) return;
  window.cashierPayout = true;

  // A select with data-autosubmit sends its (GET) form as soon as it changes: the
  // bank details form then shows the fields of the chosen country. The button that
  // does the same without JavaScript is hidden.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    if (!form) return;
    form.classList.add("autosubmit");
    select.addEventListener("change", function () {
      form.submit();
    });
  });

  // A state box with data-poll-url asks that URL for {"token": …} every two
  // seconds and reloads the page when the token differs from its data-token: the
  // server then renders the new state (an account that arrived, a payout paid).
  // Errors back off up to 15 s; polling stops after ten minutes.
  document.querySelectorAll("[data-poll-url]").forEach(function (box) {
    var url = box.getAttribute("data-poll-url");
    var token = box.getAttribute("data-token");
    if (!url) return;
    var interval = 2000;
    var stopAt = Date.now() + 10 * 60 * 1000;
    var poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store", redirect: "manual" })
        .then(function (response) {
          // Sent to sign in: the session has ended. Loading the page again shows
          // the sign-in page, which says so and comes back here.
          if (response.type === "opaqueredirect") return { reload: true };
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (state) {
          if (state.reload || (state.token && state.token !== token)) {
            window.location.reload();
            return;
          }
          interval = 2000;
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
