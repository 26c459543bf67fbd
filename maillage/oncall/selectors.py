"""Reads of the on-call service: who is on call, the search of the on-call screen, the calls
the care team is told about, the coverage of the coming days, the figures."""

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Replace
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary, Caregiver, by_shown_name

from .access import calls_visible
from .models import BreakGlass, Call, EmergencyFile, EscalationContact, Shift
from .rota import NIGHT_END, NIGHT_START, Gap, coverage_gaps

SHIFT_RELATED = ("staff", "professional__organization", "arrangement")
CALL_RELATED = ("beneficiary", "answered_by", "travelled_by")


def on_call_now(*, crt, at: datetime | None = None) -> list[Shift]:
    at = at or timezone.now()
    return list(Shift.objects.filter(crt=crt, starts_at__lte=at, ends_at__gt=at)
                .select_related(*SHIFT_RELATED).order_by("duty"))


def contacts(*, crt, at: datetime | None = None) -> list[EscalationContact]:
    """The escalation chain in its order, those reachable at ``at`` (now) first; each carries
    ``reachable_now``. One query."""
    moment = timezone.localtime(at or timezone.now()).time()
    items = list(EscalationContact.objects.filter(crt=crt))
    for item in items:
        item.reachable_now = item.reachable_at(moment)
    return sorted(items, key=lambda item: not item.reachable_now)  # stable: keeps the order


def shifts_between(*, crt, start: datetime, end: datetime) -> list[Shift]:
    return list(Shift.objects.filter(crt=crt, ends_at__gt=start, starts_at__lt=end)
                .select_related(*SHIFT_RELATED).order_by("starts_at", "duty"))


def coverage(*, crt, days: int = 30, start: datetime | None = None) -> list[Gap]:
    start = start or timezone.now()
    shifts = Shift.objects.filter(crt=crt, ends_at__gt=start,
                                  starts_at__lt=start + timedelta(days=days)).only(
        "starts_at", "ends_at", "duty")
    return coverage_gaps(list(shifts), start=start, days=days)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _no_spaces(field: str):
    return Replace(Replace(Replace(field, Value(" "), Value("")), Value("."), Value("")),
                   Value("-"), Value(""))


def matching(qs: QuerySet[Beneficiary], query: str) -> QuerySet[Beneficiary] | None:
    """``qs`` narrowed to the on-call search of ``query``: a name, a birth date (dd/mm/yyyy) or
    a phone number (the person's or a caregiver's, spaces and dots ignored); None when the
    query cannot match anyone (too short, impossible date)."""
    query = query.strip()
    if len(query) < 2:
        return None
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", query)
    digits = _digits(query)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return qs.filter(birth_date=date(year, month, day))
        except ValueError:
            return None
    if len(digits) >= 4 and re.fullmatch(r"[\d\s.+()-]+", query):
        if digits.startswith("33") and len(digits) == 11:
            digits = "0" + digits[2:]
        caregivers = Caregiver.objects.annotate(p=_no_spaces("phone")).filter(
            beneficiary=OuterRef("pk"), p__contains=digits)
        return qs.annotate(p=_no_spaces("phone"), m=_no_spaces("mobile")).filter(
            Q(p__contains=digits) | Q(m__contains=digits) | Exists(caregivers))
    for word in query.split():
        qs = qs.filter(Q(birth_name__icontains=word) | Q(used_name__icontains=word)
                       | Q(first_name__icontains=word) | Q(used_first_name__icontains=word))
    return qs


def search(*, crt, query: str, limit: int = 20) -> list[Beneficiary]:
    """The on-call screen's search (``matching``). Current beneficiaries first."""
    qs = matching(Beneficiary.objects.filter(crt=crt).select_related("commune"), query)
    if qs is None:
        return []
    from maillage.admissions.models import Suspension

    today = timezone.localdate()
    away = (Suspension.objects.filter(enrolment__beneficiary=OuterRef("pk"),
                                      enrolment__ended_on__isnull=True, start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=today)).order_by("start_date"))
    people = list(qs.annotate(active=Exists(
        Beneficiary.objects.filter(pk=OuterRef("pk"), enrolments__ended_on__isnull=True)),
        away_kind=Subquery(away.values("kind")[:1]),
        away_since=Subquery(away.values("start_date")[:1]))
        .order_by("-active", *by_shown_name(), "pk")[:limit])
    for b in people:  # away from home (hospitalisation…): said in the result
        b.away_label = Suspension.Kind(b.away_kind).label if b.away_kind else ""
    return people


def open_calls(*, crt, user, roles) -> list[Call]:
    """The open calls this user took (the on-call screen's reminder)."""
    return list(calls_visible(crt=crt, user=user, roles=roles)
                .filter(answered_by=user, status=Call.Status.OPEN)
                .select_related(*CALL_RELATED))


