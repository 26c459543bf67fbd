// Maillage — « Ma journée hors ligne »: the care aide's day on the phone, usable without network.
// Storage: IndexedDB (idb), every record holding a name, an address, a note, a code or any health
// data encrypted with AES-GCM 256 (WebCrypto). The key comes from the server and lives only in
// sessionStorage (and as a non-extractable CryptoKey in memory). No inline script (CSP).
// A professional working for several CRTs has one device (and key) per CRT on the same phone:
// every record carries its device, and what waits for one CRT is never sent to another, nor
// wiped when the other CRT is chosen.
(function () {
  "use strict";

  var root = document.getElementById("offline-app");
  if (!root || !window.idb || !window.MaillageOfflineDay || !window.crypto ||
      !window.crypto.subtle) {
    return;
  }
  var URLS = {
    key: root.dataset.key, register: root.dataset.register, day: root.dataset.day,
    sync: root.dataset.sync, sw: root.dataset.sw, scope: root.dataset.scope || "/hors-ligne/",
    state: root.dataset.state, login: root.dataset.login, logout: root.dataset.logout,
    onlineDay: root.dataset.onlineDay, chooseCrt: root.dataset.chooseCrt
  };
  var DB_NAME = "maillage-offline";
  var KEY_ITEM = "maillage-offline-key";
  var CSRF_ITEM = "maillage-offline-csrf";
  // {current: device id, devices: {device id: {id, name} of its CRT, or null if not known}}
  var DEVICE_ITEM = "maillage-offline-device";
  var ZERO_UUID = "00000000-0000-0000-0000-000000000000";

  var cryptoKey = null;      // CryptoKey, non-extractable
  var device = null;         // the device whose key this tab holds (the current CRT's)
  var dbPromise = null;
  var bundle = null;         // the decrypted day, in memory only
  var pendingItems = [];     // [{key, action, summary}] decrypted, in memory only
  var syncing = null;        // the running sync (never two at once)
  var syncAgain = false;
  var lastRequestFailed = false;
  var sessionExpired = false;
  var refusal = null;        // {error, crt}: the last send refused, the CRT switched meanwhile
  var view = window.MaillageOfflineDay;
  var h = view.h;
  var hhmm = view.hhmm;
  var ddmmyyyy = view.ddmmyyyy;

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
    cryptoKey = null;
    device = null;
    if (!text) {
      return false;
    }
    var held;
    try {
      held = JSON.parse(text);
    } catch (e) {
      held = {device: devices().current, key: text};  // kept before CRTs were apart
    }
    try {
      cryptoKey = await importKey(held.key);
      device = held.device;
      return true;
    } catch (e) {
      sessionStorage.removeItem(KEY_ITEM);
      cryptoKey = null;
      return false;
    }
  }

  function keepKey(id, key) {
    sessionStorage.setItem(KEY_ITEM, JSON.stringify({device: id, key: key}));
  }

  // ---------------------------------------------------------------- devices, one per CRT

  function devices() {
    var raw = localStorage.getItem(DEVICE_ITEM);
    if (!raw) {
      return {current: null, devices: {}};
    }
    try {
      var known = JSON.parse(raw);
      if (known && typeof known === "object" && known.devices) {
        return known;
      }
    } catch (e) { /* a plain id: below */ }
    // Kept before CRTs were apart: one device, its CRT told by the server at the next contact.
    var only = {};
    only[raw] = null;
    return {current: raw, devices: only, legacy: raw};
  }

  function saveDevices(known) {
    localStorage.setItem(DEVICE_ITEM, JSON.stringify({current: known.current,
                                                      devices: known.devices}));
  }

  // The device whose entries this page counts and sends: the tab's, else the last one used.
  function currentDevice() {
    return device || devices().current;
  }

  // Records kept before CRTs were apart belong to the only device there was.
  async function migrateLegacy() {
    var known = devices();
    if (!known.legacy) {
      return;
    }
    if (await dbExists()) {
      var database = await db();
      var stores = ["pending", "results", "vault"];
      var tx = database.transaction(stores, "readwrite");
      for (var i = 0; i < stores.length; i++) {
        var cursor = await tx.objectStore(stores[i]).openCursor();
        while (cursor) {
          if (!cursor.value.device) {
            await cursor.update(Object.assign({}, cursor.value, {device: known.legacy}));
          }
          cursor = await cursor.continue();
        }
      }
      await tx.done;
    }
    saveDevices(known);
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

  // The entries waiting, by device (their records hold nothing readable but the device).
  async function pendingByDevice() {
    var counts = {};
    if (!(await dbExists())) {
      return counts;
    }
    (await (await db()).getAll("pending")).forEach(function (record) {
      counts[record.device] = (counts[record.device] || 0) + 1;
    });
    return counts;
  }

  // Every entry waiting, whatever its CRT: what logging out would lose.
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
      if (values[i].device !== device) {
        continue;  // another CRT's: it waits for that CRT
      }
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
    device = null;
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

  // Wipe what one device holds (it can no longer be read: erased, someone else's, a CRT left);
  // the other devices' records stay.
  async function wipeDevice(id) {
    if (await dbExists()) {
      var database = await db();
      var stores = ["pending", "results", "vault"];
      var tx = database.transaction(stores.concat(["meta"]), "readwrite");
      for (var i = 0; i < stores.length; i++) {
        var cursor = await tx.objectStore(stores[i]).openCursor();
        while (cursor) {
          if (cursor.value.device === id) {
            await cursor.delete();
          }
          cursor = await cursor.continue();
        }
      }
      await tx.objectStore("meta").delete("last_sync:" + id);
      await tx.done;
    }
    var known = devices();
    delete known.devices[id];
    if (known.current === id) {
      known.current = null;
    }
    saveDevices(known);
    if (device === id) {
      sessionStorage.removeItem(KEY_ITEM);
      cryptoKey = null;
      device = null;
      bundle = null;
      pendingItems = [];
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

  function withDevices(url, ids) {
    var query = ids.map(function (id) { return "appareil=" + encodeURIComponent(id); });
    return query.length ? url + (url.indexOf("?") === -1 ? "?" : "&") + query.join("&") : url;
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
    logout: document.getElementById("offline-logout"),
    crtName: document.getElementById("crt-name"),
    otherCrts: document.getElementById("other-crts")
  };

  function isOffline() {
    return !navigator.onLine || lastRequestFailed;
  }

  function showOnline() {
    els.banner.hidden = !isOffline();
  }

  // A button that switches to this CRT and comes back here (the session's token is needed:
  // without it, offline, a link to the CRT choice).
  function switchTo(crt) {
    var csrf = sessionStorage.getItem(CSRF_ITEM);
    if (!crt || !crt.id || !csrf || !URLS.chooseCrt) {
      return URLS.chooseCrt ? h("a", {href: URLS.chooseCrt, class: "alert-link"},
                                "Changer de CRT") : null;
    }
    return h("form", {method: "post", action: URLS.chooseCrt, class: "d-inline"},
             h("input", {type: "hidden", name: "csrfmiddlewaretoken", value: csrf}),
             h("input", {type: "hidden", name: "crt", value: crt.id}),
             h("input", {type: "hidden", name: "next", value: URLS.scope}),
             h("button", {type: "submit", class: "btn btn-sm btn-outline-dark",
                          text: "Passer au " + crt.name}));
  }

  // The entries waiting for the user's other CRTs: kept, never sent to this one.
  function showOtherCrts(counts, mine) {
    var known = devices().devices;
    var byCrt = {};
    Object.keys(counts).forEach(function (id) {
      if (id === mine) {
        return;
      }
      var crt = known[id] || null;
      var slot = crt ? crt.id : "?";
      byCrt[slot] = byCrt[slot] || {crt: crt, n: 0};
      byCrt[slot].n += counts[id];
    });
    els.otherCrts.replaceChildren();
    Object.keys(byCrt).forEach(function (slot) {
      var crt = byCrt[slot].crt;
      var n = byCrt[slot].n;
      var text = crt ?
        (n > 1 ? n + " saisies en attente pour le " + crt.name +
                 " : choisissez ce CRT pour les envoyer." :
                 "1 saisie en attente pour le " + crt.name +
                 " : choisissez ce CRT pour l'envoyer.") :
        (n > 1 ? n + " saisies en attente pour un autre CRT : choisissez-le pour les envoyer." :
                 "1 saisie en attente pour un autre CRT : choisissez-le pour l'envoyer.");
      var button = switchTo(crt);
      els.otherCrts.append(h("p", {class: "alert alert-warning mb-2 py-2"}, text,
                             button ? " " : null, button));
    });
    if (refusal) {
      var again = switchTo(refusal.crt);
      els.otherCrts.append(h("p", {class: "alert alert-warning mb-2 py-2"}, refusal.error,
                             again ? " " : null, again));
    }
    els.otherCrts.hidden = !els.otherCrts.childElementCount;
  }

  async function showCounts() {
    var counts = await pendingByDevice();
    var mine = currentDevice();
    var n = counts[mine] || 0;
    els.count.dataset.count = String(n);
    els.count.textContent = n + (n >= 2 ? " saisies" : " saisie") + " en attente d'envoi";
    showOtherCrts(counts, mine);
    var crt = devices().devices[mine];
    els.crtName.replaceChildren();
    if (crt) {
      els.crtName.append(h("span", {class: "visually-hidden", text: " — "}), crt.name);
    }
    var meta = (await dbExists()) ? await (await db()).get("meta", "last_sync:" + mine) : null;
    els.lastSync.textContent = meta ? "Dernière synchronisation : " + ddmmyyyy(meta) + " " +
      hhmm(meta) : "Pas encore synchronisé sur ce téléphone";
    showOnline();
    return n;
  }

  // kind: "info" | "warning" | "danger"; link: optional {href, text}, or an element.
  function say(text, kind, link) {
    els.message.replaceChildren();
    if (!text) {
      return;
    }
    if (link && !(link instanceof Node)) {
      link = h("a", {href: link.href, class: "alert-link"}, link.text);
    }
    els.message.append(h("div", {class: "alert alert-" + (kind || "info"), role: "status"},
                          text, link ? " " : null, link || null));
  }

  // ---------------------------------------------------------------- the day

  async function storeDay(day) {
    var database = await db();
    var sealed = await encrypt(day);
    var now = new Date().toISOString();
    await database.put("vault", {iv: sealed.iv, data: sealed.data, fetched_at: now,
                                 expires_at: day.expires_at, device: device}, "day");
    await database.put("meta", {fetched_at: now, expires_at: day.expires_at}, "day");
  }

  // The day kept on the phone: null if none, or too old (then deleted, and said).
  async function readDay() {
    if (!(await dbExists())) {
      return null;
    }
    var database = await db();
    var record = await database.get("vault", "day");
    if (!record || record.device !== device) {
      return null;  // none, or another CRT's day (it is not shown in this one)
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
    var response = await api(URLS.day.replace(ZERO_UUID, device));
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
  function render() {
    view.show(els, bundle, pendingItems, record);
  }

  async function record(actions, v) {
    if (!cryptoKey) {
      say("Données chiffrées sur cet appareil : reconnectez-vous (réseau nécessaire) pour " +
          "les lire.", "warning");
      return;
    }
    var database = await db();
    for (var i = 0; i < actions.length; i++) {
      var action = Object.assign({id: crypto.randomUUID()}, actions[i]);
      var summary = view.summarize(action, v, bundle);
      var sealed = await encrypt({action: action, summary: summary});
      await database.add("pending", {iv: sealed.iv, data: sealed.data, device: device,
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

  // One sync at a time; asked again meanwhile (a new action), it runs once more after.
  function sync() {
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    root.dataset.syncing = "1";
    syncing = doSync().finally(function () {
      syncing = null;
      root.dataset.syncing = "";
      if (syncAgain) {
        syncAgain = false;
        sync();
      }
    });
    return syncing;
  }

  async function doSync() {
    var csrf = sessionStorage.getItem(CSRF_ITEM);
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
        var refused = await response.json().catch(function () { return {}; });
        if (response.status === 409 && refused.crt) {
          // The CRT was switched meanwhile (another tab): these entries wait for theirs.
          // Said next to the count (the button that sent is there).
          refusal = refused;
        } else {
          say("L'envoi a été refusé par le serveur : " +
              (refused.error ? refused.error + " " : "") +
              "Vos saisies restent sur ce téléphone.", "danger");
        }
        await showCounts();
        return false;
      }
      refusal = null;
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
          await database.put("results", {iv: sealed.iv, data: sealed.data, device: device,
                                         created_at: new Date().toISOString()}, result.id);
        }
        await database.delete("pending", item.key);
      }
      await database.put("meta", answer.synced_at, "last_sync:" + device);
      await loadPending();
    }
    // If it fails, the day kept on the phone stays on screen.
    if (await fetchDay() && !sent) {
      // Nothing to send: the day reloaded is the synchronisation.
      await (await db()).put("meta", new Date().toISOString(), "last_sync:" + device);
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
      if (values[i].device !== device) {
        continue;
      }
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

  // Not for this CRT (or not for this user): everything wiped — but the entries waiting for
  // another CRT, where the user may still work offline: only the days and keys go then.
  async function forbidden() {
    if (await pendingCount()) {
      if (await dbExists()) {
        var database = await db();
        await database.clear("vault");
        await database.delete("meta", "day");
      }
      sessionStorage.removeItem(KEY_ITEM);
      cryptoKey = null;
      device = null;
      bundle = null;
      pendingItems = [];
      var known = devices();
      known.current = null;  // what waits is for the CRTs where it was entered
      saveDevices(known);
    } else {
      await wipe(true);
    }
    els.day.replaceChildren();
    els.user.textContent = "";
    say("Le mode hors ligne est réservé aux intervenant·es à domicile.", "info",
        {href: URLS.onlineDay, text: "Retour à Maillage"});
    root.dataset.forbidden = "1";
    await showCounts();
  }

  // Online: check the devices, get the current CRT's key (registering the phone for this CRT
  // if needed). The other CRTs' devices and what waits for them are kept. Returns "ok",
  // "expired", "forbidden" or "network".
  async function connect() {
    var known = devices();
    var ids = Object.keys(known.devices);
    for (var i = 0; i < ids.length; i++) {
      var stateResponse = await api(URLS.state.replace(ZERO_UUID, ids[i]));
      if (!stateResponse) {
        return "network";
      }
      // 404: a device the server does not know (its answer says to erase as well).
      if (stateResponse.ok || stateResponse.status === 404) {
        var state = await stateResponse.json().catch(function () { return {}; });
        if (state.erase) {
          await wipeDevice(ids[i]);
        }
      }
    }
    ids = Object.keys(devices().devices);
    var response = await api(withDevices(URLS.key, ids));
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
    sessionStorage.setItem(CSRF_ITEM, answer.csrf);
    // Not this user's any more (erased, someone else's, a CRT left): unreadable, wiped.
    for (var j = 0; j < ids.length; j++) {
      if (!answer.devices[ids[j]]) {
        await wipeDevice(ids[j]);
      }
    }
    if (!answer.device || !answer.key) {
      // First time for this CRT on this phone: a device of its own.
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
      answer.devices[answer.device] = answer.crt;
    }
    if (device && device !== answer.device) {
      // Another CRT now: its day is not this one's (what waits for the former stays stored).
      bundle = null;
      pendingItems = [];
      els.user.textContent = "";
      render();
    }
    known = devices();
    Object.keys(answer.devices).forEach(function (id) {
      known.devices[id] = answer.devices[id];
    });
    known.current = answer.device;
    saveDevices(known);
    refusal = null;
    keepKey(answer.device, answer.key);
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

    await migrateLegacy();
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
      say("");
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
    if (n > 0 && !window.confirm((n >= 2 ? n + " saisies ne sont pas encore envoyées et seront perdues. "
                                 : "1 saisie n'est pas encore envoyée et sera perdue. ") +
                                 "Se déconnecter quand même ?")) {
      return;
    }
    var csrf = sessionStorage.getItem(CSRF_ITEM) || "";
    await wipe(true);
    // The token is the session's (from the key's answer): never in the cached shell.
    form.append(h("input", {type: "hidden", name: "csrfmiddlewaretoken", value: csrf}));
    form.submit();
  }

  start();
})();
