"""The content of the activity reports (issue 14 §3, INDICATORS.md §4.2): the annual activity
report and the half-year review.

Two steps, so that the screen, the PDF and the XLSX cannot disagree:

- ``build_snapshot(crt=, kind=, start=, end=)`` computes every figure once, as plain JSON data:
  every registered indicator (``core.indicators.compute_all(...)`` → ``Result.as_dict()``, with
  its definition version), and the tables the indicators do not give (the CRT's identity, the
  team table, the agreements, governance, temporary rooms, satisfaction, budget), then masks
  those about people (below). The snapshot is what an ``ActivityReport`` stores: a report
  shows the figures of the day it was generated.
- ``layout(snapshot, narratives)`` turns a snapshot and the director's texts into ``Section``s
  of ``Table``s; the page, the PDF and the workbook all render that same layout.

Indicators are placed by code: a few codes have their own section (``CODE_SECTIONS``), the
others go by prefix (``PREFIX_SECTIONS``): an indicator declared later by any app appears in
its section without a change here.

The figures are aggregates of the CRT's own records, no person named, and the report is what
the CRT sends to the ARS: the snapshot stores them with the small-cell pass of INDICATORS §5
applied (``report_smallcells``, the regional view's rules: counts of 1 to 4 people « < 5 »,
secondary suppression « s », rates and means over fewer than 5 people hidden, small communes
grouped, the CRT's own amounts shown), so the page, the PDF and the workbook print the same
masked figures. A snapshot stored before the pass (``schema`` 1) keeps the figures it was sent
with, masked each time it is shown (``shown``).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.smallcells import PROTECTED_TEXT

from . import report_smallcells
from .dashboard import singular
from .models import Allocation, Expense, Nature, ReportKind, ReportSettings, Volet

#: 2: the small-cell pass applied when the snapshot is made (INDICATORS §5); 1: figures stored
#: as computed, masked when shown.
SCHEMA = 2

SMALL_CELLS_NOTE = report_smallcells.NOTE


# --- Periods and due dates -------------------------------------------------------------------


def report_period(*, crt, kind: str, year: int, half: int | None = None) -> Period:
    """The period of a report: the calendar year (from the opening date the first year), or
    the half-year S1 01/01–30/06, S2 01/07–31/12 (from the opening date if it falls in it).
    ``ValueError`` (French) when the CRT was not open during it."""
    if kind == ReportKind.ANNUAL:
        period = Period.year(year)
    elif kind == ReportKind.HALF_YEAR:
        if half not in (1, 2):
            raise ValueError("Choisissez le 1er ou le 2e semestre.")
        period = Period.half_year(year, half)
    else:
        raise ValueError("Modèle de rapport inconnu.")
    opened = crt.opened_on
    if opened is not None and opened > period.end:
        raise ValueError(f"Le CRT a ouvert le {opened:%d/%m/%Y}, après la fin de cette "
                         "période.")
    if opened is not None and opened > period.start:
        return Period.custom(opened, period.end)
    return period


def period_label(kind: str, start: date, end: date) -> str:
    """« Année 2026 », « année 2025 (depuis l'ouverture le 01/10/2025) », « 1er semestre 2026 »."""
    if kind == ReportKind.ANNUAL:
        label = f"année {end.year}"
        if start != date(end.year, 1, 1):
            label += f" (depuis l'ouverture le {start:%d/%m/%Y})"
        return label
    half = "1er" if end.month == 6 else "2e"
    label = f"{half} semestre {end.year}"
    if start not in (date(end.year, 1, 1), date(end.year, 7, 1)):
        label += f" (depuis l'ouverture le {start:%d/%m/%Y})"
    return label


def settings_for(crt) -> ReportSettings:
    return ReportSettings.objects.filter(crt=crt).first() or ReportSettings(crt=crt)


def due_date(settings: ReportSettings, kind: str, end: date) -> date | None:
    """30 April N+1 for the annual report (001 §V; editable); the half-year review: the
    closing date plus the delay the CRT states, or None (002 gives none)."""
    if kind == ReportKind.ANNUAL:
        month, day = settings.annual_due_month, settings.annual_due_day
        last = (date(end.year + 1, month % 12 + 1, 1) - timedelta(days=1)).day
        return date(end.year + 1, month, min(day, last))
    if settings.half_year_due_days is None:
        return None
    return end + timedelta(days=settings.half_year_due_days)


@dataclass
class Expected:
    kind: str
    label: str
    start: date
    end: date
    due: date | None
    year: int
    half: int | None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


def expected_reports(crt, settings, existing: set[tuple[str, date]],
                     today: date) -> list[Expected]:
    """The closed periods since the opening, of the templates the CRT uses, with no report
    yet: what remains to produce, the oldest first."""
    if crt.opened_on is None:
        return []
    found = []
    for year in range(crt.opened_on.year, today.year + 1):
        candidates = []
        if settings.annual:
            candidates.append((ReportKind.ANNUAL, None))
        if settings.half_year:
            candidates += [(ReportKind.HALF_YEAR, 1), (ReportKind.HALF_YEAR, 2)]
        for kind, half in candidates:
            try:
                period = report_period(crt=crt, kind=kind, year=year, half=half)
            except ValueError:
                continue
            if period.end >= today or (kind, period.start) in existing:
                continue
            found.append(Expected(kind, ReportKind(kind).label, period.start, period.end,
                                  due_date(settings, kind, period.end), year, half))
    return sorted(found, key=lambda e: (e.end, e.kind))


# --- The snapshot ----------------------------------------------------------------------------


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _identity(crt) -> dict:
    return {
        "name": crt.name, "finess": crt.finess, "carrier_name": crt.carrier_name,
        "carrier_type": crt.get_carrier_type_display(),
        "address": f"{crt.base_address}, {crt.base_postal_code} {crt.base_city}",
        "department": crt.department, "phone": crt.phone, "email": crt.email,
        "opened_on": crt.opened_on.isoformat() if crt.opened_on else None,
        "file_active_target": crt.file_active_target, "places": crt.places,
        "organisational_model": crt.organisational_model,
        "organisational_model_label": crt.get_organisational_model_display(),
    }


def _team(crt, on: date) -> dict:
    from maillage.organisation.selectors import team_composition

    composition = team_composition(crt=crt, on=on)

    def row(r):
        return {"label": r.label, "positions": r.positions, "fte": float(r.fte),
                "fte_volet1": float(r.fte_volet1), "fte_volet2": float(r.fte_volet2),
                "fte_coordination": float(r.fte_coordination), "vacancies": r.vacancies,
                "vacant_fte": float(r.vacant_fte)}

    return {"on": on.isoformat(), "rows": [row(r) for r in composition.rows]}


def _agreements(crt, period: Period) -> list[dict]:
    from maillage.territory.selectors import agreements_in_force_during

    rows = (agreements_in_force_during(crt=crt, start=period.start, end=period.end)
            .prefetch_related("organizations").order_by("subject", "starts_on", "pk"))
    return [{"title": a.title, "subject": a.get_subject_display(),
             "partners": ", ".join(sorted(o.name for o in a.organizations.all())),
             "starts_on": a.starts_on.isoformat(),
             "ends_on": a.ends_on.isoformat() if a.ends_on else None,
             "status": a.get_status_display()} for a in rows]


def _governance(crt, period: Period, today: date) -> list[dict]:
    from maillage.organisation.models import Decision, Meeting
    from maillage.organisation.selectors import meetings_held

    meetings = meetings_held(crt=crt, start=period.start, end=period.end, today=today)
    dates = defaultdict(list)
    for kind, held_on in meetings.order_by("held_on").values_list("kind", "held_on"):
        dates[kind].append(held_on.strftime("%d/%m/%Y"))
    decisions = {r["meeting__kind"]: r for r in Decision.objects.filter(
        meeting__in=meetings).values("meeting__kind").annotate(
        taken=Count("pk"), done=Count("pk", filter=Q(done_on__isnull=False))).order_by()}
    return [{"kind": label, "meetings": len(dates[kind]), "dates": dates[kind],
             "decisions": decisions.get(kind, {}).get("taken", 0),
             "done": decisions.get(kind, {}).get("done", 0)}
            for kind, label in Meeting.Kind.choices]


def _nights(periods, first: date, after: date) -> int:
    """Nights of [first, after) taken by at least one of ``periods`` (overlaps once)."""
    total, cursor = 0, first
    for start, end in sorted((max(s, first), min(e, after)) for s, e in periods
                             if s < after and e > first):
        start = max(start, cursor)
        if end > start:
            total += (end - start).days
            cursor = end
    return total


def _lodging(crt, period: Period, today: date) -> dict:
    from maillage.lodging.models import Room, Stay
    from maillage.lodging.occupancy import counted_period
    from maillage.lodging.selectors import rooms, stays_between

    first, after = period.start, period.end + timedelta(days=1)
    taken = defaultdict(list)
    for stay in stays_between(crt=crt, first=first, after=after):
        counted = counted_period(status=stay.status, planned_start=stay.planned_start,
                                 planned_end=stay.planned_end, actual_start=stay.actual_start,
                                 actual_end=stay.actual_end, today=today)
        if counted is not None:
            taken[stay.room_id].append(counted)
    by_kind = {kind: {"label": label, "places": 0, "nights": 0, "occupied": 0}
               for kind, label in Room.Kind.choices}
    nights = (after - first).days
    for room in rooms(crt=crt):
        if not room.is_active and room.pk not in taken:
            continue
        row = by_kind[room.kind]
        row["places"] += 1
        row["nights"] += nights
        row["occupied"] += _nights(taken.get(room.pk, []), first, after)
    started = {r["reason"]: r for r in Stay.objects.filter(
        crt=crt, actual_start__gte=period.start, actual_start__lte=period.end).exclude(
        status=Stay.Status.CANCELLED).values("reason").annotate(
        stays=Count("pk"), beneficiaries=Count("pk", filter=Q(beneficiary__isnull=False)))
        .order_by()}
    return {
        "rooms": list(by_kind.values()),
        "stays": [{"label": label, "stays": started.get(reason, {}).get("stays", 0),
                   "beneficiaries": started.get(reason, {}).get("beneficiaries", 0)}
                  for reason, label in Stay.Reason.choices],
    }


def _survey_rows(groups) -> list[dict]:
    rows = []
    for g in groups:
        headline = g.satisfaction
        rows.append({"label": g.label, "codes": g.codes, "responses": g.responses,
                     "response_rate": g.response_rate,
                     "answers": headline.count if headline else 0,
                     "satisfied": headline.satisfied_percent if headline else None,
                     "satisfied_count": headline.satisfied if headline else 0,
                     "question": headline.question.text if headline else ""})
    return rows


def _satisfaction(crt, period: Period) -> dict:
    from maillage.surveys.models import Collection
    from maillage.surveys.selectors import results
    from maillage.surveys.yearly import yearly_collections

    yearly = results(collections_qs=yearly_collections(crt=crt, year=period.end.year),
                     group_by="category")
    sessions = results(collections_qs=Collection.objects.filter(
        crt=crt, subject_kind="outreach.session", opened_on__gte=period.start,
        opened_on__lte=period.end), group_by="category")
    return {"year": period.end.year, "yearly": _survey_rows(yearly),
            "volet1": _survey_rows(sessions)}


def _budget(crt, period: Period) -> dict:
    year = period.end.year
    allocation = Allocation.objects.filter(crt=crt, year=year).first()
    cells = {(r["nature"], r["volet"]): r["total"] for r in Expense.objects.filter(
        crt=crt, spent_on__gte=period.start, spent_on__lte=period.end).values(
        "nature", "volet").annotate(total=Sum("amount")).order_by()}
    natures = [{"label": n.label, "code": n.value,
                "by_volet": [round(float(cells.get((n.value, v), 0) or 0), 2)
                             for v in (Volet.VOLET1, Volet.VOLET2, Volet.SHARED)]}
               for n in Nature]
    by_domain = [{"label": r["domain__name"] or "Sans domaine",
                  "total": round(float(r["total"] or 0), 2)}
                 for r in Expense.objects.filter(
                     crt=crt, spent_on__gte=period.start, spent_on__lte=period.end,
                     volet__in=[Volet.VOLET2, Volet.SHARED]).values(
                     "domain__name", "domain__position").annotate(total=Sum("amount"))
                 .order_by("domain__position", "domain__name")]
    return {
        "year": year,
        "allocation": None if allocation is None else {
            "notified_amount": _number(allocation.notified_amount),
            "earmarked_amount": _number(allocation.earmarked_amount),
            "earmarked_label": allocation.earmarked_label,
            "volet1_planned": _number(allocation.volet1_planned),
            "volet2_planned": _number(allocation.volet2_planned)},
        "natures": [n for n in natures if any(n["by_volet"])],
        "by_domain": by_domain,
    }


def _within(extra) -> list | None:
    if extra.within is None:
        return None
    code, key = extra.within
    return [code, key if key is None or isinstance(key, int | str) else str(key)]


def _indicator(result, *, crt) -> dict:
    """One indicator's figures (``Result.as_dict()``) and, for an indicator about people, what
    the small-cell pass needs (dropped by it): a share's numerator, the previous period's count
    of a figure made of a count, each extra's denominator, part and line."""
    ind = result.indicator
    figures = {**result.as_dict(), "is_count": ind.is_count, "people": ind.people}
    if not ind.people:
        return figures
    if ind.numerator is not None and result.count:
        figures["numerator"] = ind.numerator(crt=crt, period=result.period)
    before = result.previous_period
    if not ind.is_count and before is not None and result.previous_value is not None:
        n = indicators.count(ind, crt=crt, period=before)
        figures["previous"]["count"] = n
        if ind.numerator is not None and n:
            figures["previous"]["numerator"] = ind.numerator(crt=crt, period=before)
    figures["extras"] = [
        {**shown, "people": e.people, "over": e.over, "part": e.part, "line": e.line,
         "whole": e.whole, "within": _within(e)}
        for shown, e in zip(figures["extras"], result.extras, strict=True)]
    return figures


def build_snapshot(*, crt, kind: str, start: date, end: date,
                   today: date | None = None) -> dict:
    """Every figure of the report of ``crt`` for [``start``, ``end``], as JSON data, with the
    small-cell pass applied."""
    today = today or timezone.localdate()
    period = Period.between(start, end)
    results = indicators.compute_all(crt=crt, period=period)
    return report_smallcells.apply({
        "schema": SCHEMA,
        "kind": kind,
        "period": {"start": start.isoformat(), "end": end.isoformat(),
                   "label": period_label(kind, start, end)},
        "computed_on": today.isoformat(),
        "period_over": end < today,
        "identity": _identity(crt),
        "indicators": {code: _indicator(r, crt=crt) for code, r in results.items()},
        "definition_versions": {code: r.indicator.version for code, r in results.items()},
        "team": _team(crt, min(end, today)),
        "agreements": _agreements(crt, period),
        "governance": _governance(crt, period, today),
        "lodging": _lodging(crt, period, today),
        "satisfaction": _satisfaction(crt, period) if kind == ReportKind.ANNUAL else None,
        "budget": _budget(crt, period),
    }, schema=SCHEMA)


def shown(snapshot: dict) -> dict:
    """The snapshot as it may be shown: a snapshot of the current schema as stored (the pass
    applied when it was made); one stored before the pass with its figures masked now, never
    computed again."""
    if snapshot.get("schema", 1) >= SCHEMA:
        return snapshot
    return report_smallcells.apply(snapshot, schema=SCHEMA, legacy=True)


# --- Narratives ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Narrative:
    key: str
    title: str
    help: str
    section: str
    kinds: tuple[str, ...] = (ReportKind.ANNUAL, ReportKind.HALF_YEAR)


BOTH = (ReportKind.ANNUAL, ReportKind.HALF_YEAR)
ANNUAL = (ReportKind.ANNUAL,)

#: The texts the director writes (001 §V, 002 §4 and §14, INDICATORS §4.2: T-06 and the
#: qualitative parts of T-03, V2-09, V2-10, V2-12). Every figure is computed, never typed.
NARRATIVES = (
    Narrative("organisational_model", "Commentaire sur le modèle organisationnel (V2-09)",
              "Intégré ou coordonné : ce que fait le porteur, ce qui est confié aux "
              "partenaires, et pourquoi.", "organisation", ANNUAL),
    Narrative("governance", "Partenaires et gouvernance (T-03)",
              "Les partenariats noués, les instances (COPIL, commission d'admission) et la "
              "place des usagers.", "governance", ANNUAL),
    Narrative("coordination", "Coordination : modalités et temps consacré (V2-12)",
              "Comment la coordination autour des personnes est organisée.", "volet2", ANNUAL),
    Narrative("oncall", "Organisation de l'astreinte de nuit (V2-10)",
              "Modèle retenu (interne ou infirmier·ère de nuit mutualisé·e), couverture, "
              "difficultés.", "oncall", ANNUAL),
    Narrative("budget", "Commentaire budgétaire",
              "Exécution de la dotation, prévision actualisée par volet, crédits "
              "d'amorçage.", "budget", BOTH),
    Narrative("difficulties", "Retour d'expérience et difficultés éventuelles (T-06)",
              "Ce qui a fonctionné, les difficultés rencontrées (recrutement, partenariats, "
              "montée en charge…).", "narratives", BOTH),
    Narrative("outlook", "Perspectives", "Les objectifs de la période suivante.",
              "narratives", BOTH),
)


def narratives_for(kind: str) -> list[Narrative]:
    return [n for n in NARRATIVES if kind in n.kinds]


# --- The layout ------------------------------------------------------------------------------


@dataclass
class Table:
    """A table of the report. ``sum_columns``: columns summed in a total row (a SUM formula in
    the workbook); ``row_total``: (column, columns) — a column that is the sum of others;
    ``totals``: the total row as the small-cell pass left it (a hidden total is its text, and a
    column with a hidden cell has no SUM formula: it would add the shown cells only)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    sum_columns: tuple[int, ...] = ()
    row_total: tuple[int, tuple[int, ...]] | None = None
    note: str = ""
    totals: dict[int, Any] | None = None
    #: (unit column, figure columns): in a table of figures of mixed units (an indicator's
    #: value, its extras), the figure columns of a row whose unit is in euros are amounts.
    unit_money: tuple[int, tuple[int, ...]] | None = None

    def __post_init__(self):
        #: Columns of amounts in euros (shown with two decimals, « € » format in the workbook).
        self.money = tuple(i for i, c in enumerate(self.columns) if "€" in c)
        if self.row_total is not None:
            target, sources = self.row_total
            for row in self.rows:
                row[target] = round(sum(row[c] or 0 for c in sources), 2)

    def money_columns(self, row: list[Any]) -> tuple[int, ...]:
        """The columns of ``row`` holding amounts in euros."""
        if self.unit_money is not None and "€" in str(row[self.unit_money[0]] or ""):
            return self.money + self.unit_money[1]
        return self.money

    @property
    def rows_with_money(self) -> list[tuple[list[Any], tuple[int, ...]]]:
        """Each row with its columns of amounts (the layout's templates read this)."""
        return [(row, self.money_columns(row)) for row in self.rows]

    @property
    def total(self) -> list[Any] | None:
        if not self.sum_columns or not self.rows:
            return None
        cells: list[Any] = ["Total"] + [None] * (len(self.columns) - 1)
        for c in self.sum_columns:
            if self.totals is not None and c in self.totals:
                cells[c] = self.totals[c]
                continue
            value = sum(row[c] or 0 for row in self.rows)
            cells[c] = round(value, 2) if isinstance(value, float) else value
        return cells

    def summable(self, column: int) -> bool:
        """Whether a SUM of the column's cells gives its total: no cell nor total hidden."""
        total = self.total
        return not (isinstance(total[column], str)
                    or any(isinstance(row[column], str) for row in self.rows))


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    narratives: list[tuple[Narrative, str]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)

    @property
    def sheet_name(self) -> str:
        return SHEET_NAMES[self.key]

    @property
    def anchor(self) -> str:
        return f"section-{self.key}"


#: Sections in the order of the report: key → title.
SECTIONS = {
    "identity": "Identité du CRT",
    "organisation": "Modèle organisationnel",
    "team": "Équipe",
    "partners": "Partenaires et conventions",
    "governance": "Gouvernance",
    "transversal": "Indicateurs transversaux",
    "volet1": "Volet 1 — appui aux professionnels et aux personnes âgées du territoire",
    "volet2": "Volet 2 — accompagnement renforcé à domicile",
    "oncall": "Astreinte soignante",
    "lodging": "Chambres et places d'hébergement temporaire",
    "satisfaction": "Satisfaction",
    "budget": "Budget",
    "other": "Autres indicateurs",
    "narratives": "Retour d'expérience, difficultés et perspectives",
}
#: Short names of the sections, for the sheets of the workbook (31 characters at most).
SHEET_NAMES = {
    "identity": "Identité", "organisation": "Modèle organisationnel", "team": "Équipe",
    "partners": "Partenaires et conventions", "governance": "Gouvernance",
    "transversal": "Transversal", "volet1": "Volet 1", "volet2": "Volet 2",
    "oncall": "Astreinte", "lodging": "Hébergement temporaire", "satisfaction": "Satisfaction",
    "budget": "Budget", "other": "Autres indicateurs", "narratives": "Retour d'expérience",
}
CODE_SECTIONS = {
    "V2-09": "organisation", "T-02": "team", "T-03": "partners", "T-04": "partners",
    "T-05": "partners", "T-01": "volet1", "T-07": "volet2", "V2-10": "oncall",
    "V2-11": "oncall", "V2-17": "lodging", "V1-09": "satisfaction", "V2-14": "satisfaction",
    "V2-15": "satisfaction", "V2-16": "satisfaction",
}
PREFIX_SECTIONS = {"V1-": "volet1", "V2-": "volet2", "F-": "budget", "T-": "transversal"}
#: Sections left out of the half-year review (INDICATORS §4.2: no surveys).
ANNUAL_ONLY = {"satisfaction"}


def section_of(code: str) -> str:
    if code in CODE_SECTIONS:
        return CODE_SECTIONS[code]
    return next((s for prefix, s in PREFIX_SECTIONS.items() if code.startswith(prefix)),
                "other")


def _date_fr(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


def _in_declared_order(code: str, breakdowns: dict) -> list[dict]:
    """An indicator's stored breakdowns in the order its definition declares them: a
    snapshot read back from PostgreSQL (jsonb) has its keys in jsonb's order, not as written,
    and the document must read the same on any database. Unknown ones (an indicator or a
    breakdown since removed) follow, as stored."""
    try:
        declared = [b.code for b in indicators.get(code).breakdowns]
    except KeyError:
        declared = []
    rank = {name: i for i, name in enumerate(declared)}
    return [b for _, b in sorted(breakdowns.items(),
                                 key=lambda item: rank.get(item[0], len(rank)))]


#: The unit column beside a figure the small-cell pass hid as « s » (the unit named apart:
#: « s % de satisfaits » read as a sentence).
MASKED_UNIT = "chiffre masqué (unité : {unit})"


def unit_beside(value, unit: str) -> str:
    """The unit as it reads after the figure in the column before it: the singular under 2
    (« 1 réunion », « 0 personne », as the dashboard's ``with_unit``), plural after « < 5 »
    (« < 5 personnes »); beside a figure hidden as « s », « chiffre masqué (unité : …) »."""
    if not unit:
        return unit
    if value == PROTECTED_TEXT:
        return MASKED_UNIT.format(unit=unit)
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 2:
        return singular(unit)
    return unit


def _indicator_tables(codes: list[str], figures: dict) -> list[Table]:
    if not codes:
        return []
    tables = [Table("Indicateurs", ["Code", "Indicateur", "Valeur", "Unité",
                                    "Période précédente", "Valeur précédente"],
                    [[code, figures[code]["name"], figures[code]["value"],
                      unit_beside(figures[code]["value"], figures[code]["unit"]),
                      (figures[code]["previous"]["period"] or {})
                      .get("label", ""), figures[code]["previous"]["value"]]
                     for code in codes], unit_money=(3, (2, 5)))]
    for code in codes:
        f = figures[code]
        for b in _in_declared_order(code, f["breakdowns"]):
            # Breakdown rows count the records (people, forfait-months…): the indicator's
            # unit only when its value is that count.
            heading = f["unit"].capitalize() if f.get("is_count", True) else "Nombre"
            tables.append(Table(
                f"{code} — {b['label']}", [b["label"], heading],
                [[r["label"], r["value"]] for r in b["rows"]],
                sum_columns=(1,) if b["exclusive"] else (), note=b["note"],
                totals={1: b["total"]} if b["exclusive"] else None))
        if f["extras"]:
            tables.append(Table(f"{code} — compléments", ["Complément", "Valeur", "Unité"],
                                [[e["label"], e["value"], unit_beside(e["value"], e["unit"])]
                                 for e in f["extras"]],
                                unit_money=(2, (1,))))
    return tables


def _identity_table(s: dict) -> Table:
    i = s["identity"]
    return Table("Identité", ["Rubrique", "Valeur"], [
        ["Nom", i["name"]], ["FINESS", i["finess"]],
        ["Structure porteuse", i["carrier_name"]], ["Type de porteur", i["carrier_type"]],
        ["Adresse du site", i["address"]], ["Département", i["department"]],
        ["Date d'ouverture", _date_fr(i["opened_on"])],
        ["Cible de file active", i["file_active_target"]],
        ["Places", i["places"]],
        ["Modèle organisationnel déclaré", i["organisational_model_label"]],
    ])


def _team_table(s: dict) -> Table:
    return Table(
        f"Postes au {_date_fr(s['team']['on'])}, pourvus et vacants",
        ["Profession", "Postes", "ETP", "ETP volet 1", "ETP volet 2", "ETP coordination",
         "Postes vacants", "ETP vacants"],
        [[r["label"], r["positions"], r["fte"], r["fte_volet1"], r["fte_volet2"],
          r["fte_coordination"], r["vacancies"], r["vacant_fte"]] for r in s["team"]["rows"]],
        sum_columns=(1, 2, 3, 4, 5, 6, 7))


def _agreements_table(s: dict) -> Table:
    return Table("Conventions en vigueur sur la période",
                 ["Convention", "Objet", "Partenaires", "Début", "Fin", "Statut"],
                 [[a["title"], a["subject"], a["partners"], _date_fr(a["starts_on"]),
                   _date_fr(a["ends_on"]), a["status"]] for a in s["agreements"]])


def _governance_table(s: dict) -> Table:
    return Table("Instances réunies sur la période",
                 ["Instance", "Réunions", "Décisions prises", "Décisions réalisées", "Dates"],
                 [[g["kind"], g["meetings"], g["decisions"], g["done"], ", ".join(g["dates"])]
                  for g in s["governance"]], sum_columns=(1, 2, 3))


def _lodging_tables(s: dict) -> list[Table]:
    lodging = s["lodging"]
    totals = lodging["totals"]
    rate = totals["rate"]
    return [
        Table("Occupation des places", ["Type de place", "Places", "Nuits disponibles",
                                        "Nuits occupées", "Taux d'occupation (%)"],
              [[r["label"], r["places"], r["nights"], r["occupied"], r["rate"]]
               for r in lodging["rooms"]],
              sum_columns=(1, 2, 3), totals={3: totals["occupied"]},
              note=(f"Taux d'occupation de l'ensemble des {totals['places']} places : "
                    f"{_fr(rate)}{'' if isinstance(rate, str) else ' %'}."
                    if totals["nights"] else "")),
        Table("Séjours commencés sur la période, par motif",
              ["Motif", "Séjours", "dont bénéficiaires du volet 2"],
              [[r["label"], r["stays"], r["beneficiaries"]] for r in lodging["stays"]],
              sum_columns=(1, 2), totals={1: totals["stays_stays"],
                                          2: totals["stays_beneficiaries"]}),
    ]


def _survey_table(title: str, rows: list[dict], totals: dict) -> Table:
    return Table(title, ["Public ou champ", "Codes remis", "Réponses", "Taux de réponse (%)",
                         "Réponses à la question de satisfaction",
                         "Satisfaits ou très satisfaits (%)"],
                 [[r["label"], r["codes"], r["responses"], r["response_rate"], r["answers"],
                   r["satisfied"]] for r in rows], sum_columns=(1, 2, 4),
                 totals={1: totals["codes"], 2: totals["responses"], 4: totals["answers"]},
                 note=SURVEY_NOTE)


SURVEY_NOTE = ("Question de satisfaction : la première échelle de chaque questionnaire. "
               "Satisfaits ou très satisfaits : 3 ou 4 sur l'échelle en 4 points ; 4 ou 5 sur "
               "l'ancienne échelle en 5 points, dont les réponses gardent leur sens.")


def _budget_tables(s: dict) -> list[Table]:
    b = s["budget"]
    a = b["allocation"]
    tables = []
    if a:
        tables.append(Table(f"Dotation {b['year']} (F-01)", ["Rubrique", "Montant (€)"], [
            ["Montant notifié", a["notified_amount"]],
            ["Crédits fléchés" + (f" ({a['earmarked_label']})" if a["earmarked_label"] else ""),
             a["earmarked_amount"]],
            ["Part prévue du volet 1", a["volet1_planned"]],
            ["Part prévue du volet 2", a["volet2_planned"]]]))
    tables.append(Table(
        "Dépenses de la période par nature et par volet (F-05)",
        ["Nature", "Volet 1 (€)", "Volet 2 (€)", "Commun aux deux volets (€)", "Total (€)"],
        [[n["label"], *n["by_volet"], None] for n in b["natures"]],
        sum_columns=(1, 2, 3, 4), row_total=(4, (1, 2, 3))))
    tables.append(Table("Dépenses du volet 2 et communes par domaine (F-04, coûts directs)",
                        ["Domaine", "Montant (€)"],
                        [[d["label"], d["total"]] for d in b["by_domain"]],
                        sum_columns=(1,)))
    return tables


def _fr(value) -> str:
    return "—" if value is None else str(value).replace(".", ",")


def layout(snapshot: dict, narratives: dict | None = None) -> list[Section]:
    """The report's sections: tables from the snapshot (masked: ``shown``), the director's
    texts, in order."""
    snapshot = shown(snapshot)
    kind = snapshot["kind"]
    narratives = narratives or {}
    figures = snapshot["indicators"]
    sections = {key: Section(key, title) for key, title in SECTIONS.items()}
    # By code, whatever the order the database kept the snapshot's keys in (jsonb: its own).
    for code in sorted(figures):
        sections[section_of(code)].codes.append(code)
    sections["identity"].tables.append(_identity_table(snapshot))
    sections["organisation"].tables.append(Table(
        "Modèle organisationnel", ["Rubrique", "Valeur"],
        [["Modèle déclaré par le CRT", snapshot["identity"]["organisational_model_label"]]]))
    sections["team"].tables.append(_team_table(snapshot))
    sections["partners"].tables.append(_agreements_table(snapshot))
    sections["governance"].tables.append(_governance_table(snapshot))
    sections["lodging"].tables += _lodging_tables(snapshot)
    if snapshot.get("satisfaction"):
        sat = snapshot["satisfaction"]
        sections["satisfaction"].tables += [
            _survey_table(f"Enquête annuelle {sat['year']} du volet 2", sat["yearly"],
                          sat["yearly_totals"]),
            _survey_table("Questionnaires des séances du volet 1", sat["volet1"],
                          sat["volet1_totals"])]
    sections["budget"].tables += _budget_tables(snapshot)
    for section in sections.values():
        section.tables += _indicator_tables(section.codes, figures)
    for n in narratives_for(kind):
        sections[n.section].narratives.append((n, narratives.get(n.key, "")))
    return [s for key, s in sections.items()
            if (s.tables or s.narratives or s.intro) and not (kind != ReportKind.ANNUAL
                                                   and key in ANNUAL_ONLY)]


def definitions(snapshot: dict) -> list[list[Any]]:
    """Code, name, definition, unit, version of every indicator of the snapshot."""
    return [[code, f["name"], f["definition"], f["unit"], f["version"]]
            for code, f in sorted(snapshot["indicators"].items())]
