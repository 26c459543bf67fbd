from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from maillage.lodging.models import Room, Stay
from maillage.territory.tests.factories import OrganizationFactory


def room(crt, kind=Room.Kind.CRT_EMERGENCY, **fields):
    """A room written directly (services are tested on their own)."""
    if kind != Room.Kind.CRT_EMERGENCY:
        fields.setdefault("organization", OrganizationFactory(crt=crt, kind="ehpad"))
    fields.setdefault("name", f"Chambre {Room.objects.count() + 1}")
    fields.setdefault("max_stay_days", Room.DEFAULT_MAX_STAY[kind])
    fields.setdefault("daily_charge", Decimal("20.00") if kind == Room.Kind.PARTNER_HTSH
                      else Decimal("0.00"))
    return Room.objects.create(crt=crt, kind=kind, **fields)


def stay(crt, beneficiary=None, room_=None, **fields):
    """A planned stay next week of a guest (or of ``beneficiary``)."""
    start = fields.pop("planned_start", timezone.localdate() + timedelta(days=7))
    fields.setdefault("planned_end", start + timedelta(days=5))
    if beneficiary is None:
        fields.setdefault("guest_last_name", "Lemaire")
        fields.setdefault("guest_first_name", "Odette")
    fields.setdefault("reason", Stay.Reason.CAREGIVER_HOSPITALISED)
    return Stay.objects.create(crt=crt, room=room_ or room(crt), beneficiary=beneficiary,
                               planned_start=start, **fields)
