"""What the API knows of one resource type: permission, what the requester may see, how it
is written, its search parameters. The views and the CapabilityStatement read the same list
(``registry.RESOURCES``): nothing is declared twice."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .search import SearchParam

#: Every FR Core canonical starts here.
FR_CORE = "https://hl7.fr/ig/fhir/core/StructureDefinition/"


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

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.search_params if p.name == name), None)
