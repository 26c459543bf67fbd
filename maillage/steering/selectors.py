"""Reads of the budget: the year's figures (F-01, F-02, F-03, spending by volet × nature and by
domain), grouped by the database, and the filtered expense list."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from maillage.core.selectors import FORFAIT_MONTHLY

from .access import allocations_visible, expenses_visible, fec_imports_visible
from .models import (
    INVESTMENT_NATURES,
    OUTSIDE_FORFAIT_NATURES,
    Allocation,
    Expense,
    Nature,
    Volet,
    prorata,
)

ZERO = Decimal("0.00")
VOLETS = [Volet.VOLET1, Volet.VOLET2, Volet.SHARED]


def money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"))


@dataclass
class NatureRow:
    nature: str
    label: str
    investment: bool
    by_volet: dict[str, Decimal]

    @property
    def cells(self) -> list[Decimal]:
        return [self.by_volet[v] for v in VOLETS]

    @property
    def total(self) -> Decimal:
        return sum(self.by_volet.values(), ZERO)


@dataclass
class BudgetYear:
    year: int
    allocation: Allocation | None
    prorata_check: Decimal | None
    rows: list[NatureRow]
    by_volet: dict[str, Decimal]
    spent: Decimal
    by_domain: list[tuple[str, Decimal]]
    volet2_running: Decimal
    volet2_investment: Decimal
    forfait_months: int
    people: int
    forfait_value: Decimal
    volet2_envelope: Decimal
    volet_labels: list[str] = field(default_factory=lambda: [v.label for v in VOLETS])

    @property
    def remaining(self) -> Decimal | None:
        return None if self.allocation is None else self.allocation.total - self.spent

    @property
    def volet_totals(self) -> list[Decimal]:
        return [self.by_volet[v] for v in VOLETS]

    @property
    def volet2_in_forfait(self) -> Decimal:
        return self.volet2_running + self.volet2_investment

    @property
    def running_share(self) -> Decimal | None:
        return _share(self.volet2_running, self.volet2_in_forfait)

    @property
    def investment_share(self) -> Decimal | None:
        return _share(self.volet2_investment, self.volet2_in_forfait)

    @property
    def volet2_spent(self) -> Decimal:
        return self.by_volet[Volet.VOLET2]

    @property
    def cost_per_person(self) -> Decimal | None:
        return (self.volet2_spent / self.people).quantize(Decimal("0.01")) if self.people \
            else None

    @property
    def cost_per_forfait_month(self) -> Decimal | None:
        return (self.volet2_spent / self.forfait_months).quantize(Decimal("0.01")) \
            if self.forfait_months else None

    @property
    def forfait_balance(self) -> Decimal:
        """The forfait earned (F-02) less the volet 2 expenses."""
        return self.forfait_value - self.volet2_spent


def year_expenses(*, crt, user, roles, year: int) -> QuerySet[Expense]:
    return expenses_visible(crt=crt, user=user, roles=roles).filter(
        spent_on__gte=date(year, 1, 1), spent_on__lte=date(year, 12, 31))


def forfait_figures(*, crt, year: int, today: date) -> tuple[int, int]:
    """(Σ mois-forfait of ``year`` up to ``today``, people with at least one): the stored
    months of the file active (``admissions``: one person counts once a month, whatever their
    enrolments), the same as the indicators V2-01c and F-02 — one aggregate."""
    from maillage.admissions.indicators import forfait_months
    from maillage.core.indicators import Period

    figures = forfait_months(crt, Period.year(year)).filter(month__lte=today).aggregate(
        months=Count("pk"), people=Count("beneficiary", distinct=True))
    return figures["months"], figures["people"]


def budget_year(*, crt, user, roles, year: int, today: date | None = None) -> BudgetYear:
    """The year's budget, in a handful of queries whatever the number of expenses."""
    today = today or timezone.localdate()
    allocation = allocations_visible(crt=crt, user=user, roles=roles).filter(
        year=year).first()
    expenses = year_expenses(crt=crt, user=user, roles=roles, year=year).order_by()
    cells: dict[tuple[str, str], Decimal] = {
        (r["nature"], r["volet"]): money(r["total"])
        for r in expenses.values("nature", "volet").annotate(total=Sum("amount"))}
    rows = [NatureRow(nature=n.value, label=n.label, investment=n in INVESTMENT_NATURES,
                      by_volet={v: cells.get((n.value, v), ZERO) for v in VOLETS})
            for n in Nature]
    by_volet = {v: sum((r.by_volet[v] for r in rows), ZERO) for v in VOLETS}
    by_domain = [(r["domain__name"] or "Sans domaine", money(r["total"]))
                 for r in expenses.filter(volet__in=[Volet.VOLET2, Volet.SHARED])
                 .values("domain__name", "domain__position").annotate(total=Sum("amount"))
                 .order_by("domain__position", "domain__name")]
    in_forfait = [r for r in rows if r.nature not in OUTSIDE_FORFAIT_NATURES]
    months, people = forfait_figures(crt=crt, year=year, today=today)
    return BudgetYear(
        year=year, allocation=allocation,
        prorata_check=prorata(crt.annual_allocation, crt.opened_on, year),
        rows=rows, by_volet=by_volet, spent=sum(by_volet.values(), ZERO),
        by_domain=by_domain,
        volet2_running=sum((r.by_volet[Volet.VOLET2] for r in in_forfait
                            if not r.investment), ZERO),
        volet2_investment=sum((r.by_volet[Volet.VOLET2] for r in in_forfait
                               if r.investment), ZERO),
        forfait_months=months, people=people, forfait_value=months * FORFAIT_MONTHLY,
        volet2_envelope=FORFAIT_MONTHLY * 12 * crt.file_active_target,
    )


def expenses(*, crt, user, roles, year: int, nature: str = "", volet: str = "",
             month: int | None = None) -> QuerySet[Expense]:
    rows = year_expenses(crt=crt, user=user, roles=roles, year=year)
    if nature:
        rows = rows.filter(nature=nature)
    if volet:
        rows = rows.filter(volet=volet)
    if month:
        rows = rows.filter(spent_on__month=month)
    return rows.select_related("domain", "fec_import").order_by("-spent_on", "-pk")


def expense_total(rows: QuerySet[Expense]) -> Decimal:
    return money(rows.order_by().aggregate(total=Sum("amount"))["total"])


def fec_imports(*, crt, user, roles) -> QuerySet:
    return fec_imports_visible(crt=crt, user=user, roles=roles).select_related("created_by")
