"""Reads of the territory, scoped to a CRT."""

from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from maillage.core.models import Crt

from . import reference
from .models import Commune, Organization, Professional


def communes(*, crt: Crt, volet: str = "", query: str = "") -> QuerySet[Commune]:
    qs = Commune.objects.filter(crt=crt).order_by("name")
    if volet == "1":
        qs = qs.filter(covers_volet1=True)
    elif volet == "2":
        qs = qs.filter(covers_volet2=True)
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(insee_code__startswith=query)
            | Q(postal_code__startswith=query)
        )
    return qs


@dataclass(frozen=True)
class TerritoryFigures:
    communes: int
    volet1: int
    volet2: int
    max_travel_volet2: int | None


def territory_figures(*, crt: Crt) -> TerritoryFigures:
    row = Commune.objects.filter(crt=crt).aggregate(
        total=Count("id"),
        volet1=Count("id", filter=Q(covers_volet1=True)),
        volet2=Count("id", filter=Q(covers_volet2=True)),
        max_travel=Max("travel_minutes", filter=Q(covers_volet2=True)),
    )
    return TerritoryFigures(
        communes=row["total"],
        volet1=row["volet1"],
        volet2=row["volet2"],
        max_travel_volet2=row["max_travel"],
    )


def organizations(*, crt: Crt, query: str = "", kind: str = "") -> QuerySet:
    qs = Organization.objects.filter(crt=crt).select_related("commune").order_by("name")
    if kind:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(city__icontains=query) | Q(finess__startswith=query)
            | Q(commune__name__icontains=query)
        )
    return qs.annotate(professional_count=Count("professionals"))


def professionals(*, crt: Crt, query: str = "", profession: str = "") -> QuerySet:
    qs = (
        Professional.objects.filter(crt=crt)
        .select_related("organization")
        .order_by("last_name", "first_name")
    )
    if profession:
        qs = qs.filter(profession=profession)
    if query:
        qs = qs.filter(
            Q(last_name__icontains=query) | Q(first_name__icontains=query)
            | Q(rpps__startswith=query) | Q(organization__name__icontains=query)
        )
    return qs


def commune_named(*, crt: Crt, name: str) -> Commune | None:
    """The commune of the territory with this name (as typed on a public form), if any."""
    name = (name or "").strip()
    if not name:
        return None
    return Commune.objects.filter(crt=crt, name__iexact=name).first()


def commune_coordinates(insee_codes, *, crt: Crt | None = None) -> dict[str, tuple[float, float]]:
    """(latitude, longitude) in WGS 84 degrees of each commune of ``insee_codes`` that has a
    position, for maps and travel-time estimates (issue 17: rounds). National reference data
    (``reference.py``); with ``crt``, the position stored for the CRT's own communes (as
    corrected on the commune form) wins. Codes without a position are left out."""
    codes = {str(code).strip().upper() for code in insee_codes if code}
    found = {
        code: (float(ref.latitude), float(ref.longitude))
        for code, ref in reference.lookup_many(codes).items()
        if ref.has_position
    }
    if crt is not None and codes:
        stored = (Commune.objects.filter(crt=crt, insee_code__in=codes, latitude__isnull=False,
                                         longitude__isnull=False)
                  .values_list("insee_code", "latitude", "longitude"))
        found.update({code: (float(lat), float(lon)) for code, lat, lon in stored})
    return found
