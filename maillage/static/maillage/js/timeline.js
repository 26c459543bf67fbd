// The team's timeline: the day/week links and the profession filter fetch the JSON range
// endpoint and re-render the timeline in place, without reloading the page. Without JavaScript
// they are plain links and a plain form (the server renders the same timeline). The markup built
// here is the one of visits/_timeline.html; no inline style (CSP): placement is by classes.
(function () {
  "use strict";

  var LABELS = {
    1: {prev: "← Veille", today: "Aujourd'hui", next: "Lendemain →", other: "Voir la semaine"},
    7: {prev: "← Semaine précédente", today: "Cette semaine", next: "Semaine suivante →",
        other: "Voir un seul jour"}
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // « 0 passage », « 1 passage », « 2 passages »: French agrees from 2 on.
  function countLabel(n, singular, plural) { return n + " " + (n >= 2 ? plural : singular); }

  function capfirst(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : text; }

  function hoursRow() {
    var row = el("div", "tl-row tl-hours");
    row.setAttribute("aria-hidden", "true");
    row.appendChild(el("div", "tl-h"));
    var track = el("div", "tl-track");
    for (var h = 0; h < 24; h++) { track.appendChild(el("span", "tl-s-" + (h * 4) + " tl-d-4", h + " h")); }
    row.appendChild(track);
    return row;
  }

  function block(b) {
    if (b.state === "elsewhere") {  // busy in another CRT: its hours only, nothing to open
      return el("span", "tl-b tl-s-" + b.slot + " tl-d-" + b.span + " tl-l-" + b.lane + " tl-elsewhere", b.label);
    }
    var a = el("a", "tl-b tl-s-" + b.slot + " tl-d-" + b.span + " tl-l-" + b.lane + " tl-" + b.state +
               (b.overlap ? " tl-ov" : "") + (b.travel ? " tl-tr" : ""), b.label);
    a.href = b.url;
    if (b.state === "planned") {
      a.draggable = true;
      a.dataset.v = b.version;
    }
    return a;
  }

  function section(s, days) {
    var node = el("section", "tl-day mb-3");
    if (s.title) { node.setAttribute("aria-label", s.title); }
    if (s.title && days > 1) { node.appendChild(el("h2", "h5 mt-2", capfirst(s.title))); }
    var tl = el("div", "tl");
    tl.appendChild(hoursRow());
    s.rows.forEach(function (r) {
      var row = el("div", "tl-row");
      if (r.actor) {
        row.dataset.actor = r.actor;
        row.dataset.day = s.date;
      }
      var head = el("h3", "tl-h");
      if (r.url) {
        var link = el("a", null, r.who);
        link.href = r.url;
        head.appendChild(link);
      } else {
        head.textContent = capfirst(r.who);
      }
      if (r.sub) { head.appendChild(el("small", null, r.sub)); }
      var track = el("div", "tl-track tl-n-" + r.lanes);
      r.blocks.forEach(function (b) { track.appendChild(block(b)); });
      row.appendChild(head);
      row.appendChild(track);
      tl.appendChild(row);
    });
    if (!s.rows.length) { tl.appendChild(el("p", "tl-empty", "Aucun passage ce jour-là.")); }
    node.appendChild(tl);
    return node;
  }

  function summary(node, data) {
    node.textContent = countLabel(data.count, "passage", "passages");
    function strong(text) { node.appendChild(el("strong", null, text)); }
    if (data.untraced) { node.appendChild(document.createTextNode(", dont ")); strong(countLabel(data.untraced, "terminé non tracé", "terminés non tracés")); }
    if (data.overlaps) { node.appendChild(document.createTextNode(" · ")); strong(countLabel(data.overlaps, "passage se chevauche", "passages se chevauchent") + " (double réservation)"); }
    if (data.travel) { node.appendChild(document.createTextNode(" · ")); strong(countLabel(data.travel, "trajet trop court", "trajets trop courts")); }
    if (data.pages.count > 1 && (data.overlaps || data.travel)) { node.appendChild(document.createTextNode(" sur cette page")); }
    node.appendChild(document.createTextNode("."));
  }

  // The pages of professionals (a page costs the same whatever the size of the team).
  function pages(node, data) {
    var p = data.pages;
    node.replaceChildren();
    if (p.count < 2) { return; }
    function link(kind, href, text) {
      if (!href) { return; }
      var a = el("a", "btn btn-sm btn-outline-primary", text);
      a.setAttribute("data-tl-page", kind);
      a.setAttribute("href", href);
      node.appendChild(a);
    }
    link("prev", p.prev, "← Professionnels précédents");
    node.appendChild(el("span", null, (p.first === p.last ? "Professionnel " + p.first
      : "Professionnels " + p.first + " à " + p.last) + " sur " + p.total));
    link("next", p.next, "Professionnels suivants →");
  }

  // ``mine``: the navigation this answer is for; a profession chosen by hand while it was on its
  // way is kept (the answer sets the filter to what was asked, which the user has just changed).
  function render(root, data, mine) {
    root.dataset.start = data.start;
    root.dataset.days = data.days;
    root.dataset.profession = data.profession;
    var heading = root.querySelector("#tl-heading");
    heading.textContent = data.heading;
    document.title = data.heading + " · Maillage";
    var labels = LABELS[data.days];
    root.querySelectorAll("[data-tl-nav]").forEach(function (a) {
      var kind = a.getAttribute("data-tl-nav");
      if (kind === "day" || kind === "week") {
        kind = data.days === 1 ? "week" : "day";
        a.setAttribute("data-tl-nav", kind);
        a.textContent = labels.other;
      } else {
        a.textContent = labels[kind];
      }
      a.setAttribute("href", data.nav[kind]);
    });
    var form = root.querySelector("#tl-filter");
    if (form) {
      form.querySelector("[name=jour]").value = data.start;
      var week = form.querySelector("[name=jours]");
      if (data.days === 7 && !week) {
        week = el("input");
        week.type = "hidden";
        week.name = "jours";
        week.value = "7";
        form.appendChild(week);
      } else if (data.days === 1 && week) {
        week.remove();
      }
      var select = form.querySelector("select[name=profession]");
      var chosen = chosenDuring === mine ? select.value : data.profession;
      var names = data.professions.slice();
      if (chosen && names.indexOf(chosen) < 0) {  // none of that profession in this range
        names.push(chosen);
        names.sort(function (a, b) { return a.localeCompare(b, "fr"); });
      }
      select.replaceChildren(el("option", null, "Toutes"));
      select.firstChild.value = "";
      names.forEach(function (p) {
        var option = el("option", null, p);
        option.selected = p === chosen;
        select.appendChild(option);
      });
    }
    summary(root.querySelector("#tl-summary"), data);
    pages(root.querySelector("#tl-pages"), data);
    var body = root.querySelector("#tl-body");
    var fragment = document.createDocumentFragment();
    data.sections.forEach(function (s) { fragment.appendChild(section(s, data.days)); });
    body.replaceChildren(fragment);
  }

  // On a narrow screen the timeline scrolls sideways: start at 7 h (the night stays reachable).
  function scrollToDay(scope) {
    scope.querySelectorAll(".tl").forEach(function (tl) {
      var seven = tl.querySelector(".tl-hours .tl-s-28");
      var head = tl.querySelector(".tl-h");
      if (tl.scrollWidth <= tl.clientWidth || !seven || !head) { return; }
      tl.scrollLeft += seven.getBoundingClientRect().left - tl.getBoundingClientRect().left -
        head.offsetWidth;
    });
  }

  function apiQuery(pageQuery) {
    var page = new URLSearchParams(pageQuery);
    var api = new URLSearchParams();
    if (page.get("jour")) { api.set("start", page.get("jour")); }
    api.set("days", page.get("jours") === "7" ? "7" : "1");
    if (page.get("profession")) { api.set("profession", page.get("profession")); }
    if (page.get("page")) { api.set("page", page.get("page")); }
    return api.toString();
  }

  var latest = 0;  // only the last navigation is shown, whatever order the answers come in
  var chosenDuring = -1;  // the navigation under way when the profession was last chosen by hand

  function load(root, pageQuery, push) {
    var mine = ++latest;
    root.setAttribute("aria-busy", "true");
    return fetch(root.dataset.api + "?" + apiQuery(pageQuery), {
      headers: {"Accept": "application/json"}, credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (data) {
      if (mine !== latest) { return; }
      render(root, data, mine);
      scrollToDay(root);
      root.removeAttribute("aria-busy");
      if (push) { window.history.pushState({timeline: true}, "", "?" + pageQuery); }
    }).catch(function () {
      window.location.search = pageQuery;  // fall back on the server-rendered page
    });
  }

  // Drag and drop (planners): a planned visit to another time and/or another professional's row,
  // through the visit edit service (double-booking check, version). The edit form stays the
  // keyboard way to do the same.
  function slotAt(track, x) {
    var rect = track.getBoundingClientRect();
    var f = (x - rect.left) / rect.width * 72;  // 28 and 12 night columns at .4fr, 56 at 1fr
    var slot = f < 11.2 ? Math.floor(f / 0.4) : f < 67.2 ? 28 + Math.floor(f - 11.2)
      : 84 + Math.floor((f - 67.2) / 0.4);
    return Math.max(0, Math.min(95, slot));
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (error) { return ""; }
  }

  function setupDrag(root) {
    if (!root.dataset.move) { return; }
    var message = root.querySelector("#tl-message");
    var dragged = null;
    var grab = 0;
    root.addEventListener("dragstart", function (event) {
      var block = event.target.closest && event.target.closest("a.tl-b[draggable]");
      if (!block) { return; }
      dragged = block;
      grab = event.clientX - block.getBoundingClientRect().left;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", block.getAttribute("href"));
    });
    root.addEventListener("dragover", function (event) {
      if (dragged && event.target.closest(".tl-row[data-actor] .tl-track")) { event.preventDefault(); }
    });
    root.addEventListener("drop", function (event) {
      var track = event.target.closest(".tl-row[data-actor] .tl-track");
      if (!dragged || !track) { return; }
      event.preventDefault();
      var row = track.parentElement;
      var minutes = slotAt(track, event.clientX - grab) * 15;
      var hh = String(Math.floor(minutes / 60)).padStart(2, "0");
      var mm = String(minutes % 60).padStart(2, "0");
      var body = new URLSearchParams({start: row.dataset.day + "T" + hh + ":" + mm,
                                      version: dragged.dataset.v, qui: row.dataset.actor});
      var url = dragged.getAttribute("href") + "deplacer/";
      dragged = null;
      fetch(url, {method: "POST", body: body, credentials: "same-origin",
                  headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}})
        .then(function (response) { return response.json(); })
        .then(function (data) {
          message.className = data.ok ? "mb-1 text-success" : "mb-1 text-danger";
          message.textContent = data.ok ? data.message : data.error;
          return load(root, window.location.search.replace(/^\?/, ""), false);
        })
        .catch(function () { message.textContent = "Le passage n'a pas pu être déplacé."; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollToDay(document);
    var root = document.getElementById("team-timeline");
    if (!root || !window.fetch) { return; }
    setupDrag(root);
    root.addEventListener("click", function (event) {
      var link = event.target.closest("[data-tl-nav], [data-tl-page]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
      event.preventDefault();
      var attribute = link.hasAttribute("data-tl-nav") ? "data-tl-nav" : "data-tl-page";
      var kind = link.getAttribute(attribute);
      load(root, link.getAttribute("href").replace(/^\?/, ""), true).then(function () {
        var again = root.querySelector("[" + attribute + "='" + kind + "']") ||
          root.querySelector("[data-tl-page]");
        if (again) { again.focus(); }
      });
    });
    var form = root.querySelector("#tl-filter");
    if (form) {
      form.querySelector("select[name=profession]").addEventListener("change", function () {
        chosenDuring = root.hasAttribute("aria-busy") ? latest : -1;
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var query = new URLSearchParams(new FormData(form));
        if (!query.get("profession")) { query.delete("profession"); }
        load(root, query.toString(), true);
      });
    }
    window.addEventListener("popstate", function () {
      load(root, window.location.search.replace(/^\?/, ""), false);
    });
  });
})();
