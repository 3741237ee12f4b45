// The little JavaScript the deposit pages and Trustly's checkout need: quick picks
// fill the amount, Trustly's checkout opens in the whole window on small screens,
// and a deposit's result page keeps the order's state current. Every page works without it. It is
// loaded with defer by the components that need it (perhaps more than once per
// page, hence the guard); the CSP allows no inline script.
(function () {
  "use strict";
  if (window.cashierCheckout) return;
  window.cashierCheckout = true;

  // A button with data-fill="ID" puts its data-fill-value (the amount as the
  // page's language types it, "100,00") into the input #ID instead of sending the
  // form (without JavaScript it sends the form with its value, "100.00").
  document.querySelectorAll("button[data-fill]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var input = document.getElementById(button.getAttribute("data-fill"));
      if (!input) return;
      event.preventDefault();
      input.value = button.getAttribute("data-fill-value") || button.value;
      input.focus();
    });
  });

  // Trustly's checkout: framed on wide screens, the whole window on small ones
  // (Trustly asks for a full-page redirect on mobile). The breakpoint matches
  // app.css. replace() keeps this page out of the history, so Back from the
  // checkout returns to the cashier rather than here, which would redirect again.
  var small = window.matchMedia("(max-width: 40rem)");
  document.querySelectorAll("[data-checkout-url]").forEach(function (checkout) {
    if (!small.matches) return;
    checkout.classList.add("redirecting");
    window.location.replace(checkout.getAttribute("data-checkout-url"));
  });

  // An order's state: poll data-status-url ({status, text, phase, balance, amount,
  // credited}) and update the elements with data-testid order-status, balance,
  // order-amount and result-credited (a credit of another amount than expected
  // changes the last two), the page's heading (data-title) and title, and the
  // container's data-phase, which the stylesheet uses to show the matching
  // explanation. A credited deposit can still be returned by the bank, so only
  // failed, returned and held (refused, the money held to return) end the polling
  // early; it stops after ten minutes.
  document.querySelectorAll("[data-status-url]").forEach(function (box) {
    var url = box.getAttribute("data-status-url");
    var interval = 1500;
    var stopAt = Date.now() + 10 * 60 * 1000;
    var set = function (testid, text) {
      var el = box.querySelector('[data-testid="' + testid + '"]');
      if (el && typeof text === "string" && el.textContent !== text) el.textContent = text;
    };
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
          if (state.reload) {
            window.location.reload();
            return;
          }
          set("order-status", state.text);
          set("balance", state.balance);
          set("order-amount", state.amount);
          set("result-credited", state.credited);
          var title = document.querySelector("[data-title]");
          if (title && state.title && title.textContent !== state.title) {
            document.title = document.title.replace(title.textContent, state.title);
            title.textContent = state.title;
          }
          if (state.phase) box.setAttribute("data-phase", state.phase);
          interval = 1500;
          next(state.phase);
        })
        .catch(function () {
          interval = Math.min(interval * 2, 15000);
          next("");
        });
    };
    var next = function (phase) {
      if (phase === "failed" || phase === "returned" || phase === "held" || Date.now() > stopAt) return;
      window.setTimeout(poll, interval);
    };
    next(box.getAttribute("data-phase"));
  });
})();
