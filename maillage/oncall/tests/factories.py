from datetime import UTC, date, timedelta

from django.utils import timezone

from maillage.oncall.models import Arrangement, Call, EscalationContact, Shift


def call(crt, user, beneficiary=None, **fields):
    """A call answered by ``user`` a few minutes ago, still open."""
    fields.setdefault("received_at", timezone.now() - timedelta(minutes=10))
    fields.setdefault("answered_at", fields["received_at"] + timedelta(seconds=40))
    fields.setdefault("reason", Call.Reason.FALL)
    if beneficiary is None:
        fields.setdefault("caller_name", "Voisin")
    return Call.objects.create(crt=crt, answered_by=user, beneficiary=beneficiary, **fields)


def shift(crt, user=None, *, start=None, hours=12, duty=Shift.Duty.ANSWER_AND_TRAVEL,
          **fields):
    start = (start or timezone.now() - timedelta(hours=1)).astimezone(UTC)
    return Shift.objects.create(crt=crt, staff=user, duty=duty, starts_at=start,
                                ends_at=start + timedelta(hours=hours), **fields)


def contact(crt, **fields):
    fields.setdefault("level", EscalationContact.Level.SAMU)
    fields.setdefault("label", "SAMU – centre 15")
    fields.setdefault("phone", "15")
    return EscalationContact.objects.create(crt=crt, **fields)


def arrangement(crt, **fields):
    fields.setdefault("model", Arrangement.Model.INTERNAL)
    fields.setdefault("start_date", date(2025, 1, 1))
    return Arrangement.objects.create(crt=crt, **fields)
