"""A CRT's day as a rounds problem, and the current plan compared with a proposal.

The day's problem (``day_problem``):

- the tasks are the day's planned home visits done by the CRT's staff (a directory
  professional's visits are theirs to plan; a suspended visit is cancelled, never planned),
  from 6:00 to 22:00 (the heart of the night, ``NIGHT``, is the night round's);
  today, only those that have not started, never moved before now (each carer is taken to
  start from the base: where they are on their round is not known);
- a visit may start within the window agreed with the person (``Visit.window_start`` …
  ``window_end``, from the plan or the series), else up to ``WINDOW_MINUTES`` before or after
  its planned time; a locked visit (confirmed with the person) stays at its time, with its
  carer;
- the qualification a visit needs is its service's (``Service.qualification``), else the
  profession of the member of staff it is planned with (nurse, care aide, psychologist…:
  ``PROFESSIONS``, in that order when a member holds two); a member of staff with none of
  them keeps their own visits;
- a two-person visit (a transfer) is its two halves, the visits of the same person at the same
  time both marked ``two_person``: the solver gives them the same start and two carers; a half
  without its partner is not planned, and says why;
- the carers are the members of staff who have visits that day or hours for that weekday
  (``CarerHours``), minus those excluded (« Marie est malade ce matin »), none of them during
  her on-call turn nor her rest after a night's work (``rest``). With hours, a carer
  works them, from the base or her home, and a break splits her day in two rounds; without,
  from an hour before her first visit to an hour after her last (``SHIFT_MARGIN``), from the
  CRT's base;
- travel comes from ``travel.matrices`` over the base and the communes (people's, carers'),
  with the times learned from the visits done in the last ``LEARN_DAYS`` days.

The night (``night=True``) is planned the same way over the on-call turns that travel, from
the evening of ``day``: the night nurse's round, keeping the calls' expected time free. Vehicles
are a carer's hours' (``CarerHours.vehicle``): her travel times × ``CarerHours.SLOWNESS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from maillage.core.models import MembershipRole
from maillage.core.roles import QUALIFICATIONS
from maillage.territory import reference
from maillage.territory.models import Commune
from maillage.visits.models import Place as VisitPlace
from maillage.visits.models import Visit
from maillage.visits.selectors import day_bounds
from maillage.visits.services import DEFAULT_WINDOW_MINUTES

from . import travel
from .models import CarerHours
from .rest import NIGHT, Rest, rests_of_day
from .solver import Plan, Problem, ProblemError, Route, Task, Worker, solve
from .solver import Visit as PlannedVisit

WINDOW_MINUTES = DEFAULT_WINDOW_MINUTES
SHIFT_MARGIN = 60
PROFESSIONS = QUALIFICATIONS
CONTINUITY_DAYS = 60
#: The visits' actual times teach the travel times over this many days.
LEARN_DAYS = 90
#: The night's calls are foreseen from this many days of calls.
CALL_DAYS = 60
#: What giving a visit to a carer the person does not know costs, in metres: a change of carer
#: is proposed only when it saves more driving than this (or removes a late visit).
CHANGE_COST_METRES = 8000


@dataclass
class DayProblem:
    crt: object
    day: date
    problem: Problem
    visits: dict[str, Visit]  # task key -> visit
    midnight: datetime
    #: Visits not given to the solver, with why (a two-person visit without its partner).
    refused: dict[str, str] = field(default_factory=dict)
    #: At night, the minutes each on-call turn keeps free for the calls.
    reserve: int = 0
    #: The carers absent (ids), and those absent until a time only (worker key -> minutes
    #: from the day's midnight).
    excluded: frozenset[int] = frozenset()
    back: dict[str, int] = field(default_factory=dict)
    #: When the current plan is kept: the solver's best other plan, not as good.
    alternative: Plan | None = None
    #: The carers resting after the night before (worker key -> her rest, ``rest.rests``).
    rests: dict[str, Rest] = field(default_factory=dict)


def _minutes(midnight: datetime, at: datetime) -> int:
    """Minutes of the wall clock (Europe/Paris) from the day's midnight: 8:30 is 510, even on
    the days the clocks change."""
    local = timezone.localtime(at)
    return (local.date() - midnight.date()).days * 1440 + local.hour * 60 + local.minute


def moment(day: date, minutes: int) -> datetime:
    """The moment (UTC) of ``minutes`` past the day's midnight on the wall clock, 8:30 for 510
    (read as ``visits.services.local_dt`` reads a time). In UTC, so that a visit's duration
    added to it counts real minutes on the nights the clocks change."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time())
                               + timedelta(minutes=minutes)).astimezone(UTC)


