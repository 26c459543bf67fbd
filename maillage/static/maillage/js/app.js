// Maillage — small behaviours, no inline script (CSP script-src 'self').
(function () {
  "use strict";
  // Buttons with data-confirm ask before submitting their form.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = submitter && submitter.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Selects with data-autosubmit submit their form when changed (the button stays for no-JS).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });
  // A form opened in place (htmx) that is refused (400, or 409 for a concurrent edit) swaps in
  // again with its errors next to the fields, instead of being silently dropped.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var config = event.detail.requestConfig;
    var elt = (config && config.elt) || event.target;
    if ((status === 400 || status === 409) && elt && elt.closest &&
        elt.closest(".inline-step-form")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
