"""The FHIR R4 endpoints: ``metadata`` (public), and for each type of ``fhir.registry``, read
and search. Thin: the registry says what, ``fhir.search`` parses, the owning app's policy
filters, the resource type audits."""

import json
import re
from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from maillage.core.access import api, public_api
from maillage.core.errors import ConflictError, DomainError
from maillage.core.permissions import Perm, has_permission
from maillage.core.tenancy import get_for_crt

from .fhir.outcome import READS, FhirError, fhir_response, outcomes
from .fhir.registry import RESOURCES, capability_statement
from .fhir.resource import Existing, ResourceType
from .fhir.search import CURSOR, RESULT_PARAMS, decode_cursor, encode_cursor, parse_count
from .fhir.validation import schema_issues


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("interop:metadata")).removesuffix("metadata")


@public_api
@outcomes
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability_statement(base_url(request)))


def _supported() -> str:
    return ", ".join(RESOURCES)


@outcomes
@api()
def unknown_type(request: HttpRequest, resource_type: str, id: str = "") -> HttpResponse:
    rt = RESOURCES.get(resource_type)
    if rt is not None and not rt.searchable:
        raise FhirError(405, f"{rt.type} se lit seulement par identifiant "
                             f"(GET {rt.type}/<id>) : pas de recherche.",
                        headers={"Allow": "GET"}, code="not-supported")
    raise FhirError(400, f"Type de ressource inconnu ou non pris en charge : « {resource_type} ». "
                         f"Types pris en charge : {_supported()}.", code="not-supported")


def _find(rt: ResourceType, request: HttpRequest, id: str):
    """The object ``id`` of any source of ``rt`` this requester may see (404 otherwise), and
    whether it is the type's own model (the one writes and tombstones concern)."""
    for index, source in enumerate(rt.all_sources()):
        try:
            return get_for_crt(source.queryset(request), request.crt, id), index == 0
        except Http404:
            continue
    raise Http404


def _check_gone(rt: ResourceType, request: HttpRequest, obj, own: bool) -> None:
    if own and rt.gone is not None and rt.queryset(request).filter(
            rt.gone, pk=obj.pk).exists():
        raise FhirError(410, f"Cette ressource {rt.type} a été supprimée (retirée comme saisie "
                             "par erreur).")


def _etag(obj) -> dict:
    return {"ETag": f'W/"{getattr(obj, "version", 1)}"'}


def _read(rt: ResourceType):
    @api(rt.permission)
    def read(request: HttpRequest, id: str) -> HttpResponse:
        if request.method == "PUT":
            return write(request, rt, id)
        if request.method == "DELETE":
            return write(request, rt, id, delete=True)
        obj = rt.read_extra(request, id) if rt.read_extra else None
        if obj is None:
            obj, own = _find(rt, request, id)
            _check_gone(rt, request, obj, own)
        rt.on_read(request, [obj])
        if rt.read_response:
            return rt.read_response(request, obj, base_url(request))
        resource = rt.serialize(obj, base_url(request))
        # The ETag is the resource's version, whatever it is computed from (a care team's
        # from its members, a consent's from its withdrawal).
        version = resource.get("meta", {}).get("versionId")
        return fhir_response(resource, headers={"ETag": f'W/"{version}"'} if version else None)

    methods = READS + (("PUT",) if rt.update else ()) + (("DELETE",) if rt.delete else ())
    read = outcomes(read, methods=methods)
    read.__name__ = read.__qualname__ = f"{rt.type.lower()}_read"
    return read


def _search(rt: ResourceType):
    @api(rt.permission)
    def search(request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            return write(request, rt)
        return fhir_response(run_search(request, rt))

    search = outcomes(search, methods=READS + (("POST",) if rt.create else ()))
    search.__name__ = search.__qualname__ = f"{rt.type.lower()}_search"
    return search


# --- writes --------------------------------------------------------------------------------
FHIR_JSON_TYPE = "application/fhir+json"
_IF_MATCH = re.compile(r'^(?:W/)?"(\d+)"$')


def _json(request: HttpRequest):
    """The JSON sent as ``application/fhir+json`` (415 otherwise; 400 when no JSON)."""
    if request.content_type != FHIR_JSON_TYPE:
        sent = request.content_type or "aucun"
        raise FhirError(415, f"Type de contenu non pris en charge : « {sent} ». "
                             f"Envoyez « Content-Type: {FHIR_JSON_TYPE} ».")
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "Le corps de la requête n'est pas un JSON valide (UTF-8).") from None
    except RecursionError:  # thousands of « [ »: deeper than the parser goes
        body = None
    if body is None or _too_deep(body):
        raise FhirError(400, f"Le corps de la requête est trop imbriqué ({MAX_DEPTH} niveaux "
                             "au plus).")
    return body


