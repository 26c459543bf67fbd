"""Reads of the CRT's organisation, scoped to a CRT and filtered by the access policies."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from maillage.core.collation import french
from maillage.core.models import Crt, MembershipRole
from maillage.core.roles import CRT_TEAM

from .access import decisions_visible, meetings_visible, positions_visible
from .models import Decision, Meeting, Position

ZERO = Decimal("0.00")


def staff_users(*, crt: Crt) -> QuerySet:
    """The CRT's staff: active users with an active membership holding a role of the CRT team
    (the secretariat included: it holds positions and carries decisions out too)."""
    return (
        get_user_model().objects.filter(
            is_active=True,
            pk__in=MembershipRole.objects.filter(
                membership__crt=crt, membership__is_active=True,
                role__in=[str(r) for r in CRT_TEAM],
            ).values("membership__user"),
        ).order_by(french("last_name"), french("first_name"), "username")
    )


# --- Positions -------------------------------------------------------------------------------


def _in_post(on: date) -> Q:
    return Q(starts_on__lte=on) & (Q(ends_on__isnull=True) | Q(ends_on__gte=on))


def positions(*, crt: Crt, user, roles, current_only: bool = False,
              on: date | None = None) -> QuerySet[Position]:
    qs = positions_visible(crt=crt, user=user, roles=roles).select_related("holder") \
        .order_by("profession", "starts_on", "id")
    if current_only:
        qs = qs.filter(_in_post(on or timezone.localdate()))
    return qs


@dataclass(frozen=True)
class CompositionRow:
    profession: str
    label: str
    positions: int
    fte: Decimal
    fte_volet1: Decimal
    fte_volet2: Decimal
    fte_coordination: Decimal
    vacancies: int
    vacant_fte: Decimal


@dataclass(frozen=True)
class TeamComposition:
    on: date
    rows: list[CompositionRow]
    total: CompositionRow


def _fte(value) -> Decimal:
    """A summed FTE to two places (SQLite sums decimals as floats)."""
    return Decimal(str(value)).quantize(ZERO)


def team_composition(*, crt: Crt, on: date | None = None) -> TeamComposition:
    """The « team composition » table of the reports (T-02): the positions in force on ``on``
    by profession — how many, their FTE, FTE per volet, vacancies — summed by the database.
    Aggregated figures, no person: the reports reuse it as is."""
    on = on or timezone.localdate()
    labels = dict(Position.Profession.choices)
    sums = {
        "positions": Count("id"),
        "fte_sum": Coalesce(Sum("fte"), ZERO),
        "v1": Coalesce(Sum("fte_volet1"), ZERO),
        "v2": Coalesce(Sum("fte_volet2"), ZERO),
        "coord": Coalesce(Sum("fte_coordination"), ZERO),
        "vacancies": Count("id", filter=Q(holder__isnull=True)),
        "vacant_fte": Coalesce(Sum("fte", filter=Q(holder__isnull=True)), ZERO),
    }
    grouped = (Position.objects.filter(_in_post(on), crt=crt).values("profession")
               .annotate(**sums).order_by())
    order = list(labels)
    rows = sorted(
        (CompositionRow(g["profession"], labels.get(g["profession"], g["profession"]),
                        g["positions"], _fte(g["fte_sum"]), _fte(g["v1"]), _fte(g["v2"]),
                        _fte(g["coord"]), g["vacancies"], _fte(g["vacant_fte"]))
         for g in grouped),
        key=lambda r: order.index(r.profession) if r.profession in order else len(order))
    total = CompositionRow(
        "", "Total", sum(r.positions for r in rows), sum((r.fte for r in rows), ZERO),
        sum((r.fte_volet1 for r in rows), ZERO), sum((r.fte_volet2 for r in rows), ZERO),
        sum((r.fte_coordination for r in rows), ZERO), sum(r.vacancies for r in rows),
        sum((r.vacant_fte for r in rows), ZERO))
    return TeamComposition(on=on, rows=rows, total=total)


# --- Meetings and decisions ------------------------------------------------------------------


def meetings(*, crt: Crt, user, roles, kind: str = "") -> QuerySet[Meeting]:
    qs = meetings_visible(crt=crt, user=user, roles=roles).order_by("-held_on", "-id")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.annotate(
        decision_count=Count("decisions", distinct=True),
        open_count=Count("decisions", filter=Q(decisions__done_on__isnull=True),
                         distinct=True),
    )


def meetings_held(*, crt: Crt, start: date, end: date,
                  today: date | None = None) -> QuerySet[Meeting]:
    """The meetings of ``crt`` held from ``start`` to ``end``: a meeting dated after today is
    planned, not held (T-03 and the report's governance counted a COPIL of next week)."""
    today = today or timezone.localdate()
    return Meeting.objects.filter(crt=crt, held_on__gte=start, held_on__lte=min(end, today))


def meeting_decisions(meeting: Meeting) -> QuerySet[Decision]:
    return meeting.decisions.select_related("owner").order_by("done_on", "due_on", "id")


def open_decisions(*, crt: Crt, user, roles, owner=None, overdue_on: date | None = None
                   ) -> QuerySet[Decision]:
    """Decisions not done yet, the earliest due first (no due date last); of one ``owner``;
    only those overdue on ``overdue_on``."""
    qs = decisions_visible(crt=crt, user=user, roles=roles).filter(done_on__isnull=True)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if overdue_on is not None:
        qs = qs.filter(due_on__lt=overdue_on)
    return qs.select_related("owner", "meeting").order_by(
        Coalesce("due_on", date(9999, 12, 31)), "id")


def my_overdue_decisions(*, crt: Crt, user, today: date | None = None) -> QuerySet[Decision]:
    """The decisions ``user`` carries that are overdue: shown to their owner whatever the
    meeting (they were given the decision), without the meeting's other content."""
    today = today or timezone.localdate()
    return (Decision.objects.filter(crt=crt, owner=user, done_on__isnull=True,
                                    due_on__lt=today)
            .select_related("meeting").order_by("due_on", "id"))


def commission_meetings(*, crt: Crt, until: date | None = None,
                        since: date | None = None) -> QuerySet[Meeting]:
    """The CRT's admission commission meetings (held from ``since`` up to ``until``), latest
    first: the choices of the admission forms (decision, review, team opinion)."""
    qs = Meeting.objects.filter(crt=crt, kind=Meeting.Kind.ADMISSION_COMMISSION)
    if until is not None:
        qs = qs.filter(held_on__lte=until)
    if since is not None:
        qs = qs.filter(held_on__gte=since)
    return qs.order_by("-held_on", "-id")
