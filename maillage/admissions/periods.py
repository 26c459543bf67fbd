"""Dates of the file active: forfait-months and long hospitalisations.

Forfait-month rule (the volet 2 forfait is 900 € per beneficiary per month): a calendar month
counts for an enrolment when, on at least one day of that month, the person was enrolled and
not suspended (hospitalisation, temporary room, other). A person suspended for every enrolled
day of a month does not count for that month. Several enrolments of the same person in one month
count once.
"""

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

from django.utils import timezone


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _active_days(start: date, end: date, suspensions: Iterable[tuple[date, date | None]]):
    """Whether some day in [start, end] is outside every suspension."""
    cuts = sorted((s, e or date.max) for s, e in suspensions if s <= end and (e or date.max)
                  >= start)
    cursor = start
    for s, e in cuts:
        if s > cursor:
            return True
        cursor = max(cursor, e + timedelta(days=1) if e != date.max else date.max)
        if cursor > end:
            return False
    return cursor <= end


def month_counts(*, admitted_on: date, ended_on: date | None,
                 suspensions: Iterable[tuple[date, date | None]], year: int, month: int,
                 today: date | None = None) -> bool:
    first, last = month_bounds(year, month)
    last = min(last, today or last)
    start, end = max(first, admitted_on), min(last, ended_on or last)
    if start > end:
        return False
    return _active_days(start, end, list(suspensions))


def forfait_months(enrolments, *, year: int, today: date | None = None) -> dict[int, int]:
    """{beneficiary_id: number of forfait-months in ``year``} (enrolments with suspensions
    prefetched). Months after ``today`` do not count yet."""
    today = today or timezone.localdate()
    months: dict[int, set[int]] = {}
    for enrolment in enrolments:
        periods = [(s.start_date, s.end_date) for s in enrolment.suspensions.all()]
        for month in range(1, 13):
            if date(year, month, 1) > today:
                break
            if month_counts(admitted_on=enrolment.admitted_on, ended_on=enrolment.ended_on,
                            suspensions=periods, year=year, month=month, today=today):
                months.setdefault(enrolment.beneficiary_id, set()).add(month)
    return {b: len(m) for b, m in months.items()}


def hospitalisation_exceeds_three_months(start: date, end: date | None,
                                         today: date | None = None) -> bool:
    """More than 3 months in hospital proposes a definitive exit (001 §IV.2.1)."""
    return (end or today or timezone.localdate()) > add_months(start, 3)
