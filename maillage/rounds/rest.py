"""The rest after a night's work: the one rule of it, read by the rounds (``day.day_problem``
gives a carer no visit during it) and by the booking of a visit (``visits.services``: a visit
planned inside it asks for a confirmation, as a double booking does).

The Code du travail (L3131-1) asks for 11 consecutive hours of daily rest; the team expects no
day visit from a carer who worked the night before those 11 hours are over. Her night's work is
what she did of the CRT's that overlaps the heart of the night (22:00 → 06:00, ``NIGHT``):

- an on-call turn that travels (``oncall.Shift``, duty « Répond et se déplace » or « Se déplace
  au domicile »), from its start to its end, called out or not: she is on the road for the
  night round;
- an outing during a call (``oncall.Call`` with « déplacement », the one who went:
  ``travelled_by``), until the end of the intervention (``left_at``; not written yet: the end
  of her turn then, else the latest time written). A turn that only answers the telephone, or
  a nurse's or doctor's advice turn, is rest by itself (L3121-10: on call, only the
  interventions are work): it limits the next day only through its outings, known once they
  are written — so only the morning after, never ahead;
- her night hours (``CarerHours`` of the evening's weekday that end the next morning);
- her visits (planned or done) that start in the heart of the night, until their end.

Her night's work for the other CRTs she works for (the shared night nurse: an active membership
there) counts too, read by ``visits.elsewhere.night_work`` — the start and end of the same
turns, outings, night hours and visits there, nothing else — and shown as « fin de son travail
de nuit dans un autre CRT à 07:00 » (``ELSEWHERE``), never naming that CRT nor anything of it.

Her rest runs from the end of the last of them for ``REST``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from maillage.core.plurals import count_label

#: The heart of the night (from, until), local hours: anyone's visit then is the night round's,
#: and any work overlapping it is a night's work.
NIGHT = (22, 6)
#: The daily rest (Code du travail L3131-1).
REST = timedelta(hours=11)

TURN, OUTING, HOURS, VISITS = ("son tour d'astreinte", "son déplacement d'astreinte",
                               "ses horaires de nuit", "ses passages de nuit")
#: Her night's work in another CRT: what it was, and where, is not this CRT's to know.
ELSEWHERE = "son travail de nuit dans un autre CRT"


@dataclass(frozen=True)
class Rest:
    """A carer's rest after a night: from the end of her night's work (``after``: what it was)
    for ``REST``. ``busy_from``: when that last work began (an outing whose end is not written,
    a night visit running past 06:00: no day visit then either). Her turn, her night hours,
    her night in another CRT are hers to work — the night round's visits are made during
    them —, so with them it is the end itself."""

    user_id: int
    starts_at: datetime
    after: str
    busy_from: datetime | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + REST

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return start < self.ends_at and end > (self.busy_from or self.starts_at)

    def _at(self, moment: datetime, day: date | None) -> tuple[str, str]:
        """The time, with its date when not ``day``'s: (« 19:00 », ""), (« 23:30 », « 06/12 »)."""
        local = timezone.localtime(moment)
        return f"{local:%H:%M}", "" if day is None or local.date() == day else f"{local:%d/%m}"

    def until(self, day: date | None = None) -> str:
        """When it ends, after « jusqu' »: « à 19:00 », « au 07/12 à 01:00 »."""
        at, on = self._at(self.ends_at, day)
        return f"au {on} à {at}" if on else f"à {at}"

    def label(self, day: date | None = None) -> str:
        """« Repos après la nuit jusqu'à 19:00 »."""
        return f"Repos après la nuit jusqu'{self.until(day)}"

    def why(self, day: date | None = None) -> str:
        """« fin de son tour d'astreinte à 08:00 » (« … le 06/12 à 23:30 »)."""
        at, on = self._at(self.starts_at, day)
        return f"fin de {self.after} " + (f"le {on} à {at}" if on else f"à {at}")


