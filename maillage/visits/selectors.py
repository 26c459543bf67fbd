"""Reads of the visits, filtered by tenant and by who may see whose planning."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from maillage.beneficiaries.access import WHOLE_CRT_ROLES, planning_visible_beneficiaries
from maillage.core.collation import french
from maillage.core.models import Membership
from maillage.core.roles import CRT_TEAM, Role
from maillage.core.tenancy import get_for_crt
from maillage.territory.models import Professional

from .models import Visit
from .services import local_dt

RELATED = ("beneficiary__commune", "staff", "professional__organization", "service")
#: What a card of one's day shows (« Mes passages », the home panel): the visit, the person's
#: name, address and commune, the service. Loading only these, rather than the five whole rows
#: of ``RELATED`` (the key-box code decrypted for each visit), cuts the selector by a third to a
#: half (docs/performance-notes/my-day.md).
MY_DAY_FIELDS = (
    "crt_id", "public_id", "status", "starts_at", "ends_at", "place", "instructions", "two_person",
    "actual_start", "actual_end", "not_done_reason", "staff_id", "professional_id",
    "beneficiary__crt_id", "beneficiary__public_id", "beneficiary__birth_name",
    "beneficiary__used_name", "beneficiary__first_name", "beneficiary__used_first_name",
    "beneficiary__address", "beneficiary__commune__name", "service__name",
    "professional__last_name", "professional__first_name", "professional__profession",
    "professional__user_id",
)


def visible_visits(*, crt, user, roles) -> QuerySet[Visit]:
    """The visits of the people whose planning this user may see (the file policy's
    ``planning`` face); the staff who see every person skip the subquery."""
    qs = Visit.objects.filter(crt=crt).select_related(*RELATED)
    if roles & WHOLE_CRT_ROLES:
        return qs
    if roles & (CRT_TEAM | {Role.PARTNER}):
        return qs.filter(beneficiary__in=planning_visible_beneficiaries(crt=crt, user=user,
                                                                        roles=roles))
    return qs.none()


def mine(user) -> Q:
    return Q(staff=user) | Q(professional__user=user)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's two midnights, in the CRT's time zone (the day lasts 23 or 25 hours when the
    clocks change; callers read the wall clock from the first)."""
    return (timezone.localtime(local_dt(day, "00:00")),
            timezone.localtime(local_dt(day + timedelta(days=1), "00:00")))


def my_day(*, crt, user, roles, day: date) -> list[Visit]:
    """The user's visits of ``day``, as a member of staff or as a professional of the
    directory. Which visits are theirs comes from a UNION ALL of two index scans
    (``visit_staff_time``, ``visit_pro_time``) rather than the OR-join of ``mine``, which scans
    the whole day of the CRT; the visibility policy is applied once, to those few visits. A
    visit has a staff member or a professional, never both (a check constraint).

    The ids come first, in a query of their own: the visits are then found by primary key,
    whatever the planner's statistics. (As a subquery of the second, PostgreSQL without fresh
    statistics — after a bulk load, before autovacuum analyses the tables — chose to walk every
    visit of every person the user may see and rescan the union for each: minutes.)"""
    start, end = day_bounds(day)
    return _mine_between(crt=crt, user=user, roles=roles, start=start, end=end)


def mine_ids(*, crt, user, start: datetime, end: datetime) -> list[int]:
    """The ids of the user's visits starting in [start, end), as a member of staff or as a
    professional of the directory, visible or not (the callers apply the visibility): a UNION
    ALL of two index scans (``visit_staff_time``, ``visit_pro_time``), bounded by the user's
    own visits whatever the size of the CRT (``mine`` is an OR-join that reads every visit of
    the CRT in the range)."""
    of_range = Visit.objects.filter(crt=crt, starts_at__gte=start, starts_at__lt=end).order_by()
    as_staff = of_range.filter(staff=user).values_list("pk", flat=True)
    as_professional = of_range.filter(
        professional__in=Professional.objects.filter(crt=crt, user=user).values("pk")
    ).values_list("pk", flat=True)
    return list(as_staff.union(as_professional, all=True))


