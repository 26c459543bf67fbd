// Maillage — small behaviours, no inline script (CSP script-src 'self').
(function () {
  "use strict";
  // Buttons with data-unsaved="#form" leave the page for another form: when that form holds
  // typed text not saved yet, they ask first (« Recalculer les chiffres » reloads a report
  // whose texts are being typed). Then data-confirm buttons ask before submitting their form.
  var typed = new WeakSet();
  document.addEventListener("input", function (event) {
    if (event.target.form) {
      typed.add(event.target.form);
    }
  });
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var watched = submitter && submitter.getAttribute("data-unsaved");
    var pending = watched && document.querySelector(watched);
    if (pending && pending !== event.target && typed.has(pending) &&
        !window.confirm("Les textes tapés sur cette page ne sont pas enregistrés et seront " +
                        "perdus. Continuer quand même ?")) {
      event.preventDefault();
      return;
    }
    var message = submitter && submitter.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // Logging out erases the offline day (« Ma journée hors ligne »): warn when some of its
  // actions are still waiting to be sent. The store is only counted (its records are
  // encrypted); a database that does not exist is not created.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var logout = /\/deconnexion\/$/.test(form.getAttribute("action") || "");
    if (!logout || event.defaultPrevented || form.dataset.offlineChecked || !window.indexedDB ||
        !indexedDB.databases) {
      return;
    }
    event.preventDefault();
    indexedDB.databases().then(function (list) {
      if (!list.some(function (d) { return d.name === "maillage-offline"; })) {
        return 0;
      }
      return new Promise(function (resolve) {
        var open = indexedDB.open("maillage-offline");
        open.onerror = function () { resolve(0); };
        open.onsuccess = function () {
          var db = open.result;
          if (!db.objectStoreNames.contains("pending")) {
            db.close();
            resolve(0);
            return;
          }
          var count = db.transaction("pending").objectStore("pending").count();
          count.onsuccess = function () { db.close(); resolve(count.result); };
          count.onerror = function () { db.close(); resolve(0); };
        };
      });
    }).catch(function () { return 0; }).then(function (n) {
      if (n > 0 && !window.confirm((n >= 2
        ? n + " saisies de « Ma journée hors ligne » ne sont pas encore envoyées et seront perdues. "
        : "1 saisie de « Ma journée hors ligne » n'est pas encore envoyée et sera perdue. ") +
                                   "Se déconnecter quand même ?")) {
        return;
      }
      form.dataset.offlineChecked = "1";
      form.submit();
    });
  });
  // Selects with data-autosubmit submit their form when changed (the button stays for no-JS).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });
  // Parts of a form shown only for some choices of a select: data-show-if="<select name>",
  // data-show-values="<values separated by spaces>". Hidden, their fields are disabled (not
  // sent). With no choice made, or without JavaScript, every part shows.
  function showFor(select) {
    if (!select.form || !select.name) {
      return;
    }
    select.form.querySelectorAll("[data-show-if]").forEach(function (part) {
      if (part.getAttribute("data-show-if") !== select.name) {
        return;
      }
      var values = (part.getAttribute("data-show-values") || "").split(" ");
      var shown = !select.value || values.indexOf(select.value) !== -1;
      part.hidden = !shown;
      part.querySelectorAll("input, select, textarea").forEach(function (field) {
        field.disabled = !shown;
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select")) {
      showFor(event.target);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-show-if]").forEach(function (part) {
      var form = part.closest("form");
      var select = form && form.elements.namedItem(part.getAttribute("data-show-if"));
      if (select && select.tagName === "SELECT") {
        showFor(select);
      }
    });
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
