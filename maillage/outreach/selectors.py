"""Reads of volet 1, filtered by tenant and by the access policies of ``access.py``."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from maillage.core.folding import fold
from maillage.core.models import AuditEvent
from maillage.core.selectors import member_roles

from . import access
from .models import Attendee, Field, Participation, Session, SupportAction

ACTIVE = ~Q(status=Participation.Status.CANCELLED)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return _day_start(date(year, 1, 1)), _day_start(date(year + 1, 1, 1))


def actions(*, crt, user, roles, field: str = "", year: int | None = None
            ) -> QuerySet[SupportAction]:
    """The actions, each with ``session_count`` (in ``year`` when given, cancelled sessions
    aside) and ``next_start`` unused; one query."""
    qs = access.actions_visible(crt=crt, user=user, roles=roles).select_related("commune")
    if field:
        qs = qs.filter(field=field)
    sessions = ~Q(sessions__status=Session.Status.CANCELLED)
    if year is not None:
        start, end = year_bounds(year)
        sessions &= Q(sessions__starts_at__gte=start, sessions__starts_at__lt=end)
    return qs.annotate(session_count=Count("sessions", filter=sessions, distinct=True)
                       ).order_by("field", "title")


@dataclass(frozen=True)
class YearlyCheck:
    """V1-06: in ``year``, each field has an action, and one action is anti-fall. An action
    counts for a year when it is not cancelled and has a session (not cancelled) in it."""

    year: int
    missing_fields: list[str]
    has_anti_fall: bool

    @property
    def ok(self) -> bool:
        return not self.missing_fields and self.has_anti_fall


def _year_sessions(crt, year: int):
    start, end = year_bounds(year)
    return (Session.objects.filter(crt=crt, starts_at__gte=start, starts_at__lt=end)
            .exclude(status=Session.Status.CANCELLED)
            .exclude(action__status=SupportAction.Status.CANCELLED))


def _check_counts() -> dict:
    counts = {f"f_{value}": Count("pk", filter=Q(action__field=value)) for value in Field.values}
    counts["anti_fall"] = Count("pk", filter=Q(action__anti_fall=True))
    return counts


def _check_from(year: int, counts: dict) -> YearlyCheck:
    return YearlyCheck(year=year, missing_fields=[label for value, label in Field.choices
                                                  if not counts[f"f_{value}"]],
                       has_anti_fall=bool(counts["anti_fall"]))


def yearly_check(*, crt, year: int) -> YearlyCheck:
    """One query."""
    return _check_from(year, _year_sessions(crt, year).aggregate(**_check_counts()))


def _participants(*statuses: str) -> Coalesce:
    """How many participations of the session have one of ``statuses``: a subquery per row
    shown (a join and GROUP BY counted every session of the list before its page was cut)."""
    return Coalesce(Subquery(
        Participation.objects.filter(session=OuterRef("pk"), status__in=statuses).order_by()
        .values("session").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField()), Value(0))


def _counts() -> dict:
    """A session's registered (present and absent included) and present counts."""
    return {"registered": _participants(Participation.Status.REGISTERED,
                                        Participation.Status.PRESENT,
                                        Participation.Status.ABSENT),
            "present": _participants(Participation.Status.PRESENT)}


def action_sessions(*, action: SupportAction) -> QuerySet[Session]:
    """The action's sessions in date order with their counts (registered, present),
    facilitators loaded (the page shows them by pages)."""
    return (
        action.sessions.select_related("commune")
        .prefetch_related("facilitators", "partner_facilitators")
        .annotate(**_counts())
        .order_by("starts_at", "pk"))


def first_page_to_come(sessions: QuerySet[Session], page_size: int) -> int:
    """The page of ``sessions`` (in date order) that holds the first session from today."""
    before = sessions.filter(starts_at__lt=_day_start(timezone.localdate())).order_by().count()
    return before // page_size + 1


def sessions(*, crt, user, roles, past: bool = False) -> QuerySet[Session]:
    """The sessions whose participants the user may see: to come (from today), or past (most
    recent first), with their counts."""
    today = _day_start(timezone.localdate())
    qs = (access.sessions_visible(crt=crt, user=user, roles=roles)
          .select_related("action", "commune").annotate(**_counts()))
    if past:
        return qs.filter(starts_at__lt=today).order_by("-starts_at")
    return qs.filter(starts_at__gte=today).order_by("starts_at")


def session_participations(*, session: Session) -> list[Participation]:
    """Registrations of ``session``, cancelled ones last; names only (no volet 2 data)."""
    rows = list(session.participations.select_related(
        "beneficiary", "attendee__organization", "attendee__commune", "transport_from"))
    rows.sort(key=lambda p: (p.status == Participation.Status.CANCELLED, p.kind,
                             p.person_name.lower()))
    return rows


