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


@dataclass
class ChecklistItem:
    """One line of the admission checklist: its state and, when it cannot be done yet, why."""

    key: str
    label: str
    done: bool = False
    blocked: str = ""
    step: object = None  # the AdmissionStep recorded, if any
    extra: dict | None = None


def admission_checklist(referral: Referral) -> list[ChecklistItem]:
    """The admission of one referral as a checklist, in the usual order; the steps are done in
    any order except where a rule forbids it (``services.contract_blocker``,
    ``services.decision_blockers``). A bounded number of queries."""
    from . import services
    from .models import AdmissionStep

    kinds = AdmissionStep.Kind
    steps = {s.kind: s for s in referral.steps.select_related("done_by", "care_plan_version")
             .prefetch_related("joint_organizations")}
    contract = referral.contracts.order_by("-created_at").first()
    plan_version = services.latest_care_plan_version(referral)
    items = [ChecklistItem("file", "Dossier de la personne (ouvert ou relié)",
                           done=referral.beneficiary_id is not None)]
    for kind in (kinds.HOME_VISIT, kinds.MEDICAL_EVALUATION, kinds.TEAM_OPINION):
        items.append(ChecklistItem(kind, kinds(kind).label, done=kind in steps,
                                   step=steps.get(kind)))
    items.append(ChecklistItem(kinds.PLAN_DRAFTED, "Plan personnalisé (PPCS)",
                               done=kinds.PLAN_DRAFTED in steps,
                               step=steps.get(kinds.PLAN_DRAFTED),
                               extra={"plan_version": plan_version}))
    signed = kinds.CONTRACT_SIGNED in steps
    items.append(ChecklistItem(
        "contract", "Contrat d'accompagnement (généré puis signé)", done=signed,
        blocked="" if signed or contract else services.contract_blocker(referral),
        step=steps.get(kinds.CONTRACT_SIGNED), extra={"contract": contract}))
    items.append(ChecklistItem(
        kinds.AGREEMENT, "Accord de la personne ou de son représentant légal",
        done=kinds.AGREEMENT in steps, step=steps.get(kinds.AGREEMENT),
        blocked="" if kinds.AGREEMENT in steps else services.agreement_blocker(referral)))
    admitted = referral.status == Referral.Status.ADMITTED
    items.append(ChecklistItem(
        "decision", "Décision d'admission", done=admitted,
        blocked="" if admitted else " ".join(services.decision_blockers(referral)),
        extra={"enrolment": referral.enrolments.order_by("-admitted_on").first()
               if admitted else None}))
    return items


# --- Temporary exits (hospitalisation, holidays…) -------------------------------------------


def current_absence(*, beneficiary, today: date | None = None):
    """The person's temporary exit going on today, else the next one planned (``None`` when
    none): what the portal, the on-call screen and the file say about the visits."""
    from .models import Suspension

    today = today or timezone.localdate()
    return (Suspension.objects.filter(enrolment__beneficiary=beneficiary,
                                      enrolment__ended_on__isnull=True)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
            .order_by("start_date").first())


@dataclass
class ExitFigures:
    kind: str
    label: str
    count: int = 0
    total_days: int = 0
    returns: int = 0

    @property
    def mean_days(self) -> float | None:
        return round(self.total_days / self.count, 1) if self.count else None


def temporary_exit_figures(*, crt, start: date, end: date,
                           today: date | None = None) -> list[ExitFigures]:
    """Temporary exits of the CRT over [start, end], by kind, and a last row for all kinds.

    - count: the exits that began in the period;
    - total and mean duration, in days away, of those exits: from the first day away to the
      day of return (not counted); an exit still going on is counted to the end of the period
      (or today, when the period is not over) included;
    - returns: the returns home that happened in the period (whenever the exit began).
    One query."""
    from datetime import timedelta

    from .models import Suspension

    today = today or timezone.localdate()
    cap = min(end, today) + timedelta(days=1)
    rows = {kind: ExitFigures(kind=kind, label=label) for kind, label in Suspension.Kind.choices}
    every = ExitFigures(kind="", label="Toutes les sorties temporaires")
    for kind, first, back in Suspension.objects.filter(crt=crt).filter(
            Q(start_date__range=(start, end))
            | Q(end_date__range=(start, min(end, today)))).values_list(
            "kind", "start_date", "end_date"):
        for row in (rows[kind], every):
            if start <= first <= end:
                row.count += 1
                row.total_days += max(0, ((min(back, cap) if back else cap) - first).days)
            if back is not None and start <= back <= min(end, today):
                row.returns += 1
    return [r for r in rows.values() if r.count or r.returns] + [every]