def calls(*, crt, user, roles, month: date | None = None) -> QuerySet[Call]:
    """The calls this user may read (``access.calls_visible``), newest first."""
    qs = calls_visible(crt=crt, user=user, roles=roles).select_related(*CALL_RELATED)
    if month is not None:
        start = timezone.make_aware(datetime(month.year, month.month, 1))
        end_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        qs = qs.filter(received_at__gte=start,
                       received_at__lt=timezone.make_aware(datetime.combine(
                           end_month, datetime.min.time())))
    return qs


def night_summary(*, crt, now: datetime | None = None) -> list[Call]:
    """Every call since yesterday 08:00 (at most 30), for the morning panel of the home page,
    which shows only those ``access.calls_visible`` lets its reader read and counts the
    others (``oncall/home.py``)."""
    now = timezone.localtime(now or timezone.now())
    since = now.replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=1)
    return list(Call.objects.filter(crt=crt, received_at__gte=since)
                .select_related(*CALL_RELATED).order_by("-received_at")[:30])


def calls_for_file(*, beneficiary, user, roles, days: int = 7) -> list[Call]:
    """The on-call interventions of the last days shown on a person's file: the calls this
    user may read (``access.calls_visible``: the coordinator, who was on call, the care team's
    health professionals when the person agreed that they be informed)."""
    since = timezone.now() - timedelta(days=days)
    return list(calls_visible(crt=beneficiary.crt_id, user=user, roles=roles)
                .filter(beneficiary=beneficiary, received_at__gte=since)
                .select_related("answered_by", "travelled_by"))


#: How far back the call screen lists a person's other calls.
EARLIER_DAYS = 30
EARLIER_SHOWN = 20


def period_start(at: datetime) -> datetime:
    """The start of the on-call period holding ``at``: the night (20:00 → 08:00, the rota's
    hours) it belongs to, or the day from 08:00."""
    local = timezone.localtime(at)
    if local.time() >= NIGHT_START:
        start = datetime.combine(local.date(), NIGHT_START)
    elif local.time() < NIGHT_END:
        start = datetime.combine(local.date() - timedelta(days=1), NIGHT_START)
    else:
        start = datetime.combine(local.date(), NIGHT_END)
    return timezone.make_aware(start)


@dataclass
class EarlierCalls:
    """A person's other calls of the last 30 days, for the call screen: those of the same
    on-call period (``this_period``) and the others (``before``). Each call carries
    ``readable``: its content (reason, outcome, its page) is shown only when
    ``access.calls_visible`` lets the reader read it; otherwise only its time and who took it,
    so that the night nurse knows whom to ask."""

    this_period: list[Call]
    before: list[Call]
    night: bool
    more: int = 0

    @property
    def readable(self) -> list[Call]:
        return [c for c in self.this_period + self.before if c.readable]

    def __bool__(self) -> bool:
        return bool(self.this_period or self.before)

    @property
    def groups(self) -> list[dict]:
        same = ("La même nuit (depuis 20 h)" if self.night
                else "Le même jour (depuis 8 h)")
        return [{"title": same, "calls": self.this_period},
                {"title": f"Les {EARLIER_DAYS} derniers jours", "calls": self.before}]


def earlier_calls(*, beneficiary, user, roles, at: datetime | None = None,
                  exclude: Call | None = None) -> EarlierCalls:
    """The person's calls of the 30 days before ``at`` (now) up to now, newest first, but
    ``exclude`` (the call on screen); at most 20 (two queries)."""
    now = timezone.now()
    at = at or now
    start = period_start(at)
    qs = (Call.objects.filter(crt_id=beneficiary.crt_id, beneficiary=beneficiary,
                              received_at__gte=at - timedelta(days=EARLIER_DAYS),
                              received_at__lte=max(at, now))
          .select_related("answered_by").order_by("-received_at"))
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    rows = list(qs[:EARLIER_SHOWN + 1])
    more = len(rows) > EARLIER_SHOWN
    rows = rows[:EARLIER_SHOWN]
    readable = set(calls_visible(crt=beneficiary.crt_id, user=user, roles=roles)
                   .filter(pk__in=[c.pk for c in rows]).values_list("pk", flat=True)) \
        if rows else set()
    for c in rows:
        c.readable = c.pk in readable
    return EarlierCalls(this_period=[c for c in rows if c.received_at >= start],
                        before=[c for c in rows if c.received_at < start],
                        night=timezone.localtime(start).time() == NIGHT_START,
                        more=int(more))


def break_glass_list(*, crt, pending_only: bool = False) -> QuerySet[BreakGlass]:
    """Break-the-glass accesses to review, each with its call (time, reason code — never the
    call's clinical text), the person, who, the stated reason and when the access ends."""
    qs = BreakGlass.objects.filter(crt=crt).select_related("user", "beneficiary", "call",
                                                           "reviewed_by")
    return qs.filter(reviewed_at__isnull=True) if pending_only else qs


# --- Figures ---------------------------------------------------------------------------------


def _median_seconds(deltas) -> int | None:
    values = [d.total_seconds() for d in deltas if d is not None]
    return round(statistics.median(values)) if values else None


