// Maillage — « Ma journée hors ligne »: the care aide's day on the phone, usable without network.
// Storage: IndexedDB (idb), every record holding a name, an address, a note, a code or any health
// data encrypted with AES-GCM 256 (WebCrypto). The key comes from the server and lives only in
// sessionStorage (and as a non-extractable CryptoKey in memory). No inline script (CSP).
(function () {
  "use strict";

  var root = document.getElementById("offline-app");
  if (!root || !window.idb || !window.crypto || !window.crypto.subtle) {
    return;
  }
  var URLS = {
    key: root.dataset.key, register: root.dataset.register, day: root.dataset.day,
    sync: root.dataset.sync, sw: root.dataset.sw, scope: root.dataset.scope || "/hors-ligne/",
    state: root.dataset.state, login: root.dataset.login, logout: root.dataset.logout,
    onlineDay: root.dataset.onlineDay
  };
  var DB_NAME = "maillage-offline";
  var KEY_ITEM = "maillage-offline-key";
  var CSRF_ITEM = "maillage-offline-csrf";
  var DEVICE_ITEM = "maillage-offline-device";
  var ZERO_UUID = "00000000-0000-0000-0000-000000000000";

  var cryptoKey = null;      // CryptoKey, non-extractable
  var dbPromise = null;
  var bundle = null;         // the decrypted day, in memory only
  var pendingItems = [];     // [{key, action, summary}] decrypted, in memory only
  var syncing = null;        // the running sync (never two at once)
  var lastRequestFailed = false;
  var sessionExpired = false;

  // ---------------------------------------------------------------- small helpers

  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (name === "text") {
        el.textContent = value;
      } else if (name === "class") {
        el.className = value;
      } else if (name.slice(0, 2) === "on") {
        el.addEventListener(name.slice(2), value);
      } else {
        el.setAttribute(name, value === true ? "" : value);
      }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) {
        continue;
      }
      el.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function hhmm(value) {
    var d = value instanceof Date ? value : new Date(value);
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function ddmmyyyy(value) {
    var d = value instanceof Date ? value : new Date(value);
    return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear();
  }

  // ISO 8601 with the phone's offset, e.g. 2026-12-05T08:04:00+01:00.
  function isoLocal(d) {
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign +
      pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  // A time typed (« 08:04 ») on the visit's date (« 2026-12-05 »), in the phone's time zone.
  function combine(dateText, timeText) {
    var p = dateText.split("-").map(Number);
    var t = timeText.split(":").map(Number);
    return new Date(p[0], p[1] - 1, p[2], t[0], t[1], 0, 0);
  }

  function label(pairs, value) {
    var found = (pairs || []).find(function (pair) { return pair[0] === value; });
    return found ? found[1] : value;
  }

  function plural(n, word) {
    return n + " " + word + (n > 1 ? "s" : "");
  }

  // ---------------------------------------------------------------- crypto

  function b64uToBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) {
      b64 += "=";
    }
    var raw = atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function importKey(text) {
    return crypto.subtle.importKey("raw", b64uToBytes(text), {name: "AES-GCM"}, false,
                                   ["encrypt", "decrypt"]);
  }

  async function encrypt(value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var data = await crypto.subtle.encrypt({name: "AES-GCM", iv: iv}, cryptoKey,
                                           new TextEncoder().encode(JSON.stringify(value)));
    return {iv: iv, data: data};
  }

  async function decrypt(record) {
    var plain = await crypto.subtle.decrypt({name: "AES-GCM", iv: record.iv}, cryptoKey,
                                            record.data);
    return JSON.parse(new TextDecoder().decode(plain));
  }

  async function restoreKey() {
    var text = sessionStorage.getItem(KEY_ITEM);
    if (!text) {
      cryptoKey = null;
      return false;
    }
    try {
      cryptoKey = await importKey(text);
      return true;
    } catch (e) {
      sessionStorage.removeItem(KEY_ITEM);
      cryptoKey = null;
      return false;
    }
  }

  // ---------------------------------------------------------------- IndexedDB

  function db() {
    if (!dbPromise) {
      dbPromise = idb.openDB(DB_NAME, 1, {
        upgrade: function (database) {
          database.createObjectStore("meta");
          database.createObjectStore("vault");
          database.createObjectStore("pending", {autoIncrement: true});
          database.createObjectStore("results");
        },
        blocking: function () {
          closeDb();
        }
      });
    }
    return dbPromise;
  }

  function closeDb() {
    if (dbPromise) {
      var p = dbPromise;
      dbPromise = null;
      p.then(function (database) { database.close(); }, function () {});
    }
  }

  // Opening the database would create it: only look when it exists (nothing stored otherwise).
  async function dbExists() {
    if (dbPromise) {
      return true;
    }
    if (!indexedDB.databases) {
      return true;
    }
    var list = await indexedDB.databases();
    return list.some(function (info) { return info.name === DB_NAME; });
  }

  async function pendingCount() {
    if (!(await dbExists())) {
      return 0;
    }
    return (await db()).count("pending");
  }

  async function loadPending() {
    pendingItems = [];
    if (!cryptoKey || !(await dbExists())) {
      return pendingItems;
    }
    var database = await db();
    var keys = await database.getAllKeys("pending");
    var values = await database.getAll("pending");
    for (var i = 0; i < keys.length; i++) {
      try {
        var item = await decrypt(values[i]);
        pendingItems.push({key: keys[i], action: item.action, summary: item.summary});
      } catch (e) {
        // Encrypted with a key this session no longer has: kept, it cannot be read here.
      }
    }
    return pendingItems;
  }

  // Wipe every local data. ``full``: also the service worker and its caches (log out, 403).
  async function wipe(full) {
    bundle = null;
    pendingItems = [];
    closeDb();
    try {
      await idb.deleteDB(DB_NAME);
    } catch (e) { /* nothing to delete */ }
    sessionStorage.removeItem(KEY_ITEM);
    sessionStorage.removeItem(CSRF_ITEM);
    localStorage.removeItem(DEVICE_ITEM);
    cryptoKey = null;
    if (full) {
      if (window.caches) {
        var names = await caches.keys();
        await Promise.all(names.map(function (name) { return caches.delete(name); }));
      }
      if (navigator.serviceWorker) {
        var registrations = await navigator.serviceWorker.getRegistrations();
        await Promise.all(registrations.map(function (r) { return r.unregister(); }));
      }
    }
  }

  // ---------------------------------------------------------------- network

  // fetch() that never follows the login redirect (session expired → opaqueredirect) and
  // returns null on a network failure.
  async function api(url, options) {
    options = Object.assign({credentials: "same-origin", redirect: "manual",
                             cache: "no-store"}, options || {});
    try {
      var response = await fetch(url, options);
      lastRequestFailed = false;
      if (response.type === "opaqueredirect") {
        sessionExpired = true;
      }
      return response;
    } catch (e) {
      lastRequestFailed = true;
      return null;
    } finally {
      showOnline();
    }
  }

  function withDevice(url, device) {
    return url + (url.indexOf("?") === -1 ? "?" : "&") + "appareil=" +
      encodeURIComponent(device || "");
  }

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.register(URLS.sw, {scope: URLS.scope}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      root.dataset.swReady = "1";
    }).catch(function () { /* the app still works online */ });
  }

  function requestBackgroundSync() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) {
        return registration.sync.register("maillage-sync");
      }
    }).catch(function () {});
  }

  // ---------------------------------------------------------------- visible state

  var els = {
    banner: document.getElementById("offline-banner"),
    count: document.getElementById("pending-count"),
    lastSync: document.getElementById("last-sync"),
    syncNow: document.getElementById("sync-now"),
    message: document.getElementById("app-message"),
    user: document.getElementById("day-user"),
    day: document.getElementById("day"),
    toCheck: document.getElementById("to-check"),
    toCheckList: document.getElementById("to-check-list"),
    logout: document.getElementById("offline-logout")
  };

  function isOffline() {
    return !navigator.onLine || lastRequestFailed;
  }

  function showOnline() {
    els.banner.hidden = !isOffline();
  }

  async function showCounts() {
    var n = await pendingCount();
    els.count.dataset.count = String(n);
    els.count.textContent = n + " saisie(s) en attente d'envoi";
    var meta = (await dbExists()) ? await (await db()).get("meta", "last_sync") : null;
    els.lastSync.textContent = meta ? "Dernière synchronisation : " + ddmmyyyy(meta) + " " +
      hhmm(meta) : "Pas encore synchronisé sur ce téléphone";
    showOnline();
    return n;
  }

  // kind: "info" | "warning" | "danger"; link: optional {href, text}.
  function say(text, kind, link) {
    els.message.replaceChildren();
    if (!text) {
      return;
    }
    els.message.append(h("div", {class: "alert alert-" + (kind || "info"), role: "status"},
                          text, link ? " " : null,
                          link ? h("a", {href: link.href, class: "alert-link"}, link.text) : null));
  }

  // ---------------------------------------------------------------- the day

  async function storeDay(day) {
    var database = await db();
    var sealed = await encrypt(day);
    var now = new Date().toISOString();
    await database.put("vault", {iv: sealed.iv, data: sealed.data, fetched_at: now,
                                 expires_at: day.expires_at}, "day");
    await database.put("meta", {fetched_at: now, expires_at: day.expires_at}, "day");
  }

  // The day kept on the phone: null if none, or too old (then deleted, and said).
  async function readDay() {
    if (!(await dbExists())) {
      return null;
    }
    var database = await db();
    var record = await database.get("vault", "day");
    if (!record) {
      return null;
    }
    if (new Date(record.expires_at).getTime() < Date.now()) {
      await database.delete("vault", "day");
      await database.delete("meta", "day");
      say("Les données de la journée ont plus de 36 heures : elles ont été effacées. " +
          "Reconnectez-vous au réseau pour les recharger.", "warning");
      return {expired: true};
    }
    try {
      return {day: await decrypt(record)};
    } catch (e) {
      return null;
    }
  }

  async function fetchDay() {
    var device = localStorage.getItem(DEVICE_ITEM);
    var response = await api(URLS.day.indexOf(ZERO_UUID) === -1 ?
      withDevice(URLS.day, device) : URLS.day.replace(ZERO_UUID, device));
    if (!response) {
      return false;
    }
    if (response.status === 403) {
      await forbidden();
      return false;
    }
    if (!response.ok) {
      return false;
    }
    var day = await response.json();
    await storeDay(day);
    bundle = day;
    return true;
  }

  // What was recorded on the phone and not yet sent, by visit.
  function localState() {
    var byVisit = {};
    var byPerson = {};
    pendingItems.forEach(function (item) {
      var a = item.action;
      if (a.visit) {
        var s = byVisit[a.visit] = byVisit[a.visit] || {};
        if (a.kind === "visit_start") {
          s.arrived = a.at;
        } else if (a.kind === "visit_end") {
          s.done = a.data;
        } else if (a.kind === "visit_missed") {
          s.missed = a.data;
        }
      }
      if (a.kind === "note" || a.kind === "alert") {
        var p = byPerson[a.person] = byPerson[a.person] || {notes: 0, alerts: 0};
        p[a.kind === "note" ? "notes" : "alerts"] += 1;
      }
    });
    return {visits: byVisit, people: byPerson};
  }

  function render() {
    els.day.replaceChildren();
    if (!bundle) {
      return;
    }
    els.user.textContent = bundle.user + " — journée chargée le " +
      ddmmyyyy(bundle.generated_at) + " à " + hhmm(bundle.generated_at) + ".";
    var local = localState();
    bundle.days.forEach(function (day, index) {
      var visits = bundle.visits.filter(function (v) { return v.date === day.date; });
      var titleId = "day-" + day.date;
      var section = h("section", {class: "mb-4", "aria-labelledby": titleId},
                      h("h2", {class: "h4 day-title", id: titleId},
                        (index === 0 ? "Aujourd'hui, " : "Demain, ") + day.title),
                      h("p", {class: "small mb-2", text: plural(visits.length, "passage")}));
      if (!visits.length) {
        section.append(h("p", {text: "Aucun passage prévu ce jour-là."}));
      }
      visits.forEach(function (v) {
        section.append(visitCard(v, local));
      });
      els.day.append(section);
    });
  }

  function statusBadgeClass(status) {
    return status === "done" ? "text-bg-success" : status === "not_done" ? "text-bg-danger" :
      "text-bg-secondary";
  }

  function visitCard(v, local) {
    var person = bundle.people[v.person] || {name: "", address: "", commune: ""};
    var mine = local.visits[v.id] || {};
    var titleId = "visit-" + v.id;
    var when = hhmm(v.start) + "–" + hhmm(v.end);
    var ctx = " : " + person.name + " à " + hhmm(v.start);
    var body = h("div", {class: "card-body"});
    var card = h("section", {class: "card visit-card visit-" + v.status + " mb-3",
                             "aria-labelledby": titleId, "data-visit": v.id}, body);
    body.append(h("h3", {class: "h5 card-title mb-1", id: titleId}, when + " · " + person.name));
    body.append(h("p", {class: "mb-1"},
                  v.two_person ? h("span", {class: "badge text-bg-warning", text: "À deux"}) : null,
                  v.two_person ? " " : null,
                  v.label + (v.place === "home" ?
                    " — " + person.address + ", " + person.commune : " — au CRT")));
    if (v.instructions) {
      body.append(h("p", {class: "mb-1 small", text: "Consignes : " + v.instructions}));
    }
    var serverState = h("p", {class: "mb-1"},
                        h("span", {class: "badge " + statusBadgeClass(v.status),
                                   text: v.status_label}));
    if (v.status === "done" && v.actual_start && v.actual_end) {
      serverState.append(" " + hhmm(v.actual_start) + "–" + hhmm(v.actual_end));
    }
    body.append(serverState);
    var localText = null;
    if (mine.done) {
      localText = "Réalisé " + hhmm(mine.done.start) + "–" + hhmm(mine.done.end) +
        " — en attente d'envoi";
    } else if (mine.missed) {
      localText = "Non réalisé (" + label(bundle.choices.not_done_reasons, mine.missed.reason) +
        ") — en attente d'envoi";
    } else if (mine.arrived) {
      localText = "Arrivé·e à " + hhmm(mine.arrived) + " — en attente d'envoi";
    }
    if (localText) {
      body.append(h("p", {class: "local-state mb-2"},
                    h("span", {class: "badge text-bg-info", text: "Sur ce téléphone"}),
                    " " + localText));
    }
    var waiting = local.people[v.person];
    if (waiting && (waiting.notes || waiting.alerts)) {
      var parts = [];
      if (waiting.notes) {
        parts.push(plural(waiting.notes, "transmission"));
      }
      if (waiting.alerts) {
        parts.push(plural(waiting.alerts, "alerte"));
      }
      body.append(h("p", {class: "small mb-2", text: parts.join(" et ") +
        " pour " + person.name + " en attente d'envoi"}));
    }
    var formSlot = h("div", {class: "visit-form-slot"});
    var buttons = h("div", {class: "d-flex flex-wrap gap-2 mb-2"});
    if (v.status === "planned" && !mine.done && !mine.missed) {
      if (!mine.arrived) {
        buttons.append(h("button", {type: "button", class: "btn btn-primary flex-fill",
                                    onclick: function () { recordArrival(v); }},
                         "Arrivée", h("span", {class: "visually-hidden", text: ctx})));
      }
      buttons.append(h("button", {type: "button", class: "btn btn-success flex-fill",
                                  onclick: function () { openForm(formSlot, doneForm(v)); }},
                       "Réalisé", h("span", {class: "visually-hidden", text: ctx})));
      buttons.append(h("button", {type: "button", class: "btn btn-outline-danger flex-fill",
                                  onclick: function () { openForm(formSlot, missedForm(v)); }},
                       "Non réalisé", h("span", {class: "visually-hidden", text: ctx})));
    }
    buttons.append(h("button", {type: "button", class: "btn btn-outline-secondary flex-fill",
                                onclick: function () { openForm(formSlot, noteForm(v)); }},
                     "Transmission", h("span", {class: "visually-hidden",
                                                text: " pour " + person.name})));
    buttons.append(h("button", {type: "button", class: "btn btn-outline-warning flex-fill",
                                onclick: function () { openForm(formSlot, alertForm(v)); }},
                     "Alerte", h("span", {class: "visually-hidden",
                                          text: " pour " + person.name})));
    body.append(buttons, formSlot, personDetails(person));
    return card;
  }

  function personDetails(person) {
    var details = h("details", {class: "person-details mt-2"},
                    h("summary", {}, "Informations utiles",
                      h("span", {class: "visually-hidden", text: " : " + person.name})));
    var list = h("dl", {class: "mb-1"});
    function row(term, text) {
      list.append(h("dt", {text: term}), h("dd", {text: text}));
    }
    if (person.phone) {
      row("Téléphone", person.phone);
    }
    if (person.access_notes) {
      row("Accès au domicile", person.access_notes);
    }
    if (person.key_box !== null && person.key_box !== undefined && person.key_box !== "") {
      list.append(h("dt", {text: "Boîte à clés"}),
                  h("dd", {text: "Code de la boîte à clés : " + person.key_box}));
    }
    if (person.allergies !== null && person.allergies !== undefined) {
      row("Allergies", person.allergies || "Aucune connue");
    }
    details.append(list);
    var notes = person.notes || [];
    details.append(h("h4", {class: "h6", text: "Dernières transmissions"}));
    if (!notes.length) {
      details.append(h("p", {class: "small", text: "Aucune transmission récente."}));
    } else {
      var ul = h("ul", {class: "list-unstyled small"});
      notes.forEach(function (n) {
        ul.append(h("li", {class: "mb-2"},
                    h("strong", {text: ddmmyyyy(n.at) + " " + hhmm(n.at) + " — " + n.author +
                      " (" + n.category + ")"}),
                    h("br"), n.text));
      });
      details.append(ul);
    }
    return details;
  }

  // ---------------------------------------------------------------- forms

  var formSeq = 0;

  function openForm(slot, form) {
    slot.replaceChildren(form);
    var first = form.querySelector("input, select, textarea");
    if (first) {
      first.focus();
    }
  }

  function field(labelText, control, help) {
    var id = control.id || (control.id = "f" + (++formSeq));
    var errorId = id + "-error";
    control.dataset.errorId = errorId;
    var wrapper = h("div", {class: "mb-2"},
                    h("label", {class: "form-label", for: id, text: labelText}), control);
    if (help) {
      var helpId = id + "-help";
      wrapper.append(h("div", {class: "form-text", id: helpId, text: help}));
      control.setAttribute("aria-describedby", helpId);
    }
    wrapper.append(h("div", {class: "invalid-feedback d-block", id: errorId, hidden: true}));
    return wrapper;
  }

  function select(pairs, blank) {
    var el = h("select", {class: "form-select"});
    if (blank !== undefined) {
      el.append(h("option", {value: "", text: blank}));
    }
    (pairs || []).forEach(function (pair) {
      el.append(h("option", {value: pair[0], text: pair[1]}));
    });
    return el;
  }

  function clearErrors(form) {
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.classList.remove("is-invalid");
      var error = document.getElementById(el.dataset.errorId);
      if (error) {
        error.hidden = true;
        error.textContent = "";
      }
      var described = (el.getAttribute("aria-describedby") || "").split(" ")
        .filter(function (id) { return id && id !== el.dataset.errorId; });
      if (described.length) {
        el.setAttribute("aria-describedby", described.join(" "));
      } else {
        el.removeAttribute("aria-describedby");
      }
    });
  }

  function setError(el, text) {
    el.setAttribute("aria-invalid", "true");
    el.classList.add("is-invalid");
    var error = document.getElementById(el.dataset.errorId);
    error.textContent = text;
    error.hidden = false;
    var described = (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(el.dataset.errorId);
    el.setAttribute("aria-describedby", described.join(" "));
  }

  function formButtons(submitText) {
    return h("div", {class: "d-flex flex-wrap gap-2 mt-3"},
             h("button", {type: "submit", class: "btn btn-success flex-fill", text: submitText}),
             h("button", {type: "button", class: "btn btn-outline-secondary flex-fill",
                          text: "Annuler", onclick: function (event) {
                            var form = event.target.closest("form");
                            var card = form.closest(".visit-card");
                            form.remove();
                            if (card) {
                              card.querySelector("button").focus();
                            }
                          }}));
  }

  function noteFields(prefix) {
    var choices = bundle.choices;
    var category = select(choices.note_categories);
    var visibility = select(choices.note_visibilities);
    var text = h("textarea", {class: "form-control", rows: "3"});
    return {
      category: category, visibility: visibility, text: text,
      nodes: [field("Catégorie" + prefix, category), field("Visibilité" + prefix, visibility),
              field("Texte de la transmission" + prefix, text)]
    };
  }

  function alertFields(prefix, optional) {
    var choices = bundle.choices;
    var kind = optional ? select(choices.alert_kinds, "Pas d'alerte") : select(choices.alert_kinds);
    var severity = select(choices.alert_severities);
    var description = h("textarea", {class: "form-control", rows: "2"});
    return {
      kind: kind, severity: severity, description: description,
      nodes: [field("Type d'alerte" + prefix, kind), field("Gravité" + prefix, severity),
              field("Description de l'alerte" + prefix, description)]
    };
  }

  function doneForm(v) {
    var mine = localState().visits[v.id] || {};
    var start = h("input", {type: "time", class: "form-control", required: true,
                            value: hhmm(mine.arrived || v.actual_start || v.start)});
    var end = h("input", {type: "time", class: "form-control", required: true,
                          value: hhmm(new Date())});
    var taskRows = (v.tasks || []).map(function (task) {
      var box = h("input", {type: "checkbox", class: "form-check-input", checked: true,
                            id: "f" + (++formSeq)});
      var reason = h("input", {type: "text", class: "form-control"});
      var reasonField = field("Pourquoi « " + task.text + " » n'a pas été fait", reason);
      reasonField.hidden = true;
      box.addEventListener("change", function () {
        reasonField.hidden = box.checked;
      });
      return {task: task, box: box, reason: reason,
              node: h("div", {class: "task-row mb-2"},
                      h("div", {class: "form-check"}, box,
                        h("label", {class: "form-check-label", for: box.id},
                          task.text + " : fait")),
                      reasonField)};
    });
    var report = h("textarea", {class: "form-control", rows: "3"});
    var note = noteFields(" (facultatif)");
    var alert = alertFields(" (facultatif)", true);
    var form = h("form", {class: "visit-form border rounded p-3 mt-2", novalidate: true},
                 h("h4", {class: "h6", text: "Passage réalisé"}),
                 h("div", {class: "row g-2"},
                   h("div", {class: "col-6"}, field("Arrivée", start)),
                   h("div", {class: "col-6"}, field("Départ", end))));
    if (taskRows.length) {
      form.append(h("fieldset", {class: "mb-2"}, h("legend", {class: "h6", text: "Tâches"}),
                    ...taskRows.map(function (r) { return r.node; })));
    }
    form.append(field("Ce qui a été fait", report),
                h("fieldset", {class: "mb-2"},
                  h("legend", {class: "h6", text: "Transmission (facultatif)"}), ...note.nodes),
                h("fieldset", {class: "mb-2"},
                  h("legend", {class: "h6", text: "Alerte (facultatif)"}), ...alert.nodes),
                formButtons("Enregistrer le passage"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      var bad = [];
      if (!start.value) {
        setError(start, "Indiquez l'heure d'arrivée.");
        bad.push(start);
      }
      if (!end.value) {
        setError(end, "Indiquez l'heure de départ.");
        bad.push(end);
      }
      if (start.value && end.value && end.value <= start.value) {
        setError(end, "L'heure de départ doit être après l'heure d'arrivée.");
        bad.push(end);
      }
      taskRows.forEach(function (r) {
        if (!r.box.checked && !r.reason.value.trim()) {
          setError(r.reason, "Indiquez pourquoi cette tâche n'a pas été faite.");
          bad.push(r.reason);
        }
      });
      var noteText = note.text.value.trim();
      if (alert.kind.value && !alert.description.value.trim()) {
        setError(alert.description, "Décrivez ce qui motive l'alerte.");
        bad.push(alert.description);
      }
      if (bad.length) {
        bad[0].focus();
        return;
      }
      var now = isoLocal(new Date());
      var startAt = isoLocal(combine(v.date, start.value));
      var endAt = isoLocal(combine(v.date, end.value));
      var actions = [{
        kind: "visit_end", visit: v.id, at: now,
        data: {start: startAt, end: endAt, report: report.value.trim(),
               tasks: taskRows.map(function (r) {
                 return {id: r.task.id, done: r.box.checked,
                         reason: r.box.checked ? "" : r.reason.value.trim()};
               })}
      }];
      if (noteText) {
        actions.push({kind: "note", person: v.person, visit: v.id, at: now,
                      data: {category: note.category.value, visibility: note.visibility.value,
                             text: noteText}});
      }
      if (alert.kind.value) {
        actions.push({kind: "alert", person: v.person, visit: v.id, at: now,
                      data: {kind: alert.kind.value, severity: alert.severity.value,
                             description: alert.description.value.trim()}});
      }
      record(actions, v);
    });
    return form;
  }

  function missedForm(v) {
    var reason = select(bundle.choices.not_done_reasons, "Choisir un motif");
    var comment = h("textarea", {class: "form-control", rows: "2"});
    var form = h("form", {class: "visit-form border rounded p-3 mt-2", novalidate: true},
                 h("h4", {class: "h6", text: "Passage non réalisé"}),
                 field("Motif", reason), field("Commentaire", comment,
                                               "Obligatoire pour « Autre raison »."),
                 formButtons("Enregistrer"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      if (!reason.value) {
        setError(reason, "Choisissez le motif.");
        reason.focus();
        return;
      }
      if (reason.value === "other" && !comment.value.trim()) {
        setError(comment, "Précisez la raison dans le commentaire.");
        comment.focus();
        return;
      }
      record([{kind: "visit_missed", visit: v.id, at: isoLocal(new Date()),
               data: {reason: reason.value, comment: comment.value.trim()}}], v);
    });
    return form;
  }

  function noteForm(v) {
    var note = noteFields("");
    var form = h("form", {class: "visit-form border rounded p-3 mt-2", novalidate: true},
                 h("h4", {class: "h6", text: "Transmission"}), ...note.nodes,
                 formButtons("Enregistrer la transmission"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      if (!note.text.value.trim()) {
        setError(note.text, "Le texte de la transmission est vide.");
        note.text.focus();
        return;
      }
      record([{kind: "note", person: v.person, visit: v.id, at: isoLocal(new Date()),
               data: {category: note.category.value, visibility: note.visibility.value,
                      text: note.text.value.trim()}}], v);
    });
    return form;
  }

  function alertForm(v) {
    var alert = alertFields("", false);
    var form = h("form", {class: "visit-form border rounded p-3 mt-2", novalidate: true},
                 h("h4", {class: "h6", text: "Alerte"}), ...alert.nodes,
                 formButtons("Enregistrer l'alerte"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors(form);
      if (!alert.description.value.trim()) {
        setError(alert.description, "Décrivez ce qui motive l'alerte.");
        alert.description.focus();
        return;
      }
      record([{kind: "alert", person: v.person, visit: v.id, at: isoLocal(new Date()),
               data: {kind: alert.kind.value, severity: alert.severity.value,
                      description: alert.description.value.trim()}}], v);
    });
    return form;
  }

  function recordArrival(v) {
    record([{kind: "visit_start", visit: v.id, at: isoLocal(new Date()), data: {}}], v);
  }

  // What the user typed, in words, kept (encrypted) with the action for « À vérifier ».
  function summarize(action, v) {
    var person = bundle.people[v.person] || {name: ""};
    var head = person.name + " — passage de " + hhmm(v.start) + " le " + ddmmyyyy(v.start);
    var d = action.data;
    var what;
    if (action.kind === "visit_start") {
      what = "Arrivée à " + hhmm(action.at);
    } else if (action.kind === "visit_end") {
      what = "Réalisé " + hhmm(d.start) + "–" + hhmm(d.end) +
        (d.report ? " ; ce qui a été fait : " + d.report : "");
      var missed = d.tasks.filter(function (t) { return !t.done; });
      if (missed.length) {
        what += " ; tâches non faites : " + missed.map(function (t) {
          var task = (v.tasks || []).find(function (x) { return x.id === t.id; });
          return (task ? task.text : "") + " (" + t.reason + ")";
        }).join(", ");
      }
    } else if (action.kind === "visit_missed") {
      what = "Non réalisé : " + label(bundle.choices.not_done_reasons, d.reason) +
        (d.comment ? " — " + d.comment : "");
    } else if (action.kind === "note") {
      what = "Transmission (" + label(bundle.choices.note_categories, d.category) + ") : " +
        d.text;
    } else {
      what = "Alerte " + label(bundle.choices.alert_kinds, d.kind) + ", " +
        label(bundle.choices.alert_severities, d.severity) + " : " + d.description;
    }
    return {head: head, what: what};
  }

  async function record(actions, v) {
    if (!cryptoKey) {
      say("Données chiffrées sur cet appareil : reconnectez-vous (réseau nécessaire) pour les lire.",
          "warning");
      return;
    }
    var database = await db();
    for (var i = 0; i < actions.length; i++) {
      var action = Object.assign({id: crypto.randomUUID()}, actions[i]);
      var sealed = await encrypt({action: action, summary: summarize(action, v)});
      await database.add("pending", {iv: sealed.iv, data: sealed.data,
                                     created_at: new Date().toISOString()});
    }
    await loadPending();
    render();
    await showCounts();
    var card = els.day.querySelector('[data-visit="' + v.id + '"] h3');
    if (card) {
      card.setAttribute("tabindex", "-1");
      card.focus();
    }
    requestBackgroundSync();
    if (navigator.onLine) {
      sync();
    }
  }

  // ---------------------------------------------------------------- sync

  function sync() {
    if (syncing) {
      return syncing;
    }
    syncing = doSync().finally(function () {
      syncing = null;
      root.dataset.syncing = "";
    });
    root.dataset.syncing = "1";
    return syncing;
  }

  async function doSync() {
    var csrf = sessionStorage.getItem(CSRF_ITEM);
    var device = localStorage.getItem(DEVICE_ITEM);
    if (!cryptoKey || !csrf || !device) {
      return false;
    }
    await loadPending();
    var sent = null;
    if (pendingItems.length) {
      sent = pendingItems.slice();
      var response = await api(URLS.sync, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({device: device, actions: sent.map(function (i) { return i.action; })})
      });
      if (!response) {
        await showCounts();
        return false;
      }
      if (response.type === "opaqueredirect") {
        showExpired();
        return false;
      }
      if (response.status === 403) {
        await forbidden();
        return false;
      }
      if (!response.ok) {
        say("L'envoi a été refusé par le serveur : vos saisies restent sur ce téléphone.",
            "danger");
        return false;
      }
      var answer = await response.json();
      var database = await db();
      for (var r = 0; r < answer.results.length; r++) {
        var result = answer.results[r];
        var item = sent.find(function (i) { return i.action.id === result.id; });
        if (!item) {
          continue;
        }
        if (result.state !== "applied") {
          var sealed = await encrypt({id: result.id, state: result.state,
                                      message: result.message, summary: item.summary,
                                      kind: item.action.kind});
          await database.put("results", {iv: sealed.iv, data: sealed.data,
                                         created_at: new Date().toISOString()}, result.id);
        }
        await database.delete("pending", item.key);
      }
      await database.put("meta", answer.synced_at, "last_sync");
      await loadPending();
    }
    // If it fails, the day kept on the phone stays on screen.
    if (await fetchDay() && !sent) {
      // Nothing to send: the day reloaded is the synchronisation.
      await (await db()).put("meta", new Date().toISOString(), "last_sync");
    }
    await loadPending();
    render();
    await renderResults();
    await showCounts();
    return true;
  }

  // ---------------------------------------------------------------- « À vérifier »

  async function renderResults() {
    els.toCheckList.replaceChildren();
    if (!cryptoKey || !(await dbExists())) {
      els.toCheck.hidden = true;
      return;
    }
    var database = await db();
    var keys = await database.getAllKeys("results");
    var values = await database.getAll("results");
    var shown = 0;
    for (var i = 0; i < keys.length; i++) {
      var item;
      try {
        item = await decrypt(values[i]);
      } catch (e) {
        continue;
      }
      shown += 1;
      var key = keys[i];
      els.toCheckList.append(h("li", {class: "list-group-item"},
        h("p", {class: "mb-1"},
          h("span", {class: "badge text-bg-danger me-1",
                     text: item.state === "conflict" ? "Conflit" : "Refusé"}),
          h("strong", {text: item.message})),
        h("p", {class: "mb-1 small", text: item.summary.head}),
        h("p", {class: "mb-2 small", text: "Votre saisie : " + item.summary.what}),
        h("button", {type: "button", class: "btn btn-outline-secondary",
                     onclick: dismiss.bind(null, key)},
          "J'ai compris", h("span", {class: "visually-hidden",
                                     text: " : " + item.summary.head}))));
    }
    els.toCheck.hidden = shown === 0;
  }

  async function dismiss(key) {
    await (await db()).delete("results", key);
    await renderResults();
    document.getElementById("contenu").focus();
  }

  // ---------------------------------------------------------------- start-up

  function showExpired() {
    say("Votre session a expiré : reconnectez-vous pour envoyer vos saisies et recharger la " +
        "journée.", "warning", {href: URLS.login, text: "Se reconnecter"});
  }

  async function forbidden() {
    await wipe(true);
    els.day.replaceChildren();
    els.user.textContent = "";
    say("Le mode hors ligne est réservé aux intervenant·es à domicile.", "info",
        {href: URLS.onlineDay, text: "Retour à Maillage"});
    root.dataset.forbidden = "1";
    await showCounts();
  }

  // Online: check the device, get the key (registering the phone if needed). Returns
  // "ok", "expired", "forbidden" or "network".
  async function connect() {
    var device = localStorage.getItem(DEVICE_ITEM);
    if (device) {
      var stateResponse = await api(URLS.state.replace(ZERO_UUID, device));
      if (!stateResponse) {
        return "network";
      }
      // 404: a device the server does not know (its answer says to erase as well).
      if (stateResponse.ok || stateResponse.status === 404) {
        var state = await stateResponse.json().catch(function () { return {}; });
        if (state.erase) {
          await wipe(false);
          device = null;
        }
      }
    }
    var response = await api(withDevice(URLS.key, device));
    if (!response) {
      return "network";
    }
    if (response.type === "opaqueredirect") {
      return "expired";
    }
    if (response.status === 403) {
      await forbidden();
      return "forbidden";
    }
    if (!response.ok) {
      return "network";
    }
    var answer = await response.json();
    if (answer.erase) {
      await wipe(false);
    }
    sessionStorage.setItem(CSRF_ITEM, answer.csrf);
    if (!answer.device || !answer.key) {
      // A new device: whatever is left here was sealed with another key and cannot be read.
      await wipe(false);
      sessionStorage.setItem(CSRF_ITEM, answer.csrf);
      var created = await api(URLS.register, {
        method: "POST", headers: {"X-CSRFToken": answer.csrf, "Content-Type": "application/json"},
        body: "{}"
      });
      if (!created) {
        return "network";
      }
      if (created.type === "opaqueredirect") {
        return "expired";
      }
      if (created.status === 403) {
        await forbidden();
        return "forbidden";
      }
      if (!created.ok) {
        return "network";
      }
      answer = Object.assign({}, answer, await created.json());
    }
    localStorage.setItem(DEVICE_ITEM, answer.device);
    sessionStorage.setItem(KEY_ITEM, answer.key);
    await restoreKey();
    return "ok";
  }

  // From what the phone holds: the day (decrypted) or why it cannot be shown.
  async function renderLocal() {
    if (!cryptoKey) {
      els.day.replaceChildren();
      if (await dbExists()) {
        say("Données chiffrées sur cet appareil : reconnectez-vous (réseau nécessaire) pour " +
            "les lire.", "warning", {href: URLS.login, text: "Se reconnecter"});
      } else {
        els.day.append(h("p", {text: "Aucune journée enregistrée sur ce téléphone. " +
          "Connectez-vous au réseau pour la charger."}));
      }
      return;
    }
    await loadPending();
    var kept = await readDay();
    if (kept && kept.day) {
      bundle = kept.day;
      render();
    } else {
      els.day.replaceChildren();
      if (!kept) {
        els.day.append(h("p", {text: "Aucune journée enregistrée sur ce téléphone. " +
          "Connectez-vous au réseau pour la charger."}));
      }
    }
    await renderResults();
  }

  async function start() {
    els.syncNow.addEventListener("click", function () {
      if (!navigator.onLine) {
        lastRequestFailed = true;
        showOnline();
        return;
      }
      sync();
    });
    window.addEventListener("online", function () {
      lastRequestFailed = false;
      showOnline();
      onOnline();
    });
    window.addEventListener("offline", showOnline);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "sync") {
          sync();
        }
      });
    }
    els.logout.addEventListener("submit", logout);

    var hadKey = await restoreKey();
    if (hadKey) {
      registerServiceWorker();
    }
    await showCounts();
    var outcome = navigator.onLine ? await connect() : "network";
    if (outcome === "forbidden") {
      finishLoading();
      return;
    }
    if (outcome === "ok") {
      registerServiceWorker();
      await sync();
      if (!bundle) {
        await renderLocal();
      }
    } else {
      if (outcome === "expired") {
        showExpired();
      }
      await renderLocal();
    }
    await showCounts();
    finishLoading();
  }

  async function onOnline() {
    if (!cryptoKey || sessionExpired) {
      var outcome = await connect();
      if (outcome !== "ok") {
        if (outcome === "expired") {
          showExpired();
        }
        return;
      }
      sessionExpired = false;
      registerServiceWorker();
    }
    sync();
  }

  function finishLoading() {
    var loading = document.getElementById("day-loading");
    if (loading) {
      loading.remove();
    }
    root.dataset.ready = "1";
  }

  // ---------------------------------------------------------------- log out

  async function logout(event) {
    event.preventDefault();
    var form = event.target;
    var n = await pendingCount();
    if (n > 0 && navigator.onLine) {
      await sync();
      n = await pendingCount();
    }
    if (n > 0 && !window.confirm(n + " saisie(s) ne sont pas encore envoyées et seront perdues. " +
                                 "Se déconnecter quand même ?")) {
      return;
    }
    var csrf = sessionStorage.getItem(CSRF_ITEM) || "";
    await wipe(true);
    form.querySelector("[name=csrfmiddlewaretoken]").value = csrf;
    form.submit();
  }

  start();
})();