def sessions_by_commune(*, crt, user, start: date | datetime, end: date | datetime
                        ) -> dict[str, int]:
    """Sessions (not cancelled) held or planned in [start, end) per commune INSEE code, for
    the map. Counts of sessions, never of people; remote sessions have no commune. Empty for a
    user who may not see volet 1 (``outreach.view``)."""
    roles = member_roles(user=user, crt=crt)
    if not isinstance(start, datetime):
        start = _day_start(start)
    if not isinstance(end, datetime):
        end = _day_start(end)
    qs = (Session.objects.filter(
        action__in=access.actions_visible(crt=crt, user=user, roles=roles),
        starts_at__gte=start, starts_at__lt=end, commune__isnull=False)
        .exclude(status=Session.Status.CANCELLED)
        .values_list("commune__insee_code").annotate(n=Count("pk")))
    return dict(qs)


@dataclass(frozen=True)
class Volet1Figures:
    actions: int
    sessions_held: int
    people: int
    check: YearlyCheck


def home_figures(*, crt, year: int) -> Volet1Figures:
    """The year's figures and check, in two queries."""
    held = Q(status=Session.Status.HELD)
    counts = _year_sessions(crt, year).aggregate(
        **_check_counts(), sessions_held=Count("pk", filter=held),
        actions=Count("action", filter=held, distinct=True))
    start, end = year_bounds(year)
    people = Participation.objects.filter(
        crt=crt, session__starts_at__gte=start, session__starts_at__lt=end,
        session__status=Session.Status.HELD, status=Participation.Status.PRESENT,
    ).aggregate(b=Count("beneficiary", distinct=True), a=Count("attendee", distinct=True))
    return Volet1Figures(actions=counts["actions"], sessions_held=counts["sessions_held"],
                         people=people["b"] + people["a"], check=_check_from(year, counts))


# --- Possible duplicates of a new light record ----------------------------------------------

#: How many possible duplicates of each sort are shown at most.
DUPLICATES_SHOWN = 10


@dataclass(frozen=True)
class PossibleDuplicates:
    """The people a new light record may already be (``attendee_possible_duplicates``)."""

    attendees: list
    beneficiaries: list
    caregivers: list

    def __bool__(self) -> bool:
        return bool(self.attendees or self.beneficiaries or self.caregivers)


def _first_name_matches(first: str, *known: str) -> bool:
    """Folded first names: the same, or one of them unknown (a light record's first name is
    optional); a volet 2 person's first names (birth, used, all of them) are each tried."""
    known_folded = [fold(k) for k in known if fold(k)]
    if not first or not known_folded:
        return True
    return any(first == k or f" {first} " in f" {k} " for k in known_folded)


def _first_name_key_matches(first: str) -> Q:
    """``_first_name_matches`` in SQL, on a light record's folded first name: the same, one of
    its words, or none recorded (``first_name_key`` holds single-spaced folded words)."""
    if not first:
        return Q()
    return (Q(first_name_key="") | Q(first_name_key=first)
            | Q(first_name_key__startswith=f"{first} ") | Q(first_name_key__endswith=f" {first}")
            | Q(first_name_key__contains=f" {first} "))


def attendee_possible_duplicates(*, crt, user, roles, kind: str, last_name: str,
                                 first_name: str = "", exclude: Attendee | None = None
                                 ) -> PossibleDuplicates:
    """Who a new light record of ``kind`` named ``last_name`` ``first_name`` may already be,
    names compared accents, case, hyphens and apostrophes aside (``core.folding.fold``): the
    light records of the same kind (their folded names, ``Attendee.last_name_key``, compared
    in SQL; ``exclude`` aside), and — only those the access policies offer ``user`` at
    registration (never a volet 2 person they may not see) — the volet 2 beneficiaries whose
    birth or used name it is (for an older person) or the volet 2 caregivers (for a caregiver)
    who have no light record yet. At most ``DUPLICATES_SHOWN`` of each."""
    last, first = fold(last_name), fold(first_name)
    if not last:
        return PossibleDuplicates([], [], [])
    who = {"crt": crt, "user": user, "roles": roles}
    same = (access.attendees_visible(**who)
            .filter(_first_name_key_matches(first), kind=kind, last_name_key=last))
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    attendees = list(same.select_related("commune", "organization")
                     .order_by("last_name", "pk")[:DUPLICATES_SHOWN])
    beneficiaries, caregivers = [], []
    if kind == Attendee.Kind.OLDER_PERSON:
        candidates = (access.volet2_beneficiaries_offered(**who)
                      .filter(name_key__contains=f" {last}").order_by("birth_name", "pk"))
        beneficiaries = [
            b for b in candidates
            if last in {fold(b.birth_name), fold(b.used_name)}
            and _first_name_matches(first, b.first_name, b.used_first_name, b.first_names)
        ][:DUPLICATES_SHOWN]
    elif kind == Attendee.Kind.CAREGIVER:
        candidates = (access.volet2_caregivers_offered(**who)
                      .exclude(pk__in=Attendee.objects.filter(
                          crt=crt, caregiver__isnull=False).values("caregiver"))
                      .order_by("last_name", "pk"))
        caregivers = [c for c in candidates.only("pk", "public_id", "last_name", "first_name")
                      if fold(c.last_name) == last
                      and _first_name_matches(first, c.first_name)][:DUPLICATES_SHOWN]
    return PossibleDuplicates(attendees, beneficiaries, caregivers)


