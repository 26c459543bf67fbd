"""Writes of the visits: planning (one-off and series, edits of one occurrence, of the
following ones or of the whole series), double-booking detection, traceability, the missed-visit
alert and the iCalendar tokens."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Membership
from maillage.core.plurals import count_label
from maillage.core.selectors import is_team_member
from maillage.core.validators import (
    SCHEDULE_FIRST_DAY,
    schedule_bounds_message,
    schedule_last_day,
)
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from .elsewhere import BusyElsewhere, find_busy_elsewhere
from .elsewhere import describe as describe_elsewhere
from .models import CalendarToken, Visit, VisitSeries, VisitTask

#: Occurrences of a series are created this far ahead; ``visits_tick`` keeps the horizon moving.
HORIZON_DAYS = 56
#: A visit still not traced this long after its planned end raises an alert (issue 4, item 3).
MISSED_AFTER = timedelta(hours=2)
#: The missed-visit check looks this far back (see ``check_missed``).
MISSED_LOOKBACK = timedelta(hours=24)
#: Reasons for which a visit not done needs no alert (the team already knows).
NO_ALERT_REASONS = {Visit.NotDoneReason.PLANNED_ABSENCE}

SERIES_FIELDS = ("staff", "professional", "service", "place", "frequency", "interval",
                 "weekdays", "times", "duration_minutes", "start_date", "end_date",
                 "instructions", "two_person", "window_before", "window_after")
VISIT_FIELDS = ("staff", "professional", "service", "place", "starts_at", "ends_at",
                "instructions", "two_person", "window_start", "window_end")
#: The rounds' window when the plan gives none: so far before or after the planned time.
DEFAULT_WINDOW_MINUTES = 30
#: 08:00, 8:00, 19h30, 9h, 10H (a bare number is refused: « 8 15 » is not two times).
_TIME = re.compile(r"^([01]?\d|2[0-3])(?:[hH]([0-5]\d)?|:([0-5]\d))$")


# --- Small helpers ---------------------------------------------------------------------------


def parse_times(text: str) -> str:
    """« 8h, 19:00 » → « 08:00,19:00 » (sorted, no duplicates); DomainError otherwise."""
    parts = [p for p in re.split(r"[\s,;/et]+", text or "") if p]
    if not parts:
        raise DomainError("Indiquez au moins une heure de passage (par exemple 08:00).",
                          field="times")
    found = set()
    for part in parts:
        match = _TIME.match(part)
        if not match:
            raise DomainError(f"« {part} » n'est pas une heure : écrivez par exemple 08:00, "
                              "9h ou 19h30.", field="times")
        minutes = match.group(2) or match.group(3) or "00"
        found.add(f"{int(match.group(1)):02d}:{minutes}")
    if len(found) > 8:
        raise DomainError("Huit passages par jour au plus dans une même série.", field="times")
    return ",".join(sorted(found))


def local_dt(day: date, at: str | time) -> datetime:
    """The moment of ``day`` at the wall-clock time ``at`` of the CRT's time zone, in UTC, so
    that adding a visit's minutes to it counts real minutes: a 45-minute visit at 02:30 on the
    night the clocks change lasts 45 minutes, not one hour more or less. A time the spring
    change skips (02:00–02:59) is the moment an hour later (03:30 for 02:30, as iCalendar
    reads it); a time the autumn change repeats is its first occurrence."""
    if isinstance(at, str):
        hours, minutes = at.split(":")
        at = time(int(hours), int(minutes))
    try:
        return timezone.make_aware(datetime.combine(day, at)).astimezone(UTC)
    except OverflowError:  # the first or last hours of year 1 or 9999: past what UTC holds
        return (datetime.min if day.year == 1 else datetime.max).replace(tzinfo=UTC)


def check_schedule(starts_at: datetime, *, field: str = "starts_at") -> None:
    """A visit's start within the schedule, from 01/01/2000 to two years from today (the
    forms' ``validate_schedule_date``): every way of setting it (the forms, moving it on the
    timeline, the rounds) gets the same refusal, and no moment is stored that the pages could
    not show or count from. Compared in UTC: an extreme moment is not turned into a day."""
    if starts_at is None:
        return
    first = local_dt(SCHEDULE_FIRST_DAY, "00:00")
    after_last = local_dt(schedule_last_day() + timedelta(days=1), "00:00")
    if not first <= starts_at < after_last:
        raise DomainError(schedule_bounds_message(), field=field)


#: How far from its planned start a visit's arrival typed as a time may be read on the day
#: before or after (a visit planned at 00:00 begun at 23:55, one planned at 23:40 begun at 00:05).
TRACE_OTHER_DAY = timedelta(hours=6)
#: The longest visit (``visit_mark_done`` refuses more).
TRACE_LONGEST = timedelta(hours=12)


def traced_moments(visit, arrival: time, departure: time) -> tuple[datetime, datetime]:
    """The moments of an arrival and a departure typed as wall-clock times for ``visit``: the
    arrival on the day of the planned start, or on the day before or after when that is
    nearer the plan (within ``TRACE_OTHER_DAY``); the departure on the arrival's day, or the
    next when the visit ran past midnight (a departure earlier than the arrival, at most
    ``TRACE_LONGEST`` later). Otherwise the departure stays before the arrival, and is
    refused as such."""
    day = local_day(visit.starts_at)
    start = local_dt(day, arrival)
    for other in (day - timedelta(days=1), day + timedelta(days=1)):
        candidate = local_dt(other, arrival)
        off = abs(candidate - visit.starts_at)
        if off <= TRACE_OTHER_DAY and off < abs(start - visit.starts_at):
            start = candidate
    end = local_dt(local_day(start), departure)
    if end <= start:
        next_day = local_dt(local_day(start) + timedelta(days=1), departure)
        if next_day - start <= TRACE_LONGEST:
            end = next_day
    return start, end


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _check_actor(crt, staff, professional) -> None:
    if staff is None and professional is None:
        raise DomainError("Indiquez qui fait le passage : un membre de l'équipe ou un "
                          "professionnel partenaire.", field="staff")
    if staff is not None and professional is not None:
        raise DomainError("Un passage est fait par une seule personne : choisissez un membre "
                          "de l'équipe ou un partenaire, pas les deux.", field="professional")
    if staff is not None and not is_team_member(staff, crt):
        raise DomainError("Cette personne n'est pas membre de l'équipe du CRT.", field="staff")
    if professional is not None and professional.crt_id != crt.id:
        raise DomainError("Professionnel inconnu.", field="professional")


def _join_care_team(actor, beneficiary: Beneficiary, staff, professional, day: date) -> None:
    """Whoever visits the home is in the care team (key-box code, notebook): added if not."""
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.beneficiaries.services import care_team_add

    members = CareTeamMember.objects.active().filter(beneficiary=beneficiary)
    if members.filter(Q(user=staff) if staff else Q(professional=professional)).exists():
        return
    role = (staff.profession if staff else professional.get_profession_display()) or \
        "Intervenant·e au domicile"
    try:
        care_team_add(actor=actor, beneficiary=beneficiary, user=staff,
                      professional=professional, role=f"{role} (passages)"[:120], start_date=day)
    except DomainError as error:
        who = staff.get_full_name() if staff else str(professional)
        raise DomainError(
            f"{who} ne fait pas partie du cercle de soins de cette personne. {error.message}",
            field="staff" if staff else "professional") from error


def _check_second(staff, professional, second_staff) -> None:
    if staff is None and professional is None:
        raise DomainError("Indiquez d'abord qui fait le passage.", field="staff")
    if second_staff == staff:
        raise DomainError("Une visite à deux demande deux personnes différentes.",
                          field="second_staff")


def _check_service(crt, service) -> None:
    if service is not None and (service.crt_id != crt.id or not service.is_active):
        raise DomainError("Prestation inconnue ou inactive.", field="service")


# --- Double-booking --------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    visit: Visit
    other: Visit

    def __str__(self) -> str:
        when = timezone.localtime(self.visit.starts_at)
        other = timezone.localtime(self.other.starts_at)
        return (f"{when:%d/%m/%Y %H:%M} : {self.visit.who} a déjà un passage à {other:%H:%M} "
                f"({self.other.beneficiary.display_name})")


def _actor_q(visit) -> Q:
    return Q(staff_id=visit.staff_id) if visit.staff_id else Q(
        professional_id=visit.professional_id)


def find_overlaps(visits: list[Visit], *, ignore_series: VisitSeries | None = None
                  ) -> list[Overlap]:
    """The existing visits (planned or done) of the same professional that overlap ``visits``.

    ``visits`` may be unsaved (a series about to be created). One query per professional.
    """
    if not visits:
        return []
    found: list[Overlap] = []
    by_actor: dict[str, list[Visit]] = {}
    for v in visits:
        by_actor.setdefault(v.actor_key, []).append(v)
    for group in by_actor.values():
        start = min(v.starts_at for v in group)
        end = max(v.ends_at for v in group)
        others = Visit.objects.filter(
            _actor_q(group[0]), crt_id=group[0].crt_id,
            status__in=[Visit.Status.PLANNED, Visit.Status.DONE],
            starts_at__lt=end, ends_at__gt=start,
        ).select_related("beneficiary", "staff", "professional__organization")
        ids = [v.pk for v in group if v.pk]
        if ids:
            others = others.exclude(pk__in=ids)
        if ignore_series is not None:
            others = others.exclude(series=ignore_series, status=Visit.Status.PLANNED,
                                    detached=False)
        others = sorted(others, key=lambda o: o.starts_at)
        for v in sorted(group, key=lambda x: x.starts_at):
            for o in others:
                if o.starts_at >= v.ends_at:
                    break
                if o.ends_at > v.starts_at:
                    found.append(Overlap(v, o))
                    break
    return found


def overlapping_ids(visits) -> set[int]:
    """Among visits already loaded (a day, a week), those overlapping another of the same
    professional. No query."""
    ids: set[int] = set()
    by_actor: dict[str, list[Visit]] = {}
    for v in visits:
        if v.status in (Visit.Status.PLANNED, Visit.Status.DONE):
            by_actor.setdefault(v.actor_key, []).append(v)
    for group in by_actor.values():
        group.sort(key=lambda v: v.starts_at)
        latest = None
        for v in group:
            if latest is not None and v.starts_at < latest.ends_at:
                ids.update({v.pk, latest.pk})
            if latest is None or v.ends_at > latest.ends_at:
                latest = v
    return ids


def _refuse_overlaps(overlaps: list[Overlap], allow: bool,
                     elsewhere: list[BusyElsewhere] | None = None, resting: list = ()) -> None:
    """Refuse a double booking unless confirmed: within the CRT (the other visit named), in
    another CRT the professional also works for (its hours only, ``elsewhere``), and inside a
    carer's rest after a night (``resting``: ``rounds.rest.in_rest``)."""
    if allow or not (overlaps or elsewhere or resting):
        return
    parts = []
    if overlaps:
        shown = "; ".join(str(o) for o in overlaps[:3])
        more = f" (et {count_label(len(overlaps) - 3, 'autre')})" if len(overlaps) > 3 else ""
        parts.append(f"Double réservation : {shown}{more}.")
    if elsewhere:
        parts.append(describe_elsewhere(elsewhere))
    if resting:
        from maillage.rounds.rest import describe as describe_rest

        parts.append(describe_rest(resting))
    raise DomainError(
        f"{' '.join(parts)} Changez l'heure ou l'intervenant, ou cochez "
        "« Planifier malgré l'avertissement ».", field="allow_overlap")


