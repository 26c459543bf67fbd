import uuid
from datetime import date
from decimal import Decimal

from maillage.steering.models import (
    AccountMapping,
    Allocation,
    Expense,
    FecImport,
    Nature,
    Volet,
)


def allocation(crt, **fields) -> Allocation:
    values = {"year": 2026, "notified_amount": Decimal("400000.00"),
              "volet1_planned": Decimal("76000.00"), "volet2_planned": Decimal("324000.00"),
              **fields}
    return Allocation.objects.create(crt=crt, **values)


def expense(crt, **fields) -> Expense:
    values = {"spent_on": date(2026, 3, 10), "label": "Téléassistance mars",
              "amount": Decimal("312.00"), "nature": Nature.TELEASSISTANCE,
              "volet": Volet.VOLET2, **fields}
    return Expense.objects.create(crt=crt, **values)


def mapping(crt, **fields) -> AccountMapping:
    values = {"prefix": "6411", "nature": Nature.STAFF_CARE, "volet": Volet.VOLET2, **fields}
    return AccountMapping.objects.create(crt=crt, **values)


def fec_import(crt, **fields) -> FecImport:
    """An import with one expense."""
    values = {"file_name": "FEC.txt", "file_hash": uuid.uuid4().hex * 2,
              "period_start": date(2026, 1, 1), "period_end": date(2026, 1, 31),
              "lines_read": 2, "expenses_created": 1, "amount_imported": Decimal("312.00"),
              **fields}
    record = FecImport.objects.create(crt=crt, **values)
    expense(crt, source=Expense.Source.FEC, fec_import=record, fec_line=2, account="61100000")
    return record


def report(crt, **fields):
    """A draft annual report of 2025 with a small snapshot (built, not computed)."""
    from django.utils import timezone

    from maillage.steering.models import ActivityReport

    values = {"kind": "annual", "period_start": date(2025, 1, 1),
              "period_end": date(2025, 12, 31), "generated_at": timezone.now(),
              "snapshot": _snapshot(crt), **fields}
    return ActivityReport.objects.create(crt=crt, **values)


def _snapshot(crt) -> dict:
    """A report's figures, as stored (the small-cell pass applied)."""
    from maillage.steering import report_smallcells
    from maillage.steering.reports import SCHEMA

    return report_smallcells.apply({
        "schema": SCHEMA, "kind": "annual",
        "period": {"start": "2025-01-01", "end": "2025-12-31", "label": "année 2025"},
        "computed_on": "2026-01-05", "period_over": True,
        "identity": {"name": crt.name, "finess": crt.finess, "carrier_name": "",
                     "carrier_type": "EHPAD", "address": "1 rue du Test, 49000 Angers",
                     "department": "49", "phone": "", "email": "", "opened_on": None,
                     "file_active_target": 30, "places": 40,
                     "organisational_model": "integrated",
                     "organisational_model_label": "Intégré"},
        "indicators": {}, "definition_versions": {},
        "team": {"on": "2025-12-31", "rows": []}, "agreements": [], "governance": [],
        "lodging": {"rooms": [], "stays": []}, "satisfaction": None,
        "budget": {"year": 2025, "allocation": None, "natures": [], "by_domain": []},
    }, schema=SCHEMA)
