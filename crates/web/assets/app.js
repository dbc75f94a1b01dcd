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
})();