def check_double_booking(visits: list[Visit], *, allow: bool,
                         ignore_series: VisitSeries | None = None) -> None:
    """The double-booking rule of every way of planning or moving visits (the forms, the API,
    the timeline): another visit of the same professional in this CRT, the same account
    already taken in another CRT it works for (``elsewhere``), or a member of staff resting
    after a night's work (``rounds.rest``: the one rule the rounds follow too), is refused
    unless ``allow`` (« Planifier malgré l'avertissement »)."""
    if allow:
        return
    from maillage.rounds.rest import in_rest

    _refuse_overlaps(find_overlaps(visits, ignore_series=ignore_series), allow,
                     find_busy_elsewhere(visits), in_rest(visits))


# --- Series ----------------------------------------------------------------------------------


def _normalise_series(series: VisitSeries) -> None:
    series.times = parse_times(series.times)
    if series.frequency == VisitSeries.Frequency.WEEKLY:
        days = sorted({int(d) for d in str(series.weekdays).split(",") if str(d).strip()})
        if not days:
            raise DomainError("Cochez au moins un jour de la semaine.", field="weekdays")
        if any(d < 0 or d > 6 for d in days):
            raise DomainError("Jour de la semaine inconnu.", field="weekdays")
        series.weekdays = ",".join(str(d) for d in days)
    else:
        series.weekdays = ""
    for field in ("start_date", "end_date"):
        day = getattr(series, field)
        if day is not None and not SCHEDULE_FIRST_DAY <= day <= schedule_last_day():
            raise DomainError(schedule_bounds_message(), field=field)
    if series.end_date and series.end_date < series.start_date:
        raise DomainError("La fin de la série doit suivre son début.", field="end_date")
    _check_actor(series.crt, series.staff, series.professional)
    _check_service(series.crt, series.service)
    validate(series, exclude=["crt", "beneficiary", "planned_action", "service", "staff",
                              "professional", "created_by", "updated_by"])


