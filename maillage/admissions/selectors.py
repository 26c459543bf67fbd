"""Reads of the admission process."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, StrIndex, TruncDate
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from maillage.beneficiaries.models import by_shown_name
from maillage.core.collation import french
from maillage.core.validators import is_uuid

from .eligibility import eligibility_checks, priority
from .models import Enrolment, PrioritySituation, Referral


def referrals(*, crt, user, roles, status: str = "") -> QuerySet[Referral]:
    from .access import referrals_visible

    qs = referrals_visible(crt=crt, user=user, roles=roles).select_related(
        "person_commune", "decided_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at")


def commission_referrals(*, crt, user, roles, meeting) -> QuerySet[Referral]:
    """The requests an admission commission examined, as ``user`` may see them
    (``referrals_visible``): those whose admission it decided (``Enrolment.admission_meeting``),
    those it reviewed (``Referral.decision_meeting``: put on the waiting list, declined or
    redirected) and those whose team opinion it gave (``AdmissionStep.meeting``), in the order
    it examined them (the admission, else the opinion, else the review). Each with the date of
    the admission it decided and its public id (``admitted_on``, ``enrolment_id``: when
    ``user`` sees the file active, ``enrolments_visible``), the outcome of the request's team
    or commission opinion (``opinion``) and what this commission did (``reviewed_here``; the
    date of the opinion it gave, ``opinion_on``: see ``commission_outcome``), all by the
    database."""
    from .access import enrolments_visible, referrals_visible
    from .models import AdmissionStep, Enrolment

    decided = Enrolment.objects.filter(referral=OuterRef("pk"), admission_meeting=meeting) \
        .order_by("admitted_on", "pk")
    admission = enrolments_visible(crt=crt, user=user, roles=roles).filter(
        referral=OuterRef("pk"), admission_meeting=meeting).order_by("admitted_on", "pk")
    opinion = AdmissionStep.objects.filter(referral=OuterRef("pk"),
                                           kind=AdmissionStep.Kind.TEAM_OPINION)
    examined = (Q(pk__in=Enrolment.objects.filter(admission_meeting=meeting)
                  .values("referral"))
                | Q(decision_meeting=meeting)
                | Q(pk__in=AdmissionStep.objects.filter(meeting=meeting).values("referral")))
    return (referrals_visible(crt=crt, user=user, roles=roles)
            .filter(examined)
            .select_related("redirected_to")
            .annotate(decided_on=Subquery(decided.values("admitted_on")[:1]),
                      admitted_on=Subquery(admission.values("admitted_on")[:1]),
                      enrolment_id=Subquery(admission.values("public_id")[:1]),
                      opinion=Subquery(opinion.values("outcome")[:1]),
                      opinion_on=Subquery(opinion.filter(meeting=meeting)
                                          .values("done_on")[:1]),
                      reviewed_here=ExpressionWrapper(Q(decision_meeting=meeting),
                                                      output_field=BooleanField()))
            .annotate(examined_on=Coalesce("decided_on", "opinion_on",
                                           TruncDate("decided_at")))
            .order_by("examined_on", "received_at", "pk"))


def commission_outcome(referral: Referral) -> str:
    """What the commission of ``commission_referrals`` did with a request it did not admit,
    as its page says it: « refusée le … », « réorientée le … vers … », « inscrite en liste
    d'attente le … », « avis favorable, décision d'admission en attente »… (no query: the
    structure it was redirected to comes with the row)."""
    from .models import AdmissionStep

    parts = []
    if referral.reviewed_here:
        decided = f" le {timezone.localtime(referral.decided_at):%d/%m/%Y}" \
            if referral.decided_at else ""
        if referral.status == Referral.Status.DECLINED:
            parts.append(f"refusée{decided}")
        elif referral.status == Referral.Status.REDIRECTED:
            to = f" vers {referral.redirected_to.name}" if referral.redirected_to else ""
            parts.append(f"réorientée{decided}{to}")
        else:
            parts.append(f"inscrite en liste d'attente{decided}")
    if referral.opinion_on is not None and referral.opinion in AdmissionStep.Outcome.values:
        parts.append(f"avis {AdmissionStep.Outcome(referral.opinion).label.lower()}")
        if referral.status == Referral.Status.WAITING:
            parts.append("décision d'admission en attente")
    return ", ".join(parts)


#: The priority situations as they appear in the JSON text of ``Referral.priority_situations``.
_SITUATION_TOKENS = [f'"{value}"' for value in PrioritySituation.values]


def priority_score() -> Case:
    """``eligibility.priority(referral).score`` as a SQL expression (SQLite and PostgreSQL):
    1 per priority situation, +2 urgent, +2 hospital discharge, +1 GIR 1–2. The situations are
    read from the JSON text of the list (a list holds each situation once: the form's choices)."""
    text = Cast("priority_situations", TextField())

    def points(condition, weight: int = 1):
        return Case(When(condition, then=Value(weight)), default=Value(0),
                    output_field=IntegerField())

    total = points(Q(urgency=Referral.Urgency.URGENT), 2)
    total = total + points(Q(hospital_discharge=True), 2)
    total = total + points(Q(known_gir__in=(1, 2)))
    for token in _SITUATION_TOKENS:
        total = total + points(GreaterThan(StrIndex(text, Value(token)), 0))
    return ExpressionWrapper(total, output_field=IntegerField())


@dataclass(frozen=True)
class Agreement:
    """The person's agreement, as recorded, and how the request's page says it."""

    given: bool
    text: str


def agreement(referral: Referral) -> Agreement:
    """The person's agreement to the accompaniment. The file's newest consent to the contract
    decides when it was withdrawn or refused (withdrawing takes effect at once, SPEC §3, even
    after the admission's agreement step); else the agreement step; else that consent; else
    what the request said."""
    from maillage.beneficiaries.models import Consent

    from .models import AdmissionStep

    latest = None
    if referral.beneficiary_id:
        latest = _contract_consents_newest_first().filter(
            beneficiary_id=referral.beneficiary_id).first()
    label = Consent.Kind.CONTRACT.label.lower()
    if latest is not None and latest.withdrawn_at is not None:
        return Agreement(False, f"non — {label} retiré le "
                                f"{timezone.localdate(latest.withdrawn_at):%d/%m/%Y} : "
                                "recueillez-le à nouveau dans le dossier")
    if latest is not None and not latest.granted:
        return Agreement(False, f"non — la personne refuse le contrat d'accompagnement "
                                f"(recueilli le {latest.collected_on:%d/%m/%Y})")
    step = referral.steps.filter(kind=AdmissionStep.Kind.AGREEMENT).first()
    if step is not None:
        who = (f"son représentant légal, {step.agreed_by_name}"
               if step.agreed_by == AdmissionStep.AgreedBy.LEGAL_REPRESENTATIVE
               else "la personne elle-même")
        return Agreement(True, f"oui — accord de {who}, "
                               f"{step.get_agreement_method_display().lower()}, "
                               f"le {step.done_on:%d/%m/%Y}")
    if latest is not None:
        return Agreement(True, f"oui — {label} recueilli le {latest.collected_on:%d/%m/%Y} "
                               f"({latest.get_method_display().lower()})")
    if referral.person_agrees:
        return Agreement(True, "oui, d'après la demande")
    return Agreement(False, "non recueilli")


def _contract_consents_newest_first():
    from maillage.beneficiaries.models import Consent

    return Consent.objects.filter(kind=Consent.Kind.CONTRACT).order_by(
        "-collected_on", "-created_at", "-pk")


def agreement_given() -> Coalesce:
    """``agreement(referral).given`` as a SQL expression to annotate referrals with: the
    newest consent to the contract in the linked file when there is one (in force: granted
    and not withdrawn), else the agreement step, else the request's word."""
    from .models import AdmissionStep

    newest = _contract_consents_newest_first().filter(beneficiary=OuterRef("beneficiary"))
    in_force = newest.annotate(in_force=ExpressionWrapper(
        Q(granted=True, withdrawn_at__isnull=True), output_field=BooleanField()))
    step = AdmissionStep.objects.filter(referral=OuterRef("pk"),
                                        kind=AdmissionStep.Kind.AGREEMENT)
    return Coalesce(
        Subquery(in_force.values("in_force")[:1], output_field=BooleanField()),
        ExpressionWrapper(Q(Exists(step)) | Q(person_agrees=True), output_field=BooleanField()),
        output_field=BooleanField())


def waiting_list(*, crt, user=None, roles=frozenset()) -> QuerySet[Referral]:
    """The waiting list in its transparent order, computed by the database: priority score
    (annotation ``score``, see ``priority_score``), then the oldest request.

    Who sees which rows: ``access.referrals_visible`` (the team all of it; a partner the people
    they referred or whose evaluation their structure takes part in). Paginate it, then give
    the page to ``waiting_rows``."""
    from .access import referrals_visible

    return (
        referrals_visible(crt=crt, user=user, roles=roles)
        .filter(status=Referral.Status.WAITING)
        .select_related("crt", "person_commune", "next_step_owner", "beneficiary__commune")
        .annotate(score=priority_score(), agreement_given=agreement_given())
        .order_by("-score", "received_at", "pk")
    )


def _count(qs: QuerySet) -> Subquery:
    """``qs.count()`` as a scalar subquery."""
    return Subquery(qs.order_by().annotate(n=Func(F("pk"), function="COUNT"))
                    .values("n")[:1], output_field=IntegerField())


def waiting_counts(waiting: QuerySet[Referral], *, crt) -> tuple[int, int]:
    """(rows of the waiting list, open enrolments of the file active): one query."""
    from maillage.core.models import Crt

    row = Crt.objects.filter(pk=crt.pk).values(
        waiting=_count(waiting),
        file_active=_count(Enrolment.objects.filter(crt=crt, ended_on__isnull=True))).get()
    # A list the reader may not see at all (``none()``) counts as NULL.
    return row["waiting"] or 0, row["file_active"] or 0


def waiting_rows(referrals, *, today: date | None = None) -> list[dict]:
    """One page of the waiting list with its transparent criteria: the reasons of the
    priority and the eligibility checks (computed for the rows shown only)."""
    today = today or timezone.localdate()
    return [{
        "referral": referral,
        "priority": priority(referral),
        "waiting_days": (today - timezone.localdate(referral.received_at)).days,
        "checks": eligibility_checks(referral, today=today),
    } for referral in referrals]


def file_active_count(*, crt) -> int:
    return Enrolment.objects.filter(crt=crt, ended_on__isnull=True).count()


@dataclass(frozen=True)
class AdmissionFigures:
    file_active: int
    waiting: int
    to_review: int


def admission_figures(*, crt) -> AdmissionFigures:
    referrals = Referral.objects.filter(crt=crt).aggregate(
        waiting=Count("id", filter=Q(status=Referral.Status.WAITING)),
        to_review=Count("id", filter=Q(status=Referral.Status.RECEIVED)),
    )
    return AdmissionFigures(
        file_active=file_active_count(crt=crt),
        waiting=referrals["waiting"],
        to_review=referrals["to_review"],
    )


#: The file active's orders, by what the page shows (``Beneficiary.display_name``).
FILE_ACTIVE_ORDERS = {
    "nom": lambda: (*by_shown_name("beneficiary__"), "pk"),
    "admission": lambda: ("-admitted_on", *by_shown_name("beneficiary__"), "pk"),
}


def file_active(*, crt, q: str = "", gir: str = "", referent: str = "", suspended: str = "",
                order: str = "nom", today: date | None = None):
    """The open enrolments, filtered and sorted by the database, each annotated with
    ``months`` (its forfait-months of the year, read from the stored months: see
    ``forfait_months_annotation``) and with the
    temporary exit going on today (``away_kind``, ``away_since``: ``None`` when at home);
    plus the referents (for the filter). Paginate the queryset; count and total with
    ``file_active_figures``."""
    from django.contrib.auth import get_user_model

    from .models import Suspension

    today = today or timezone.localdate()
    current = Suspension.objects.filter(start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today))
    going_on = current.filter(enrolment=OuterRef("pk")).order_by("-start_date")
    qs = (
        Enrolment.objects.filter(crt=crt, ended_on__isnull=True)
        .select_related("beneficiary__commune", "referent")
        .annotate(months=forfait_months_annotation(year=today.year, today=today),
                  away_kind=Subquery(going_on.values("kind")[:1]),
                  away_since=Subquery(going_on.values("start_date")[:1]))
        .order_by(*FILE_ACTIVE_ORDERS.get(order, FILE_ACTIVE_ORDERS["nom"])())
    )
    if q:
        for word in q.split()[:3]:
            qs = qs.filter(Q(beneficiary__birth_name__icontains=word)
                           | Q(beneficiary__used_name__icontains=word)
                           | Q(beneficiary__first_name__icontains=word))
    if gir.isdigit():
        qs = qs.filter(beneficiary__current_gir=int(gir))
    if referent:
        qs = qs.filter(referent__public_id=referent) if is_uuid(referent) else qs.none()
    away = Exists(current.filter(enrolment=OuterRef("pk")))
    if suspended == "oui":
        qs = qs.filter(away)
    elif suspended == "non":
        qs = qs.filter(~away)
    referents = get_user_model().objects.filter(
        pk__in=Enrolment.objects.filter(crt=crt, ended_on__isnull=True).values("referent")
    ).order_by(french("last_name"))
    return qs, referents