def base_place(crt) -> travel.Place:
    """The CRT's base: its commune in the territory, else in the national reference."""
    commune = Commune.objects.filter(crt=crt, postal_code=crt.base_postal_code,
                                     name__iexact=crt.base_city).first()
    if commune is not None and commune.has_position:
        return travel.Place("base", float(commune.latitude), float(commune.longitude))
    ref = reference.lookup_by_name(crt.base_city, crt.base_postal_code)
    if ref is None or not ref.has_position:
        raise ProblemError(f"La position du site du CRT est inconnue : la commune « "
                           f"{crt.base_city} » ({crt.base_postal_code}) n'est pas trouvée.")
    return travel.Place("base", float(ref.latitude), float(ref.longitude))


def commune_place(commune: Commune) -> travel.Place:
    """A commune of the CRT's territory as a place of the rounds (its position if known, its
    recorded travel time from the base)."""
    return travel.Place(commune.insee_code,
                        float(commune.latitude) if commune.has_position else None,
                        float(commune.longitude) if commune.has_position else None,
                        commune.travel_minutes)


def _window(midnight: datetime, v: Visit, not_before: int) -> tuple[int, int]:
    """When the visit may start: the window agreed with the person, else ± ``WINDOW_MINUTES``
    around its planned time; never before ``not_before`` (today: now)."""
    start = _minutes(midnight, v.starts_at)
    if v.window_start is not None:
        earliest = min(start, _minutes(midnight, v.window_start))
        latest = max(start, _minutes(midnight, v.window_end))
    else:
        earliest, latest = start - WINDOW_MINUTES, start + WINDOW_MINUTES
    return max(not_before, earliest, 0), max(latest, not_before)


def _pairs(visits) -> tuple[dict[int, str], dict[int, str]]:
    """The two-person visits: for each half, the key of its pair; the halves without a partner
    at the same time, with why they cannot be planned."""
    halves: dict[tuple, list[Visit]] = {}
    for v in visits:
        if v.two_person:
            halves.setdefault((v.beneficiary_id, v.starts_at), []).append(v)
    together, alone = {}, {}
    for (beneficiary_id, starts_at), group in halves.items():
        if len(group) == 1:
            alone[group[0].pk] = ("Visite à deux dont le second passage n'est pas prévu à la "
                                  "même heure : corrigez d'abord le planning.")
        else:
            together.update({v.pk: f"pair:{beneficiary_id}:{starts_at:%H%M}" for v in group})
    return together, alone


def night_turns(crt, day: date):
    """The on-call turns of the CRT's staff who travel to the homes, starting between
    ``day`` 18:00 and the next day's 06:00 (the night from ``day``'s evening)."""
    from maillage.oncall.models import Shift

    midnight, _ = day_bounds(day)
    return list(Shift.objects.filter(
        crt=crt, staff__isnull=False, duty__in=Shift.TRAVELS,
        starts_at__gte=midnight + timedelta(hours=18),
        starts_at__lt=midnight + timedelta(hours=30)).select_related("staff")
        .order_by("starts_at"))


def night_span(crt, day: date, night_hours=()) -> tuple[datetime, datetime, list]:
    """The night from ``day``'s evening: the on-call turns that travel (``night_turns``) and
    the hours of the carers who work that night (``night_hours``: their hours of that weekday
    that end the next morning); the span from the first start to the last end."""
    shifts = night_turns(crt, day)
    bounds = [(s.starts_at, s.ends_at) for s in shifts] + [
        (moment(day, begin), moment(day, end))
        for h in night_hours for begin, end in [hours_span(h)]]
    if not bounds:
        raise ProblemError(f"Aucun tour d'astreinte de nuit qui se déplace n'est prévu la nuit "
                           f"du {day:%d/%m/%Y}, et personne n'y a ses horaires : personne pour "
                           f"la tournée de nuit.")
    return min(b for b, _ in bounds), max(e for _, e in bounds), shifts


