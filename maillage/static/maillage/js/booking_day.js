// Maillage — the booking form's « Journée de … » panel (visits/plan.html): each free gap
// becomes a button that fills the start time (and shortens the duration to fit the gap).
// The panel itself is refreshed by htmx; without JavaScript, « Voir sa journée » reloads the
// form with it. No inline script (CSP script-src 'self').
(function () {
  "use strict";

  function formOf(panel) {
    return document.getElementById(panel.getAttribute("data-booking-day"));
  }

  function upgrade(root) {
    if (!root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("[data-booking-day] span[data-gap-start]").forEach(function (gap) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-success";
      button.setAttribute("data-gap-start", gap.getAttribute("data-gap-start"));
      button.setAttribute("data-gap-minutes", gap.getAttribute("data-gap-minutes"));
      button.setAttribute("aria-describedby", "booking-day-hint");
      button.textContent = gap.textContent;
      gap.replaceWith(button);
    });
    root.querySelectorAll("[data-gap-hint]").forEach(function (hint) {
      hint.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { upgrade(document); });
  document.addEventListener("htmx:load", function (event) { upgrade(event.target); });

  document.addEventListener("click", function (event) {
    var gap = event.target.closest && event.target.closest("button[data-gap-start]");
    var panel = gap && gap.closest("[data-booking-day]");
    var form = panel && formOf(panel);
    if (!form) {
      return;
    }
    // The booking form's start times, or a visit's edit form's start time.
    var times = form.querySelector("[name=times]") || form.querySelector("[name=start_time]");
    var duration = form.querySelector("[name=duration_minutes]");
    times.value = gap.getAttribute("data-gap-start");
    var room = parseInt(gap.getAttribute("data-gap-minutes"), 10);
    var current = parseInt(duration.value, 10);
    if (!(current > 0) || current > room) {
      duration.value = String(Math.min(room, 720));
    }
    times.focus();
  });

  // A screen reader hears the new day in a few words (the status line is outside the panel
  // htmx replaces, so it is there before its text changes): not on the page's first load.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var status = document.querySelector("[data-booking-day-status]");
    var summary = target && target.matches("[data-booking-day]") &&
      target.querySelector("[data-booking-day-summary]");
    if (status && summary) {
      status.textContent = summary.getAttribute("data-booking-day-summary");
    }
  });

  // A date the panel refuses (400) still replaces it: its message shows there.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.matches("[data-booking-day]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