#: The deepest JSON a write accepts: FHIR resources nest a dozen levels; far deeper would
#: exhaust the schema check's recursion.
MAX_DEPTH = 64


def _too_deep(value) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _body(request: HttpRequest, rt: ResourceType, id: str | None) -> dict:
    """The resource sent: ``application/fhir+json`` (415), JSON (400), of this type and, for an
    update, with the address's id (400), valid against the R4 schema (422)."""
    body = _json(request)
    if not isinstance(body, dict) or body.get("resourceType") != rt.type:
        raise FhirError(400, f"Le corps de la requête doit être une ressource {rt.type} "
                             "(élément « resourceType »).", expression="resourceType")
    if id is not None and body.get("id") != id:
        raise FhirError(400, "L'élément « id » de la ressource doit être l'identifiant de "
                             "l'adresse (PUT /{type}/{id}).".replace("{type}", rt.type),
                        expression=f"{rt.type}.id")
    issues = schema_issues(body)
    if issues:
        (expression, text), *more = issues
        raise FhirError(422, text, expression=expression, more=more, code="structure")
    return body


def _if_match(request: HttpRequest) -> int:
    """The version an update or delete applies to: ``If-Match: W/"<versionId>"`` is required
    (412 when missing, as FHIR R4 lets a server that requires version-aware updates do)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise FhirError(412, "En-tête « If-Match » requis : envoyez la version lue "
                             "(If-Match: W/\"<meta.versionId>\").")
    match = _IF_MATCH.match(header)
    if not match:
        raise FhirError(400, f"En-tête « If-Match » illisible : « {header} » (attendu "
                             "W/\"<meta.versionId>\").")
    return int(match.group(1))


def write(request: HttpRequest, rt: ResourceType, id: str | None = None, *,
          delete: bool = False) -> HttpResponse:
    """POST (create), PUT (update), DELETE: the type's service, in one transaction (nothing
    half-saved); a business refusal is a 422 naming the element, a stale version a 412."""
    if not has_permission(request.roles, rt.write_permission):
        raise PermissionDenied("Votre rôle ne permet pas d'enregistrer cette ressource.")
    body = None if delete else _body(request, rt, id)
    version = _if_match(request) if id is not None else None
    base = base_url(request)
    try:
        with transaction.atomic():
            if id is None:
                obj, status = _create(request, rt, body)
            else:
                obj, own = _find(rt, request, id)
                if not own:
                    raise FhirError(405, f"Cette ressource {rt.type} ne se modifie pas par "
                                         "l'API.", headers={"Allow": "GET"})
                _check_gone(rt, request, obj, own)
                if rt.check_write:
                    rt.check_write(request, obj, delete=delete)
                if version != obj.version:
                    raise ConflictError()
                obj = (rt.delete(request, obj, version) if delete
                       else rt.update(request, obj, body, version))
                status = 204 if delete else 200
    except ConflictError:
        raise FhirError(412, "La ressource a été modifiée depuis la version envoyée dans "
                             "« If-Match » : relisez-la, puis renvoyez vos changements.") from None
    except DomainError as error:
        # A service's own codes (``possible_duplicate``…) are no FHIR IssueType.
        raise FhirError(422, error.message, code="business-rule") from None
    headers = _etag(obj)
    if status == 204:
        response = HttpResponse(status=204)
        response["ETag"] = headers["ETag"]
        return response
    location = f"{base}{rt.type}/{obj.public_id}/_history/{getattr(obj, 'version', 1)}"
    return fhir_response(rt.serialize(obj, base), status,
                         headers={**headers, "Location": location} if status == 201
                         else headers)


def _create(request: HttpRequest, rt: ResourceType, body: dict) -> tuple:
    """The type's create: (object, 201), or (the stored object, 200) when the resource sent
    is one already stored (``Existing``: an idempotent re-post)."""
    obj = rt.create(request, body)
    if isinstance(obj, Existing):
        # The stored resource is answered (it may differ from what was sent): a read.
        rt.on_read(request, [obj.obj])
        return obj.obj, 200
    return obj, 201


# --- transaction Bundles -------------------------------------------------------------------
#: What a transaction Bundle may carry: (method, type) → served. A Device (the Mesures de santé
#: IG's PHD device) is not stored: its name describes the measures that reference it.
TRANSACTION_ENTRIES = {("POST", "Observation"), ("POST", "Device")}
_STATUS_TEXT = {200: "200 OK", 201: "201 Created"}


def _device_name(device: dict) -> str:
    names = [n.get("name") for n in device.get("deviceName") or [] if n.get("name")]
    parts = [device.get("manufacturer"), device.get("modelNumber")]
    return " — ".join(filter(None, [", ".join(names) or None,
                                    " ".join(p for p in parts if p) or None]))[:200]


def _entry_error(index: int, entry: dict, error: FhirError) -> FhirError:
    """An entry's refusal, said of the Bundle: which entry, and where in it."""
    where = f"Entrée n° {index + 1}" + (f" ({entry['fullUrl']})" if entry.get("fullUrl") else "")
    expression = f"Bundle.entry[{index}]"
    if error.expression and error.expression.startswith("Bundle.entry"):
        expression += error.expression.removeprefix("Bundle.entry")
    elif error.expression:
        rest = error.expression.partition(".")[2]
        expression += ".resource" + (f".{rest}" if rest else "")
    return FhirError(error.status, f"{where} : {error.text} Rien n'a été enregistré.",
                     code=error.code, expression=expression)


