"""Occupancy of the rooms, as pure functions of dates (no database).

A stay takes the room for nights: from its arrival day (first night) to its departure day (the
room is free again that evening), a half-open interval [start, end). A same-day stay counts one
night. The monthly occupancy rate of a room is its occupied nights over the nights of the month.

Which dates count:
- an ended stay: its actual dates;
- a stay going on: from its actual arrival to its planned departure, or to tonight if the person
  is still there after it;
- a planned stay: its planned dates (for the occupancy figures, only from today on: a planned
  stay whose dates have passed never took the room);
- a cancelled stay: nothing.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

ONE_DAY = timedelta(days=1)

Period = tuple[date, date]


def stay_period(*, status: str, planned_start: date, planned_end: date,
                actual_start: date | None, actual_end: date | None,
                today: date) -> Period | None:
    """The nights a stay takes the room, or None (cancelled). Used for overlaps and charges."""
    if status == "cancelled":
        return None
    if status == "ended" and actual_start and actual_end:
        return actual_start, max(actual_end, actual_start + ONE_DAY)
    if status == "in_progress" and actual_start:
        return actual_start, max(planned_end, today + ONE_DAY, actual_start + ONE_DAY)
    return planned_start, max(planned_end, planned_start + ONE_DAY)


def counted_period(*, status: str, planned_start: date, planned_end: date,
                   actual_start: date | None, actual_end: date | None,
                   today: date) -> Period | None:
    """The nights counted in the occupancy figures: as ``stay_period``, but a planned stay
    counts only from today on."""
    period = stay_period(status=status, planned_start=planned_start, planned_end=planned_end,
                         actual_start=actual_start, actual_end=actual_end, today=today)
    if period is None or status != "planned":
        return period
    start = max(period[0], today)
    return (start, period[1]) if start < period[1] else None


def overlaps(a: Period, b: Period) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def month_bounds(year: int, month: int) -> Period:
    """[first day of the month, first day of the next month)."""
    first = date(year, month, 1)
    return first, first + timedelta(days=calendar.monthrange(year, month)[1])


def nights_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def occupied_nights(periods: Iterable[Period], year: int, month: int) -> int:
    """Nights of the month taken by at least one of ``periods`` (overlaps counted once)."""
    first, after = month_bounds(year, month)
    clipped = sorted((max(s, first), min(e, after)) for s, e in periods if s < after and e > first)
    total, cursor = 0, first
    for start, end in clipped:
        start = max(start, cursor)
        if end > start:
            total += (end - start).days
            cursor = end
    return total


@dataclass(frozen=True)
class MonthOccupancy:
    year: int
    month: int
    nights: int
    occupied: int

    @property
    def rate(self) -> Decimal:
        """Percentage, one decimal."""
        if not self.nights:
            return Decimal("0.0")
        return (Decimal(self.occupied * 100) / self.nights).quantize(Decimal("0.1"))


def month_occupancy(periods: Iterable[Period], year: int, month: int) -> MonthOccupancy:
    return MonthOccupancy(year, month, nights_in_month(year, month),
                          occupied_nights(periods, year, month))


def last_months(today: date, count: int = 12) -> list[tuple[int, int]]:
    """The ``count`` months ending with the month of ``today``, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def overall_rate(months: Iterable[MonthOccupancy]) -> Decimal:
    """Occupied nights over available nights across several months (or rooms)."""
    months = list(months)
    return MonthOccupancy(0, 0, sum(m.nights for m in months),
                          sum(m.occupied for m in months)).rate