def _absences(series: VisitSeries, first: date, last: date) -> list[tuple[date, date]]:
    """The person's temporary exits (hospitalisation, holidays…) over [first, last]: no visit
    is generated from their start until the day before the return (``end_date``)."""
    from maillage.admissions.models import Suspension

    return [(start, end or date.max) for start, end in Suspension.objects.filter(
        enrolment__beneficiary_id=series.beneficiary_id, start_date__lte=last).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=first)).values_list("start_date", "end_date")]


def window_of(starts: datetime, before: int | None, after: int | None) -> dict:
    """A visit's window from minutes before and after its start; none when neither is given
    (the rounds then take ``DEFAULT_WINDOW_MINUTES``)."""
    if before is None and after is None:
        return {"window_start": None, "window_end": None}
    return {"window_start": starts - timedelta(minutes=DEFAULT_WINDOW_MINUTES
                                               if before is None else before),
            "window_end": starts + timedelta(minutes=DEFAULT_WINDOW_MINUTES
                                             if after is None else after)}


def window_minutes(visit: Visit) -> dict:
    """The other way round: a visit's window as minutes before and after its start (for its
    form); none without a window."""
    if visit.window_start is None:
        return {}
    return {"window_before": round((visit.starts_at - visit.window_start).total_seconds() / 60),
            "window_after": round((visit.window_end - visit.starts_at).total_seconds() / 60)}


def _occurrences(series: VisitSeries, first: date, last: date,
                 not_before: datetime | None,
                 absent: list[tuple[date, date]] | None = None) -> list[Visit]:
    """The visits of ``series`` over [first, last]; ``absent``: its person's absences (as
    ``_absences`` gives them), when the caller already has them (the demo's bulk load)."""
    visits = []
    if absent is None:
        absent = _absences(series, first, last)
    day = first
    while day <= last:
        if series.occurs_on(day) and not any(s <= day < e for s, e in absent):
            for at in series.time_list:
                starts = local_dt(day, at)
                if not_before is not None and starts < not_before:
                    continue
                visits.append(Visit(
                    crt=series.crt, beneficiary=series.beneficiary, series=series,
                    original_start=starts, staff=series.staff,
                    professional=series.professional, service=series.service,
                    place=series.place, starts_at=starts,
                    ends_at=starts + timedelta(minutes=series.duration_minutes),
                    instructions=series.instructions, two_person=series.two_person,
                    **window_of(starts, series.window_before, series.window_after),
                    created_by=series.updated_by, updated_by=series.updated_by))
        day += timedelta(days=1)
    return visits


