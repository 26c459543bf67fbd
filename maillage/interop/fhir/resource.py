"""What the API knows of one resource type: permission, what the requester may see, how it
is written, its search parameters. The views and the CapabilityStatement read the same list
(``registry.RESOURCES``): nothing is declared twice."""

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.db.models import Q, QuerySet

from maillage.core.audit import audit_log_many

from .search import SearchParam

#: Every FR Core canonical starts here.
FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"


@dataclass(frozen=True)
class Existing:
    """What a ``create`` returns when the resource sent is one already stored (an idempotent
    re-post: same business identifier): the API answers it with 200, not 201."""

    obj: Any


@dataclass(frozen=True)
class Source:
    """One more model served under a type (e.g. Observation: vital signs and AGGIR GIRs): its
    rows this requester may see, and each search parameter as a condition on that model. A
    search using a parameter the source lacks matches none of its rows. Searches page over all
    sources by public id (each queried apart, pages merged: no per-row query)."""

    queryset: Callable[..., QuerySet]
    params: dict[str, Callable[[str], Q]]


@dataclass(frozen=True)
class ResourceType:
    type: str
    #: The permission (``core.permissions.Perm``) a token's roles need.
    permission: str
    #: ``(request) -> QuerySet``: what this requester may see (the owning app's policy).
    queryset: Callable[..., QuerySet]
    #: ``(obj, base_url) -> dict``: the resource's JSON.
    serialize: Callable[..., dict]
    #: ``(request, objects)``: the audit of a read (one event per object shown).
    on_read: Callable[..., None]
    search_params: tuple[SearchParam, ...]
    profiles: tuple[str, ...] = ()
    documentation: str = ""
    #: ``(request, id) -> object | None``: a resource that is no row of ``queryset`` (the
    #: trusted person, stored on the person's file: ``relatedperson.py``), read by its id
    #: before the queryset is asked; None when the id is not one of them.
    read_extra: Callable[..., Any] | None = None
    #: ``(request, params) -> list``: those resources matching a search, added to its first
    #: page (and to ``total``).
    search_extra: Callable[..., list] | None = None
    #: Other models served under this type (``queryset``/``search_params`` are the first).
    sources: tuple[Source, ...] = ()
    #: False for a type only read by id (Binary): no search route nor search parameters.
    searchable: bool = True
    #: ``(request, obj, base_url) -> HttpResponse``: a read answered otherwise than as the
    #: ``serialize``d JSON (Binary: the file's bytes, or the Binary resource on request).
    read_response: Callable | None = None
    #: Rows a search never lists, and a read answers 410 Gone (tombstones of a delete).
    gone: Q | None = None
    # --- writes (a service of the owning app each: atomic, versioned, audited) -------------
    #: The permission a write needs (besides ``permission``).
    write_permission: str | None = None
    #: ``(request, body) -> obj``: POST /<Type>.
    create: Callable | None = None
    #: ``(request, obj, body, version) -> obj``: PUT /<Type>/<id> with ``If-Match``.
    update: Callable | None = None
    #: ``(request, obj, delete: bool) -> None``: the owning app's rule on this object, checked
    #: before an update or a delete (after the type's permissions and ``queryset``): raises
    #: ``PermissionDenied`` (403) when this requester may not change this one.
    check_write: Callable | None = None
    #: ``(request, obj, version) -> obj``: DELETE /<Type>/<id> with ``If-Match``.
    delete: Callable | None = None

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.search_params if p.name == name), None)

    def all_sources(self) -> tuple[Source, ...]:
        own = Source(self.queryset, {p.name: p.to_q for p in self.search_params if p.to_q})
        return (own, *self.sources)

    def interactions(self) -> tuple[str, ...]:
        """The FHIR interactions served, in the CapabilityStatement's order."""
        return ("read", *(["update"] if self.update else []),
                *(["delete"] if self.delete else []), *(["create"] if self.create else []),
                *(["search-type"] if self.searchable else []))


def token_details(request) -> dict:
    """The calling token as written in the audit of what it read: its prefix (not secret) and
    who created it (a manager on the « Jetons d'API » page, or the console)."""
    token = getattr(request, "api_token", None)
    if token is None:
        return {"jeton": ""}
    creator = token.created_by.username if token.created_by_id else "console"
    return {"jeton": token.prefix, "jeton_cree_par": creator}


def audited_reads(action: str, *, beneficiary: Callable = attrgetter("beneficiary"),
                  details: Callable | None = None) -> Callable[..., None]:
    """The ``on_read`` of a type whose resources are records of a person's file: one event
    ``action`` per resource shown (a page of 100 in one insert), on the person's file — their
    « qui a consulté mon dossier » — naming the token."""

    def on_read(request, objects) -> None:
        token = token_details(request)
        audit_log_many(actor=request.user, events=[
            {"action": action, "crt": request.crt, "obj": o, "beneficiary": beneficiary(o),
             "details": {**token, **(details(o) if details else {})}}
            for o in objects])

    return on_read
