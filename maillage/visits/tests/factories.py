from datetime import timedelta

from django.utils import timezone

from maillage.core.roles import Role
from maillage.territory.models import Professional
from maillage.visits.models import Visit, VisitSeries


def actor_fields(user, roles=()) -> dict:
    """The visit's professional: ``user`` as CRT staff, or their directory record (partner)."""
    if user is None:
        return {}
    if Role.PARTNER in roles:
        pro = Professional.objects.filter(user=user).first()
        if pro is not None:
            return {"professional": pro}
    return {"staff": user}


def visit(beneficiary, user=None, roles=(), *, starts_at=None, minutes=30, **fields):
    starts_at = starts_at or timezone.now() - timedelta(minutes=40)
    fields = {**actor_fields(user, roles), **fields}
    return Visit.objects.create(crt=beneficiary.crt, beneficiary=beneficiary,
                                starts_at=starts_at,
                                ends_at=starts_at + timedelta(minutes=minutes), **fields)


def series_visit(beneficiary, user=None, roles=()):
    """A daily series at 08:00 and one of its occurrences (today)."""
    fields = actor_fields(user, roles)
    series = VisitSeries.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, frequency="daily", times="08:00",
        duration_minutes=30, start_date=timezone.localdate() - timedelta(days=3),
        generated_until=timezone.localdate(), **fields)
    starts = timezone.make_aware(timezone.datetime.combine(timezone.localdate(),
                                                            timezone.datetime.min.time())
                                 ) + timedelta(hours=8)
    return visit(beneficiary, user, roles, starts_at=starts, series=series,
                 original_start=starts)
