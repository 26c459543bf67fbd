"""The figures of the regional view: every registered indicator for each CRT of a region, side
by side, with the small-cell rule of INDICATORS §5 (``core.smallcells``) applied before
anything reaches a page or an export.

Everything here is an aggregate: the engine's counts (``core.indicators``), one breakdown at a
time, the budget's sums. No drill-down, no record, no free text. Queries: per CRT, a constant
number per indicator (its count, the chosen breakdown's grouped query, its extras), so a page
costs a constant × the number of CRTs.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from maillage.core import indicators as engine
from maillage.core.collation import french
from maillage.core.indicators import Indicator, Period
from maillage.core.models import Crt, Region
from maillage.core.selectors import FORFAIT_MONTHLY
from maillage.core.smallcells import (
    PROTECTED,
    Cell,
    extra_cells,
    group_small_rows,
    indicator_cells,
    plain,
    suppress_table,
)
from maillage.regional.access import crts_visible
from maillage.steering.access import reports_received
from maillage.steering.models import ActivityReport, Allocation, Expense, Volet
from maillage.steering.selectors import forfait_figures

#: The breakdown whose small rows are grouped (INDICATORS §5 rule 5).
COMMUNE = "commune"
OTHER_COMMUNES = "Autres communes"


def region_crts(*, user, region: Region) -> list[Crt]:
    """The CRTs of the region the user reads (``access.crts_visible``), by name: the columns
    of every table."""
    return list(crts_visible(user=user, region=region).order_by(french("name")))


def indicators() -> list[Indicator]:
    return list(engine.registry().values())


@dataclass
class IndicatorRow:
    """One indicator for every CRT of the region: ``cells`` (one per CRT) and the region's
    total (the sum of the CRTs' values), suppressed."""

    indicator: Indicator
    cells: list[Cell]
    total: Cell
    counts: list[int] = field(repr=False, default_factory=list)

    @property
    def hidden_columns(self) -> list[int]:
        return [j for j, c in enumerate(self.cells) if c.hidden]


def known_columns(*, user, region: Region, crts: list[Crt], period: Period) -> list[int]:
    """The columns (CRTs) whose figures for exactly ``period`` the reader also has from the
    activity report that CRT sent (``steering.access.reports_received``, one query): the
    secondary suppression cannot count on them to protect another CRT's small cell, since
    the report shows them (the region's total of 13 minus a report's 9 gave back a « < 5 »)."""
    sent = set(reports_received(user=user, region=region).filter(
        period_start=period.start, period_end=period.end).values_list("crt_id", flat=True))
    return [j for j, crt in enumerate(crts) if crt.pk in sent]


def indicator_row(indicator: Indicator, crts: list[Crt], period: Period,
                  counted: dict | None = None, *, known: list[int] = ()) -> IndicatorRow:
    """The value of ``indicator`` for each CRT (one aggregate each) and their total; for an
    indicator about people, rules 2 and 3 along the row. ``counted``: counts already made on
    this page, by (population, counted key, CRT): indicators sharing a population (V2-01a and
    V2-08, V2-01c and F-02) count it once. ``known``: the columns the reader has from a
    report (``known_columns``)."""
    counts, values, parts = [], [], []
    counted = {} if counted is None else counted
    for crt in crts:
        key = (indicator.population, indicator.counted, crt.pk)
        if key not in counted:
            counted[key] = engine.count(indicator, crt=crt, period=period)
        n = counted[key]
        counts.append(n)
        value, part = engine.value_and_numerator(indicator, crt=crt, period=period, n=n)
        values.append(value)
        parts.append(part)
    present = [v for v in values if v is not None]  # a share of no answer has no value
    if not indicator.people:
        total = sum(present) if present and indicator.additive else None
        return IndicatorRow(indicator, [plain(v) for v in values], plain(total), counts)
    # Rules 2 to 4 along the row; a share hidden when its numerator, or the rest, is 1 to 4.
    # Shares have no regional total: nothing more to hide.
    cells = indicator_cells(counts, values, parts, is_count=indicator.is_count,
                            known_columns=known)
    # A share (``additive=False``) has no regional total: the sum of shares means nothing.
    total = cells[-1] if indicator.additive else plain(None)
    return IndicatorRow(indicator, cells[:-1], total, counts)


def overview(crts: list[Crt], period: Period, *, known: list[int] = ()) -> list[IndicatorRow]:
    """Every registered indicator, in registry order."""
    counted: dict = {}
    return [indicator_row(indicator, crts, period, counted, known=known)
            for indicator in indicators()]


# --- One indicator: its extras and one breakdown ---------------------------------------------


@dataclass
class BreakdownTable:
    code: str
    label: str
    note: str
    exclusive: bool
    #: (label, cells per CRT, region total)
    rows: list[tuple[str, list[Cell], Cell]]
    #: The CRTs' totals (exclusive breakdowns only: the rows add up to them).
    totals: list[Cell] | None
    grand_total: Cell | None
    grouped: bool = False
    #: The key of each row, in ``rows``' order (``Extra.within`` names a row by its key).
    keys: list[Any] = field(default_factory=list)

    def hidden(self, key, column: int) -> bool:
        """Whether the cell of row ``key`` in CRT ``column`` is hidden (no row: 0, shown)."""
        return key in self.keys and self.rows[self.keys.index(key)][1][column].hidden


def breakdown_table(indicator: Indicator, code: str, crts: list[Crt], period: Period,
                    row: IndicatorRow, *, known: list[int] = ()) -> BreakdownTable:
    """The breakdown ``code`` of ``indicator``: one grouped query per CRT; categories as rows,
    CRTs as columns, the region's total per category; for an indicator about people, communes
    with 1 to 4 people grouped, then rules 2 and 3 over the whole table (the CRTs' totals
    hidden at least where the overview hides them)."""
    breakdown = indicator.breakdown(code)
    per_crt = [engine.breakdown_rows(indicator, breakdown, crt=crt, period=period)
               for crt in crts]
    order: dict[Any, str] = {}
    for result in per_crt:
        for r in result.rows:
            order.setdefault(r.key, r.label)
    found = [{r.key: r.value for r in result.rows} for result in per_crt]
    rows = [(key, label, [f.get(key, 0) for f in found]) for key, label in order.items()]
    exclusive = per_crt[0].exclusive if per_crt else breakdown.exclusive
    note = per_crt[0].note if per_crt else breakdown.note
    grouped = False
    if indicator.people and code == COMMUNE:
        before = len(rows)
        rows = group_small_rows(rows, other_label=OTHER_COMMUNES, keep=lambda key: key is None)
        grouped = len(rows) != before or any(key == "__other__" for key, _, _ in rows)
    counts = [cells for _, _, cells in rows]
    if not indicator.people:
        lines = [(label, [plain(n) for n in cells], plain(sum(cells)))
                 for _, label, cells in rows]
        totals = [plain(sum(c[j] for c in counts)) for j in range(len(crts))] \
            if exclusive else None
        grand = plain(sum(sum(c) for c in counts)) if exclusive else None
        return BreakdownTable(code, breakdown.label, note, exclusive, lines, totals, grand)
    if not counts:
        return BreakdownTable(code, breakdown.label, note, exclusive, [], None, None, grouped)
    table = suppress_table(counts, row_totals=True, column_totals=exclusive,
                           hidden_column_totals=row.hidden_columns if exclusive else (),
                           known_columns=known)
    lines = [(label, table.cells[i], table.row_totals[i]) for i, (_, label, _) in
             enumerate(rows)]
    return BreakdownTable(code, breakdown.label, note, exclusive, lines, table.column_totals,
                          table.grand_total, grouped, keys=[key for key, _, _ in rows])


@dataclass
class ExtraRow:
    label: str
    unit: str
    cells: list[Cell]


def extras_table(indicator: Indicator, crts: list[Crt], period: Period,
                 row: IndicatorRow, *, known: list[int] = ()) -> list[ExtraRow]:
    """The indicator's extra figures, one row per label, one cell per CRT. A CRT's extras are
    hidden where its value is (``row``); the figures made of a sum of counts (``Extra.line``)
    where one of those counts is, and a count that is part of a breakdown's row
    (``Extra.within``) where that row's cell is (rule 3)."""
    if indicator.extras is None:
        return []
    per_crt = [indicator.extras(crt=crt, period=period,
                                population=indicator.population(crt, period)) for crt in crts]
    # The breakdowns some extras are part of a row of (``Extra.within``), suppressed as the
    # breakdown's page shows them.
    tables = {code: breakdown_table(indicator, code, crts, period, row, known=known)
              for code in {e.within[0] for extras in per_crt for e in extras if e.within}}
    rows: dict[str, ExtraRow] = {}
    for j, extras in enumerate(per_crt):
        cells = extra_cells(extras, people=indicator.people, count=row.counts[j],
                            value_hidden=row.cells[j].hidden,
                            row_hidden=lambda within, j=j: tables[within[0]].hidden(within[1], j))
        for extra, cell in zip(extras, cells, strict=True):
            line = rows.setdefault(extra.label, ExtraRow(extra.label, extra.unit,
                                                         [Cell(None)] * len(crts)))
            line.cells = [*line.cells[:j], cell, *line.cells[j + 1:]]
    return list(rows.values())


# --- The budget (issue 14 §4) of each CRT -----------------------------------------------------


@dataclass
class BudgetRow:
    label: str
    cells: list[Cell]
    total: Cell
    money: bool = True


def budget(crts: list[Crt], year: int, *, today: date | None = None,
           known: list[int] = ()) -> list[BudgetRow]:
    """Allocation, expenses (by volet), what remains, and the forfait (F-02) of each CRT for
    ``year``: amounts about the CRT itself, shown (rule 6), except the mois-forfait and the
    forfait they value, counts of people (rules 2 and 4). Three grouped queries for the
    region, plus the forfait's aggregate per CRT."""
    today = today or timezone.localdate()
    ids = [crt.pk for crt in crts]
    allocations = {a.crt_id: a for a in Allocation.objects.filter(crt_id__in=ids, year=year)}
    spent: dict[tuple[int, str], Decimal] = {
        (r["crt_id"], r["volet"]): r["total"] or Decimal("0")
        for r in Expense.objects.filter(crt_id__in=ids, spent_on__year=year).order_by()
        .values("crt_id", "volet").annotate(total=Sum("amount"))}
    zero = Decimal("0.00")

    def money_row(label, values) -> BudgetRow:
        shown = [v for v in values if v is not None]
        return BudgetRow(label, [plain(v) for v in values], plain(sum(shown, zero)))

    notified = [allocations[c.pk].total if c.pk in allocations else None for c in crts]
    by_volet = {v: [spent.get((c.pk, v), zero) for c in crts] for v in Volet}
    total_spent = [sum((by_volet[v][j] for v in Volet), zero) for j in range(len(crts))]
    remaining = [None if notified[j] is None else notified[j] - total_spent[j]
                 for j in range(len(crts))]
    months = [forfait_figures(crt=crt, year=year, today=today)[0] for crt in crts]
    table = suppress_table([months], row_totals=True, known_columns=known)
    forfait = suppress_table([months], row_totals=True,
                             values=[[n * FORFAIT_MONTHLY for n in months]],
                             known_columns=known)
    envelope = [FORFAIT_MONTHLY * 12 * c.file_active_target for c in crts]
    rows = [
        money_row("Dotation notifiée (avec crédits fléchés)", notified),
        *[money_row(f"Dépenses — {v.label}", by_volet[v]) for v in Volet],
        money_row("Dépenses — total", total_spent),
        money_row("Reste sur la dotation", remaining),
        BudgetRow("Mois-forfait (F-02)", table.cells[0], table.row_totals[0], money=False),
        BudgetRow("Valorisation du forfait (mois-forfait × 900 €, F-02)",
                  [Cell(None, PROTECTED) if c.hidden else c for c in forfait.cells[0]],
                  Cell(None, PROTECTED) if forfait.row_totals[0].hidden
                  else forfait.row_totals[0]),
        money_row("Enveloppe du volet 2 à la cible (900 € × 12 × cible)", envelope),
    ]
    return rows


def submitted_reports(*, user, region: Region, period: Period) -> list[ActivityReport]:
    """The reports the region's CRTs submitted whose period meets ``period`` (the steering
    policy's ``reports_received``): what was sent and when (one query, the CRT joined), each
    opened on its own page (``views.report``), as sent, figures masked."""
    return list(reports_received(user=user, region=region).filter(
        period_start__lte=period.end, period_end__gte=period.start,
    ).select_related("crt").only(
        "public_id", "crt__name", "kind", "period_start", "period_end", "number",
        "submitted_at",
    ).order_by("crt__name", "period_start", "kind", "number"))
