"""The national commune reference: current communes with their postal code, population and
position (INSEE COG 2026 and Etalab/IGN boxes, see ``data/README.md``).

Read from the vendored ``data/communes.csv.gz`` into an in-process dictionary on first use:
the same for every CRT, never written by the application, no personal data (not audited).
"""

import csv
import gzip
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "communes.csv.gz"


@dataclass(frozen=True, slots=True)
class CommuneReference:
    insee_code: str
    name: str
    postal_code: str
    population: int | None
    latitude: Decimal | None
    longitude: Decimal | None

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


@cache
def _index() -> dict[str, CommuneReference]:
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as handle:
        return {
            row["insee_code"]: CommuneReference(
                insee_code=row["insee_code"],
                name=row["name"],
                postal_code=row["postal_code"],
                population=int(row["population"]) if row["population"] else None,
                latitude=_decimal(row["latitude"]),
                longitude=_decimal(row["longitude"]),
            )
            for row in csv.DictReader(handle)
        }


def lookup(insee_code: str) -> CommuneReference | None:
    """The current commune with this INSEE code, or None (unknown or former code)."""
    return _index().get((insee_code or "").strip().upper())


def lookup_many(insee_codes) -> dict[str, CommuneReference]:
    index = _index()
    return {code: index[code] for code in insee_codes if code in index}


def lookup_by_name(name: str, postal_code: str = "") -> CommuneReference | None:
    """The current commune of this name (case and accents ignored), in this postal code when
    given (a name shared by several communes needs it); None if none or several match."""
    from maillage.core.folding import fold

    wanted = fold(name)
    found = [c for c in _index().values() if fold(c.name) == wanted
             and (not postal_code or c.postal_code == postal_code.strip())]
    return found[0] if len(found) == 1 else None

