/*
 * Distretto: the little JavaScript pages use beyond htmx. Everything works without it.
 *
 * [data-autosubmit] on a form (or on one control): changing a select, checkbox or
 * radio submits the form, so filters apply at once. The form keeps its submit button
 * for people without JavaScript. requestSubmit() fires the submit event, so a form with
 * hx-get/hx-post is sent by htmx and only its results are swapped.
 */
(function () {
  "use strict";

  document.addEventListener("change", function (ev) {
    var control = ev.target;
    if (!control || !control.form || !control.closest) return;
    if (!control.closest("[data-autosubmit]") && !control.form.hasAttribute("data-autosubmit")) return;
    var type = (control.type || "").toLowerCase();
    if (control.tagName !== "SELECT" && type !== "checkbox" && type !== "radio") return;
    var form = control.form;
    // htmx already submits a form whose trigger includes "change".
    if (window.htmx && /\bchange\b/.test(form.getAttribute("hx-trigger") || "")) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  });

  /*
   * [data-running-total] on an order form: as quantities are typed, each line's amount and the
   * total follow (price per unit × quantity, rounded to the minor unit; the server's figures,
   * rounded per part, replace them once the order is saved). Without JavaScript the total is
   * the saved one.
   */
  function formatMinor(minor, scale, decimal, symbol) {
    var negative = minor < 0;
    var digits = String(Math.abs(minor));
    while (digits.length <= scale) digits = "0" + digits;
    var whole = scale > 0 ? digits.slice(0, digits.length - scale) : digits;
    var text = scale > 0 ? whole + decimal + digits.slice(digits.length - scale) : whole;
    return (negative ? "−" : "") + text + (symbol ? " " + symbol : "");
  }

  function quantityOf(input) {
    var value = (input && input.value || "").trim().replace(/[\s\u00a0']/g, "").replace(",", ".");
    if (value === "") return 0;
    var n = Number(value);
    return isFinite(n) && n > 0 ? n : 0;
  }

  document.addEventListener("input", function (ev) {
    var form = ev.target && ev.target.form;
    if (!form || !form.hasAttribute("data-running-total")) return;
    var scale = Number(form.getAttribute("data-scale") || "2");
    var decimal = form.getAttribute("data-decimal") || ".";
    var symbol = form.getAttribute("data-symbol") || "";
    var total = 0;
    form.querySelectorAll(".product-line[data-price-minor]").forEach(function (line) {
      var input = line.querySelector("input[name^='q_']");
      if (!input) return;
      var amount = Math.round(Number(line.getAttribute("data-price-minor")) * quantityOf(input));
      total += amount;
      var cell = line.querySelector(".line-amount");
      if (cell) cell.textContent = formatMinor(amount, scale, decimal, symbol);
    });
    var out = document.getElementById("order-total");
    if (out) out.textContent = "≈ " + formatMinor(total, scale, decimal, symbol);
  });
})();
