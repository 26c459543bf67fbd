"""Reads of the territory, scoped to a CRT."""

from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet

from maillage.core.models import Crt

from .models import Commune


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