def file_active_figures(enrolments: QuerySet[Enrolment]) -> tuple[int, int]:
    """(people, sum of their forfait-months) over the whole filtered file active: one
    aggregate query (not a sum over a page), an index-only count of stored months per
    enrolment (``forfait_months_annotation``)."""
    figures = enrolments.order_by().aggregate(n=Count("pk"), total=Sum("months"))
    return figures["n"], figures["total"] or 0


def forfait_months_annotation(*, year: int, today: date):
    """The forfait-months of an enrolment in ``year``, as known on ``today``, to annotate
    enrolments with: the count of its stored ``ForfaitMonth`` rows of the year (an index-only
    probe of ``forfait_month_once``), except for the current month when its row is missing.

    Why the current month apart: stored rows are written by the services in the same
    transaction as every change of dates or temporary exits, and once a day by
    ``tasks.forfait_months_daily`` as time moves on — time only ever adds months (a month
    counts from its first day at home, or from the day of a return planned in advance). So
    when the daily task ran yesterday, every month before this one is stored exactly, and only
    this month may have started counting since: for the enrolments lacking its row (the 1st of
    the month until the task has run, or the few people away since the 1st), it is computed
    live by ``ForfaitMonths`` restricted to that month. The page is then right whether or not
    the task has already run today."""
    if year > today.year:
        return Value(0, output_field=IntegerField())
    return StoredForfaitMonths(year=year, today=today)


