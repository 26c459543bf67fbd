"""The offline day (issue 18): the phone's shell, service worker and manifest (public, no data),
and the JSON endpoints the shell calls (``visit.offline``: nurses and care aides)."""

import hashlib
import json
import re
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from maillage.core.access import public, require
from maillage.core.errors import DomainError

from . import selectors, services
from .session_end import remember

#: The app's icons (in the manifest and kept by the service worker).
ICONS = (("maillage/icons/maillage-192.png", "192x192", "any"),
         ("maillage/icons/maillage-512.png", "512x512", "any"),
         ("maillage/icons/maillage-maskable-512.png", "512x512", "maskable"))
UNKNOWN_DEVICE = "Appareil inconnu ou effacé : rechargez la page."
#: The most devices a phone names at once (one per CRT it worked for).
MAX_DEVICES = 10
_STATIC_REF = re.compile(r'(?:src|href)="(' + re.escape(settings.STATIC_URL) + r'[^"?#]+)"')


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _error(message: str, status: int = 400) -> JsonResponse:
    return _no_store(JsonResponse({"error": message}, status=status))


@public
@require_GET
def app(request: HttpRequest) -> HttpResponse:
    """The shell: no user data, no token — the service worker keeps it for offline use."""
    return render(request, "offline/app.html")


def _file_revision(url: str) -> str:
    name = url[len(settings.STATIC_URL):]
    path = finders.find(name)
    if path is None:
        try:
            path = staticfiles_storage.path(name)
        except NotImplementedError:  # pragma: no cover - remote storages
            return ""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()[:16]
    except OSError:
        return ""


def _precache() -> list[dict]:
    """What the service worker keeps: the shell and every static file it references, each
    with a revision (the hash of its content), so that a new release replaces them."""
    shell = render_to_string("offline/app.html")
    urls = sorted(set(_STATIC_REF.findall(shell)) | {static(icon) for icon, _, _ in ICONS})
    entries = [{"url": reverse("offline:app"),
                "revision": hashlib.sha256(shell.encode()).hexdigest()[:16]}]
    entries += [{"url": url, "revision": _file_revision(url)} for url in urls]
    return entries


_precache_cached = cache(_precache)


def _workbox_prefix() -> str:
    found = sorted((settings.BASE_DIR / "maillage" / "static" / "vendor").glob("workbox-*"))
    return static(f"vendor/{found[-1].name}/") if found else static("vendor/")


