"""Demo data of the visits: for every person followed by CRT Anjou Bleu, a realistic week of
recurring visits — care aides in the morning and (for most) the evening, the nurse's weekly
geriatric follow-up, the partner SSIAD's and SAD's visits, the GP's monthly home visit — with
six months of traced history, a few visits not done and a few never traced (missed-visit
alerts). CRT Baugeois Vallée gets the coming weeks only.

Occurrences are created by the services; the history is then traced in bulk (thousands of
rows: one UPDATE per kind of outcome, not one per visit)."""

import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import combinations

from django.db.models import DateTimeField, F, Q
from django.db.models.functions import Cast, Mod
from django.utils import timezone

from maillage.admissions.models import Enrolment, Suspension
from maillage.beneficiaries.demo import _Batch as _TeamBatch
from maillage.beneficiaries.models import CareTeamMember
from maillage.care.models import Alert, Service
from maillage.care.services import alert_resolve
from maillage.core.demo import DemoContext, audit_event, insert_rows
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.territory.models import Organization, Professional

from . import services
from .models import Visit, VisitSeries

HISTORY_DAYS = 182
#: One person in so many needs two aides for the morning's transfer (a visit by two).
TRANSFER_EVERY = 12
#: Between two visits of one professional, at least the way from one home to the next
#: (``_Travel``), and never less than this: the traced times (``TRACED``) never run into the next
#: visit.
TRAVEL_MINUTES = 10
#: How the visits done were traced, one in three each: (minutes late on arrival, minutes longer
#: on leaving). At most 3 minutes early and 7 longer: within ``TRAVEL_MINUTES``.
TRACED = [(2, 5), (-3, 0), (7, 7)]
#: The nurse's weekly geriatric follow-up, in minutes.
NURSE_MINUTES = 45


def _slot(start: str, index: int, minutes: int, per_round: int = 6) -> str:
    """The ``index``-th visit of a specialist from ``start``, every ``minutes``; past
    ``per_round`` visits they start again (each on another day: ``_specialists``)."""
    hours, mins = (int(x) for x in start.split(":"))
    total = hours * 60 + mins + (index % per_round) * minutes
    return f"{total // 60:02d}:{total % 60:02d}"


class _Travel:
    """Minutes between the people's homes (their communes, by pk), as « Optimiser les
    tournées » counts them: ``rounds.travel.matrices`` over each CRT's base and communes.
    Between the communes of two CRTs (the night nurse works for both): the same module's
    estimate, at the slower of the two CRTs' calibrations; through the two bases when a
    commune has no position."""

    def __init__(self) -> None:
        self.minutes: dict[tuple[int, int], int] = {}
        self.crt_of: dict[int, int] = {}  # commune pk -> CRT pk
        self.place: dict[int, object] = {}  # commune pk -> rounds.travel.Place
        self.base: dict[int, tuple[object, float]] = {}  # CRT pk -> (base Place, calibration)

    def add_crt(self, crt, communes) -> None:
        """The CRT's base and ``communes`` (those of its people)."""
        from maillage.rounds import travel
        from maillage.rounds.day import base_place, commune_place

        communes = sorted({c.pk: c for c in communes}.values(), key=lambda c: c.insee_code)
        base = base_place(crt)
        places = [commune_place(c) for c in communes]
        _, minutes, factor = travel.matrices(base, places)
        self.base[crt.pk] = (base, factor)
        keys = [None, *(c.pk for c in communes)]  # the base first, as in the matrices
        for i, a in enumerate(keys):
            for j, b in enumerate(keys):
                self.minutes[(a, b, crt.pk) if None in (a, b) else (a, b)] = minutes[i][j]
        for commune, place in zip(communes, places, strict=True):
            self.crt_of[commune.pk] = crt.pk
            self.place[commune.pk] = place

    def base_rule(self, a: int | None, b: int | None) -> int:
        """The gap the team's day asks between two homes from their recorded times from the
        base (``timeline.Rule``)."""
        from .timeline import Rule

        if a is None or b is None or a == b:
            return 0
        return Rule().needed(self.place[a].base_minutes or 0, self.place[b].base_minutes or 0)

    def __call__(self, a: int | None, b: int | None) -> int:
        """Minutes from the home in commune ``a`` to the one in ``b`` (pks; ``None``: a
        commune unknown, ``TRAVEL_MINUTES``)."""
        from maillage.rounds import travel

        if a is None or b is None:
            return TRAVEL_MINUTES
        if (a, b) in self.minutes:
            return self.minutes[(a, b)]
        crt_a, crt_b = self.crt_of[a], self.crt_of[b]
        (base_a, factor_a), (base_b, factor_b) = self.base[crt_a], self.base[crt_b]
        slower = max(1.0, factor_a, factor_b)
        here, there = self.place[a], self.place[b]
        if here.latitude is not None and there.latitude is not None:
            return math.ceil(travel.estimate(here, there)[1] * slower)
        return (self.minutes[(a, None, crt_a)]
                + math.ceil(travel.estimate(base_a, base_b)[1] * slower)
                + self.minutes[(None, b, crt_b)])