def night_of(day: date) -> tuple[datetime, datetime]:
    """The heart of the night before ``day``: from the day before's 22:00 to ``day``'s 06:00."""
    from maillage.visits.services import local_dt

    return (local_dt(day - timedelta(days=1), f"{NIGHT[0]:02d}:00"),
            local_dt(day, f"{NIGHT[1]:02d}:00"))


def turn_ends(*, crt_id: int, who: Q, first: date, last: date) -> dict[date, datetime]:
    """For each night before ``first`` … ``last`` (its heart, ``night_of``; keyed by the
    morning's day), the end of the latest on-call turn of ``who`` (a ``Q`` on a turn's
    ``staff`` / ``professional``, e.g. ``visits.selectors.mine``) that is a night's work as
    ``rests`` counts it: one that travels (``Shift.TRAVELS``) and overlaps that heart. Nights
    without such a turn are left out. One query."""
    from maillage.oncall.models import Shift

    nights = {d: night_of(d) for d in
              (first + timedelta(days=n) for n in range((last - first).days + 1))}
    if not nights:
        return {}
    ends: dict[date, datetime] = {}
    for start, end in (Shift.objects.filter(who, crt_id=crt_id, duty__in=Shift.TRAVELS,
                                            starts_at__lt=nights[last][1],
                                            ends_at__gt=nights[first][0])
                       .values_list("starts_at", "ends_at")):
        for day, (night_start, night_end) in nights.items():
            if start < night_end and end > night_start and (day not in ends
                                                           or end > ends[day]):
                ends[day] = end
    return ends


def night_hours(*, crt_id: int, user_ids, first: date, last: date
                ) -> list[tuple[int, date, datetime, datetime]]:
    """The night hours of the carers of ``user_ids`` for the nights before ``first`` …
    ``last``: their ``CarerHours`` of each night's evening that end the next morning, as
    (user id, the morning's day, start, end). One query, none when ``user_ids`` is empty."""
    from .day import hours_span, moment
    from .models import CarerHours

    ids = sorted({i for i in user_ids if i})
    mornings = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if not ids or not mornings:
        return []
    found = []
    for h in CarerHours.objects.filter(crt_id=crt_id, user_id__in=ids,
                                       weekday__in={(d.weekday() - 1) % 7 for d in mornings}):
        begin, end = hours_span(h)
        if end <= 1440:
            continue
        for d in mornings:
            evening = d - timedelta(days=1)
            if evening.weekday() == h.weekday:
                found.append((h.user_id, d, moment(evening, begin), moment(evening, end)))
    return found