def _generate(series: VisitSeries, *, until: date, not_before: datetime | None = None,
              check: bool = False, allow_overlap: bool = True) -> list[Visit]:
    """Create the occurrences of ``series`` from where it stopped up to ``until``."""
    first = series.start_date
    if series.generated_until and series.generated_until >= first:
        first = series.generated_until + timedelta(days=1)
    last = min(until, series.end_date) if series.end_date else until
    if last < first:
        return []
    new = _occurrences(series, first, last, not_before)
    taken = set(Visit.objects.filter(series=series, original_start__isnull=False,
                                     original_start__gte=local_dt(first, "00:00"))
                .values_list("original_start", flat=True))
    new = [v for v in new if v.original_start not in taken]
    if check:
        check_double_booking(new, allow=allow_overlap, ignore_series=series)
    Visit.objects.bulk_create(new, batch_size=500)
    series.generated_until = last
    VisitSeries.objects.filter(pk=series.pk).update(generated_until=last)
    return new


def _horizon(today: date | None = None) -> date:
    return (today or timezone.localdate()) + timedelta(days=HORIZON_DAYS)


@transaction.atomic
def series_create(*, actor, beneficiary: Beneficiary, planned_action=None,
                  allow_overlap: bool = False, not_before: datetime | None = None,
                  second_staff=None, **fields) -> tuple[VisitSeries, list[Visit]]:
    """A recurring visit and its occurrences up to the horizon. Occurrences in the past are
    created only for the demo history (``not_before``); by default they start an hour ago.
    With ``second_staff``, a visit by two (a transfer): a second series, the same but for its
    carer, both marked."""
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    if second_staff is not None:
        _check_second(fields.get("staff"), fields.get("professional"), second_staff)
        fields["two_person"] = True
        series_create(actor=actor, beneficiary=beneficiary, planned_action=planned_action,
                      allow_overlap=allow_overlap, not_before=not_before,
                      **{**fields, "staff": second_staff, "professional": None})
    series = VisitSeries(crt=beneficiary.crt, beneficiary=beneficiary,
                         planned_action=planned_action, created_by=actor, updated_by=actor,
                         **fields)
    if planned_action is not None and planned_action.crt_id != beneficiary.crt_id:
        raise DomainError("Action du plan inconnue.")
    _normalise_series(series)
    series.save()
    _join_care_team(actor, beneficiary, series.staff, series.professional,
                    min(series.start_date, timezone.localdate()))
    # By default, from an hour ago: a visit planned « now » (being done) is kept.
    created = _generate(series, until=_horizon(),
                        not_before=not_before if not_before is not None
                        else timezone.now() - timedelta(hours=1),
                        check=True, allow_overlap=allow_overlap)
    audit_log(actor=actor, action="visit_series.created", obj=series, beneficiary=beneficiary,
              details={"récurrence": series.describe(), "passages créés": len(created)})
    return series, created


def _delete_planned(series: VisitSeries, *, from_moment: datetime,
                    include_detached: bool) -> int:
    qs = Visit.objects.filter(series=series, status=Visit.Status.PLANNED,
                              starts_at__gte=from_moment)
    if not include_detached:
        qs = qs.filter(detached=False)
    return qs.delete()[0]


@transaction.atomic
def series_update(*, actor, series: VisitSeries, version: int, scope: str,
                  visit: Visit | None = None, allow_overlap: bool = False,
                  **fields) -> VisitSeries:
    """Change a series from one occurrence on (``following``) or as a whole (``all``).

    Traced visits are history and never change. Planned occurrences from now on, including
    those edited on their own, follow the new pattern (as « all events » in a calendar
    application). ``following`` ends the series the day before ``visit`` and starts a new one
    from that day with the changes."""
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    if scope not in ("following", "all"):
        raise DomainError("Choisissez « ce passage et les suivants » ou « toute la série ».",
                          field="scope")
    now = timezone.now()
    pivot = local_day(visit.original_start or visit.starts_at) if visit else None
    if scope == "following" and visit is not None and pivot > series.start_date:
        # End the old series the day before, start a new one with the changes.
        old_end = pivot - timedelta(days=1)
        before = snapshot(series, SERIES_FIELDS)
        series.end_date = old_end
        series.generated_until = min(series.generated_until or old_end, old_end)
        series.updated_by = actor
        save_versioned(series, actor=actor, version=version,
                       fields=["end_date", "generated_until"])
        _delete_planned(series, from_moment=max(local_dt(pivot, "00:00"), now),
                        include_detached=True)
        new_fields = {f: getattr(series, f) for f in SERIES_FIELDS}
        new_fields.update(before)
        new_fields.update(fields)
        new_fields["start_date"] = max(pivot, fields.get("start_date") or pivot)
        new_fields["end_date"] = fields.get("end_date", before["end_date"])
        new = VisitSeries(crt=series.crt, beneficiary=series.beneficiary,
                          planned_action=series.planned_action, created_by=actor,
                          updated_by=actor, **new_fields)
        _normalise_series(new)
        new.save()
        _join_care_team(actor, new.beneficiary, new.staff, new.professional,
                        min(new.start_date, timezone.localdate()))
        created = _generate(new, until=_horizon(), not_before=now, check=True,
                            allow_overlap=allow_overlap)
        audit_log(actor=actor, action="visit_series.split", obj=new,
                  beneficiary=series.beneficiary,
                  details={"à partir du": f"{pivot:%d/%m/%Y}", "récurrence": new.describe(),
                           "passages créés": len(created)})
        return new
    before = snapshot(series, SERIES_FIELDS)
    for field, value in fields.items():
        setattr(series, field, value)
    series.updated_by = actor
    _normalise_series(series)
    save_versioned(series, actor=actor, version=version, fields=list(SERIES_FIELDS))
    _join_care_team(actor, series.beneficiary, series.staff, series.professional,
                    timezone.localdate())
    _delete_planned(series, from_moment=now, include_detached=True)
    series.generated_until = local_day(now) - timedelta(days=1)
    created = _generate(series, until=_horizon(), not_before=now, check=True,
                        allow_overlap=allow_overlap)
    audit_log(actor=actor, action="visit_series.updated", obj=series,
              beneficiary=series.beneficiary,
              details={**changes(before, series), "passages recréés": len(created)})
    return series


