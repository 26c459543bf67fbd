from datetime import date
from decimal import Decimal

from maillage.organisation.models import Decision, Meeting, Position


def position(crt, **fields) -> Position:
    values = {"profession": Position.Profession.NURSE, "fte": Decimal("1.00"),
              "fte_volet2": Decimal("1.00"), "starts_on": date(2025, 1, 1), **fields}
    return Position.objects.create(crt=crt, **values)


def meeting(crt, **fields) -> Meeting:
    values = {"kind": Meeting.Kind.ADMISSION_COMMISSION, "held_on": date(2025, 3, 4),
              "agenda": "Demandes en attente", **fields}
    return Meeting.objects.create(crt=crt, **values)


def decision(meeting_, owner, **fields) -> Decision:
    values = {"text": "Relancer le SSIAD", "due_on": date(2025, 4, 1), **fields}
    return Decision.objects.create(crt=meeting_.crt, meeting=meeting_, owner=owner, **values)
