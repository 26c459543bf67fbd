"""Reads of the admission process."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .eligibility import eligibility_checks, priority
from .models import Enrolment, Referral


def referrals(*, crt, user, roles, status: str = "") -> QuerySet[Referral]:
    from .access import referrals_visible

    qs = referrals_visible(crt=crt, user=user, roles=roles).select_related(
        "person_commune", "decided_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at")


def waiting_list(*, crt, user=None, roles=frozenset(), today: date | None = None) -> list[dict]:
    """The waiting list in its transparent order: priority score, then the oldest request.

    Who sees which rows: ``access.referrals_visible`` (the team all of it; a partner the people
    they referred or whose evaluation their structure takes part in)."""
    from .access import referrals_visible

    today = today or timezone.localdate()
    rows = []
    qs = (
        referrals_visible(crt=crt, user=user, roles=roles)
        .filter(status=Referral.Status.WAITING)
        .select_related("crt", "person_commune", "next_step_owner", "beneficiary")
    )
    for referral in qs:
        rank = priority(referral)
        rows.append({
            "referral": referral,
            "priority": rank,
            "waiting_days": (today - referral.received_at.date()).days,
            "checks": eligibility_checks(referral, today=today),
        })
    rows.sort(key=lambda r: (-r["priority"].score, r["referral"].received_at))
    return rows


def file_active_count(*, crt) -> int:
    return Enrolment.objects.filter(crt=crt, ended_on__isnull=True).count()


@dataclass(frozen=True)
class AdmissionFigures:
    file_active: int
    waiting: int
    to_review: int


def admission_figures(*, crt) -> AdmissionFigures:
    referrals = Referral.objects.filter(crt=crt).aggregate(
        waiting=Count("id", filter=Q(status=Referral.Status.WAITING)),
        to_review=Count("id", filter=Q(status=Referral.Status.RECEIVED)),
    )
    return AdmissionFigures(
        file_active=file_active_count(crt=crt),
        waiting=referrals["waiting"],
        to_review=referrals["to_review"],
    )


def file_active(*, crt, q: str = "", gir: str = "", referent: str = "", suspended: str = "",
                today: date | None = None):
    """The open enrolments with their current suspension and forfait-months of the year;
    plus the referents (for the filter)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Prefetch

    from .models import Suspension
    from .periods import forfait_months

    today = today or timezone.localdate()
    qs = (
        Enrolment.objects.filter(crt=crt, ended_on__isnull=True)
        .select_related("beneficiary__commune", "referent")
        .prefetch_related(Prefetch("suspensions", queryset=Suspension.objects.order_by(
            "-start_date")))
        .order_by("beneficiary__birth_name", "beneficiary__first_name")
    )
    if q:
        for word in q.split()[:3]:
            qs = qs.filter(Q(beneficiary__birth_name__icontains=word)
                           | Q(beneficiary__used_name__icontains=word)
                           | Q(beneficiary__first_name__icontains=word))
    if gir.isdigit():
        qs = qs.filter(beneficiary__current_gir=int(gir))
    if referent:
        qs = qs.filter(referent__public_id=referent) if _is_uuid(referent) else qs.none()
    enrolments = list(qs)
    months = forfait_months(enrolments, year=today.year, today=today)
    rows = []
    for e in enrolments:
        current = next((s for s in e.suspensions.all()
                        if s.start_date <= today and (s.end_date is None or s.end_date >= today)),
                       None)
        if suspended == "oui" and current is None or suspended == "non" and current:
            continue
        rows.append({"enrolment": e, "suspension": current,
                     "months": months.get(e.beneficiary_id, 0)})
    referents = get_user_model().objects.filter(
        pk__in=Enrolment.objects.filter(crt=crt, ended_on__isnull=True).values("referent")
    ).order_by("last_name")
    return rows, referents


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def other_stays(*, enrolment: Enrolment) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(beneficiary=enrolment.beneficiary).exclude(pk=enrolment.pk)


def forfait_months_of(*, enrolment: Enrolment, year: int) -> int:
    from .periods import forfait_months

    qs = Enrolment.objects.filter(pk=enrolment.pk).prefetch_related("suspensions")
    return forfait_months(qs, year=year).get(enrolment.beneficiary_id, 0)