def _transaction_entry(request, index: int, entry: dict, devices: dict) -> dict:
    method = (entry.get("request") or {}).get("method", "")
    url = (entry.get("request") or {}).get("url", "").strip("/")
    resource = entry.get("resource")
    if not isinstance(resource, dict):
        raise FhirError(400, "l'élément « resource » manque.", expression="Bundle.entry")
    if (method, url) not in TRANSACTION_ENTRIES or resource.get("resourceType") != url:
        raise FhirError(400, f"opération « {method} {url} » non prise en charge dans une "
                             "transaction : seules la création d'Observation (POST "
                             "Observation) et la description d'un dispositif (POST Device) "
                             "le sont.", code="not-supported", expression="Bundle.entry.request")
    if url == "Device":
        return {"response": {"status": "200 OK", "outcome": {
            "resourceType": "OperationOutcome", "issue": [{
                "severity": "information", "code": "informational", "details": {
                    "text": "Dispositif non conservé : son nom accompagne les mesures qui "
                            "le citent."}}]}}}
    rt = RESOURCES[url]
    if not (has_permission(request.roles, rt.permission)
            and has_permission(request.roles, rt.write_permission)):
        raise PermissionDenied("Votre rôle ne permet pas d'enregistrer cette ressource.")
    reference = (resource.get("device") or {}).get("reference")
    if reference in devices and not resource["device"].get("display"):
        resource = {**resource, "device": {**resource["device"],
                                           "display": devices[reference]}}
    obj, status = _create(request, rt, resource)
    base = base_url(request)
    return {"fullUrl": f"{base}{rt.type}/{obj.public_id}", "response": {
        "status": _STATUS_TEXT[status],
        "location": f"{rt.type}/{obj.public_id}/_history/{getattr(obj, 'version', 1)}",
        "etag": f'W/"{getattr(obj, "version", 1)}"',
        "lastModified": obj.updated_at.isoformat()}}


