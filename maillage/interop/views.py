"""The FHIR R4 endpoints: ``metadata`` (public), and for each type of ``fhir.registry``, read
and search. Thin: the registry says what, ``fhir.search`` parses, the owning app's policy
filters, the resource type audits."""

from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from maillage.core.access import api, public_api
from maillage.core.tenancy import get_for_crt

from .fhir.outcome import FhirError, fhir_response, outcomes
from .fhir.registry import RESOURCES, capability_statement
from .fhir.resource import ResourceType
from .fhir.search import CURSOR, RESULT_PARAMS, decode_cursor, encode_cursor, parse_count


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
    raise FhirError(400, f"Type de ressource inconnu ou non pris en charge : « {resource_type} ». "
                         f"Types pris en charge : {_supported()}.", code="not-supported")


def _read(rt: ResourceType):
    @outcomes
    @api(rt.permission)
    def read(request: HttpRequest, id: str) -> HttpResponse:
        obj = rt.read_extra(request, id) if rt.read_extra else None
        if obj is None:
            obj = get_for_crt(rt.queryset(request), request.crt, id)
        rt.on_read(request, [obj])
        resource = rt.serialize(obj, base_url(request))
        # The ETag is the resource's version, whatever it is computed from (a care team's
        # from its members, a consent's from its withdrawal).
        version = resource.get("meta", {}).get("versionId")
        return fhir_response(resource, headers={"ETag": f'W/"{version}"'} if version else None)

    read.__name__ = read.__qualname__ = f"{rt.type.lower()}_read"
    return read


def _search(rt: ResourceType):
    @outcomes
    @api(rt.permission)
    def search(request: HttpRequest) -> HttpResponse:
        return fhir_response(run_search(request, rt))

    search.__name__ = search.__qualname__ = f"{rt.type.lower()}_search"
    return search


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
    q = Q()
    for param in rt.search_params:
        for value in params.getlist(param.name):
            parts = [part for part in value.split(",") if part]
            if not parts:
                raise FhirError(400, f"Paramètre « {param.name} » : valeur vide.")
            q &= reduce(or_, (param.to_q(part) for part in parts))
    count = parse_count(params.getlist("_count"))
    after = decode_cursor(params.getlist(CURSOR))
    matches = rt.queryset(request).filter(q)
    total = matches.count()
    page = matches.order_by("public_id")
    if after is not None:
        page = page.filter(public_id__gt=after)
    rows = list(page[:count + 1])
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


VIEWS = {rt.type: (_read(rt), _search(rt)) for rt in RESOURCES.values()}