def my_next(*, crt, user, roles, start: datetime, limit: int) -> list[Visit]:
    """The user's next ``limit`` planned visits from ``start`` that they may see, the soonest
    first. One query, of two subqueries: one per way of being theirs (as staff, as the
    directory's professional), each walking its own index in time order and stopping at
    ``limit`` visible visits; the few visits found are then read by their keys and ordered
    here. The cost follows the user's visits, not the CRT's: the OR-join of ``mine`` with an
    order and a limit walked every coming visit of the CRT when the user had none."""
    coming = (visible_visits(crt=crt, user=user, roles=roles)
              .filter(starts_at__gte=start, status=Visit.Status.PLANNED)
              .order_by("starts_at", "pk").values("pk"))
    # A user is at most one professional of a CRT's directory (a unique constraint).
    professional = Subquery(Professional.objects.filter(crt=crt, user=user).values("pk")[:1])
    # (No filter on the CRT beside the keys: SQLite would read the CRT's visits for it.)
    found = by_keys(Visit.objects.select_related(*RELATED), Q(
        pk__in=coming.filter(staff=user)[:limit])
        | Q(pk__in=coming.filter(professional=professional)[:limit]))
    return found[:limit]


def by_keys(qs: QuerySet[Visit], ids: list[int] | Q) -> list[Visit]:
    """The visits of ``qs`` among ``ids`` (a list, or a condition on ``pk``), found by their
    keys and put in time order here. Ordered by the database, SQLite reads them through the
    CRT's time index (``visit_crt_time``), every visit of the CRT in the range, instead of
    finding each by its key (for a day: 2.9 ms against 0.16 ms with the demo ×1, and growing
    with it)."""
    if isinstance(ids, Q):
        visits = list(qs.filter(ids).order_by())
    else:
        visits = list(qs.filter(pk__in=ids).order_by()) if ids else []
    visits.sort(key=lambda v: (v.starts_at, v.pk))
    return visits


def _mine_between(*, crt, user, roles, start: datetime, end: datetime) -> list[Visit]:
    """``my_day``'s two queries, for the visits starting in [start, end)."""
    visits = by_keys(visible_visits(crt=crt, user=user, roles=roles)
                     .select_related(None)
                     .select_related("beneficiary__commune", "service", "professional")
                     .only(*MY_DAY_FIELDS)
                     .exclude(status=Visit.Status.CANCELLED),
                     mine_ids(crt=crt, user=user, start=start, end=end))
    for v in visits:
        if v.staff_id == user.pk:
            v.staff = user  # the reader's own visits: no join for what we already have
    return visits


#: From this hour, today's « Mes passages » also lists the coming night (it ends at ``MORNING``,
#: or later at the end of the professional's on-call turn or night hours); before the night
#: that began the evening before is over, it lists that night since this hour the day before.
#: An evening round's visits (18:00–22:00) belong to the night that follows: the heart of the
#: night (``rounds.rest.NIGHT``) is what makes it a night's work.
EVENING = time(18, 0)
#: A night shown on « Mes passages » lasts at least until this hour the next morning.
MORNING = time(7, 0)


@dataclass
class DayPart:
    """A part of « Mes passages » of today: the day, or the night worked."""

    label: str
    visits: list[Visit]
    night: bool = False


@dataclass
class Today:
    """« Mes passages » of today (the page, the home's panel): ``visits`` shown, in order;
    ``parts`` empty when the page is the calendar day alone, else the day and the night the
    professional works, in order, a day part without visits left out (``span``: how the night
    extends the day, in French); empty too when there is no visit at all (the page's own
    « Aucun passage »)."""

    day: date
    visits: list[Visit]
    parts: list[DayPart] = field(default_factory=list)
    span: str = ""


