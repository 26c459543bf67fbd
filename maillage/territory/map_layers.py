"""The territory's own layer of the map (see ``map.py`` for the contract): partner structures
placed at their commune."""

from django.db.models import Count

from .map import MapLayer
from .models import Organization


def partners_by_commune(*, crt, user, start, end) -> dict[str, int]:
    """Active partner structures per commune of the territory (today's directory: the period
    does not apply)."""
    rows = (Organization.objects.filter(crt=crt, is_active=True, commune__isnull=False)
            .values("commune__insee_code").annotate(n=Count("id")).order_by())
    return {row["commune__insee_code"]: row["n"] for row in rows}


LAYERS = [
    MapLayer(key="territory.partners", label="Structures partenaires", unit="structure(s)",
             counts=partners_by_commune, order=20),
]
