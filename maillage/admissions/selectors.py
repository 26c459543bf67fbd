"""Reads of the admission process."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from .eligibility import eligibility_checks, priority
from .models import Enrolment, Referral


def referrals(*, crt, status: str = "") -> QuerySet[Referral]:
    qs = Referral.objects.filter(crt=crt).select_related("person_commune", "decided_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at")


def waiting_list(*, crt, today: date | None = None) -> list[dict]:
    """The waiting list in its transparent order: priority score, then the oldest request."""
    today = today or date.today()
    rows = []
    qs = (
        Referral.objects.filter(crt=crt, status=Referral.Status.WAITING)
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