@transaction.atomic
def series_end(*, actor, series: VisitSeries, version: int, last_day: date) -> VisitSeries:
    """Stop a series after ``last_day``: its planned occurrences after that day are removed."""
    if last_day < series.start_date - timedelta(days=1):
        raise DomainError("La série ne peut pas s'arrêter avant son début.", field="last_day")
    if last_day < series.start_date:
        last_day = series.start_date
    series.end_date = last_day
    series.updated_by = actor
    save_versioned(series, actor=actor, version=version, fields=["end_date"])
    removed = _delete_planned(
        series, from_moment=max(local_dt(last_day + timedelta(days=1), "00:00"),
                                timezone.now()), include_detached=True)
    audit_log(actor=actor, action="visit_series.ended", obj=series,
              beneficiary=series.beneficiary,
              details={"dernier jour": f"{last_day:%d/%m/%Y}", "passages retirés": removed})
    return series


def extend_series(*, today: date | None = None, crt=None) -> int:
    """Move every open series' horizon forward. Returns the number of visits created.

    Incremental: reads only the series with something left to create — not ended, not yet
    generated up to the horizon, and not already generated up to their own end date (a series
    ending before the horizon is complete once generated; it is not read again)."""
    horizon = _horizon(today)
    not_generated = Q(generated_until__isnull=True)
    qs = VisitSeries.objects.filter(
        not_generated | Q(generated_until__lt=horizon),
        Q(end_date__isnull=True)
        | Q(end_date__gte=today or timezone.localdate())
        & (not_generated | Q(generated_until__lt=F("end_date"))),
    )
    if crt is not None:
        qs = qs.filter(crt=crt)
    total = 0
    for series in qs.select_related("crt", "beneficiary", "staff", "professional", "service"):
        with transaction.atomic():
            total += len(_generate(series, until=horizon))
    return total


# --- Temporary exits (hospitalisation, holidays…) --------------------------------------------

#: The reasons a visit is cancelled with when the person is away (see ``visits_suspend``).
ABSENCE_REASONS = (Visit.NotDoneReason.HOSPITALISED, Visit.NotDoneReason.TEMPORARY_EXIT)


@transaction.atomic
def visits_suspend(*, actor, beneficiary: Beneficiary, first_day: date,
                   return_day: date | None, reason: str) -> int:
    """The person is away from ``first_day`` until the day before ``return_day`` (unknown:
    until further notice): their planned visits of that period are cancelled with ``reason``.
    Traced visits are history and stay as they are; the series generate nothing inside the
    period (``_absences``). Returns the number of visits cancelled."""
    if reason not in ABSENCE_REASONS:
        raise DomainError("Motif d'annulation inconnu.")
    qs = Visit.objects.filter(beneficiary=beneficiary, status=Visit.Status.PLANNED,
                              starts_at__gte=local_dt(first_day, "00:00"))
    if return_day is not None:
        qs = qs.filter(starts_at__lt=local_dt(return_day, "00:00"))
    return qs.update(status=Visit.Status.CANCELLED, not_done_reason=reason, updated_by=actor,
                     updated_at=timezone.now(), version=F("version") + 1)


@transaction.atomic
def visits_resume(*, actor, beneficiary: Beneficiary, from_day: date,
                  until_day: date | None = None) -> int:
    """The person is back on ``from_day``: the visits cancelled for their absence from then
    (or from now, when the return is recorded late) until ``until_day`` (excluded; the end of
    the absence as it was known) are planned again: a series' occurrences are generated again
    from its current pattern, the visits planned one by one come back. Returns the number of
    visits planned again."""
    moment = max(local_dt(from_day, "00:00"), timezone.now())
    cancelled = Visit.objects.filter(beneficiary=beneficiary, status=Visit.Status.CANCELLED,
                                     not_done_reason__in=ABSENCE_REASONS,
                                     starts_at__gte=moment)
    if until_day is not None:
        cancelled = cancelled.filter(starts_at__lt=local_dt(until_day, "00:00"))
    cancelled.filter(series__isnull=False, detached=False).delete()
    count = cancelled.update(status=Visit.Status.PLANNED, not_done_reason="", updated_by=actor,
                             updated_at=timezone.now(), version=F("version") + 1)
    day = local_day(moment)
    for series in (VisitSeries.objects.filter(beneficiary=beneficiary)
                   .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
                   .select_related("crt", "beneficiary", "staff", "professional", "service")):
        if series.generated_until is not None and series.generated_until >= day:
            series.generated_until = max(day, series.start_date) - timedelta(days=1)
        count += len(_generate(series, until=_horizon(), not_before=moment))
    return count


