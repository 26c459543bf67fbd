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