def my_today(*, crt, user, roles) -> Today:
    """The user's visits of today, with the night they work as one piece rather than split at
    midnight: from ``EVENING`` the coming night's visits until ``MORNING`` tomorrow (or the end
    of their on-call turn or of their night hours of that night, when later); until the end of
    the night that began the evening before, that night's visits since ``EVENING`` the day
    before. The night is theirs to work as ``rounds.rest`` reads it: an on-call turn that
    travels, their night hours (``CarerHours`` ending the next morning), or a visit of theirs
    in the heart of the night (``NIGHT``); otherwise the page is the calendar day. Today's
    visits are always all there. Four queries (``my_day``'s two, the turns', the hours')."""
    from maillage.rounds.rest import night_hours, night_of, turn_ends

    now = timezone.localtime()
    today = now.date()
    day_start, day_end = day_bounds(today)
    # The end of the night's work that is theirs to work, by the morning's day: the later of
    # their travelling on-call turn's and their night hours'.
    turns = turn_ends(crt_id=crt.pk, who=mine(user), first=today,
                      last=today + timedelta(days=1))
    for _, morning, _, ends in night_hours(crt_id=crt.pk, user_ids=[user.pk], first=today,
                                           last=today + timedelta(days=1)):
        turns[morning] = max(turns.get(morning, ends), ends)

    def night_end(morning: date) -> datetime:
        end = local_dt(morning, MORNING)
        return max(end, turns[morning]) if morning in turns else end

    last_night_end = night_end(today)
    evening = local_dt(today, EVENING)
    if now < last_night_end:  # still the night that began yesterday evening
        morning, start, end = today, local_dt(today - timedelta(days=1), EVENING), day_end
        night = (start, last_night_end)
    elif now >= evening:  # the night to come
        morning, start, end = today + timedelta(days=1), day_start, night_end(
            today + timedelta(days=1))
        night = (evening, end)
    else:
        return Today(today, my_day(crt=crt, user=user, roles=roles, day=today))
    visits = _mine_between(crt=crt, user=user, roles=roles, start=start, end=end)
    heart_start, heart_end = night_of(morning)
    if morning not in turns and not any(heart_start <= v.starts_at < heart_end
                                        for v in visits):
        return Today(today, [v for v in visits if day_start <= v.starts_at < day_end])
    at = timezone.localtime(night[1])
    by_night = [v for v in visits if night[0] <= v.starts_at < night[1]]
    by_day = [v for v in visits if not night[0] <= v.starts_at < night[1]]
    if morning == today:
        parts = [DayPart(f"Cette nuit (depuis hier {EVENING:%H:%M}, jusqu'à {at:%H:%M})",
                         by_night, night=True),
                 DayPart(f"Aujourd'hui, à partir de {at:%H:%M}", by_day)]
        span = f"avec la nuit depuis hier {EVENING:%H:%M}"
    else:
        parts = [DayPart(f"Aujourd'hui, avant {EVENING:%H:%M}", by_day),
                 DayPart(f"Ce soir et cette nuit (de {EVENING:%H:%M} à {at:%H:%M} demain)",
                         by_night, night=True)]
        span = f"avec la nuit jusqu'à {at:%H:%M} demain"
    # A part of the day without visits is left out; without any visit, no part at all.
    parts = [p for p in parts if p.visits or p.night] if visits else []
    return Today(today, visits, parts, span)


def tasks_of(visits) -> dict[int, list]:
    """The plan's actions each visit carries out, from the plan in force of each person: the
    action the visit's series was planned from; otherwise the actions given to the visit's
    professional (of the visit's service, when the action names one) that run on that day."""
    from maillage.care.models import PlannedAction
    from maillage.care.selectors import plans_in_force

    from .models import VisitSeries

    visits = list(visits)
    if not visits:
        return {}
    people = {v.beneficiary_id for v in visits}
    actions = list(PlannedAction.objects.filter(
        version__in=plans_in_force().filter(plan__beneficiary_id__in=people))
        .select_related("version__plan").order_by("position", "id"))
    by_person: dict[int, list] = {}
    for a in actions:
        by_person.setdefault(a.version.plan.beneficiary_id, []).append(a)
    series_action = dict(VisitSeries.objects.filter(
        pk__in={v.series_id for v in visits if v.series_id}, planned_action__isnull=False)
        .values_list("pk", "planned_action_id"))
    result = {}
    for v in visits:
        day = timezone.localtime(v.starts_at).date()
        own = by_person.get(v.beneficiary_id, [])
        chosen = [a for a in own if a.pk == series_action.get(v.series_id)]
        if not chosen:
            chosen = [a for a in own
                      if ((v.staff_id and a.staff_id == v.staff_id)
                          or (v.professional_id and a.professional_id == v.professional_id))
                      and (a.service_id is None or a.service_id == v.service_id)
                      and (a.start_date is None or a.start_date <= day)
                      and (a.end_date is None or a.end_date >= day)]
        result[v.pk] = chosen
    return result


