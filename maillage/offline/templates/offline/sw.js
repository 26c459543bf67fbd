// Maillage — the offline day's service worker (scope /hors-ligne/). Rendered by Django: the
// precache list (the shell and every static file it references) is computed server-side.
// Nothing under /hors-ligne/api/ is ever intercepted or cached: health data lives only in
// IndexedDB, encrypted by the page.
"use strict";
importScripts("{{ workbox_prefix }}workbox-sw.js");
// (Workbox 7 spells it modulePathPrefix, singular: never the Google CDN.)
workbox.setConfig({modulePathPrefix: "{{ workbox_prefix }}", debug: false});
// Loaded now, while the worker is evaluated (importScripts is refused after install).
workbox.loadModule("workbox-core");
workbox.loadModule("workbox-routing");
workbox.loadModule("workbox-strategies");
workbox.loadModule("workbox-precaching");

// The shell and every static file it references, each with the hash of its content.
const PRECACHE = {{ precache_json|safe }};
const SHELL_URL = "{% url 'offline:app' %}";
const MANIFEST_URL = "{% url 'offline:manifest' %}";

self.addEventListener("install", () => self.skipWaiting());
workbox.core.clientsClaim();

workbox.precaching.cleanupOutdatedCaches();
// Django answers with « Vary: Accept-Language »: a navigation whose language header differs from
// the install-time request (or none) would miss the cache. The precached files hold nothing that
// depends on the language: looked up by URL alone.
workbox.precaching.addPlugins([{
  cacheKeyWillBeUsed: async ({request, mode}) =>
    (mode === "read" ? new Request(request.url) : request)
}]);
workbox.precaching.precacheAndRoute(PRECACHE, {ignoreURLParametersMatching: [/.*/]});

// The shell answers every navigation to /hors-ligne/ (with or without a query), even offline.
workbox.routing.registerRoute(new workbox.routing.NavigationRoute(
  workbox.precaching.createHandlerBoundToURL(SHELL_URL),
  {allowlist: [/^\/hors-ligne\/(\?.*)?$/], denylist: [/^\/hors-ligne\/api\//]}
));

// The manifest holds no user data: kept so that the installed app still finds it offline.
workbox.routing.registerRoute(
  ({url, request}) => url.pathname === MANIFEST_URL && request.method === "GET",
  new workbox.strategies.StaleWhileRevalidate({cacheName: "maillage-offline-manifest"})
);

// No route matches /hors-ligne/api/ (nor any other URL than the above): the worker does not
// answer those requests, the browser sends them to the network as if it were not there.

// Background sync: only the page holds the key, so the worker asks the open pages to send.
self.addEventListener("sync", (event) => {
  if (event.tag !== "maillage-sync") {
    return;
  }
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true})
    .then((clients) => clients.forEach((client) => client.postMessage({type: "sync"}))));
});