def figures(*, crt, months: int = 6, today: date | None = None) -> dict:
    """Calls per month by source and reason, call-outs, median delays, outcomes, hospitalisations
    avoided (stayed home after a call-out), computed from the call log (one query)."""
    today = today or timezone.localdate()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = list(Call.objects.filter(crt=crt, received_at__gte=start).only(
        "source", "reason", "received_at", "answered_at", "arrived_at", "call_out", "outcome"))
    month_keys = []
    cursor = first
    while cursor <= today:
        month_keys.append(cursor)
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    per_month = {m: {"calls": 0, "night": 0, "call_outs": 0, "avoided": 0,
                     "hospitalised": 0} for m in month_keys}
    sources, reasons, outcomes = Counter(), Counter(), Counter()
    from .rota import SlotKind, slot_kind

    for call in rows:
        local = timezone.localtime(call.received_at)
        bucket = per_month.get(date(local.year, local.month, 1))
        if bucket is None:
            continue
        bucket["calls"] += 1
        if slot_kind(call.received_at) != SlotKind.DAY:
            bucket["night"] += 1
        bucket["call_outs"] += call.call_out
        bucket["avoided"] += call.call_out and call.outcome == Call.Outcome.STAYED_HOME
        bucket["hospitalised"] += call.outcome == Call.Outcome.HOSPITALISED
        sources[call.get_source_display()] += 1
        reasons[call.get_reason_display()] += 1
        if call.outcome:
            outcomes[call.get_outcome_display()] += 1
    return {
        "months": [{"month": m, **v} for m, v in per_month.items()],
        "total": len(rows),
        "call_outs": sum(1 for c in rows if c.call_out),
        "avoided": sum(1 for c in rows if c.call_out and c.outcome == Call.Outcome.STAYED_HOME),
        "median_answer": _median_seconds(c.answer_delay for c in rows),
        "median_arrival": _median_seconds(c.arrival_delay for c in rows if c.call_out),
        "sources": sources.most_common(), "reasons": reasons.most_common(),
        "outcomes": outcomes.most_common(),
    }


#: How many open alerts the on-call screen lists (the most recent; the rest: the alerts page).
SCREEN_ALERTS = 15


def screen_alerts(*, crt, user, roles) -> dict:
    """The open alerts (not resolved) of the people whose alerts this responder may read
    (the file's liaison face), most severe then newest first: what the on-call screen shows
    at a glance (telemonitoring thresholds, falls, the team's alerts)."""
    from django.db.models import Case, IntegerField, Value, When

    from maillage.beneficiaries.access import liaison_visible_beneficiaries
    from maillage.care.models import Alert
    from maillage.care.selectors import open_alerts

    rank = Case(*(When(severity=s, then=Value(i)) for i, s in enumerate(
        [Alert.Severity.CRITICAL, Alert.Severity.HIGH, Alert.Severity.MEDIUM,
         Alert.Severity.LOW])), output_field=IntegerField())
    rows = list(open_alerts(crt=crt).filter(
        beneficiary__in=liaison_visible_beneficiaries(crt=crt, user=user, roles=roles))
        .annotate(rank=rank).order_by("rank", "-created_at")[:SCREEN_ALERTS + 1])
    return {"alerts": rows[:SCREEN_ALERTS], "more_alerts": len(rows) > SCREEN_ALERTS}


def person_essentials(*, beneficiary, with_health: bool, medical_fields) -> dict:
    """What the on-call screen shows of one person: contacts always; the medical essentials
    (the fields of ``medical_fields``: ``EmergencyAccess.medical_fields``), open alerts and last
    notes only with access to health data (the view audits that read)."""
    from maillage.beneficiaries.access import medical_section
    from maillage.beneficiaries.models import CareTeamMember, MedicalRecord
    from maillage.care.models import Alert, LiaisonNote

    data = {
        "caregivers": list(beneficiary.caregivers.all()),
        "gp": CareTeamMember.objects.active().filter(beneficiary=beneficiary, is_gp=True)
        .select_related("professional", "user").first(),
    }
    if with_health:
        data.update({
            "medical": medical_section(
                MedicalRecord.objects.filter(beneficiary=beneficiary).first(), medical_fields),
            "notes": list(LiaisonNote.objects.filter(beneficiary=beneficiary)
                          .select_related("author")[:5]),
            "alerts": list(Alert.objects.filter(beneficiary=beneficiary).exclude(
                status=Alert.Status.RESOLVED)[:5]),
        })
        data.update(_dlu_state(beneficiary, data["medical"]))
    return data


def _dlu_state(beneficiary, medical) -> dict:
    """Whether the DLU is incomplete or to be validated again: the responder must know that
    « non renseigné » is not « aucun »."""
    from maillage.beneficiaries.medical import missing_essentials
    from maillage.oncall.dlu import revalidation_reasons

    ef = EmergencyFile.objects.filter(beneficiary=beneficiary).first()
    return {
        "dlu_missing": list(missing_essentials(medical).values()),
        "dlu_revalidation": revalidation_reasons(medical=medical, ef=ef,
                                                 today=timezone.localdate()),
        "dlu_validated": bool(ef and ef.reviewed_at),
    }