# --- Two light records of one person, merged (``merge.attendee_merge``) ----------------------


def attendee_registrations(attendees) -> dict[int, int]:
    """How many registrations (not cancelled) each of ``attendees`` has, by pk; one query."""
    return dict(Participation.objects.filter(attendee__in=[a.pk for a in attendees])
                .filter(ACTIVE).order_by().values_list("attendee").annotate(n=Count("pk")))


def attendee_merge_candidates(*, crt, user, roles, attendee: Attendee) -> list[Attendee]:
    """The other light records ``attendee`` may duplicate (``attendee_possible_duplicates``:
    same kind, same folded names), each with ``registrations`` (not cancelled)."""
    found = attendee_possible_duplicates(
        crt=crt, user=user, roles=roles, kind=attendee.kind, last_name=attendee.last_name,
        first_name=attendee.first_name, exclude=attendee).attendees
    counts = attendee_registrations([attendee, *found])
    for a in (attendee, *found):
        a.registrations = counts.get(a.pk, 0)
    return found


@dataclass(frozen=True)
class MergeSummary:
    """What a merge of ``duplicate`` into ``kept`` does to their registrations."""

    kept: list
    duplicate: list
    #: Sessions where both are registered: one registration is left.
    common: set


def _registrations_of_both(*, crt, user, roles, kept: Q, duplicate: Attendee) -> MergeSummary:
    """The registrations of the person ``kept`` names and of the light record ``duplicate``
    (session, action, presence), most recent first."""
    rows = list(access.participations_visible(crt=crt, user=user, roles=roles)
                .filter(kept | Q(attendee=duplicate))
                .select_related("session__action").order_by("-session__starts_at", "pk"))
    theirs = [p for p in rows if p.attendee_id == duplicate.pk]
    mine = [p for p in rows if p.attendee_id != duplicate.pk]
    common = {p.session_id for p in mine} & {p.session_id for p in theirs}
    return MergeSummary(kept=mine, duplicate=theirs, common=common)


def attendee_merge_summary(*, crt, user, roles, kept: Attendee,
                           duplicate: Attendee) -> MergeSummary:
    """The registrations of both records (session, action, presence), most recent first."""
    return _registrations_of_both(crt=crt, user=user, roles=roles, kept=Q(attendee=kept),
                                  duplicate=duplicate)


@dataclass(frozen=True)
class JoinSummary:
    """What joining a light record to a volet 2 file (``merge.attendee_join_file``) does:
    ``registrations.kept`` are the file's, ``registrations.duplicate`` the light record's."""

    registrations: MergeSummary
    #: The light record's telehealth acts, moved to the file; None for a reader who may not
    #: know of them (health data: ``care.access.sees_territory_telehealth``).
    telehealth_acts: int | None


def attendee_join_summary(*, crt, user, roles, attendee: Attendee,
                          beneficiary) -> JoinSummary:
    """The registrations of the light record and of the volet 2 file, and the light record's
    telehealth acts for a reader who sees them."""
    from maillage.care.access import sees_territory_telehealth, territory_acts_visible

    registrations = _registrations_of_both(crt=crt, user=user, roles=roles,
                                           kept=Q(beneficiary=beneficiary), duplicate=attendee)
    telehealth = (territory_acts_visible(crt=crt, user=user, roles=roles)
                  .filter(attendee=attendee).count()
                  if sees_territory_telehealth(roles) else None)
    return JoinSummary(registrations=registrations, telehealth_acts=telehealth)


@dataclass(frozen=True)
class MergedAway:
    """A light record merged into another or joined to a volet 2 file, then deleted: its
    name, and the record kept (None if it no longer exists either) or the file (None if this
    reader may not see it)."""

    label: str
    kept: Attendee | None
    joined: bool = False
    beneficiary: object = None