def tasks_done(*, visit: Visit) -> list:
    """What became of the plan's actions during this visit (ticked when tracing it)."""
    from .models import VisitTask

    return list(VisitTask.objects.filter(visit=visit).order_by("id"))


def in_range(qs: QuerySet[Visit], start: date, days: int) -> list[Visit]:
    begin, _ = day_bounds(start)
    end, _ = day_bounds(start + timedelta(days=days))
    return list(qs.filter(starts_at__gte=begin, starts_at__lt=end).order_by("starts_at"))


def coming_for_beneficiary(*, beneficiary, limit: int = 20) -> list[Visit]:
    """The next visits of one person (the portal, the file)."""
    return list(Visit.objects.filter(beneficiary=beneficiary, status=Visit.Status.PLANNED,
                                     ends_at__gte=timezone.now())
                .select_related(*RELATED).order_by("starts_at")[:limit])


def actor_by_key(*, crt, key: str, active_only: bool = False) -> tuple[str, object]:
    """The professional named by « s-<uuid> » (a team member of the CRT) or « p-<uuid> » (a
    professional of its directory): ``("staff", user)`` or ``("professional", professional)``.
    ``LookupError`` for anything else, another CRT's people included."""
    kind, _, uid = key.partition("-")
    try:
        if kind == "s":
            members = get_user_model().objects.filter(public_id=uid, memberships__crt=crt)
            if active_only:
                members = members.filter(memberships__is_active=True)
            return "staff", members.get()
        if kind == "p":
            return "professional", get_for_crt(Professional.objects.all(), crt, uid)
    except (get_user_model().DoesNotExist, ValidationError, ValueError, Http404) as error:
        raise LookupError(key) from error
    raise LookupError(key)


def actors(*, crt) -> tuple[list, list]:
    """Who may be assigned visits: the active team members and the directory's professionals."""
    staff = [m.user for m in Membership.objects.filter(crt=crt, is_active=True)
             .filter(roles__role__in=CRT_TEAM).select_related("user").distinct()
             .order_by(french("user__last_name"), french("user__first_name"))]
    pros = list(Professional.objects.filter(crt=crt).select_related("organization")
                .order_by(french("last_name"), french("first_name")))
    return staff, pros


def actor_search(*, crt, query: str, limit: int = 20) -> tuple[list, list]:
    """Who may be assigned visits, matching ``query`` (name), at most ``limit`` of each kind:
    a picker that does not list the whole directory."""
    words = query.split()
    if not words:
        return [], []
    staff_q, pro_q = Q(), Q()
    for word in words[:4]:
        staff_q &= (Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)
                    | Q(user__username__icontains=word))
        pro_q &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    staff = [m.user for m in Membership.objects.filter(staff_q, crt=crt, is_active=True,
                                                       roles__role__in=CRT_TEAM)
             .select_related("user").distinct()
             .order_by(french("user__last_name"), french("user__first_name"))[:limit]]
    pros = list(Professional.objects.filter(pro_q, crt=crt).select_related("organization")
                .order_by(french("last_name"), french("first_name"))[:limit])
    return staff, pros


def calendar_token(*, crt, user):
    from .models import CalendarToken

    return CalendarToken.objects.filter(crt=crt, user=user).first()


def status_counts(*, crt, start: datetime, end: datetime) -> list[dict]:
    """How many visits of ``crt`` starting in [start, end) by status (figures; one query)."""
    from django.db.models import Count

    return list(Visit.objects.filter(crt=crt, starts_at__gte=start, starts_at__lt=end)
                .values("status").annotate(n=Count("id")).order_by("status"))
