"""The territory map: its layers, contributed by the apps, and the data the page draws.

**Layer contract.** Any app may provide ``<app>/map_layers.py`` (discovered by name, as
``demo``/``bench`` modules are: ``core.discovery.app_modules("map_layers")``) holding
``LAYERS``, a list of :class:`MapLayer`. A layer counts something per commune over a period:
``counts(*, crt, user, start, end) -> dict[insee_code, int]``, one grouped query computed by
the database (``values("…insee_code").annotate(n=Count(…))``), never one row per person.
The map applies the access rules itself (``access.py``): the layer's permission, and the
small-cell rule when ``personal`` is set (counts of people).

The volet 1 app plugs its sessions in with ``maillage/outreach/map_layers.py``::

    from maillage.territory.map import MapLayer

    from .selectors import sessions_by_commune

    LAYERS = [MapLayer(key="outreach.sessions", label="Séances du volet 1",
                       unit="séance(s)", counts=sessions_by_commune, order=30)]

(sessions are not people: ``personal`` stays False; a layer counting participants would set
it). Until an app provides its module, its layer is simply absent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from maillage.core.collation import french
from maillage.core.discovery import app_modules
from maillage.core.permissions import has_permission

from . import access
from .models import Commune, Organization


@dataclass(frozen=True)
class MapLayer:
    key: str  # "<app>.<thing>", stable: the page's checkboxes and the JSON use it
    label: str  # French: the legend, the checkbox and the table's column
    unit: str  # French, after a number in a popup: "bénéficiaire(s)"
    counts: Callable[..., dict[str, int]]  # (*, crt, user, start, end) -> {insee_code: n}
    permission: str = "territory.map"  # who sees this layer at all
    personal: bool = False  # counts of people: the small-cell rule applies
    order: int = 50


def layers() -> list[MapLayer]:
    found = [layer for module in app_modules("map_layers")
             for layer in getattr(module, "LAYERS", [])]
    return sorted(found, key=lambda layer: (layer.order, layer.key))


def _coverage_label(commune: Commune) -> str:
    if commune.covers_volet1 and commune.covers_volet2:
        return "Volets 1 et 2"
    return "Volet 2 seul" if commune.covers_volet2 else "Volet 1 seul"


def _coverage_key(commune: Commune) -> str:
    if commune.covers_volet1 and commune.covers_volet2:
        return "both"
    return "volet2" if commune.covers_volet2 else "volet1"


def map_data(*, crt, user, roles, start: date, end: date) -> dict:
    """Everything the map page shows for ``user``: the communes of the territory with their
    coverage, and each visible layer's per-commune cells, already filtered by the access
    rules (``access.py``). The JSON endpoint and the page's table both read this."""
    communes = list(
        access.communes_visible(crt=crt, user=user, roles=roles)
        .order_by(french("name"))
        .only("insee_code", "name", "postal_code", "covers_volet1", "covers_volet2",
              "travel_minutes", "latitude", "longitude")
    )
    known = {c.insee_code for c in communes}
    exact = access.sees_exact_counts(roles)
    shown_layers = []
    for layer in layers():
        if not has_permission(roles, layer.permission):
            continue
        counts = layer.counts(crt=crt, user=user, start=start, end=end)
        cells = {code: access.shown_count(n, personal=layer.personal, exact=exact)
                 for code, n in counts.items() if code in known and n}
        elsewhere = sum(n for code, n in counts.items() if code not in known)
        hidden = any(text == access.SMALL_CELL_TEXT for text in cells.values())
        other_text = access.shown_count(elsewhere, personal=layer.personal, exact=exact)
        hidden = hidden or other_text == access.SMALL_CELL_TEXT
        total = sum(counts.values())
        shown_layers.append({
            "key": layer.key,
            "label": layer.label,
            "unit": layer.unit,
            "personal": layer.personal,
            "cells": cells,
            "elsewhere": other_text,
            # The total would give a hidden cell away (total minus the others).
            "total": None if hidden else str(total),
            "small_cells_hidden": layer.personal and not exact,
        })
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "communes": [
            {
                "insee_code": c.insee_code,
                "name": c.name,
                "postal_code": c.postal_code,
                "coverage": _coverage_key(c),
                "coverage_label": _coverage_label(c),
                "travel_minutes": c.travel_minutes,
                "latitude": float(c.latitude) if c.latitude is not None else None,
                "longitude": float(c.longitude) if c.longitude is not None else None,
            }
            for c in communes
        ],
        "layers": shown_layers,
        "partner_names": partner_names(crt=crt, roles=roles),
    }


def partner_names(*, crt, roles) -> dict[str, list[str]]:
    """The active partner structures of each commune, by name, for the roles that read the
    directory (others see their number only, through the partners layer)."""
    if not access.sees_partner_names(roles):
        return {}
    names: dict[str, list[str]] = {}
    rows = (Organization.objects.filter(crt=crt, is_active=True, commune__isnull=False)
            .order_by(french("name")).values_list("commune__insee_code", "name"))
    for code, name in rows:
        names.setdefault(code, []).append(name)
    return names