# --- One visit -------------------------------------------------------------------------------


def _check_visit(visit: Visit) -> None:
    check_schedule(visit.starts_at)
    _check_actor(visit.crt, visit.staff, visit.professional)
    _check_service(visit.crt, visit.service)
    if visit.ends_at <= visit.starts_at:
        raise DomainError("La fin du passage doit suivre son début.", field="duration_minutes")
    if visit.ends_at.astimezone(UTC) - visit.starts_at.astimezone(UTC) > Visit.LONGEST:
        raise DomainError("Un passage dure douze heures au plus.", field="duration_minutes")
    if (visit.window_start is None) != (visit.window_end is None) or (
            visit.window_start is not None
            and not visit.window_start <= visit.starts_at <= visit.window_end):
        raise DomainError("Le créneau du passage doit encadrer son heure prévue.",
                          field="window_before")
    validate(visit, exclude=["crt", "beneficiary", "series", "service", "staff",
                             "professional", "created_by", "updated_by", "traced_by",
                             "missed_alert"])


@transaction.atomic
def visit_create(*, actor, beneficiary: Beneficiary, allow_overlap: bool = False,
                 second_staff=None, **fields) -> Visit:
    """One visit; with ``second_staff``, a visit by two (a transfer): the second carer's
    visit at the same time, both marked."""
    unknown = set(fields) - set(VISIT_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    if second_staff is not None:
        _check_second(fields.get("staff"), fields.get("professional"), second_staff)
        fields["two_person"] = True
        visit_create(actor=actor, beneficiary=beneficiary, allow_overlap=allow_overlap,
                     **{**fields, "staff": second_staff, "professional": None})
    visit = Visit(crt=beneficiary.crt, beneficiary=beneficiary, created_by=actor,
                  updated_by=actor, **fields)
    _check_visit(visit)
    check_double_booking([visit], allow=allow_overlap)
    visit.save()
    _join_care_team(actor, beneficiary, visit.staff, visit.professional,
                    min(local_day(visit.starts_at), timezone.localdate()))
    audit_log(actor=actor, action="visit.created", obj=visit, beneficiary=beneficiary,
              details={"le": f"{timezone.localtime(visit.starts_at):%d/%m/%Y %H:%M}",
                       "intervenant": visit.who})
    return visit


#: A visit may be moved to the quarter of an hour under way (the timeline's slots), not earlier.
MOVE_GRACE = timedelta(minutes=15)


@transaction.atomic
def visit_update(*, actor, visit: Visit, version: int, allow_overlap: bool = False,
                 **fields) -> Visit:
    """Change this occurrence only: it is detached from its series."""
    unknown = set(fields) - set(VISIT_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    if visit.is_traced:
        raise DomainError("Ce passage est déjà tracé : il ne peut plus être déplacé.")
    moved = "starts_at" in fields and fields["starts_at"] != visit.starts_at
    before = snapshot(visit, VISIT_FIELDS)
    for field, value in fields.items():
        setattr(visit, field, value)
    if visit.window_start and not ("window_start" in fields or "window_end" in fields) \
            and not visit.window_start <= visit.starts_at <= visit.window_end:
        # Moved out of the window agreed with the person: the new time is the agreement now.
        visit.window_start = visit.window_end = None
    visit.detached = visit.series_id is not None
    visit.updated_by = actor
    _check_visit(visit)
    if moved and visit.starts_at < timezone.now() - MOVE_GRACE:
        # Planned in the past, it would be at once « non tracé » and raise the missed-visit
        # alert: a visit done at another time is traced with its real times instead.
        raise DomainError("Ce moment est passé : un passage ne se déplace que vers un moment à "
                          "venir (un passage déjà fait se trace avec ses heures réelles).",
                          field="starts_at")
    check_double_booking([visit], allow=allow_overlap)
    save_versioned(visit, actor=actor, version=version, fields=[*VISIT_FIELDS, "detached"])
    _join_care_team(actor, visit.beneficiary, visit.staff, visit.professional,
                    timezone.localdate())
    audit_log(actor=actor, action="visit.updated", obj=visit, beneficiary=visit.beneficiary,
              details=changes(before, visit))
    return visit


@transaction.atomic
def visit_cancel(*, actor, visit: Visit, version: int) -> Visit:
    if visit.status != Visit.Status.PLANNED:
        raise DomainError("Seul un passage prévu peut être annulé.")
    visit.status = Visit.Status.CANCELLED
    visit.detached = visit.series_id is not None
    visit.updated_by = actor
    save_versioned(visit, actor=actor, version=version, fields=["status", "detached"])
    audit_log(actor=actor, action="visit.cancelled", obj=visit, beneficiary=visit.beneficiary)
    return visit


# --- Traceability ----------------------------------------------------------------------------


def may_trace(*, user, roles, visit: Visit) -> bool:
    """The professional of the visit traces it; a planner may correct."""
    from maillage.core.permissions import has_permission

    if has_permission(roles, "visit.plan"):
        return True
    if not has_permission(roles, "visit.trace"):
        return False
    return visit.staff_id == user.id or bool(
        visit.professional_id and visit.professional.user_id == user.id)


#: How long before its planned start a visit may be traced (one arrives early).
TRACE_AHEAD = timedelta(hours=1)


def _check_traceable(visit: Visit, now: datetime) -> None:
    if visit.status == Visit.Status.CANCELLED:
        raise DomainError("Ce passage a été annulé.")
    if visit.starts_at > now + TRACE_AHEAD:
        raise DomainError("Ce passage n'a pas encore commencé : il se trace sur place ou "
                          "après.")


@transaction.atomic
def visit_mark_started(*, actor, visit: Visit, version: int, actual_start: datetime) -> Visit:
    """The professional arrived (« Arrivée », on the phone): the visit stays planned, with its
    arrival time, until it is traced. A second arrival keeps the first."""
    now = timezone.now()
    _check_traceable(visit, now)
    if visit.status != Visit.Status.PLANNED:
        raise DomainError("Ce passage est déjà tracé.")
    if actual_start > now + timedelta(minutes=5):
        raise DomainError("Cette heure d'arrivée est dans le futur.", field="actual_start")
    if visit.actual_start is not None:
        return visit
    visit.actual_start, visit.updated_by = actual_start, actor
    save_versioned(visit, actor=actor, version=version, fields=["actual_start"])
    audit_log(actor=actor, action="visit.started", obj=visit, beneficiary=visit.beneficiary)
    return visit


def _record_tasks(*, actor, visit: Visit, tasks: list[dict]) -> None:
    """``tasks``: ``{"action": PlannedAction, "done": bool, "reason": str}`` for actions of
    this visit (``selectors.tasks_of``); an action not done needs its reason."""
    from .selectors import tasks_of

    allowed = {a.pk: a for a in tasks_of([visit]).get(visit.pk, [])}
    rows = []
    for task in tasks:
        action = task["action"]
        if action.pk not in allowed:
            raise DomainError("Cette action ne fait pas partie du plan pour ce passage.",
                              field="tasks")
        reason = (task.get("reason") or "").strip()
        if not task["done"] and not reason:
            raise DomainError(f"Dites pourquoi « {action.description} » n'a pas été faite.",
                              field="tasks")
        rows.append(VisitTask(crt=visit.crt, visit=visit, action=action,
                              description=action.description, done=bool(task["done"]),
                              reason="" if task["done"] else reason[:300],
                              created_by=actor, updated_by=actor))
    VisitTask.objects.filter(visit=visit).delete()
    VisitTask.objects.bulk_create(rows)


def _check_no_overlap(visit: Visit, actual_start: datetime, actual_end: datetime) -> None:
    """One professional is at one home at a time: the times of a visit may not overlap
    another visit of theirs already traced as done (its person is theirs to know)."""
    who = ({"staff_id": visit.staff_id} if visit.staff_id
           else {"professional_id": visit.professional_id} if visit.professional_id else None)
    if who is None:
        return
    clash = (Visit.objects.filter(crt=visit.crt, status=Visit.Status.DONE, **who,
                                  actual_start__lt=actual_end, actual_end__gt=actual_start)
             .exclude(pk=visit.pk).select_related("beneficiary").order_by("actual_start")
             .first())
    if clash is not None:
        start, end = (timezone.localtime(clash.actual_start),
                      timezone.localtime(clash.actual_end))
        raise DomainError(f"Ces heures chevauchent le passage déjà tracé chez "
                          f"{clash.beneficiary.display_name} le {start:%d/%m} de "
                          f"{start:%H:%M} à {end:%H:%M} : vérifiez les heures.",
                          field="actual_start")


@transaction.atomic
def visit_mark_done(*, actor, roles, visit: Visit, version: int, actual_start: datetime,
                    actual_end: datetime, report: str = "", note_text: str = "",
                    note_category: str = "general", note_visibility: str = "team",
                    access=None, tasks: list[dict] | None = None,
                    offline: bool = False) -> Visit:
    now = timezone.now()
    _check_traceable(visit, now)
    if actual_end <= actual_start:
        raise DomainError("L'heure de départ doit suivre l'heure d'arrivée.", field="actual_end")
    if actual_start > now + timedelta(minutes=5) or actual_end > now + timedelta(minutes=5):
        raise DomainError("Ces heures sont dans le futur.", field="actual_end")
    if actual_end - actual_start > TRACE_LONGEST:
        raise DomainError("Un passage de plus de 12 heures ? Vérifiez les heures.",
                          field="actual_end")
    _check_no_overlap(visit, actual_start, actual_end)
    visit.status, visit.actual_start, visit.actual_end = (
        Visit.Status.DONE, actual_start, actual_end)
    visit.report, visit.not_done_reason = report.strip(), ""
    visit.traced_at, visit.traced_by, visit.updated_by = now, actor, actor
    visit.detached = visit.series_id is not None
    visit.traced_offline = offline
    save_versioned(visit, actor=actor, version=version,
                   fields=["status", "actual_start", "actual_end", "report", "not_done_reason",
                           "traced_at", "traced_by", "detached", "traced_offline"])
    if tasks is not None:
        _record_tasks(actor=actor, visit=visit, tasks=tasks)
    audit_log(actor=actor, action="visit.done", obj=visit, beneficiary=visit.beneficiary,
              details={"saisi hors ligne": True} if offline else None)
    if note_text.strip():
        from maillage.care.services import note_add

        note_add(actor=actor, roles=roles, beneficiary=visit.beneficiary, access=access,
                 category=note_category, visibility=note_visibility, text=note_text)
    return visit


@transaction.atomic
def visit_mark_not_done(*, actor, visit: Visit, version: int, reason: str,
                        comment: str = "", offline: bool = False) -> Visit:
    now = timezone.now()
    _check_traceable(visit, now)
    if reason not in Visit.NotDoneReason.values:
        raise DomainError("Choisissez le motif.", field="reason")
    if reason == Visit.NotDoneReason.OTHER and not comment.strip():
        raise DomainError("Précisez la raison.", field="comment")
    visit.status, visit.not_done_reason, visit.report = (
        Visit.Status.NOT_DONE, reason, comment.strip())
    visit.actual_start = visit.actual_end = None
    visit.traced_at, visit.traced_by, visit.updated_by = now, actor, actor
    visit.detached = visit.series_id is not None
    visit.traced_offline = offline
    save_versioned(visit, actor=actor, version=version,
                   fields=["status", "not_done_reason", "report", "actual_start", "actual_end",
                           "traced_at", "traced_by", "detached", "traced_offline"])
    VisitTask.objects.filter(visit=visit).delete()
    audit_log(actor=actor, action="visit.not_done", obj=visit, beneficiary=visit.beneficiary,
              details={"motif": visit.get_not_done_reason_display()})
    if reason not in NO_ALERT_REASONS and visit.missed_alert_id is None:
        _raise_missed(visit, actor=actor, because=visit.get_not_done_reason_display())
    return visit


def _raise_missed(visit: Visit, *, actor, because: str):
    from maillage.care.models import Alert
    from maillage.care.services import alert_raise

    when = timezone.localtime(visit.starts_at)
    severity = (Alert.Severity.HIGH if visit.not_done_reason in ("", Visit.NotDoneReason.NO_ANSWER)
                else Alert.Severity.MEDIUM)
    alert = alert_raise(
        actor=actor, beneficiary=visit.beneficiary, kind=Alert.Kind.MISSED_VISIT,
        severity=severity,
        description=f"Passage du {when:%d/%m/%Y} à {when:%H:%M} ({visit.label}, {visit.who}) : "
                    f"{because}." + (f" {visit.report}" if visit.report else ""))
    Visit.objects.filter(pk=visit.pk).update(missed_alert=alert)
    visit.missed_alert = alert
    return alert


def check_missed(*, now: datetime | None = None, crt=None,
                 lookback: timedelta | None = MISSED_LOOKBACK) -> list[Visit]:
    """Raise a « passage non réalisé » alert for each visit still not traced
    ``MISSED_AFTER`` after its planned end. Each visit raises at most one alert.

    Only visits that ended within ``lookback`` are considered: after the server was stopped
    for days, the team gets the alerts of the last day, not hundreds of stale ones (older gaps
    stay visible on the calendars as « prévu » in the past)."""
    now = now or timezone.now()
    qs = Visit.objects.filter(status=Visit.Status.PLANNED, ends_at__lte=now - MISSED_AFTER,
                              missed_alert__isnull=True)
    if lookback is not None:
        qs = qs.filter(ends_at__gte=now - lookback)
    if crt is not None:
        qs = qs.filter(crt=crt)
    raised = []
    for visit in qs.select_related("crt", "beneficiary", "staff", "service",
                                   "professional__organization"):
        with transaction.atomic():
            # Checked again under a row lock: two runs at once (a slow run overlapping the
            # next one) raise one alert.
            if not Visit.objects.select_for_update().filter(
                    pk=visit.pk, status=Visit.Status.PLANNED, missed_alert__isnull=True).exists():
                continue
            _raise_missed(visit, actor=None,
                          because="non tracé deux heures après la fin prévue")
        raised.append(visit)
    return raised


# --- iCalendar tokens ------------------------------------------------------------------------


@transaction.atomic
def calendar_token_create(*, actor, crt) -> str:
    """A new private address (the previous one stops working). Returns the token, shown once."""
    token = CalendarToken.new_token()
    CalendarToken.objects.filter(crt=crt, user=actor).delete()
    CalendarToken.objects.create(crt=crt, user=actor, token_hash=CalendarToken.hash(token))
    audit_log(actor=actor, action="calendar_token.created", crt=crt)
    return token


@transaction.atomic
def calendar_token_revoke(*, actor, crt) -> bool:
    deleted = CalendarToken.objects.filter(crt=crt, user=actor).delete()[0] > 0
    if deleted:
        audit_log(actor=actor, action="calendar_token.revoked", crt=crt)
    return deleted


def calendar_token_use(*, token: str) -> CalendarToken | None:
    """The live token behind a feed address (its owner still active in its CRT), its last use
    recorded; None for an unknown, revoked or orphaned address."""
    found = (CalendarToken.objects.filter(token_hash=CalendarToken.hash(token))
             .select_related("crt", "user").first())
    if found is None or not found.user.is_active or not Membership.objects.filter(
            crt=found.crt, user=found.user, is_active=True).exists():
        return None
    CalendarToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found
