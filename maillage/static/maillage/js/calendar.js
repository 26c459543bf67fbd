// Visit calendars (FullCalendar, vendored). The page gives the view, the date and the events as
// JSON (no inline script: CSP). Navigation between weeks/days is done by the page's own links,
// so each page load is one server request with a bounded number of queries.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("visit-calendar");
    var data = document.getElementById("visit-calendar-data");
    if (!el || !data || !window.FullCalendar) { return; }
    var config = JSON.parse(data.textContent);
    var narrow = window.matchMedia("(max-width: 767px)").matches;
    var calendar = new window.FullCalendar.Calendar(el, {
      locale: "fr",
      // Events carry Paris wall-clock times; shown as they are whatever the device's zone.
      timeZone: "UTC",
      initialView: narrow ? (config.view === "timeGridDay" ? "listDay" : "listWeek") : config.view,
      initialDate: config.date,
      headerToolbar: false,
      height: "auto",
      allDaySlot: false,
      // 06:00–23:00, widened by the server to a night visit's hours (``_calendar_hours``).
      slotMinTime: config.slot_min || "06:00:00",
      slotMaxTime: config.slot_max || "23:00:00",
      nowIndicator: false,
      events: config.events
    });
    calendar.render();
  });
})();
