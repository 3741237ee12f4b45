// The cashier works without JavaScript; this file only adds small conveniences.
// It is loaded with defer from the layout, and the CSP allows no inline script.
(function () {
  "use strict";

  // Chromium keeps pages in its back/forward cache even when they are sent
  // Cache-Control: no-store, so Back would show a page as the player left it: a
  // withdrawal form with the balance before the payout, the checkout of a deposit
  // since paid or cancelled. A page restored from that cache is loaded again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  // A country select names the element showing the wallet currency in
  // data-currency-target; each option carries its currency in data-currency.
  document.querySelectorAll("select[data-currency-target]").forEach(function (select) {
    var target = document.getElementById(select.getAttribute("data-currency-target"));
    if (!target) return;
    var update = function () {
      var option = select.options[select.selectedIndex];
      target.textContent = option ? option.getAttribute("data-currency") || "" : "";
    };
    select.addEventListener("change", update);
    update();
  });

  // A select with data-submit-on-change sends its form when changed (the market
  // picker); without JavaScript its form's button does.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });

  // The reality check is due in the seconds of <meta name="reality-check-in">:
  // reload then, so that the page shows it (views.realityCheckRefresh).
  var due = document.querySelector('meta[name="reality-check-in"]');
  if (due) {
    var seconds = parseInt(due.getAttribute("content"), 10);
    if (seconds > 0) window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }

  // An amount field (views.AmountPattern) with data-min and data-max: an amount
  // outside them is refused before the form is sent, as a number field's min and
  // max did. Amounts are compared in minor units, as integers; the server checks
  // again.
  var minor = function (text) {
    var m = /^([0-9][0-9 \u00a0\u202f]*)(?:[.,]([0-9]{1,2}))?$/.exec((text || "").trim());
    if (!m) return null;
    return parseInt(m[1].replace(/[ \u00a0\u202f]/g, ""), 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  };
  document.querySelectorAll("input[data-min][data-max]").forEach(function (input) {
    var check = function () {
      var v = minor(input.value), lo = minor(input.getAttribute("data-min")), hi = minor(input.getAttribute("data-max"));
      var outside = v !== null && ((lo !== null && v < lo) || (hi !== null && v > hi));
      input.setCustomValidity(outside ? input.getAttribute("data-range") || "" : "");
    };
    input.addEventListener("input", check);
    check();
  });

  // A button with data-confirm asks before its form is submitted.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
