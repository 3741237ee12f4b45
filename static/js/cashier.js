// The cashier works without JavaScript; this file only adds small conveniences.
// It is loaded with defer from the layout, and the CSP allows no inline script.
(function () {
  "use strict";

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

  // A button with data-confirm asks before its form is submitted.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