def rests(*, crt_id: int, user_ids, first: date, last: date,
          ignore_visits=()) -> dict[int, list[Rest]]:
    """For each carer of ``user_ids`` who worked one of the nights before ``first`` … ``last``
    (each of these days' early hours), here or in another CRT she works for, her rest after
    it, sorted. ``ignore_visits``: ids of visits not to count (those being moved). Six queries
    (four here, two elsewhere), none when ``user_ids`` is empty."""
    from maillage.oncall.models import Call, Shift
    from maillage.visits.elsewhere import BUSY_STATUSES, night_work
    from maillage.visits.models import Visit

    ids = sorted({i for i in user_ids if i})
    if not ids or last < first:
        return {}
    nights = [(d, *night_of(d)) for d in
              (first + timedelta(days=n) for n in range((last - first).days + 1))]
    since, until = nights[0][1], nights[-1][2]
    work: list[tuple[int, datetime, datetime, str]] = []
    turns = list(Shift.objects.filter(crt_id=crt_id, staff_id__in=ids, starts_at__lt=until,
                                      ends_at__gt=since - timedelta(days=1))
                 .values_list("staff_id", "duty", "starts_at", "ends_at"))
    work += [(staff, start, end, TURN) for staff, duty, start, end in turns
             if duty in Shift.TRAVELS]
    for who, received, departed, arrived, left in Call.objects.filter(
            crt_id=crt_id, call_out=True, travelled_by_id__in=ids, received_at__lt=until,
            received_at__gte=since - timedelta(days=1)).values_list(
            "travelled_by_id", "received_at", "departed_at", "arrived_at", "left_at"):
        if left is None:  # not over, or not written yet: her turn's end, else the latest time
            left = next((e for staff, _, s, e in turns if staff == who and s <= received < e),
                        max(t for t in (received, departed, arrived) if t is not None))
        work.append((who, departed or received, left, OUTING))
    work += [(who, start, end, HOURS) for who, _, start, end in
             night_hours(crt_id=crt_id, user_ids=ids, first=first, last=last)]
    work += [(staff, start, actual or end, VISITS) for staff, start, end, actual in
             Visit.objects.filter(crt_id=crt_id, staff_id__in=ids, status__in=BUSY_STATUSES,
                                  starts_at__gte=since, starts_at__lt=until)
             .filter(Q(starts_at__hour__gte=NIGHT[0]) | Q(starts_at__hour__lt=NIGHT[1]))
             .exclude(pk__in=list(ignore_visits))
             .values_list("staff_id", "starts_at", "ends_at", "actual_end")]
    # Last: on a tie, her night here is the one said.
    work += [(who, start, end, ELSEWHERE) for who, slots in night_work(
        crt_id=crt_id, user_ids=ids, start=since, end=until).items() for start, end in slots]
    found: dict[int, set[Rest]] = {}
    for _, night_start, night_end in nights:
        ends: dict[int, tuple[datetime, str, datetime]] = {}
        for who, start, end, what in work:
            if start < night_end and end > night_start and (
                    who not in ends or end > ends[who][0]):
                ends[who] = (end, what, end if what in (HOURS, TURN, ELSEWHERE) else start)
        for who, (end, what, busy_from) in ends.items():
            found.setdefault(who, set()).add(Rest(who, end, what, busy_from))
    return {who: sorted(found[who], key=lambda r: r.starts_at) for who in found}


def rests_of_day(*, crt_id: int, user_ids, day: date) -> dict[int, Rest]:
    """The rest after the night before ``day`` of each carer of ``user_ids`` who worked it."""
    return {who: found[-1] for who, found in
            rests(crt_id=crt_id, user_ids=user_ids, first=day, last=day).items()}


def in_rest(visits) -> list[tuple[object, Rest]]:
    """Among ``visits`` (of one CRT, possibly unsaved: a series about to be created), those of a
    member of staff planned inside her rest after a night, each with that rest (six queries;
    none when no visit has a member of staff)."""
    wanted = [v for v in visits if v.staff_id]
    if not wanted:
        return []
    found = rests(crt_id=wanted[0].crt_id, user_ids={v.staff_id for v in wanted},
                  first=min(timezone.localtime(v.starts_at).date() for v in wanted)
                  - timedelta(days=1),
                  last=max(timezone.localtime(v.ends_at).date() for v in wanted),
                  ignore_visits={v.pk for v in wanted if v.pk})
    hits = []
    for v in sorted(wanted, key=lambda v: v.starts_at):
        rest = next((r for r in found.get(v.staff_id, ()) if r.overlaps(v.starts_at, v.ends_at)),
                    None)
        if rest is not None:
            hits.append((v, rest))
    return hits


def describe(found: list[tuple[object, Rest]]) -> str:
    """The booking's warning, in French: whose rest, until when, after what."""
    def one(visit, rest: Rest) -> str:
        day = timezone.localtime(visit.starts_at).date()
        who = visit.staff.get_full_name() or visit.staff.username
        return (f"{rest.label(day)} pour {who} ({rest.why(day)}, 11 heures de repos "
                f"quotidien)")
    if len(found) == 1:
        return one(*found[0]) + "."
    shown = " ; ".join(f"le {timezone.localtime(v.starts_at):%d/%m/%Y} : {one(v, r)}"
                       for v, r in found[:3])
    more = f" (et {count_label(len(found) - 3, 'autre')})" if len(found) > 3 else ""
    return f"{shown}{more}."
