"""The rota's calendar: French public holidays (the `holidays` library: fixed days and the
Easter-based ones — Easter Monday, Ascension, Whit Monday), the kind of slot of a moment (day,
night, weekend, public holiday) and the coverage check over the coming days.

Coverage is computed hour by hour in UTC, so that the daylight-saving changes need no special
case: the night of the change in October has 13 hours, the one in March 11; each is checked."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone

#: Night hours of the on-call service (local time): 20:00 → 08:00.
NIGHT_START, NIGHT_END = time(20, 0), time(8, 0)


@lru_cache(maxsize=32)
def public_holidays(year: int) -> dict[date, str]:
    """France's public holidays of ``year`` (metropolitan; Alsace-Moselle's two extra days are
    not holidays in Maine-et-Loire), with their French names."""
    return dict(holidays.France(years=year, language="fr"))


def holiday_name(day: date) -> str | None:
    return public_holidays(day.year).get(day)


class SlotKind:
    DAY = "day"
    NIGHT = "night"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    LABELS = {DAY: "Jour", NIGHT: "Nuit", WEEKEND: "Week-end", HOLIDAY: "Jour férié"}


def slot_kind(moment: datetime) -> str:
    """The kind of slot of a moment: public holiday and weekend days whole (including their
    night), otherwise night between 20:00 and 08:00, else day."""
    local = timezone.localtime(moment)
    day = local.date()
    # A night belongs to the day it starts: 02:00 on Monday is Sunday's night.
    if local.time() < NIGHT_END:
        day -= timedelta(days=1)
        if holiday_name(day):
            return SlotKind.HOLIDAY
        if day.weekday() >= 5:
            return SlotKind.WEEKEND
        return SlotKind.NIGHT
    if holiday_name(day):
        return SlotKind.HOLIDAY
    if day.weekday() >= 5:
        return SlotKind.WEEKEND
    return SlotKind.NIGHT if local.time() >= NIGHT_START else SlotKind.DAY


@dataclass
class Gap:
    """A stretch of time with nobody to answer, or nobody to travel."""

    kind: str  # "answer" or "travel"
    start: datetime
    end: datetime
    slots: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return ("Personne d'astreinte pour répondre" if self.kind == "answer"
                else "Personne pour se déplacer au domicile")

    @property
    def hours(self) -> int:
        return round((self.end - self.start).total_seconds() / 3600)

    @property
    def slot_labels(self) -> str:
        order = [SlotKind.DAY, SlotKind.NIGHT, SlotKind.WEEKEND, SlotKind.HOLIDAY]
        return ", ".join(SlotKind.LABELS[k].lower() for k in order if k in self.slots)


def coverage_gaps(shifts, *, start: datetime, days: int = 30) -> list[Gap]:
    """Every hour from ``start`` (rounded down to the hour) over ``days`` days with nobody on
    call (``answer``) or nobody able to travel (``travel``), merged into stretches.

    ``shifts`` are objects with ``starts_at``, ``ends_at`` and ``duty`` (see Shift.ANSWERS and
    Shift.TRAVELS); no query here."""
    from .models import Shift

    begin = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = begin + timedelta(days=days)
    answer = [(s.starts_at, s.ends_at) for s in shifts if s.duty in Shift.ANSWERS]
    travel = [(s.starts_at, s.ends_at) for s in shifts if s.duty in Shift.TRAVELS]
    gaps: list[Gap] = []
    for kind, spans in (("answer", answer), ("travel", travel)):
        current: Gap | None = None
        hour = begin
        while hour < end:
            nxt = hour + timedelta(hours=1)
            covered = _covers(spans, hour, nxt)
            if not covered:
                if current is None:
                    current = Gap(kind, hour, nxt)
                    gaps.append(current)
                current.end = nxt
                current.slots.add(slot_kind(hour))
            else:
                current = None
            hour = nxt
    return sorted(gaps, key=lambda g: (g.start, g.kind))


def _covers(spans, start: datetime, end: datetime) -> bool:
    """Is [start, end) entirely covered by the union of ``spans``?"""
    cursor = start
    for s, e in sorted(spans):
        if e <= cursor:
            continue
        if s > cursor:
            return False
        cursor = e
        if cursor >= end:
            return True
    return cursor >= end


def preset_bounds(day: date, preset: str) -> tuple[datetime, datetime]:
    """The usual slots of a rota: day 08:00–20:00, night 20:00–08:00 (next day), 24 h from
    08:00 (weekends and public holidays)."""
    start = timezone.make_aware(datetime.combine(day, NIGHT_END if preset != "night"
                                                 else NIGHT_START))
    if preset == "day":
        end = timezone.make_aware(datetime.combine(day, NIGHT_START))
    else:
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), NIGHT_END))
    return start, end