def hours_span(hours: CarerHours) -> tuple[int, int]:
    """Her hours in minutes from the day's midnight: past 24:00 when they end the next
    morning (20:00 → 08:00 is 1,200 → 1,920)."""
    begin = hours.starts.hour * 60 + hours.starts.minute
    end = hours.ends.hour * 60 + hours.ends.minute
    return begin, end + 1440 if end <= begin else end


def hours_parts(hours: CarerHours) -> list[tuple[int, int]]:
    """Her hours as rounds, in minutes from the day's midnight: one, or two around a break
    (each end past 24:00 when it falls the next morning)."""
    begin, end = hours_span(hours)
    if hours.break_start is None:
        return [(begin, end)]

    def after_start(t) -> int:
        minutes = t.hour * 60 + t.minute
        return minutes + 1440 if minutes < begin else minutes

    return [(begin, after_start(hours.break_start)), (after_start(hours.break_end), end)]


def call_reserve_minutes(crt, midnight: datetime) -> int:
    """The time the night's calls are expected to take on the road: the call-outs of the last
    ``CALL_DAYS`` nights (from leaving to the end of the intervention) over the nights with an
    on-call turn that travels, rounded up to a quarter of an hour (two queries)."""
    from maillage.oncall.models import Call, Shift

    since = midnight - timedelta(days=CALL_DAYS)
    nights = Shift.objects.filter(crt=crt, duty__in=Shift.TRAVELS, starts_at__gte=since,
                                  starts_at__lt=midnight).filter(
        Q(starts_at__hour__gte=18) | Q(starts_at__hour__lt=6)).count()
    if not nights:
        return 0
    total = 0.0
    for departed, left in Call.objects.filter(
            crt=crt, call_out=True, received_at__gte=since, received_at__lt=midnight,
            departed_at__isnull=False, left_at__isnull=False).filter(
            Q(received_at__hour__gte=20) | Q(received_at__hour__lt=8)).values_list(
            "departed_at", "left_at"):
        total += max(0.0, (left - departed).total_seconds() / 60)
    return -(-round(total / nights) // 15) * 15


def day_problem(*, crt, day: date, exclude: frozenset[int] = frozenset(),
                locked: frozenset[int] = frozenset(), night: bool = False,
                absent_until: int | None = None) -> DayProblem:
    """``exclude``: ids of members of staff who do not work (until ``absent_until``, minutes
    from the day's midnight, when given: « malade ce matin »); ``locked``: ids of visits fixed.
    ``night``: the night from ``day``'s evening, by its on-call turns that travel (the night
    nurse's round), each keeping the calls' expected time free (``call_reserve_minutes``), and
    the carers whose hours of that weekday end the next morning (working nights: by day, the
    evening of their hours is the day's and its end the next day's morning).

    By day, a carer on an on-call turn that travels the night before or the night after
    (``night_turns``) works around it: her day ends when the turn begins, starts when it ends,
    and her visits during the turn are the night round's. A carer who worked the night before
    (``rest.rests``: a turn that travels, an outing, night hours, night visits) gets no visit
    until her rest after it is over, by day or by night (``DayProblem.rests``)."""
    midnight, next_midnight = day_bounds(day)
    active = CarerHours.objects.filter(crt=crt, user__memberships__crt=crt,
                                       user__memberships__is_active=True).select_related(
        "home_commune", "user")
    shifts, reserve, turns = [], 0, {}
    if night:
        # Her hours of that weekday ending the next morning: she works that night.
        hours = {h.user_id: [(0, h)] for h in active.filter(weekday=day.weekday())
                 if hours_span(h)[1] > 1440}
        begin, end, shifts = night_span(crt, day, [rows[0][1] for rows in hours.values()])
        reserve = call_reserve_minutes(crt, midnight)
    else:
        begin, end = midnight, next_midnight
        # Her hours of that weekday, and the end of the night before's (from its evening).
        hours = {}
        for h in active.filter(weekday__in={day.weekday(), (day.weekday() - 1) % 7}):
            if h.weekday == day.weekday():
                hours.setdefault(h.user_id, []).append((0, h))
            elif hours_span(h)[1] > 1440:
                hours.setdefault(h.user_id, []).append((-1440, h))
        for turn in night_turns(crt, day - timedelta(days=1)) + night_turns(crt, day):
            turns.setdefault(turn.staff_id, []).append(
                (_minutes(midnight, turn.starts_at), _minutes(midnight, turn.ends_at)))
    # Today: only what has not started yet, and never earlier than now.
    now = timezone.now()
    not_before = max(0, _minutes(midnight, now) + 5) if begin <= now < end else 0
    visits = list(
        Visit.objects.filter(crt=crt, status=Visit.Status.PLANNED, place=VisitPlace.HOME,
                             staff__isnull=False, starts_at__gte=max(begin, now),
                             starts_at__lt=end)
        .select_related("beneficiary__commune", "staff", "service").order_by("starts_at", "pk"))
    if night:
        # The night's visits: the on-call staff's, and anyone's in the heart of the night (the
        # evening of a carer working nights is the day's, as her morning is the next day's).
        on_call = {s.staff_id for s in shifts}
        visits = [v for v in visits if v.staff_id in on_call
                  or not NIGHT[1] <= timezone.localtime(v.starts_at).hour < NIGHT[0]]
    else:
        # The heart of the night is the night round's (``night=True``), and so is what an
        # on-call carer does during her turn.
        visits = [v for v in visits
                  if NIGHT[1] <= timezone.localtime(v.starts_at).hour < NIGHT[0]
                  and not any(b <= _minutes(midnight, v.starts_at) < e
                              for b, e in turns.get(v.staff_id, ()))]
    if not visits:
        raise ProblemError(
            f"Aucun passage à domicile de l'équipe n'est prévu la nuit du {day:%d/%m/%Y}."
            if night else
            f"Aucun passage à domicile de l'équipe n'est prévu le {day:%d/%m/%Y}.")
    staff_ids = {v.staff_id for v in visits} | set(hours) | {s.staff_id for s in shifts}
    # Absent for part of the day only: they work, from the time they are back.
    back = set(exclude) if absent_until is not None else set()
    exclude = frozenset(set(exclude) - back)
    if not staff_ids - set(exclude):
        raise ProblemError("Tous les intervenant·es qui ont des passages ce jour-là sont "
                           "absent·es : personne à qui les confier.")
    # Resting after the night before (``rest``): no visit until it is over.
    resting = {user_id: rest for user_id, rest in rests_of_day(
        crt_id=crt.id, user_ids=staff_ids - set(exclude), day=day).items()
        if rest.overlaps(begin, end)}
    blocked = {user_id: list(turns.get(user_id, ())) for user_id in staff_ids}
    for user_id, rest in resting.items():
        blocked[user_id].append((_minutes(midnight, rest.busy_from or rest.starts_at),
                                 _minutes(midnight, rest.ends_at)))
    professions: dict[int, set[str]] = {}
    for user_id, role in MembershipRole.objects.filter(
            membership__crt=crt, membership__is_active=True, membership__user_id__in=staff_ids,
            role__in=PROFESSIONS).values_list("membership__user_id", "role"):
        professions.setdefault(user_id, set()).add(role)

    known = _known_carers(crt, midnight, visits)
    communes = {v.beneficiary.commune.pk: v.beneficiary.commune for v in visits}
    communes.update({h.home_commune.pk: h.home_commune for rows in hours.values()
                     for _, h in rows if h.start_from == CarerHours.StartFrom.HOME})
    communes = sorted(communes.values(), key=lambda c: c.insee_code)
    index = {c.pk: i + 1 for i, c in enumerate(communes)}
    metres, minutes, _ = travel.matrices(base_place(crt), [commune_place(c) for c in communes],
                                         learned=learned_minutes(crt, midnight))

    def profession(user_id: int) -> str:
        held = professions.get(user_id, set())
        return next((str(p) for p in PROFESSIONS if p in held), f"staff:{user_id}")

    together, alone = _pairs(visits)
    # A pair is locked whole: both halves at their time, each with its carer.
    locked = set(locked) | {v.pk for v in visits if v.pk in together and any(
        together.get(pk) == together[v.pk] for pk in locked)}
    tasks, by_key, refused = [], {}, {}
    for v in visits:
        key = str(v.pk)
        by_key[key] = v
        if v.pk in alone:
            refused[key] = alone[v.pk]
            continue
        start = _minutes(midnight, v.starts_at)
        is_locked = v.pk in locked
        if is_locked:
            skill = f"staff:{v.staff_id}"
        elif v.service_id and v.service.qualification:
            skill = v.service.qualification
        else:
            skill = profession(v.staff_id)
        earliest, latest = (start, start) if is_locked else _window(midnight, v, not_before)
        tasks.append(Task(key=key, place=index[v.beneficiary.commune_id],
                          duration=round((v.ends_at - v.starts_at).total_seconds() / 60),
                          earliest=earliest, latest=latest, skills=frozenset({skill}),
                          together=together.get(v.pk, ""), planned=start,
                          preferred=frozenset(str(pk) for pk in
                                              known.get(v.beneficiary_id, set())
                                              | {v.staff_id})))
    workers = []
    on_call = {s.staff_id for s in shifts}
    for user_id in sorted(staff_ids - set(exclude)):
        skills = frozenset({f"staff:{user_id}"} | {str(p) for p in professions.get(user_id, ())})
        if user_id in on_call:
            for turn in (s for s in shifts if s.staff_id == user_id):
                for begin_at, end_at in _without(
                        [(max(not_before, _minutes(midnight, turn.starts_at)),
                          max(not_before, _minutes(midnight, turn.ends_at)))],
                        blocked[user_id]):
                    workers.append(Worker(key=str(user_id), start_place=0, end_place=0,
                                          skills=skills, shift_start=begin_at,
                                          shift_end=end_at,
                                          max_working=max(0, end_at - begin_at - reserve)))
            continue
        workers.extend(_shifts(user_id, skills, hours.get(user_id, []), index, midnight,
                               [v for v in visits if v.staff_id == user_id],
                               max(not_before, absent_until) if user_id in back
                               else not_before, blocked[user_id]))
    labels = {str(p): p.label for p in PROFESSIONS}
    labels.update({f"staff:{v.staff_id}": v.staff.get_full_name() or v.staff.username
                   for v in visits})
    labels.update({f"staff:{h.user_id}": h.user.get_full_name() or h.user.username
                   for rows in hours.values() for _, h in rows})
    labels.update({f"staff:{s.staff_id}": s.staff.get_full_name() or s.staff.username
                   for s in shifts})
    problem = Problem(tasks=tuple(tasks), workers=tuple(workers), distance=metres,
                      duration=minutes, change_cost=CHANGE_COST_METRES, skill_labels=labels)
    return DayProblem(crt=crt, day=day, problem=problem, visits=by_key,
                      midnight=midnight, refused=refused, reserve=reserve,
                      excluded=exclude, back={str(pk): absent_until for pk in back},
                      rests={str(pk): rest for pk, rest in resting.items()})


def _without(parts: list[tuple[int, int]], turns: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``parts`` (minutes) minus the on-call ``turns`` (and the rest after a night): what is
    left of each, before and after them."""
    for turn_start, turn_end in turns:
        parts = [piece for begin, end in parts
                 for piece in ((begin, min(end, turn_start)), (max(begin, turn_end), end))
                 if piece[0] < piece[1]]
    return parts


def _shifts(user_id: int, skills: frozenset[str], hours: list[tuple[int, CarerHours]],
            index: dict, midnight: datetime, own: list[Visit], not_before: int,
            turns: list[tuple[int, int]] = ()) -> list[Worker]:
    """A carer's working day as the solver's workers: one per round (two around a break, and
    the end of a night worked from the evening before), all with the carer's key, never during
    her on-call ``turns`` nor her rest after a night (both in ``turns``). ``hours``: her hours
    with their offset from the day (-1,440 for the day before's). Without hours: from an hour
    before her first visit to an hour after her last, from the base."""
    key = str(user_id)
    if not hours:
        if not own:
            return []
        parts = _without([(_minutes(midnight, own[0].starts_at) - SHIFT_MARGIN,
                           # Past midnight when the last visit ends after it.
                           max(_minutes(midnight, v.ends_at) for v in own) + SHIFT_MARGIN)],
                         turns)
        return [Worker(key=key, start_place=0, end_place=0, skills=skills,
                       shift_start=max(not_before, begin), shift_end=max(not_before, end))
                for begin, end in parts if end > not_before]
    workers = []
    for offset, h in sorted(hours, key=lambda row: row[0]):
        place = index[h.home_commune_id] if h.start_from == CarerHours.StartFrom.HOME else 0
        parts = _without([(begin + offset, end + offset) for begin, end in hours_parts(h)],
                         turns)
        workers.extend(Worker(key=key, start_place=place, end_place=place, skills=skills,
                              shift_start=max(not_before, begin),
                              shift_end=max(not_before, end),
                              max_working=h.max_working_minutes,
                              slowness=CarerHours.SLOWNESS[h.vehicle])
                       for begin, end in parts if end > not_before)
    return workers


def learned_minutes(crt, midnight: datetime) -> dict[tuple[str, str], int]:
    """Minutes between communes learned from the visits the staff did in the last
    ``LEARN_DAYS`` days (one query; ``travel.learn``)."""
    trips = Visit.objects.filter(
        crt=crt, status=Visit.Status.DONE, staff__isnull=False, place=VisitPlace.HOME,
        actual_start__isnull=False, actual_end__isnull=False, starts_at__lt=midnight,
        starts_at__gte=midnight - timedelta(days=LEARN_DAYS),
    ).order_by("staff_id", "actual_start").values_list(
        "staff_id", "actual_start", "actual_end", "beneficiary__commune__insee_code")
    return travel.learn((staff, timezone.localtime(start), timezone.localtime(end), commune)
                        for staff, start, end, commune in trips.iterator(chunk_size=2000))


def _known_carers(crt, midnight: datetime, visits) -> dict[int, set[int]]:
    """For each person of the day, the members of staff who visited them in the last
    ``CONTINUITY_DAYS`` days (one query)."""
    known: dict[int, set[int]] = {}
    for beneficiary_id, staff_id in Visit.objects.filter(
            crt=crt, status=Visit.Status.DONE, staff__isnull=False,
            beneficiary_id__in={v.beneficiary_id for v in visits},
            starts_at__lt=midnight,
            starts_at__gte=midnight - timedelta(days=CONTINUITY_DAYS),
    ).values_list("beneficiary_id", "staff_id").distinct():
        known.setdefault(beneficiary_id, set()).add(staff_id)
    return known


def current_plan(dp: DayProblem) -> Plan:
    """The day as planned now, in the solver's terms (visits at their planned times, each
    carer's in order, from where her day starts); an excluded carer's visits are unplaced, and
    so are those of a carer absent until a time that start before it."""
    p = dp.problem
    task_of = {t.key: t for t in p.tasks}
    starts_from = {}
    for worker in p.workers:
        starts_from.setdefault(worker.key, worker.start_place)
    workers = {w.key for w in p.workers}
    absent = {}
    for k, v in dp.visits.items():
        back = dp.back.get(str(v.staff_id))
        rest = dp.rests.get(str(v.staff_id))
        if k not in task_of:
            continue
        if back is not None and _minutes(dp.midnight, v.starts_at) < back:
            absent[k] = f"Intervenant·e absent·e jusqu'à {back // 60:02d}:{back % 60:02d}."
        elif rest is not None and rest.overlaps(v.starts_at, v.ends_at):
            absent[k] = f"Intervenant·e au repos après la nuit jusqu'{rest.until(dp.day)}."
        elif v.staff_id in dp.excluded:
            absent[k] = "Intervenant·e absent·e."
        elif str(v.staff_id) not in workers:  # her turn on call takes her whole day
            absent[k] = "Son intervenant·e ne travaille pas à cette heure-là."
    # Half a visit by two whose partner is absent is not done as planned either.
    apart = {task_of[k].together for k in absent if task_of[k].together}
    absent.update({t.key: "Visite à deux dont l'autre intervenant·e est absent·e."
                   for t in p.tasks if t.together in apart and t.key not in absent})
    routes = []
    for worker_key, home in starts_from.items():
        keys = [k for k, v in dp.visits.items() if str(v.staff_id) == worker_key
                and k in task_of and k not in absent]
        if not keys:
            continue
        places = [home, *(task_of[k].place for k in keys), home]
        visits = [PlannedVisit(k, _minutes(dp.midnight, dp.visits[k].starts_at),
                               _minutes(dp.midnight, dp.visits[k].ends_at)) for k in keys]
        routes.append(Route(
            worker=worker_key, visits=visits,
            distance=sum(p.distance[a][b] for a, b in zip(places, places[1:], strict=False)),
            duration=sum(p.duration[a][b] for a, b in zip(places, places[1:], strict=False)),
            start=visits[0].start, end=visits[-1].end))
    return Plan(routes=routes, unplaced=absent)


@dataclass
class Summary:
    kilometres: float
    driving_minutes: int
    late_visits: int  # visits the carer cannot reach in time from the previous one
    carer_changes: int  # visits given to another carer than planned
    continuity: int  # % of placed visits whose carer saw the person in the last 60 days
    unplaced: int
    #: Visits the plan cannot keep as it says, not late: reached more than
    #: ``LATE_TOLERANCE_MINUTES`` after the time it gives them (within their window), outside
    #: the carer's hours, without the qualification they need.
    misplaced: int = 0


#: A visit reached so many minutes after its time is on time (a few minutes of road more
#: than planned move nothing).
LATE_TOLERANCE_MINUTES = 5
#: A plan that places as many visits as the current one, with no more of them late or
#: misplaced, is proposed only if it saves more than this (km over the day): else the visits
#: would move for nothing.
GAIN_KM = 2.0


def improves(before: Summary, after: Summary) -> bool:
    """Whether the plan summed up by ``after`` is strictly better than ``before``'s: fewer
    visits unplaced first; then fewer late or misplaced; then more than ``GAIN_KM`` less
    driven."""
    if after.unplaced != before.unplaced:
        return after.unplaced < before.unplaced
    faults_before = before.late_visits + before.misplaced
    faults_after = after.late_visits + after.misplaced
    if faults_after != faults_before:
        return faults_after < faults_before
    return after.kilometres < before.kilometres - GAIN_KM


def summary_of(figures: dict) -> Summary:
    """A summary stored with a proposal (one computed before a figure existed: 0 for it)."""
    return Summary(**{name: figures.get(name, 0) for name in Summary.__dataclass_fields__})


def _visits(n: int, what: str) -> str:
    s = "s" if n > 1 else ""
    return f"{n} passage{s} {what}{s}"


def verdict(before: Summary, after: Summary, alternative: Summary | None) -> str:
    """What the coordinator reads of the comparison, in ``improves``'s order: why the proposal
    is better; or, the current plan kept (``alternative``: the solver's best other plan), why
    that plan was not."""
    if alternative is None:
        faults = (before.late_visits + before.misplaced) - (after.late_visits + after.misplaced)
        if after.unplaced < before.unplaced:
            gain = _visits(before.unplaced - after.unplaced, "non placé") + " de moins"
        elif faults > 0:
            gain = _visits(faults, "en retard ou intenable") + " de moins"
        else:
            gain = f"{before.kilometres - after.kilometres:.1f} km de moins".replace(".", ",")
        return f"La proposition fait mieux que le planning actuel : {gain}."
    faults = (alternative.late_visits + alternative.misplaced) \
        - (before.late_visits + before.misplaced)
    if alternative.unplaced > before.unplaced:
        why = "laisserait " + _visits(alternative.unplaced - before.unplaced, "non placé") \
            + " de plus"
    elif faults > 0:
        why = "aurait " + _visits(faults, "en retard ou intenable") + " de plus"
    elif alternative.kilometres < before.kilometres:
        saved = f"{before.kilometres - alternative.kilometres:.1f}".replace(".", ",")
        why = (f"n'économiserait que {saved} km, pas assez pour déplacer des passages "
               f"(plus de {GAIN_KM:.0f} km)")
    else:
        why = "ne ferait pas mieux"
    return ("Le planning actuel est gardé : la meilleure autre organisation trouvée "
            f"{why}. Il n'y a rien à appliquer.")


def summary(dp: DayProblem, plan: Plan) -> Summary:
    p = dp.problem
    task_of = {t.key: t for t in p.tasks}
    first_shift, shifts = {}, {}
    for worker in p.workers:
        first_shift.setdefault(worker.key, worker)
        shifts.setdefault(worker.key, []).append(worker)
    driving = late = changes = misplaced = 0
    for route in plan.routes:
        worker = first_shift[route.worker]
        home = worker.start_place
        here, free_at = home, None
        for visit in route.visits:
            task = task_of[visit.task]
            drive = worker.travel(p, here, task.place)
            driving += drive
            arrival = None if free_at is None else free_at + drive
            if arrival is not None and arrival > max(task.latest, visit.start):
                late += 1
            elif arrival is not None and arrival > visit.start + LATE_TOLERANCE_MINUTES \
                    or not any(
                    task.skills <= w.skills and w.shift_start <= visit.start
                    and visit.end <= w.shift_end for w in shifts[route.worker]):
                misplaced += 1
            free_at, here = visit.end, task.place
            changes += str(dp.visits[visit.task].staff_id) != route.worker
        driving += worker.travel(p, here, home) if route.visits else 0
    placed = [(dp.visits[v.task].beneficiary_id, int(r.worker))
              for r in plan.routes for v in r.visits]
    known = set(Visit.objects.filter(
        Q(beneficiary_id__in={b for b, _ in placed}) & Q(staff_id__in={s for _, s in placed}),
        crt=dp.crt,
        status=Visit.Status.DONE, starts_at__lt=dp.midnight,
        starts_at__gte=dp.midnight - timedelta(days=CONTINUITY_DAYS),
    ).values_list("beneficiary_id", "staff_id").distinct()) if placed else set()
    continuity = round(100 * sum(pair in known for pair in placed) / len(placed)) if placed else 0
    return Summary(kilometres=round(plan.distance / 1000, 1), driving_minutes=driving,
                   late_visits=late, carer_changes=changes, continuity=continuity,
                   unplaced=len(plan.unplaced), misplaced=misplaced)


def propose(*, crt, day: date, seconds: float = 5, seed: int = 1,
            exclude: frozenset[int] = frozenset(), locked: frozenset[int] = frozenset(),
            iterations: int | None = None, night: bool = False,
            absent_until: int | None = None, progress=None) -> tuple[DayProblem, Plan, Plan]:
    """The day's (or night's) problem, the current plan and the proposal: the solver's plan,
    searched from the current one, if it ``improves`` on it; else the current plan itself
    (the solver's then in ``DayProblem.alternative``)."""
    dp = day_problem(crt=crt, day=day, exclude=exclude, locked=locked, night=night,
                     absent_until=absent_until)
    current = current_plan(dp)
    current.unplaced.update(dp.refused)
    if dp.problem.tasks:
        proposal = solve(dp.problem, seconds=seconds, seed=seed, iterations=iterations,
                         progress=progress, initial=current)
    else:
        proposal = Plan(routes=[])
    proposal.unplaced.update(dp.refused)
    if not improves(summary(dp, current), summary(dp, proposal)):
        # The current plan kept; why its unplaced visits stay so, the solver's words first.
        dp.alternative, proposal = proposal, Plan(
            routes=current.routes, unplaced={k: proposal.unplaced.get(k, reason)
                                             for k, reason in current.unplaced.items()})
    return dp, current, proposal
