// Maillage — « Ma journée hors ligne »: drawing the day and its forms (loaded before
// offline_app.js, which stores, encrypts and sends). Builds the DOM with textContent only: no
// HTML from the data, no inline script or style (CSP).
(function () {
  "use strict";

  var bundle = null;         // the decrypted day being shown
  var pendingItems = [];     // [{key, action, summary}] recorded here, not yet sent
  var record = null;         // record(actions, visit): offline_app.js keeps and sends them
  var els = null;

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

  // Times and dates are the CRT's (the server's time zone, sent by the shell and with the day),
  // never the phone's own zone: a phone set to UTC shows a 07:30 visit at 07:30, as in France.
  var shell = document.getElementById("offline-app");
  var shellZone = shell ? shell.dataset.timeZone : undefined;
  var formatters = {};

  function timeZone() {
    return (bundle && bundle.time_zone) || shellZone || undefined;
  }

  function formatter() {
    var zone = timeZone() || "";
    if (!formatters[zone]) {
      var options = {year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                     minute: "2-digit", second: "2-digit", hourCycle: "h23"};
      try {
        formatters[zone] = new Intl.DateTimeFormat("fr-FR", Object.assign(
          {timeZone: zone || undefined}, options));
      } catch (e) {  // an unknown zone name: the phone's own, rather than nothing
        formatters[zone] = new Intl.DateTimeFormat("fr-FR", options);
      }
    }
    return formatters[zone];
  }

  // The wall clock of the CRT at that moment: {year, month, day, hour, minute, second}.
  function wall(value) {
    var d = value instanceof Date ? value : new Date(value);
    var out = {};
    formatter().formatToParts(d).forEach(function (part) {
      if (part.type !== "literal") {
        out[part.type] = Number(part.value);
      }
    });
    return out;
  }

  // The CRT's offset from UTC at that moment, in milliseconds (+01:00 → 3600000).
  function zoneOffset(ms) {
    var w = wall(new Date(ms));
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) -
      Math.floor(ms / 1000) * 1000;
  }

  function hhmm(value) {
    var w = wall(value);
    return pad(w.hour) + ":" + pad(w.minute);
  }

  function ddmmyyyy(value) {
    var w = wall(value);
    return pad(w.day) + "/" + pad(w.month) + "/" + w.year;
  }

  // ISO 8601 with the CRT's offset, e.g. 2026-12-05T08:04:00+01:00.
  function isoLocal(d) {
    var w = wall(d);
    var offset = Math.round(zoneOffset(d.getTime()) / 60000);
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return w.year + "-" + pad(w.month) + "-" + pad(w.day) + "T" +
      pad(w.hour) + ":" + pad(w.minute) + ":" + pad(w.second) + sign +
      pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  // A time typed (« 08:04 ») on the visit's date (« 2026-12-05 »), on the CRT's clock.
  function combine(dateText, timeText) {
    var p = dateText.split("-").map(Number);
    var t = timeText.split(":").map(Number);
    var asUtc = Date.UTC(p[0], p[1] - 1, p[2], t[0], t[1], 0, 0);
    var at = asUtc - zoneOffset(asUtc);
    return new Date(asUtc - zoneOffset(at));  // the offset of that moment (a DST change)
  }

  function label(pairs, value) {
    var found = (pairs || []).find(function (pair) { return pair[0] === value; });
    return found ? found[1] : value;
  }

  function plural(n, word) {
    return n + " " + word + (n >= 2 ? "s" : "");
  }

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

  // Redrawn after each sync: a form being filled in and the open « Informations utiles » are
  // carried over to the new cards (what was typed, and the focus, stay).
  function render() {
    var forms = {};
    var opened = {};
    var active = document.activeElement;
    els.day.querySelectorAll(".visit-form-slot").forEach(function (slot) {
      if (slot.firstChild) {
        forms[slot.dataset.slot] = slot.firstChild;
      }
    });
    els.day.querySelectorAll("details[open]").forEach(function (details) {
      opened[details.dataset.details] = true;
    });
    els.day.replaceChildren();
    if (!bundle) {
      return;
    }
    els.user.textContent = bundle.user + " — journée chargée le " +
      ddmmyyyy(bundle.generated_at) + " à " + hhmm(bundle.generated_at) + ".";
    var local = localState();
    bundle.days.forEach(function (day) {
      var visits = bundle.visits.filter(function (v) { return v.date === day.date; });
      var titleId = "day-" + day.date;
      var section = h("section", {class: "mb-4", "aria-labelledby": titleId},
                      h("h2", {class: "h4 day-title", id: titleId},
                        dayWord(day.date) + day.title),
                      h("p", {class: "small mb-2", text: plural(visits.length, "passage")}));
      if (!visits.length) {
        section.append(h("p", {text: "Aucun passage prévu ce jour-là."}));
      }
      visits.forEach(function (v) {
        section.append(visitCard(v, local));
      });
      els.day.append(section);
    });
    Object.keys(forms).forEach(function (id) {
      var slot = els.day.querySelector('.visit-form-slot[data-slot="' + id + '"]');
      if (slot) {
        slot.append(forms[id]);
      }
    });
    Object.keys(opened).forEach(function (id) {
      var details = els.day.querySelector('details[data-details="' + id + '"]');
      if (details) {
        details.open = true;
      }
    });
    if (active && active !== document.activeElement && els.day.contains(active)) {
      active.focus();
    }
  }

  // « Aujourd'hui, » by the phone's clock on the CRT's calendar, not by the day's place in the
  // download: a day loaded yesterday evening and opened this morning without network is today's
  // « Demain » no more.
  function isoDate(year, month, day) {
    var d = new Date(Date.UTC(year, month - 1, day));
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }

  function dayWord(dateText) {
    var today = wall(new Date());
    var words = {};
    words[isoDate(today.year, today.month, today.day)] = "Aujourd'hui, ";
    words[isoDate(today.year, today.month, today.day + 1)] = "Demain, ";
    words[isoDate(today.year, today.month, today.day - 1)] = "Hier, ";
    return words[dateText] || "";
  }

  // A visit opens for tracing an hour before its start, as online (a day stored before the
  // server sent ``trace_opens`` computes it).
  function traceOpens(v) {
    return new Date(v.trace_opens || new Date(v.start).getTime() - 3600 * 1000);
  }

  // What the phone's clock changes on the page: the words of the days, the visits open.
  function clockState() {
    if (!bundle) {
      return "";
    }
    var now = Date.now();
    return bundle.days.map(function (day) { return dayWord(day.date); }).join("|") + "|" +
      bundle.visits.filter(function (v) { return traceOpens(v).getTime() <= now; }).length;
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
    } else if (v.status === "planned" && v.actual_start) {
      serverState.append(" — arrivé·e à " + hhmm(v.actual_start));
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
    var formSlot = h("div", {class: "visit-form-slot", "data-slot": v.id});
    var buttons = h("div", {class: "d-flex flex-wrap gap-2 mb-2"});
    var opens = traceOpens(v);
    if (v.status === "planned" && !mine.done && !mine.missed && opens.getTime() > Date.now()) {
      buttons.append(h("p", {class: "small text-body-secondary mb-0 w-100",
                             text: "Se trace à partir du " + ddmmyyyy(opens).slice(0, 5) +
                               " à " + hhmm(opens) + "."}));
    } else if (v.status === "planned" && !mine.done && !mine.missed) {
      if (!mine.arrived && !v.actual_start) {
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
    var details = personDetails(person);
    details.dataset.details = v.id;
    body.append(buttons, formSlot, details);
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
      row("Allergies", person.allergies);
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
        kind: "visit_end", visit: v.id, person: v.person, at: now,
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
      form.remove();
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
      form.remove();
      record([{kind: "visit_missed", visit: v.id, person: v.person, at: isoLocal(new Date()),
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
      form.remove();
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
      form.remove();
      record([{kind: "alert", person: v.person, visit: v.id, at: isoLocal(new Date()),
               data: {kind: alert.kind.value, severity: alert.severity.value,
                      description: alert.description.value.trim()}}], v);
    });
    return form;
  }

  function recordArrival(v) {
    record([{kind: "visit_start", visit: v.id, person: v.person, at: isoLocal(new Date()),
             data: {}}], v);
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

  // Draw the day into els.day (and who it belongs to into els.user).
  var shownClock = "";

  function show(elements, day, pending, recordFn) {
    els = elements;
    bundle = day;
    pendingItems = pending;
    record = recordFn;
    render();
    shownClock = clockState();
  }

  // The page stays open all day: when a visit opens or midnight passes, it is drawn again.
  window.setInterval(function () {
    var state = clockState();
    if (els && state !== shownClock) {
      render();
      shownClock = state;
    }
  }, 30 * 1000);

  window.MaillageOfflineDay = {
    h: h, hhmm: hhmm, ddmmyyyy: ddmmyyyy, show: show,
    summarize: function (action, v, day) {
      bundle = day;
      return summarize(action, v);
    }
  };
})();
