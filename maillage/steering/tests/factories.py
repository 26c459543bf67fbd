from datetime import date
from decimal import Decimal

from maillage.steering.models import AccountMapping, Allocation, Expense, Nature, Volet


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