@outcomes(methods=("POST",))
@api()
def transaction_bundle(request: HttpRequest) -> HttpResponse:
    """POST of a Bundle of type ``transaction`` at the base: all or nothing. One bad entry
    and nothing is saved; the OperationOutcome names the entry. Success: a
    ``transaction-response`` Bundle, one entry per entry sent, in order. Only Observations
    are written this way: the permission to record them is checked first (each entry's
    type's permissions again, for when more types are accepted). Declared login-only: the
    route serves no GET, which the API walk's permission matrix reads."""
    if not has_permission(request.roles, Perm.VITAL_SIGN_RECORD):
        raise PermissionDenied("Votre rôle ne permet pas d'enregistrer des mesures.")
    body = _json(request)
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise FhirError(400, "Le corps de la requête doit être une ressource Bundle (élément "
                             "« resourceType »).", expression="resourceType")
    if body.get("type") != "transaction":
        raise FhirError(400, "Seuls les Bundle de type « transaction » sont acceptés à la "
                             "racine de l'API (tout ou rien).", expression="Bundle.type",
                        code="not-supported")
    sent = body.get("entry")
    for index, entry in enumerate(sent if isinstance(sent, list) else []):
        if not isinstance(entry, dict):
            raise FhirError(400, f"Entrée n° {index + 1} : une entrée est un objet JSON "
                                 "(« resource » et « request »). Rien n'a été enregistré.",
                            expression=f"Bundle.entry[{index}]")
    issues = schema_issues(body)
    if issues:
        (expression, text), *more = issues
        raise FhirError(422, text, expression=expression, more=more, code="structure")
    entries = body.get("entry") or []
    if not entries:
        raise FhirError(400, "Bundle vide : au moins une entrée est attendue.",
                        expression="Bundle.entry")
    devices = {}
    for entry in entries:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") == "Device":
            name = _device_name(resource) or "Dispositif"
            for key in filter(None, [entry.get("fullUrl"),
                                     resource.get("id") and f"Device/{resource['id']}"]):
                devices[key] = name
    answers = []
    with transaction.atomic():
        for index, entry in enumerate(entries):
            try:
                answers.append(_transaction_entry(request, index, entry, devices))
            except FhirError as error:
                raise _entry_error(index, entry, error) from None
            except ConflictError:
                raise _entry_error(index, entry, FhirError(
                    409, "conflit d'écriture simultanée : renvoyez la transaction.")) from None
            except DomainError as error:
                raise _entry_error(index, entry, FhirError(
                    422, error.message, code="business-rule")) from None
            except PermissionDenied as denied:
                raise _entry_error(index, entry, FhirError(403, str(denied))) from None
            except Http404:
                raise _entry_error(index, entry, FhirError(
                    404, "aucune personne ne correspond à cette référence, ou vous n'y avez "
                         "pas accès.")) from None
    return fhir_response({"resourceType": "Bundle", "type": "transaction-response",
                          "entry": answers})


def run_search(request: HttpRequest, rt: ResourceType) -> dict:
    """A ``searchset`` Bundle: ``total`` and one page, by keyset on the public id (a page costs
    the same at the thousandth as at the first), ``next`` while more remain."""
    params = request.GET
    unknown = sorted(name for name in params
                     if rt.param(name) is None and name not in RESULT_PARAMS)
    if unknown:
        accepted = ", ".join([p.name for p in rt.search_params] + ["_count"])
        raise FhirError(400, f"Paramètre(s) de recherche non pris en charge pour {rt.type} : "
                             f"{', '.join(unknown)}. Paramètres acceptés : {accepted}.",
                        code="not-supported")
    used = {param.name: params.getlist(param.name) for param in rt.search_params
            if param.name in params}
    for name, values in used.items():
        if any(not [part for part in value.split(",") if part] for value in values):
            raise FhirError(400, f"Paramètre « {name} » : valeur vide.")
    count = parse_count(params.getlist("_count"))
    after = decode_cursor(params.getlist(CURSOR))
    total, rows = 0, []
    for index, source in enumerate(rt.all_sources()):
        if any(name not in source.params for name in used):
            continue  # a parameter this model does not have: none of its rows match
        q = Q()
        for name, values in used.items():
            for value in values:
                q &= reduce(or_, (source.params[name](part)
                                  for part in value.split(",") if part))
        matches = source.queryset(request).filter(q)
        if index == 0 and rt.gone is not None:
            matches = matches.exclude(rt.gone)
        total += matches.count()
        page = matches.order_by("public_id")
        if after is not None:
            page = page.filter(public_id__gt=after)
        rows += list(page[:count + 1])
    rows.sort(key=lambda obj: obj.public_id)
    more, rows = len(rows) > count, rows[:count]
    cursor = rows[-1].public_id if rows else None
    if rt.search_extra and after is None:  # matches that are no row of the queryset
        extra = rt.search_extra(request, params)
        total, rows = total + len(extra), [*rows, *extra]
    rt.on_read(request, rows)
    base = base_url(request)
    links = [{"relation": "self", "url": request.build_absolute_uri()}]
    if more:
        kept = [(k, v) for k, values in params.lists() if k != CURSOR for v in values]
        links.append({"relation": "next", "url": f"{base}{rt.type}?" + urlencode(
            [*kept, (CURSOR, encode_cursor(cursor))])})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [{"fullUrl": f"{base}{rt.type}/{obj.public_id}",
                   "resource": rt.serialize(obj, base), "search": {"mode": "match"}}
                  for obj in rows],
    }


VIEWS = {rt.type: (_read(rt), _search(rt) if rt.searchable else None)
         for rt in RESOURCES.values()}