class ForfaitMonths(Func):
    """``periods.forfait_months`` of one enrolment for ``year`` as a SQL expression (SQLite and
    PostgreSQL), to annotate enrolments with: one scalar subquery over the months of the year
    up to ``today`` (a ``VALUES`` list of their first and last days), or over ``months`` only.
    The file active reads stored months (``forfait_months_annotation``) and uses this for the
    current month only, when its row is not stored yet.

    A month counts when some day of its window [max(1st, admission), min(last day, today,
    exit)] is outside every suspension (inclusive dates). The first such day, when there is one,
    is either the first day of the window or the day after the end of a suspension: the month
    counts when the first day is not suspended, or when some suspension ends inside the window
    and the day after it is not suspended. Enrolments without any suspension over the year
    (most of them) only compare their dates. Written as SQL rather than composed with the ORM:
    the ORM takes hundreds of milliseconds to compile the same thing, 12 months deep."""

    output_field = IntegerField()

    def __init__(self, *, year: int, today: date, months: list[int] | None = None):
        super().__init__(F("pk"), F("admitted_on"), F("ended_on"))
        from .periods import month_bounds

        self.months = [(first, min(last, today))
                       for first, last in (month_bounds(year, m) for m in
                                           (range(1, 13) if months is None else months))
                       if first <= today]

    def as_sql(self, compiler, connection, **extra):
        from .models import Suspension

        if not self.months:
            return "0", []
        pk, admitted, ended = (compiler.compile(e)[0] for e in self.get_source_expressions())
        table = connection.ops.quote_name(Suspension._meta.db_table)
        day_after = ("date(x.end_date, '+1 day')" if connection.vendor == "sqlite"
                     else "(x.end_date + 1)")
        values = ", ".join(["(%s, %s)"] * len(self.months))
        params = [d for bounds in self.months for d in bounds]
        first = f"(CASE WHEN {admitted} > m.column1 THEN {admitted} ELSE m.column1 END)"
        last = (f"(CASE WHEN {ended} IS NOT NULL AND {ended} < m.column2 THEN {ended} "
                "ELSE m.column2 END)")
        enrolled = f"{first} <= {last}"
        # Only quoted identifiers and compiled columns are formatted in; every value is a param.
        free = (
            f"(NOT EXISTS (SELECT 1 FROM {table} s WHERE s.enrolment_id = {pk} "  # noqa: S608
            f"AND s.start_date <= {first} AND (s.end_date IS NULL OR s.end_date >= {first}))"
            f" OR EXISTS (SELECT 1 FROM {table} x WHERE x.enrolment_id = {pk} "
            f"AND x.end_date >= {first} AND x.end_date < {last} "
            f"AND NOT EXISTS (SELECT 1 FROM {table} y WHERE y.enrolment_id = {pk} "
            f"AND y.start_date <= {day_after} "
            "AND (y.end_date IS NULL OR y.end_date > x.end_date))))")
        months = f"(SELECT COUNT(*) FROM (VALUES {values}) m WHERE {enrolled}"  # noqa: S608
        year_start, year_last = self.months[0][0], self.months[-1][1]
        sql = (f"(CASE WHEN EXISTS (SELECT 1 FROM {table} a WHERE a.enrolment_id = {pk} "  # noqa: S608
               "AND a.start_date <= %s AND (a.end_date IS NULL OR a.end_date >= %s)) "
               f"THEN {months} AND {free}) ELSE {months}) END)")
        return sql, [year_last, year_start, *params, *params]


