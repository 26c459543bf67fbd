"""Reads of the temporary rooms, filtered by tenant. Only the lodging roles call them (stays of
people who are not beneficiaries are personal data)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from .models import LodgingSettings, Room, Stay
from .occupancy import (
    MonthOccupancy,
    counted_period,
    last_months,
    month_bounds,
    month_occupancy,
    overall_rate,
)

STAY_RELATED = ("room__organization", "beneficiary")


def settings_for(*, crt) -> LodgingSettings:
    """The CRT's settings, or the defaults (not saved) when it has stated none yet."""
    return LodgingSettings.objects.filter(crt=crt).first() or LodgingSettings(crt=crt)


def rooms(*, crt, active_only: bool = False) -> QuerySet[Room]:
    qs = Room.objects.filter(crt=crt).select_related("organization")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("kind", "name")


def stays(*, crt) -> QuerySet[Stay]:
    return Stay.objects.filter(crt=crt).select_related(*STAY_RELATED)


def _counted(stay: Stay, today: date):
    return counted_period(status=stay.status, planned_start=stay.planned_start,
                          planned_end=stay.planned_end, actual_start=stay.actual_start,
                          actual_end=stay.actual_end, today=today)


@dataclass
class RoomRow:
    room: Room
    current: Stay | None = None
    coming: list[Stay] = field(default_factory=list)
    overdue: list[Stay] = field(default_factory=list)  # planned, arrival date passed


def rooms_overview(*, crt, today: date, coming: int = 3) -> list[RoomRow]:
    """Each room with its current occupant and next stays (two queries in all)."""
    rows = {r.pk: RoomRow(r) for r in rooms(crt=crt)}
    open_stays = (stays(crt=crt).filter(room__in=list(rows))
                  .filter(status__in=[Stay.Status.PLANNED, Stay.Status.IN_PROGRESS])
                  .order_by("planned_start", "pk"))
    for stay in open_stays:
        row = rows[stay.room_id]
        stay.room = row.room
        if stay.status == Stay.Status.IN_PROGRESS:
            row.current = stay
        elif stay.planned_start < today:
            row.overdue.append(stay)
        elif len(row.coming) < coming:
            row.coming.append(stay)
    return list(rows.values())


def stays_between(*, crt, first: date, after: date, room: Room | None = None) -> list[Stay]:
    """Stays (cancelled ones included) whose dates touch [first, after)."""
    qs = stays(crt=crt).filter(
        Q(planned_start__lt=after) | Q(actual_start__lt=after)).filter(
        Q(planned_end__gt=first) | Q(actual_end__gte=first) | Q(status=Stay.Status.IN_PROGRESS))
    if room is not None:
        qs = qs.filter(room=room)
    return list(qs.order_by("planned_start", "pk"))


@dataclass
class GridRow:
    room: Room
    cells: list[Stay | None]


def month_grid(*, crt, year: int, month: int, today: date, room: Room | None = None):
    """One row per room, one cell per night of the month (the stay taking it, or None); and the
    stays of the month, for the list under the grid."""
    first, after = month_bounds(year, month)
    days = [first + timedelta(days=i) for i in range((after - first).days)]
    room_list = [room] if room is not None else list(rooms(crt=crt))
    month_stays = stays_between(crt=crt, first=first, after=after, room=room)
    by_room: dict[int, list] = {}
    for stay in month_stays:
        period = stay.period(today)
        if period is not None:
            by_room.setdefault(stay.room_id, []).append((period, stay))
    grid = []
    for r in room_list:
        taken = by_room.get(r.pk, [])
        if not r.is_active and not taken:
            continue
        cells = []
        for day in days:
            cells.append(next((s for (start, end), s in taken if start <= day < end), None))
        grid.append(GridRow(r, cells))
    shown = [s for s in month_stays if s.status == Stay.Status.CANCELLED or (
        (p := s.period(today)) is not None and p[0] < after and p[1] > first)]
    return days, grid, shown


@dataclass
class OccupancyRow:
    room: Room
    months: list[MonthOccupancy]

    @property
    def rate(self):
        return overall_rate(self.months)


def occupancy(*, crt, today: date, count: int = 12):
    """Occupancy per room and month over the last ``count`` months (this one included), and the
    totals per month over all rooms."""
    months = last_months(today, count)
    first = month_bounds(*months[0])[0]
    after = month_bounds(*months[-1])[1]
    periods: dict[int, list] = {}
    for stay in stays_between(crt=crt, first=first, after=after):
        period = _counted(stay, today)
        if period is not None:
            periods.setdefault(stay.room_id, []).append(period)
    rows = []
    for room in rooms(crt=crt):
        if not room.is_active and room.pk not in periods:
            continue
        taken = periods.get(room.pk, [])
        rows.append(OccupancyRow(room, [month_occupancy(taken, y, m) for y, m in months]))
    totals = [MonthOccupancy(y, m, sum(r.months[i].nights for r in rows),
                             sum(r.months[i].occupied for r in rows))
              for i, (y, m) in enumerate(months)]
    return months, rows, totals


@dataclass(frozen=True)
class TemporaryExit:
    """A file-active beneficiary away from home today, and how long the CRT keeps the place."""

    suspension: object
    days: int
    kept_until: date
    place_expired: bool
    over_three_months: bool


def temporary_exits(*, crt, today: date, settings: LodgingSettings) -> list[TemporaryExit]:
    """Beneficiaries of the file active hospitalised or in a temporary room today, flagged when
    their absence goes beyond the place the CRT keeps (and, for a hospitalisation, beyond the 3
    months after which a definitive exit is proposed, as on the file active)."""
    from maillage.admissions.models import Suspension
    from maillage.admissions.periods import hospitalisation_exceeds_three_months

    kinds = [Suspension.Kind.HOSPITALISATION, Suspension.Kind.TEMPORARY_ROOM]
    qs = (Suspension.objects.filter(crt=crt, kind__in=kinds, enrolment__ended_on__isnull=True,
                                    start_date__lte=today)
          .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
          .select_related("enrolment__beneficiary").order_by("start_date"))
    rows = []
    for s in qs:
        kept_until = s.start_date + timedelta(days=settings.place_kept_days)
        rows.append(TemporaryExit(
            suspension=s, days=(today - s.start_date).days, kept_until=kept_until,
            place_expired=today > kept_until,
            over_three_months=s.kind == Suspension.Kind.HOSPITALISATION
            and hospitalisation_exceeds_three_months(s.start_date, s.end_date, today),
        ))
    return rows


def beneficiary_stays(*, crt, beneficiary) -> list[Stay]:
    return list(stays(crt=crt).filter(beneficiary=beneficiary).order_by("-planned_start"))
