"""The day of the professional chosen on the booking form (« Journée de … le … »): her visits
of that day in this CRT, her rest after a night, the hours she is taken in another CRT she
works for, and the free gaps left between 07:00 and 21:00, in the CRT's time zone.

Reads only, with a fixed number of queries whatever the number of visits: her visits (one
query, each with whether the reader may see it and the person's identity, through the
policies: ``selectors.visible_visits`` and the file's ``identity`` face), her hours elsewhere
(``elsewhere.busy_slots``: one query, the hours only) and her rest (``rounds.rest``: a
member of staff only)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from maillage.beneficiaries.access import beneficiaries_for
from maillage.core.plurals import count_label
from maillage.core.selectors import team_member_users
from maillage.territory.models import Professional

from . import elsewhere, selectors
from .models import Visit
from .services import local_dt

#: The hours free gaps are looked for in (the day's, as the timelines emphasise them).
FREE_FROM, FREE_UNTIL = "07:00", "21:00"
#: A gap shorter than this is no room for a visit.
MIN_FREE = timedelta(minutes=30)
#: Her hours in another CRT: nothing else of them (``elsewhere``).
ELSEWHERE_LABEL = "Occupé·e (autre CRT)"
#: A visit whose person the reader may not see (or not by name).
ANONYMOUS = "Passage"

VISIT_FIELDS = (
    "crt_id", "status", "starts_at", "ends_at", "beneficiary_id", "service_id",
    "beneficiary__used_name", "beneficiary__birth_name", "beneficiary__used_first_name",
    "beneficiary__first_name", "service__name",
)


def actor(*, crt, staff: str = "", professional: str = ""):
    """The professional named by the booking form's fields, as the form offers them: a member
    of the CRT's team (``core.selectors.team_member_users``) or an active professional of its
    directory. ``("staff", user)``, ``("professional", professional)``, or None when neither
    field is filled; ``LookupError`` for anyone else (another CRT's people included)."""
    try:
        if staff:
            return "staff", team_member_users(crt=crt).get(public_id=staff)
        if professional:
            return "professional", (Professional.objects.select_related("organization")
                                    .get(crt=crt, is_active=True, public_id=professional))
    except (ObjectDoesNotExist, ValidationError, ValueError) as error:
        raise LookupError(staff or professional) from error
    return None


def actor_name(kind: str, who) -> str:
    if kind == "staff":
        return who.get_full_name() or who.username
    name = f"{who.first_name} {who.last_name}".strip()
    return f"{name} ({who.organization.name})" if who.organization_id else name


def account_of(kind: str, who) -> int | None:
    """The account whose hours elsewhere and rest are hers (a partner without one: None)."""
    return who.pk if kind == "staff" else who.user_id


def _at(moment: datetime, day: date) -> str:
    """« 10:30 », or with the day when not ``day``'s (a visit crossing midnight)."""
    local = timezone.localtime(moment)
    if local.date() < day:
        return f"{local:%H:%M} (veille)"
    if local.date() > day:
        return f"{local:%H:%M} (lendemain)"
    return f"{local:%H:%M}"


@dataclass(frozen=True)
class Busy:
    starts_at: datetime
    ends_at: datetime
    label: str
    kind: str  # "visit", "elsewhere", "rest"
    day: date

    @property
    def hours(self) -> str:
        return f"{_at(self.starts_at, self.day)}–{_at(self.ends_at, self.day)}"


@dataclass(frozen=True)
class Gap:
    starts_at: datetime
    ends_at: datetime

    @property
    def start(self) -> str:
        return f"{timezone.localtime(self.starts_at):%H:%M}"

    @property
    def end(self) -> str:
        return f"{timezone.localtime(self.ends_at):%H:%M}"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def __str__(self) -> str:
        return f"Libre de {self.start} à {self.end}"


@dataclass
class Day:
    who: str
    day: date
    busy: list[Busy] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """The day in a few words, for the status line a screen reader hears when the panel
        changes (``booking_day.js``)."""
        busy = (count_label(len(self.busy), "plage occupée,plages occupées") if self.busy
                else "aucune plage occupée")
        free = (count_label(len(self.gaps), "créneau libre,créneaux libres") if self.gaps
                else "aucun créneau libre")
        return f"Journée de {self.who} le {self.day:%d/%m/%Y} : {busy}, {free}."


def free_gaps(busy: list[tuple[datetime, datetime]], day: date) -> list[Gap]:
    """The gaps of at least ``MIN_FREE`` between ``FREE_FROM`` and ``FREE_UNTIL`` of ``day``
    (its wall clock) that no busy hours overlap. Compared in UTC: real minutes, also on the
    days the clocks change."""
    cursor, last = local_dt(day, FREE_FROM), local_dt(day, FREE_UNTIL)
    gaps = []
    for starts, ends in sorted(busy):
        if cursor >= last:
            break
        if ends <= cursor:
            continue
        end = min(starts, last)
        if end - cursor >= MIN_FREE:
            gaps.append(Gap(cursor, end))
        cursor = max(cursor, ends)
    if last - cursor >= MIN_FREE:
        gaps.append(Gap(cursor, last))
    return gaps


def booking_day(*, crt, user, roles, kind: str, who, day: date, sees_elsewhere: bool,
                leave_out: Visit | None = None) -> Day:
    """The day of ``who`` (``actor``) on ``day``, as ``user`` may see it: her visits of this
    CRT overlapping the day (planned or done, as the double-booking check counts them), each
    « HH:MM–HH:MM · person · service » when the reader may see the visit and the person's
    identity, else « Passage »; her rest after the night (staff); her hours in another CRT
    when ``sees_elsewhere``, as « Occupé·e (autre CRT) »; the free gaps left. ``leave_out``:
    the visit being moved (its edit form), whose hours are not taken."""
    begin, end = local_dt(day, "00:00"), local_dt(day + timedelta(days=1), "00:00")
    visible = selectors.visible_visits(crt=crt, user=user, roles=roles).filter(
        pk=OuterRef("pk"))
    named = beneficiaries_for("identity", crt=crt, user=user, roles=roles).filter(
        pk=OuterRef("beneficiary_id"))
    visits = (Visit.objects.filter(crt=crt, status__in=elsewhere.BUSY_STATUSES,
                                   starts_at__lt=end, ends_at__gt=begin, **{kind: who})
              .select_related("beneficiary", "service").only(*VISIT_FIELDS)
              .annotate(shown=Exists(visible) & Exists(named))
              .order_by("starts_at", "ends_at", "pk"))
    if leave_out is not None:
        visits = visits.exclude(pk=leave_out.pk)
    busy = []
    for v in visits:
        label = f"{v.beneficiary.display_name} · {v.label}" if v.shown else ANONYMOUS
        busy.append(Busy(v.starts_at, v.ends_at, label, "visit", day))
    account = account_of(kind, who)
    if kind == "staff":
        from maillage.rounds.rest import rests_of_day

        rest = rests_of_day(crt_id=crt.pk, user_ids=[who.pk], day=day).get(who.pk)
        if rest is not None and rest.ends_at > begin:
            busy.append(Busy(rest.busy_from or rest.starts_at, rest.ends_at, rest.label(day),
                             "rest", day))
    if account and sees_elsewhere:
        for starts, ends in elsewhere.busy_slots(crt_id=crt.pk, user_ids=[account],
                                                 start=begin, end=end).get(account, []):
            busy.append(Busy(starts, ends, ELSEWHERE_LABEL, "elsewhere", day))
    busy.sort(key=lambda b: (b.starts_at, b.ends_at))
    return Day(actor_name(kind, who), day, busy,
               free_gaps([(b.starts_at, b.ends_at) for b in busy], day))
