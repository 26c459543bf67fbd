"""Busy in another CRT: the hours a professional who works for several CRTs (the demo's night
nurse shared by CRT Anjou Bleu and CRT Baugeois Vallée) is already booked by another CRT. The
one deliberate read of the visits across CRTs.

Tenancy is strict (ARCHITECTURE « Tenancy »): every other read of the visits is filtered by the
current CRT. Without this one, the same person could be booked at the same hour by two CRTs,
each seeing a free slot. It is kept as small as the need:

- **whose visits**: those of one account (``User``) — the visit's team member (``staff``) or
  the account behind its directory professional (``Professional.user``) —, in the *other* CRTs
  where that account holds an **active membership** (it works there now). A professional of
  the directory without an account is never looked up elsewhere (nothing says two directory
  entries are the same person);
- **what is read**: the start and end of the planned or done visits overlapping the hours asked
  for (``values_list``, no model instance): never the person visited, the address, the service,
  the instructions, the report, the other CRT's name nor any identifier of the visit, so that
  nothing else can be shown by mistake. The account id read alongside only sorts the hours by
  the professional they were asked for;
- **what is shown**: the hours only — « Ce professionnel est déjà pris sur ce créneau dans un
  autre CRT (de 21:00 à 22:00). » when a visit is planned or moved (``services``: the forms,
  the API, the timeline's drag and drop), and a neutral « Indisponible (autre CRT) » block on
  the professional's week and the team's day, to the planners of the current CRT and to the
  professional on their own week (``visits.views``).

The same account's **night's work** in those CRTs (``night_work``) is read as narrowly, for
its rest after the night (``rounds.rest``: 11 hours of daily rest, whichever CRT she worked the
night for): the start and end only of her on-call turns that travel, of her outings on calls
(until the end of the intervention), of her night visits (planned or done, starting in the
heart of the night) and of her night hours (``CarerHours`` ending the next morning). Never the
duty's arrangement, the caller, the person, the reason, the place nor which CRT; what is shown
is « fin de son travail de nuit dans un autre CRT à 07:00 » (``rest.ELSEWHERE``).

No audit event of its own: working hours tell nothing of a person followed by the other CRT (no
identity, no health data); the page or the change that shows them is audited as usual."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from maillage.core.models import Membership
from maillage.core.plurals import count_label
from maillage.territory.models import Professional

from .models import Visit

#: Visits that keep their professional busy (as for the double-booking within a CRT).
BUSY_STATUSES = (Visit.Status.PLANNED, Visit.Status.DONE)
#: The others, which the reads across CRTs exclude rather than filter the busy ones: a filter on
#: the status lets SQLite read the visits through the index of the untraced ones (status, end),
#: every coming visit of the CRTs, instead of the professional's hours.
NOT_BUSY = tuple(s for s in Visit.Status if s not in BUSY_STATUSES)

#: What a block of the timeline says (no link: nothing of the other CRT opens from here).
BLOCK_LABEL = "Indisponible (autre CRT)"

Slot = tuple[datetime, datetime]


def user_of(visit: Visit) -> int | None:
    """The account of the visit's professional: its team member, or the account linked to its
    directory professional (None for a professional without an account)."""
    if visit.staff_id:
        return visit.staff_id
    if visit.professional_id:
        return visit.professional.user_id
    return None


def works_elsewhere(*, crt_id: int, account: str) -> Exists:
    """Whether the account in the column ``account`` (a reference to the outer query) holds an
    active membership of a CRT other than ``crt_id``: annotated on the rows of a page, so that
    ``busy_slots`` is asked only for those who do (most people work for one CRT only)."""
    return Exists(Membership.objects.filter(user_id=OuterRef(account), is_active=True)
                  .exclude(crt_id=crt_id))


def _by_account(rows: QuerySet, *, crt_id: int, ids: list[int]) -> tuple[QuerySet, QuerySet]:
    """Of ``rows`` (visits or on-call turns: a team member ``staff`` or a directory
    ``professional``), those of the accounts ``ids`` in the CRTs other than ``crt_id`` where the
    account holds an active membership, as two querysets annotated with the account (``who``):
    as a team member, as the account behind a directory professional. Each is one index scan
    (the CRT, the professional, the time) for a UNION ALL, where an OR-join of both kinds would
    read every row of the other CRTs in the hours asked for."""
    elsewhere = Membership.objects.filter(user_id__in=ids, is_active=True).exclude(crt_id=crt_id)
    there = rows.filter(crt_id__in=elsewhere.values("crt_id"))
    as_staff = (there.filter(staff_id__in=ids)
                .filter(Exists(Membership.objects.filter(crt_id=OuterRef("crt_id"),
                                                         user_id=OuterRef("staff_id"),
                                                         is_active=True)))
                .annotate(who=F("staff_id")))
    # A directory professional belongs to the CRT of its visits and turns (the services check).
    professionals = Professional.objects.filter(
        user_id__in=ids, crt_id__in=elsewhere.filter(user_id=OuterRef("user_id")).values("crt_id"))
    as_professional = (there.filter(professional_id__in=professionals.values("pk"))
                       .annotate(who=F("professional__user_id")))
    return as_staff, as_professional


def busy_slots(*, crt_id: int, user_ids: Iterable[int], start: datetime, end: datetime
               ) -> dict[int, list[Slot]]:
    """For each account of ``user_ids``, the hours of its visits (planned or done) overlapping
    [start, end) in the CRTs other than ``crt_id`` where it holds an active membership, sorted.
    One query, whatever the number of accounts; none when ``user_ids`` is empty.

    The query is a UNION ALL of two index scans (``visit_staff_time``, ``visit_pro_time``: the
    other CRTs, the accounts' team members or directory professionals, the visits starting in
    [start − ``Visit.LONGEST``, end)) rather than an OR-join of both kinds of professional, which
    read every coming visit of every CRT: its cost is the accounts' visits of those hours,
    whatever the size of the CRTs."""
    ids = sorted({i for i in user_ids if i})
    if not ids:
        return {}
    hours = Visit.objects.filter(starts_at__gte=start - Visit.LONGEST, starts_at__lt=end,
                                 ends_at__gt=start).exclude(status__in=NOT_BUSY).order_by()
    as_staff, as_professional = _by_account(hours, crt_id=crt_id, ids=ids)
    rows = (as_staff.values_list("who", "starts_at", "ends_at")
            .union(as_professional.values_list("who", "starts_at", "ends_at"), all=True)
            .order_by("starts_at", "ends_at"))
    found: dict[int, list[Slot]] = {}
    for account, starts, ends in rows:
        slots = found.setdefault(account, [])
        if (starts, ends) not in slots:  # two visits at once elsewhere: one busy slot
            slots.append((starts, ends))
    return found


def night_work(*, crt_id: int, user_ids: Iterable[int], start: datetime, end: datetime
               ) -> dict[int, list[Slot]]:
    """For each account of ``user_ids``, the hours of its night's work in the CRTs other than
    ``crt_id`` where it holds an active membership, for the nights within [start, end): its
    on-call turns that travel and its night hours overlapping them, its outings on calls
    received since the day before ``start``, its night visits starting within them (in the
    heart of the night, ``rounds.rest.NIGHT``). Sorted; the rest after them is ``rounds.rest``'s
    to say. Two queries whatever the number of accounts (the turns, outings and visits in one),
    none when ``user_ids`` is empty."""
    from maillage.oncall.models import Call, Shift
    from maillage.rounds.models import CarerHours
    from maillage.rounds.rest import NIGHT

    ids = sorted({i for i in user_ids if i})
    if not ids:
        return {}
    works_there = Membership.objects.filter(crt_id=OuterRef("crt_id"), is_active=True)

    def there(column: str) -> Exists:
        return Exists(works_there.filter(user_id=OuterRef(column)))

    # A turn's or a visit's: its member of staff, or the account behind its directory entry.
    turns_staff, turns_professional = _by_account(
        Shift.objects.filter(duty__in=Shift.TRAVELS, starts_at__lt=end, ends_at__gt=start)
        .order_by(), crt_id=crt_id, ids=ids)
    turns = [part.annotate(began=F("starts_at"), ended=F("ends_at"))
             .values_list("who", "began", "ended")
             for part in (turns_staff, turns_professional)]
    # An outing not written to its end: until the end of her turn, else the latest time written.
    turn_end = Subquery(Shift.objects.filter(
        crt_id=OuterRef("crt_id"), starts_at__lte=OuterRef("received_at"),
        ends_at__gt=OuterRef("received_at")).filter(
        Q(staff_id=OuterRef("travelled_by_id"))
        | Q(professional__user_id=OuterRef("travelled_by_id")))
        .order_by("starts_at").values("ends_at")[:1])
    outings = (Call.objects.filter(call_out=True, travelled_by_id__in=ids,
                                   received_at__lt=end,
                                   received_at__gte=start - timedelta(days=1))
               .filter(there("travelled_by_id")).exclude(crt_id=crt_id).order_by()
               .annotate(who=F("travelled_by_id"), began=Coalesce("departed_at", "received_at"),
                         ended=Coalesce("left_at", turn_end, "arrived_at", "departed_at",
                                        "received_at"))
               .values_list("who", "began", "ended"))
    night_visits = _by_account(
        Visit.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .filter(Q(starts_at__hour__gte=NIGHT[0]) | Q(starts_at__hour__lt=NIGHT[1]))
        .exclude(status__in=NOT_BUSY).order_by(), crt_id=crt_id, ids=ids)
    visits = [part.annotate(began=F("starts_at"), ended=Coalesce("actual_end", "ends_at"))
              .values_list("who", "began", "ended") for part in night_visits]
    work = list(turns[0].union(turns[1], outings, *visits, all=True))
    # Her night hours there: those of an evening ending the next morning.
    evenings = [timezone.localdate(start) - timedelta(days=1) + timedelta(days=n)
                for n in range((timezone.localdate(end) - timezone.localdate(start)).days + 2)]
    for user_id, weekday, begins, ends in (
            CarerHours.objects.filter(user_id__in=ids, ends__lte=F("starts"),
                                      weekday__in={e.weekday() for e in evenings})
            .filter(there("user_id")).exclude(crt_id=crt_id).order_by()
            .values_list("user_id", "weekday", "starts", "ends")):
        for evening in evenings:
            if evening.weekday() == weekday:
                began = timezone.make_aware(datetime.combine(evening, begins))
                ended = timezone.make_aware(datetime.combine(evening + timedelta(days=1), ends))
                if began < end and ended > start:
                    work.append((user_id, began, ended))
    found: dict[int, list[Slot]] = {}
    for user_id, began, ended in sorted(work, key=lambda w: (w[1], w[2])):
        slots = found.setdefault(user_id, [])
        if (began, ended) not in slots:
            slots.append((began, ended))
    return found


@dataclass(frozen=True)
class BusyElsewhere:
    """A visit of this CRT whose professional is already taken in another CRT at these hours
    (the other visit's hours, nothing else of it)."""

    visit: Visit
    starts_at: datetime
    ends_at: datetime

    def hours(self, *, with_day: bool = False) -> str:
        start, end = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        same_day = start.date() == timezone.localtime(self.visit.starts_at).date()
        day = "" if same_day and not with_day else f"le {start:%d/%m/%Y} "
        return f"{day}de {start:%H:%M} à {end:%H:%M}"


def find_busy_elsewhere(visits: list[Visit]) -> list[BusyElsewhere]:
    """Among ``visits`` (of one CRT, possibly unsaved: a series about to be created), those
    whose professional is already taken in another CRT at an overlapping time, with the first
    such slot. One query for all of them (none when no visit has an account behind it)."""
    wanted = [(v, u) for v in visits if (u := user_of(v))]
    if not wanted:
        return []
    slots = busy_slots(crt_id=wanted[0][0].crt_id, user_ids={u for _, u in wanted},
                       start=min(v.starts_at for v, _ in wanted),
                       end=max(v.ends_at for v, _ in wanted))
    found = []
    for v, user in sorted(wanted, key=lambda pair: pair[0].starts_at):
        for starts, ends in slots.get(user, ()):
            if starts < v.ends_at and ends > v.starts_at:
                found.append(BusyElsewhere(v, starts, ends))
                break
    return found


def describe(found: list[BusyElsewhere]) -> str:
    """The warning, in French: the hours only."""
    if len(found) == 1:
        return ("Ce professionnel est déjà pris sur ce créneau dans un autre CRT "
                f"({found[0].hours()}).")
    shown = " ; ".join(b.hours(with_day=True) for b in found[:3])
    more = f" (et {count_label(len(found) - 3, 'autre')})" if len(found) > 3 else ""
    return f"Ce professionnel est déjà pris sur ces créneaux dans un autre CRT : {shown}{more}."