class StoredForfaitMonths(ForfaitMonths):
    """``forfait_months_annotation`` as SQL (the ORM takes tens of milliseconds to compose the
    same subqueries; this compiles in microseconds): the stored months of the year counted on
    the indexed column (``COUNT(month)``: read from ``forfait_month_once`` alone), plus this
    month computed live by ``ForfaitMonths`` when its row is not stored."""

    def __init__(self, *, year: int, today: date):
        self.current = today.replace(day=1) if year == today.year else None
        self.bounds = [date(year, 1, 1), min(date(year, 12, 1), today.replace(day=1))]
        super().__init__(year=year, today=today, months=[today.month] if self.current else [])

    def as_sql(self, compiler, connection, **extra):
        from .models import ForfaitMonth

        pk = compiler.compile(self.get_source_expressions()[0])[0]
        table = connection.ops.quote_name(ForfaitMonth._meta.db_table)
        # Only quoted identifiers and compiled columns are formatted in; every value is a param.
        stored = (f"(SELECT COUNT(f.month) FROM {table} f WHERE f.enrolment_id = {pk} "  # noqa: S608
                  "AND f.month >= %s AND f.month <= %s)")
        if self.current is None:
            return stored, list(self.bounds)
        live, params = super().as_sql(compiler, connection, **extra)
        sql = (f"({stored} + CASE WHEN EXISTS (SELECT 1 FROM {table} c "  # noqa: S608
               f"WHERE c.enrolment_id = {pk} AND c.month = %s) THEN 0 ELSE {live} END)")
        return sql, [*self.bounds, self.current, *params]