@public
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    entries = _precache() if settings.DEBUG else _precache_cached()
    body = render_to_string("offline/sw.js", {
        "precache_json": json.dumps(entries), "workbox_prefix": _workbox_prefix()})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@public
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    app_url = reverse("offline:app")
    response = JsonResponse({
        "name": "Maillage — Ma journée",
        "short_name": "Ma journée",
        "description": "Les passages du jour, utilisables sans réseau.",
        "lang": "fr",
        "start_url": app_url,
        "scope": app_url,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "icons": [{"src": static(icon), "sizes": size, "type": "image/png", "purpose": purpose}
                  for icon, size, purpose in ICONS],
    }, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def _crt(crt) -> dict:
    return {"id": str(crt.public_id), "name": crt.name}


@require("visit.offline")
@require_GET
def key(request: HttpRequest) -> JsonResponse:
    """The key of the phone's device for the current CRT, to this session only.

    The phone names every device it holds data for (``appareil``, repeated: one per CRT it
    worked for). Those still usable are answered in ``devices`` with their CRT: the current
    CRT's one gets its key; the other CRTs' are kept by the phone, their pending entries waiting
    for that CRT to be chosen again (never sent to this one). Those that can no longer be read
    (erased, someone else's, a CRT left) are not in ``devices`` and ``erase`` is true: the phone
    wipes what it holds for them."""
    refs = list(dict.fromkeys(
        ref.strip() for ref in request.GET.getlist("appareil") if ref.strip()))[:MAX_DEVICES]
    member_of = {m.crt_id for m in request.memberships}
    usable = [d for d in selectors.devices_named(user=request.user, public_ids=refs)
              if d.erased_at is None and d.crt_id in member_of]
    device = next((d for d in usable if d.crt_id == request.crt.pk), None)
    if device is not None:
        remember(request, device)
    return _no_store(JsonResponse({
        "crt": _crt(request.crt),
        "device": str(device.public_id) if device else None,
        "key": services.device_key(device) if device else None,
        "devices": {str(d.public_id): _crt(d.crt) for d in usable},
        "csrf": get_token(request),
        "user": request.user.get_full_name() or request.user.username,
        "max_age_hours": int(selectors.MAX_AGE.total_seconds() // 3600),
        "erase": len(usable) < len(refs),
    }, json_dumps_params={"ensure_ascii": False}))


@require("visit.offline")
@require_POST
def register(request: HttpRequest) -> JsonResponse:
    device = services.device_register(actor=request.user, crt=request.crt)
    remember(request, device)
    return _no_store(JsonResponse({"device": str(device.public_id),
                                   "key": services.device_key(device)}, status=201))


@public
@require_GET
def device_state(request: HttpRequest, device_id) -> JsonResponse:
    """Without a session (the account may be deactivated): must the phone erase its data?
    An unknown device answers 404, with the same advice (nothing there to keep)."""
    erase, known = selectors.device_must_erase(device_id)
    return _no_store(JsonResponse({"erase": erase}, status=200 if known else 404))


def _device(request, ref):
    device = selectors.device_of(crt=request.crt, user=request.user, public_id=ref or "")
    if device is None or device.erased_at is not None:
        return None
    return device


def _other_crt(request, ref) -> JsonResponse | None:
    """The entries of a device of the user's other CRT (the CRT was switched in another tab):
    refused, said in French, the phone keeping them for that CRT."""
    other = next((d for d in selectors.devices_named(user=request.user,
                                                     public_ids=[str(ref or "")])
                  if d.erased_at is None and d.crt_id != request.crt.pk
                  and d.crt_id in {m.crt_id for m in request.memberships}), None)
    if other is None:
        return None
    name = other.crt.name
    return _no_store(JsonResponse({
        "error": f"Ces saisies ont été faites pour le {name} ; vous travaillez maintenant pour "
                 f"le {request.crt.name}. Elles restent sur ce téléphone : choisissez le {name} "
                 "pour les envoyer.",
        "crt": _crt(other.crt)}, status=409, json_dumps_params={"ensure_ascii": False}))


@require("visit.offline")
@require_GET
def day(request: HttpRequest, device_id) -> JsonResponse:
    device = _device(request, device_id)
    if device is None:  # unknown, erased, someone else's, another CRT's: as any object
        raise Http404(UNKNOWN_DEVICE)
    bundle, read = selectors.day_bundle(crt=request.crt, user=request.user,
                                        roles=request.roles)
    services.day_downloaded(actor=request.user, device=device, read=read)
    return _no_store(JsonResponse(bundle, json_dumps_params={"ensure_ascii": False}))


@require("visit.offline")
@require_POST
def sync(request: HttpRequest) -> JsonResponse:
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error("Envoi illisible (JSON attendu).")
    if not isinstance(body, dict) or not isinstance(body.get("actions"), list):
        return _error("Envoi mal formé : une liste « actions » est attendue.")
    device = _device(request, body.get("device"))
    if device is None:
        return _other_crt(request, body.get("device")) or _error(UNKNOWN_DEVICE)
    try:
        results = services.actions_apply(actor=request.user, roles=request.roles,
                                         crt=request.crt, device=device,
                                         actions=body["actions"])
    except DomainError as error:
        return _error(error.message)
    return _no_store(JsonResponse({"synced_at": device.last_sync_at.isoformat(),
                                   "results": results},
                                  json_dumps_params={"ensure_ascii": False}))