class _Agenda:
    """The professionals' days as the demo plans them, so that no one has two visits at once,
    the way between them included (``_Travel``: from the end of one visit to the start of the
    next, at least the drive from one home to the other), over both CRTs (the night nurse works
    for both). A day is a day of a four-week cycle: a visit every four weeks comes back on the
    same day of it.

    The larger demos (benchmarks) give the two SSIAD and the two SAD partners, and the demo GP,
    more people than a day holds: a visit that would end after ``DAY_END`` is booked at its
    round's start again, over another one (as every round of the demo was once)."""

    CYCLE = 28
    DAY_END = 22 * 60

    def __init__(self, travel: _Travel) -> None:
        self.travel = travel
        #: (kind of professional, pk, day of the cycle) -> the booked (start, end, commune pk),
        #: in minutes of the day.
        self.busy: dict[tuple, list[tuple[int, int, int | None]]] = defaultdict(list)
        self.gaps: dict[tuple, int] = {}

    def gap(self, a: int | None, b: int | None) -> int:
        """Minutes needed between a visit in commune ``a`` and the next one in ``b``: the
        drive, and what the team's day checks (``timeline.Rule``: its « trajet trop court »)."""
        if (a, b) not in self.gaps:
            self.gaps[(a, b)] = max(TRAVEL_MINUTES, self.travel(a, b),
                                    self.travel.base_rule(a, b))
        return self.gaps[(a, b)]

    def book(self, actors: list, place: int | None, first_day: date, earliest: str,
             minutes: int, *, pick: int | None = None, frequency: str = "daily",
             weekdays: str = "", interval: int = 1) -> tuple[str, list]:
        """The first time from ``earliest`` (every five minutes) when every one of ``actors``
        (members of staff or directory professionals) can be at the home in commune ``place``
        (pk) for ``minutes`` on each day the series will come back, the way from their visit
        before and to their visit after included; booked for them. With ``pick``, that many
        of ``actors``, those free soonest (in the order of ``actors`` on a tie). Returns the
        time and who is booked."""
        rhythm = VisitSeries(start_date=first_day, frequency=frequency, weekdays=weekdays,
                             interval=interval)
        days = {day.toordinal() % self.CYCLE
                for day in (first_day + timedelta(days=n) for n in range(self.CYCLE))
                if rhythm.occurs_on(day)}
        hours, mins = (int(x) for x in earliest.split(":"))
        earliest = hours * 60 + mins
        if pick:
            # Among those free soonest alone (a few more than needed), the group free soonest.
            soonest = sorted(range(len(actors)), key=lambda n: (
                self._first_time([actors[n]], place, days, earliest, minutes), n))
            actors = [actors[n] for n in sorted(soonest[:pick + 2])]
        start, chosen = min(
            ((self._first_time(group, place, days, earliest, minutes), n, group)
             for n, group in enumerate(combinations(actors, pick or len(actors)))))[::2]
        for actor in chosen:
            for day in days:
                self.busy[(type(actor).__name__, actor.pk, day)].append(
                    (start, start + minutes, place))
        return f"{start // 60:02d}:{start % 60:02d}", list(chosen)

    def _first_time(self, actors, place: int | None, days: set[int], earliest: int,
                    minutes: int) -> int:
        start = earliest
        busy = [self.busy[(type(a).__name__, a.pk, day)] for a in actors for day in days]
        while True:
            # A visit booked that this one would not leave (or reach) in time: this one goes
            # after it, once its carer has driven from there.
            clash = max((end + self.gap(there, place) for booked in busy
                         for begin, end, there in booked
                         if begin < start + minutes + self.gap(place, there)
                         and start < end + self.gap(there, place)), default=None)
            if clash is None:
                return start
            start = -(-clash // 5) * 5
            if start + minutes > self.DAY_END:  # a full day: over another visit
                return earliest


def _sectors(crt, stays: list, count: int, travel: _Travel) -> tuple[list[int], list[int]]:
    """The people of ``stays`` in ``count`` sectors of the CRT's territory, for each carer a
    compact one: by bearing from the CRT's base (the people of one commune together), cut in
    parts of equal size. Returns each person's sector (by index in ``stays``), and the order of
    a round through them: sector by sector, each time to the nearest home from the previous
    one (from the base first)."""
    from maillage.rounds.day import base_place

    base = base_place(crt)

    def bearing(index: int) -> tuple:
        commune = stays[index].beneficiary.commune
        if commune is None or not commune.has_position:
            return (1, 0.0, index)
        return (0, math.atan2(
            float(commune.latitude) - base.latitude,
            (float(commune.longitude) - base.longitude) * math.cos(math.radians(base.latitude))),
            index)

    swept = sorted(range(len(stays)), key=bearing)
    sector = [0] * len(stays)
    for rank, index in enumerate(swept):
        sector[index] = rank * count // len(stays)
    order = []
    for part in range(count):
        left = [index for index in swept if sector[index] == part]
        here = None
        while left:
            index = min(left, key=lambda i: (
                travel(here, stays[i].beneficiary.commune_id) if here is not None else
                travel.minutes.get((None, stays[i].beneficiary.commune_id, crt.pk), 0), i))
            left.remove(index)
            order.append(index)
            here = stays[index].beneficiary.commune_id
    return sector, order


#: Who holds every night of the CRTs she works for (``oncall.demo._rota``, ``rounds.demo``).
NIGHT_NURSE = "night_nurse"


def _nights_only(user, minutes: int) -> bool:
    """Whether ``user`` holds every night (``NIGHT_NURSE``) and so has no time for a visit of
    ``minutes`` by day: her rest after her on-call turn (``rounds.rest.REST`` from its end,
    ``oncall.rota.NIGHT_END``: until 19:00) leaves her, before her next turn
    (``oncall.rota.NIGHT_START``), less than the visit and the drives to and from it."""
    from maillage.oncall.rota import NIGHT_END, NIGHT_START
    from maillage.rounds.rest import REST

    if user.username != NIGHT_NURSE:
        return False
    free = (datetime.combine(date.min, NIGHT_START)
            - (datetime.combine(date.min, NIGHT_END) + REST))
    return free < timedelta(minutes=minutes + 2 * TRAVEL_MINUTES)


def _service(crt, words: str):
    return Service.objects.filter(crt=crt, name__icontains=words).first()


def _partners(crt, kind, profession, names):
    org = Organization.objects.filter(crt=crt, kind=kind).first()
    if org is None:
        return []
    return [Professional.objects.get_or_create(
        crt=crt, last_name=last, first_name=first,
        defaults={"profession": profession, "organization": org})[0] for first, last in names]


def load(ctx: DemoContext) -> None:
    today = timezone.localdate()
    travel = _Travel()
    for crt in ctx.crts.values():
        travel.add_crt(crt, [e.beneficiary.commune for e in Enrolment.objects.filter(
            crt=crt, ended_on__isnull=True, beneficiary__commune__isnull=False)
            .select_related("beneficiary__commune")])
    agenda = _Agenda(travel)
    for key, crt in ctx.crts.items():
        # The larger demos (benchmarks) keep two weeks each side of today.
        history = HISTORY_DAYS if key == "anjou_bleu" and ctx.scale == 1 else (
            7 if key == "anjou_bleu" else 0)
        until = None if ctx.scale == 1 else today + timedelta(days=14)
        _load_crt(ctx, crt, today=today, history=history, until=until, agenda=agenda)
        if key == "anjou_bleu":
            _specialists(ctx, crt, today=today, until=until)
    _trace_history(today)
    _missed_alerts(ctx)
    # The care-team joins above went in bulk: the followers' unread-messages counters are
    # recomputed once (``care_team_add`` does it per member).
    from maillage.care.services.unread import unread_counters_rebuild

    for crt in ctx.crts.values():
        unread_counters_rebuild(crt=crt)


def _load_crt(ctx: DemoContext, crt, *, today: date, history: int, until: date | None,
              agenda: _Agenda) -> None:
    coordinator = Membership.objects.filter(
        crt=crt, roles__role=Role.COORDINATOR).select_related("user").first().user
    aides = [m.user for m in Membership.objects.filter(crt=crt, roles__role=Role.CARE_AIDE)
             .select_related("user").order_by("user__username")]
    # The night nurse holds every night of the CRTs she works for (``oncall.demo``: her
    # on-call turn from 20:00 to 08:00, her night visits, ``rounds.demo``): her rest after it
    # (``rounds.rest``) leaves her no day; the other nurses share the territory by day.
    nurses = [m.user for m in Membership.objects.filter(crt=crt, roles__role=Role.NURSE)
              .select_related("user").order_by("user__username")
              if not _nights_only(m.user, NURSE_MINUTES)]
    ssiad = _partners(crt, "ssiad", "care_aide",
                      [("Lucie", "Hamelin"), ("Romain", "Boisseau")])
    sad = _partners(crt, "sad", "home_help", [("Sabrina", "Jolivet"), ("Maëlle", "Papin")])
    morning = _service(crt, "aide-soignante")
    evening = _service(crt, "sécurisation en soirée") or morning
    nursing = _service(crt, "Surveillance gériatrique")
    ssiad_service = _service(crt, "SSIAD")
    sad_service = _service(crt, "Aide à domicile")
    stays = list(Enrolment.objects.filter(crt=crt, ended_on__isnull=True)
                 .select_related("beneficiary__commune").order_by("pk"))
    gp_teams = {m.beneficiary_id: m.professional for m in CareTeamMember.objects.active()
                .filter(crt=crt, is_gp=True, professional__user__isnull=False)
                .select_related("professional")}
    batch: list[VisitSeries] = []
    horizon = services._horizon(today)
    # What the service checks for each series, read once for the CRT: the care teams (whoever
    # visits joins it) and the absences (no visit generated while the person is away).
    team = set()
    for b_id, user_id, pro_id in CareTeamMember.objects.active().filter(crt=crt).values_list(
            "beneficiary_id", "user_id", "professional_id"):
        team.add((b_id, "u", user_id) if user_id else (b_id, "p", pro_id))
    absences: dict[int, list[tuple[date, date | None]]] = {}
    for b_id, start, end in Suspension.objects.filter(enrolment__crt=crt).values_list(
            "enrolment__beneficiary_id", "start_date", "end_date"):
        absences.setdefault(b_id, []).append((start, end))
    joins = _TeamBatch(coordinator)

    def plan(b, first_day, *, staff=None, professional=None, service, times, minutes,
             frequency="daily", weekdays="", interval=1, two_person=False,
             window_before=None, window_after=None):
        """As ``services.series_create`` does (same care team, occurrences, audit), but the
        series, their visits and the care-team joins are inserted in bulk for the whole CRT.
        Its checks hold by construction: staff, partners and services of the CRT, valid
        times, weekdays and dates."""
        series = VisitSeries(
            crt=b.crt, beneficiary=b, staff=staff, professional=professional,
            service=service, place="home", frequency=frequency, interval=interval,
            weekdays=weekdays, times=services.parse_times(times), duration_minutes=minutes,
            start_date=first_day, end_date=until, instructions="", created_by=coordinator,
            updated_by=coordinator, two_person=two_person, window_before=window_before,
            window_after=window_after)
        series.generated_until = min(horizon, until) if until else horizon
        key = (b.pk, "u", staff.pk) if staff else (b.pk, "p", professional.pk)
        if key not in team:  # as ``services._join_care_team``
            team.add(key)
            role = (staff.profession if staff else professional.get_profession_display()) or \
                "Intervenant·e au domicile"
            # Joined when the visits were planned, the afternoon before the first one.
            with ctx.at(ctx.past((today - first_day).days + 1, 16)):
                joins.care_team_add(b, user=staff, professional=professional,
                                    role=f"{role} (passages)"[:120],
                                    start_date=min(first_day, today))
        batch.append(series)

    def flush():
        joins.flush()
        VisitSeries.objects.bulk_create(batch, batch_size=500)
        visits, events = [], []
        for series in batch:
            first, last = series.start_date, series.generated_until
            absent = [(start, end or date.max) for start, end in absences.get(
                series.beneficiary_id, ()) if start <= last and (end is None or end > first)]
            created = services._occurrences(
                series, first, last,
                timezone.make_aware(datetime.combine(first, datetime.min.time())),
                absent=absent)
            visits.extend(created)
            event = audit_event(actor=coordinator, action="visit_series.created",
                                at=timezone.now(), obj=series, beneficiary=series.beneficiary,
                                details={"récurrence": series.describe(),
                                         "passages créés": len(created)})
            event.ip_address, event.user_agent = None, ""  # as audit_log outside a request
            events.append(event)
        insert_rows(Visit, visits)
        insert_rows(AuditEvent, events)
        batch.clear()

    # What each person needs, in the order of the rounds; their times are booked below, by
    # rank: the morning rounds, the transfers after them, then the evenings…
    wanted: list[tuple] = []

    def want(rank: int, earliest: str, b, first_day: date, *plans: dict, **rhythm) -> None:
        """A time from ``earliest`` for ``plans`` (``plan``'s arguments: one series, or the two
        halves of a visit by two, at the same time; with ``pick=2`` in ``rhythm``, two of
        them)."""
        wanted.append((rank, len(wanted), earliest, b, first_day, plans, rhythm))

    # Each care aide her sector, her morning round through it in the order of ``route``; her
    # evening round through the next sector; each nurse her part of the territory.
    sector, route = _sectors(crt, stays, max(1, len(aides)), agenda.travel) if stays \
        else ([], [])
    along = {index: n for n, index in enumerate(route)}  # the place along the rounds
    for index in route:
        stay = stays[index]
        b = stay.beneficiary
        first_day = max(stay.admitted_on, today - timedelta(days=history))
        if aides:
            aide = aides[sector[index]]
            # Every other person agreed a wider window for the morning (« entre 7 h et 9 h »).
            window = {"window_before": 30, "window_after": 60} if index % 2 == 0 else {}
            want(0, "07:30", b, first_day,
                 {"staff": aide, "service": morning, "minutes": 40, **window})
            if index % TRANSFER_EVERY == 2 and len(aides) > 1:
                # A transfer to the armchair before lunch, by two aides (a visit by two),
                # after their morning rounds: the two free soonest (booked below), the aides
                # of the nearest sectors first on a tie.
                nearest = sorted(range(len(aides)), key=lambda a: (
                    min((a - sector[index]) % len(aides), (sector[index] - a) % len(aides)), a))
                want(1, "12:15", b, first_day, *({"staff": aides[a], "service": morning,
                                                  "minutes": 30, "two_person": True}
                                                 for a in nearest), pick=2)
            if index % 4 != 3:
                evening_aide = aides[(sector[index] + 1) % len(aides)]
                want(2, "18:00", b, first_day,
                     {"staff": evening_aide, "service": evening, "minutes": 25})
        if nurses:
            nurse = nurses[along[index] * len(nurses) // len(stays)]
            want(3, "14:00", b, first_day,
                 {"staff": nurse, "service": nursing, "minutes": NURSE_MINUTES},
                 frequency="weekly", weekdays=str(along[index] % 5))
        if ssiad and index % 3 == 0:
            pro = ssiad[(index // 3) % len(ssiad)]
            want(4, "08:00", b, first_day,
                 {"professional": pro, "service": ssiad_service, "minutes": 30})
        if sad and index % 3 == 1:
            pro = sad[(index // 3) % len(sad)]
            want(5, "09:30", b, first_day,
                 {"professional": pro, "service": sad_service, "minutes": 90},
                 frequency="weekly", weekdays="0,2,4")
        gp = gp_teams.get(b.pk)
        if gp is not None:
            want(6, "13:00", b, first_day, {"professional": gp, "service": None, "minutes": 30},
                 frequency="weekly", weekdays="1", interval=4)
    times, chosen = {}, {}
    for _rank, order, earliest, b, first_day, plans, rhythm in sorted(wanted,
                                                                      key=lambda w: w[:2]):
        actors = {id(p.get("staff") or p["professional"]): p for p in plans}
        times[order], booked = agenda.book(
            [p.get("staff") or p["professional"] for p in plans], b.commune_id, first_day,
            earliest, plans[0]["minutes"], **rhythm)
        chosen[order] = [actors[id(actor)] for actor in booked]
    # The series in the order of the people (as ``services.series_create`` would have made
    # them), whatever the order of the rounds.
    position = {stay.beneficiary_id: n for n, stay in enumerate(stays)}
    for _rank, order, _earliest, b, first_day, _plans, rhythm in sorted(
            wanted, key=lambda w: (position[w[3].pk], w[1])):
        rhythm = {k: v for k, v in rhythm.items() if k != "pick"}
        for p in chosen[order]:
            plan(b, first_day, times=times[order], **rhythm, **p)
    flush()
    # A deliberate double-booking in the coming days, for the team calendar to show.
    if len(stays) > 2 and aides:
        first = Visit.objects.filter(crt=crt, staff=aides[0],
                                     starts_at__date__gte=today + timedelta(days=2)).first()
        if first is not None:
            services.visit_create(
                actor=coordinator, beneficiary=stays[-1].beneficiary, staff=aides[0],
                service=morning, place="home", starts_at=first.starts_at + timedelta(minutes=10),
                ends_at=first.starts_at + timedelta(minutes=40),
                instructions="Remplacement demandé par la famille", allow_overlap=True)


def _specialists(ctx: DemoContext, crt, *, today: date, until: date | None) -> None:
    """The doctor, the psychologist, the occupational therapist and the activity leader each
    follow a few people (care team) and visit them, one of them today: every demo account of
    the field has a real day on its home page."""
    from maillage.beneficiaries.services import care_team_add

    def member(role):
        m = Membership.objects.filter(crt=crt, roles__role=role).select_related("user") \
            .order_by("user__username").first()
        return m.user if m else None

    coordinator = member(Role.COORDINATOR)
    # People at home today (not in hospital…: their visits are suspended).
    away = Suspension.objects.filter(start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=today)).values("enrolment")
    stays = list(Enrolment.objects.filter(crt=crt, ended_on__isnull=True).exclude(pk__in=away)
                 .select_related("beneficiary").order_by("pk"))
    if len(stays) < 8:
        return
    first_day = today - timedelta(days=28)
    not_before = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    weekday = today.weekday()
    plans = [  # role, care-team label, people (index in the file active), service, time, minutes
        (Role.DOCTOR, None, [5], None, "16:00", 40),
        (Role.PSYCHOLOGIST, "Psychologue", [1, 4, 7], None, "10:00", 60),
        (Role.OCCUPATIONAL_THERAPIST, "Ergothérapeute", [2, 6],
         _service(crt, "ergothérapeute"), "11:15", 60),
        (Role.ACTIVITY_LEADER, "Animateur, vie sociale", [3, 5],
         _service(crt, "activité collective"), "14:30", 90),
    ]
    for role, team_label, people, service, start, minutes in plans:
        user = member(role)
        if user is None:
            continue
        for n, index in enumerate(people):
            b = stays[index].beneficiary
            if team_label and not CareTeamMember.objects.active().filter(
                    beneficiary=b, user=user).exists():
                with ctx.at(ctx.past((today - first_day).days + 1, 16)):  # the day before
                    care_team_add(actor=coordinator, beneficiary=b, user=user,
                                  role=team_label, start_date=first_day)
            # The first person on today's weekday, the others on the next days.
            services.series_create(
                actor=coordinator, beneficiary=b, staff=user, service=service, place="home",
                frequency="weekly", interval=1,
                weekdays=str((weekday + n) % 7), times=_slot(start, n, minutes + 15),
                duration_minutes=minutes, start_date=first_day if n == 0 else today,
                end_date=until, instructions="", allow_overlap=True, not_before=not_before)


def _trace_history(today: date) -> None:
    """Trace everything that ended more than two hours ago: mostly done, a few not done, and
    one in about 700 never traced (they raise the missed-visit alert)."""
    cutoff = timezone.now() - services.MISSED_AFTER
    past = Visit.objects.filter(status=Visit.Status.PLANNED, ends_at__lt=cutoff)
    # Never traced (about one in 700): left for the missed-visit check.
    untraced = list(past.filter(staff__isnull=False).order_by("pk")
                    .values_list("pk", flat=True)[::700])
    past = past.exclude(pk__in=untraced)
    reasons = [Visit.NotDoneReason.PLANNED_ABSENCE, Visit.NotDoneReason.HOSPITALISED,
               Visit.NotDoneReason.REFUSED, Visit.NotDoneReason.NO_ANSWER]
    not_done_ids = list(past.order_by("pk").values_list("pk", flat=True)[::97])
    # The n-th of them gets reasons[n % 4]: one UPDATE per reason.
    for r, reason in enumerate(reasons):
        Visit.objects.filter(pk__in=not_done_ids[r::len(reasons)]).update(
            status=Visit.Status.NOT_DONE, not_done_reason=reason,
            traced_at=F("ends_at"), traced_by=F("staff"))
    done = past.exclude(pk__in=not_done_ids).annotate(third=Mod("id", 3))
    for remainder, (late, longer) in enumerate(TRACED):
        done.filter(third=remainder).update(
            status=Visit.Status.DONE, actual_start=F("starts_at") + timedelta(minutes=late),
            actual_end=F("ends_at") + timedelta(minutes=longer),
            traced_at=F("ends_at") + timedelta(minutes=longer + 2), traced_by=F("staff"))
    # Dated as they were lived: a series from its first day, each visit generated a week
    # before it (never later than now), traced when it was traced.
    now = timezone.now()
    VisitSeries.objects.filter(start_date__lt=today).update(
        created_at=Cast("start_date", DateTimeField()), updated_at=Cast("start_date",
                                                                        DateTimeField()))
    Visit.objects.filter(starts_at__lt=now + timedelta(days=7)).update(
        created_at=F("starts_at") - timedelta(days=7))
    Visit.objects.filter(traced_at__isnull=False).update(updated_at=F("traced_at"))


def _missed_alerts(ctx: DemoContext) -> None:
    """The never-traced visits raise their alerts when the check would have, two hours after
    their end; those older than a week were dealt with the next morning."""
    now = timezone.now()
    week_ago = now - timedelta(days=7)
    coordinators = {}  # per CRT, read once
    for ends_at in sorted(set(Visit.objects.filter(
            status=Visit.Status.PLANNED, ends_at__lte=now - services.MISSED_AFTER,
            missed_alert__isnull=True).values_list("ends_at", flat=True))):
        checked = ends_at + services.MISSED_AFTER
        with ctx.at(checked):
            raised = services.check_missed(now=checked, lookback=services.MISSED_AFTER)
        for visit in raised:
            if visit.ends_at >= week_ago:
                continue
            if visit.crt_id not in coordinators:
                coordinators[visit.crt_id] = Membership.objects.filter(
                    crt_id=visit.crt_id, roles__role=Role.COORDINATOR).select_related(
                    "user").first().user
            alert = Alert.objects.get(pk=visit.missed_alert_id)
            next_morning = timezone.localdate(checked) + timedelta(days=1)
            with ctx.at(ctx.day_at(next_morning, 9, 30)):
                alert_resolve(actor=coordinators[visit.crt_id], alert=alert,
                              version=alert.version,
                              outcome="Passage vérifié par téléphone avec l'intervenant : "
                                      "réalisé mais non tracé. Rappel fait sur la "
                                      "traçabilité.")


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    visits = Visit.objects.filter(crt__in=ctx.crts.values())
    return (f"Passages… {visits.filter(status=Visit.Status.DONE).count()} réalisés, "
            f"{visits.filter(status=Visit.Status.NOT_DONE).count()} non réalisés, "
            f"{visits.filter(status=Visit.Status.PLANNED).count()} prévus")