def forfait_months_expression(*, year: int, today: date) -> ForfaitMonths:
    return ForfaitMonths(year=year, today=today)


def other_stays(*, enrolment: Enrolment) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(beneficiary=enrolment.beneficiary).exclude(pk=enrolment.pk)


def forfait_months_of(*, enrolment: Enrolment, year: int, today: date | None = None) -> int:
    """The enrolment's forfait-months in ``year``: the same stored values as the file active."""
    today = today or timezone.localdate()
    return Enrolment.objects.filter(pk=enrolment.pk).annotate(
        months=forfait_months_annotation(year=year, today=today)).values_list(
        "months", flat=True).get()


@dataclass
class ChecklistItem:
    """One line of the admission checklist: its state and, when it cannot be done yet, why."""

    key: str
    label: str
    done: bool = False
    blocked: str = ""
    step: object = None  # the AdmissionStep recorded, if any
    extra: dict | None = None


def admission_checklist(referral: Referral) -> list[ChecklistItem]:
    """The admission of one referral as a checklist, in the usual order; the steps are done in
    any order except where a rule forbids it (``services.contract_blocker``,
    ``services.decision_blockers``). A bounded number of queries."""
    from . import services
    from .models import AdmissionStep

    kinds = AdmissionStep.Kind
    steps = {s.kind: s for s in referral.steps.select_related("done_by", "care_plan_version",
                                                              "meeting")
             .prefetch_related("joint_organizations")}
    contract = referral.contracts.order_by("-created_at").first()
    plan_version = services.latest_care_plan_version(referral)
    items = [ChecklistItem("file", "Dossier de la personne (ouvert ou relié)",
                           done=referral.beneficiary_id is not None)]
    for kind in (kinds.HOME_VISIT, kinds.MEDICAL_EVALUATION, kinds.TEAM_OPINION):
        items.append(ChecklistItem(kind, kinds(kind).label, done=kind in steps,
                                   step=steps.get(kind)))
    items.append(ChecklistItem(kinds.PLAN_DRAFTED, "Plan personnalisé (PPCS)",
                               done=kinds.PLAN_DRAFTED in steps,
                               step=steps.get(kinds.PLAN_DRAFTED),
                               extra={"plan_version": plan_version}))
    signed = kinds.CONTRACT_SIGNED in steps
    items.append(ChecklistItem(
        "contract", "Contrat d'accompagnement (généré puis signé)", done=signed,
        blocked="" if signed or contract else services.contract_blocker(referral),
        step=steps.get(kinds.CONTRACT_SIGNED), extra={"contract": contract}))
    withdrawn = services.agreement_withdrawn(referral) if kinds.AGREEMENT in steps else ""
    items.append(ChecklistItem(
        kinds.AGREEMENT, "Accord de la personne ou de son représentant légal",
        done=kinds.AGREEMENT in steps and not withdrawn, step=steps.get(kinds.AGREEMENT),
        blocked=withdrawn if kinds.AGREEMENT in steps else services.agreement_blocker(referral)))
    admitted = referral.status == Referral.Status.ADMITTED
    items.append(ChecklistItem(
        "decision", "Décision d'admission", done=admitted,
        blocked="" if admitted else " ".join(services.decision_blockers(referral)),
        extra={"enrolment": referral.enrolments.order_by("-admitted_on").first()
               if admitted else None}))
    return items