def attendee_merged_into(*, crt, user, roles, public_id) -> MergedAway | None:
    """Whether the light record ``public_id`` of ``crt`` was merged into another or joined to
    a volet 2 file (read in the audit trail: the record itself is deleted)."""
    from maillage.beneficiaries.access import visible_beneficiaries

    event = (AuditEvent.objects.filter(crt=crt, object_id=str(public_id), action__in=(
        "attendee.merged_away", "attendee.joined_away"))
             .order_by("-occurred_at").values("action", "object_label", "details").first())
    if event is None:
        return None
    if event["action"] == "attendee.joined_away":
        beneficiary = visible_beneficiaries(crt=crt, user=user, roles=roles).filter(
            public_id=event["details"].get("dossier du volet 2")).first()
        return MergedAway(label=event["object_label"], kept=None, joined=True,
                          beneficiary=beneficiary)
    kept = Attendee.objects.filter(
        crt=crt, public_id=event["details"].get("fiche conservée")).first()
    return MergedAway(label=event["object_label"], kept=kept)


# --- The same name twice in one session ------------------------------------------------------


def _names_of(person) -> tuple[set[str], list[str]]:
    """The folded last names and the first names of a light record or a volet 2 beneficiary."""
    if isinstance(person, Attendee):
        return {fold(person.last_name)} - {""}, [person.first_name]
    return ({fold(person.birth_name), fold(person.used_name)} - {""},
            [person.first_name, person.used_first_name, person.first_names])


def _same_name(a, b) -> bool:
    """The same folded last name, and first names that match (``_first_name_matches``, either
    way round: « Marie » and « Marie-Thérèse »; a missing first name matches any)."""
    lasts_a, firsts_a = _names_of(a)
    lasts_b, firsts_b = _names_of(b)
    if not lasts_a & lasts_b:
        return False
    folded_a = [fold(f) for f in firsts_a if fold(f)]
    folded_b = [fold(f) for f in firsts_b if fold(f)]
    if not folded_a or not folded_b:
        return True
    return (any(_first_name_matches(f, *folded_b) for f in folded_a)
            or any(_first_name_matches(f, *folded_a) for f in folded_b))


def _kind_of(person) -> str:
    return person.kind if isinstance(person, Attendee) else Attendee.Kind.OLDER_PERSON


def _may_be_one_person(a, b) -> bool:
    """Two records that may name one person: the same kind and names, not both volet 2 files
    (two files are two people), not the same record."""
    if isinstance(a, Attendee) is isinstance(b, Attendee) and a.pk == b.pk:
        return False
    if not isinstance(a, Attendee) and not isinstance(b, Attendee):
        return False
    return _kind_of(a) == _kind_of(b) and _same_name(a, b)


@dataclass(frozen=True)
class SameName:
    """One of the people to register whose names are another's of the same kind."""

    person: object
    #: Registrations (not cancelled) of the session of that other person.
    registered: list
    #: People before them in the same list (registered together).
    listed: list


def session_same_names(*, session: Session, people: Sequence) -> list[SameName]:
    """Of ``people`` to register together to ``session`` (light records and volet 2
    beneficiaries), those with the same kind and folded names as someone already registered
    (not cancelled) or listed before them: a light record and a beneficiary of one person
    registered twice, counted twice. Two volet 2 beneficiaries are two files, never reported.
    One query."""
    named = Q()
    for person in people:
        lasts, _ = _names_of(person)
        if not lasts:
            continue
        same = Q(attendee__last_name_key__in=lasts)
        if _kind_of(person) == Attendee.Kind.OLDER_PERSON:
            for last in lasts:
                same |= Q(beneficiary__name_key__contains=f" {last}")
        named |= same & Q(kind=_kind_of(person))
    rows = list(session.participations.filter(ACTIVE).filter(named)
                .select_related("attendee", "beneficiary").order_by("pk")) if named else []
    found = []
    for index, person in enumerate(people):
        if not _names_of(person)[0]:
            continue
        registered = [p for p in rows if p.kind == _kind_of(person)
                      and _may_be_one_person(person, p.beneficiary or p.attendee)]
        listed = [other for other in people[:index] if _may_be_one_person(person, other)]
        if registered or listed:
            found.append(SameName(person=person, registered=registered, listed=listed))
    return found


def session_same_name(*, session: Session, person) -> list[Participation]:
    """The registrations (not cancelled) of ``session`` of another person of the same kind
    with the same folded names as ``person`` (a light record or a volet 2 beneficiary, an
    older person): ``session_same_names`` for one person."""
    found = session_same_names(session=session, people=[person])
    return found[0].registered if found else []