# --- Temporary exits (hospitalisation, holidays…) -------------------------------------------


def current_absence(*, beneficiary, today: date | None = None):
    """The person's temporary exit going on today, else the next one planned (``None`` when
    none): what the portal, the on-call screen and the file say about the visits."""
    from .models import Suspension

    today = today or timezone.localdate()
    return (Suspension.objects.filter(enrolment__beneficiary=beneficiary,
                                      enrolment__ended_on__isnull=True)
            .filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
            .order_by("start_date").first())


@dataclass
class ExitFigures:
    kind: str
    label: str
    count: int = 0
    total_days: int = 0
    returns: int = 0

    @property
    def mean_days(self) -> float | None:
        return round(self.total_days / self.count, 1) if self.count else None


def temporary_exit_figures(*, crt, start: date, end: date,
                           today: date | None = None) -> list[ExitFigures]:
    """Temporary exits of the CRT over [start, end], by kind, and a last row for all kinds.

    - count: the exits that began in the period;
    - total and mean duration, in days away, of those exits: from the first day away to the
      day of return (not counted); an exit still going on is counted to the end of the period
      (or today, when the period is not over) included;
    - returns: the returns home that happened in the period (whenever the exit began).
    One query."""

    from .models import Suspension

    today = today or timezone.localdate()
    cap = min(end, today) + timedelta(days=1)
    rows = {kind: ExitFigures(kind=kind, label=label) for kind, label in Suspension.Kind.choices}
    every = ExitFigures(kind="", label="Toutes les sorties temporaires")
    for kind, first, back in Suspension.objects.filter(crt=crt).filter(
            Q(start_date__range=(start, end))
            | Q(end_date__range=(start, min(end, today)))).values_list(
            "kind", "start_date", "end_date"):
        for row in (rows[kind], every):
            if start <= first <= end:
                row.count += 1
                row.total_days += max(0, ((min(back, cap) if back else cap) - first).days)
            if back is not None and start <= back <= min(end, today):
                row.returns += 1
    return [r for r in rows.values() if r.count or r.returns] + [every]
