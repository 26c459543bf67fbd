"""The steering dashboard (issue 14 §2): the indicators of the CRT for a period, one indicator
with its breakdowns and charts, and the records behind a figure.

Every figure comes from the engine (``maillage.core.indicators``), over every registered
indicator: an indicator another app declares appears here without a change. The figures are
aggregates (``indicator.view``); the records behind them go through each record's own policy
(``core.indicators.drilldown``), and their read is audited as a list of files is."""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from maillage.core import indicators as engine
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.indicators import Indicator, Period, Result
from maillage.core.permissions import has_permission
from maillage.core.plurals import is_plural, number  # noqa: F401 (number: this module's API)

from . import drilldown
from .forms import BreakdownFilterForm, IndicatorPeriodForm, period_query

RECORDS_PAGE_SIZE = 50

#: The dashboard's sections, by code prefix (INDICATORS.md); a code of no listed prefix goes in
#: the last one.
SECTIONS = (
    ("T-", "Transversal"),
    ("V1-", "Volet 1 — appui aux professionnels et actions auprès des personnes âgées"),
    ("V2-", "Volet 2 — accompagnement renforcé à domicile"),
    ("F-", "Finances"),
)
OTHER_SECTION = "Autres indicateurs"


# --- Numbers as a French reader reads them -------------------------------------------------


#: Units whose words end in « s » in the singular too.
INVARIABLE = frozenset({"mois", "mois-forfait", "fois"})


def singular(unit: str) -> str:
    """« sorties temporaires » → « sortie temporaire »; what is in brackets, « ETP », « € »
    and invariable words stay, and so does a share (« 0,5 % de satisfaits »: the people
    after « % » stay plural)."""
    if unit.startswith("%"):
        return unit
    head, bracket, tail = unit.partition("(")
    words = [w[:-1] if w.endswith("s") and w not in INVARIABLE and len(w) > 2 else w
             for w in head.split(" ")]
    return " ".join(words) + bracket + tail


def with_unit(value, unit: str) -> str:
    """« 1 sortie », « 0 personne », « 2 sorties » (French: the singular under 2)."""
    if value is None or not unit:
        return number(value)
    return f"{number(value)} {unit if is_plural(value) else singular(unit)}"


@dataclass(frozen=True)
class Trend:
    """The change from the previous period, in words and with an arrow (never colour only)."""

    arrow: str
    word: str
    text: str

    def __str__(self) -> str:
        return f"{self.arrow} {self.word}" + (f" : {self.text}" if self.text else "")


def trend(value, previous) -> Trend | None:
    if previous is None or value is None:
        return None
    change = value - previous
    if change == 0:
        return Trend("=", "Stable", "")
    sign = "+" if change > 0 else "−"
    text = f"{sign}{number(abs(change))}"
    if previous:
        percent = engine.quantize(abs(change) * 100 / abs(previous), "0.1")
        text += f" ({sign}{number(percent)} %)"
    return Trend("▲", "En hausse", text) if change > 0 else Trend("▼", "En baisse", text)


# --- The figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigure:
    indicator: Indicator
    value: Any
    previous_period: Period
    previous_value: Any

    @property
    def shown(self) -> str:
        return with_unit(self.value, self.indicator.unit)

    @property
    def previous_shown(self) -> str:
        return with_unit(self.previous_value, self.indicator.unit)

    @property
    def trend(self) -> Trend | None:
        return trend(self.value, self.previous_value)


def key_figure(indicator: Indicator, *, crt, period: Period) -> KeyFigure:
    """The value and the previous period's, as ``engine.compute`` gives them, without the
    breakdowns and extras the dashboard does not show (two aggregates, plus what a computed
    figure needs)."""
    def value(p: Period):
        return engine.value_of(indicator, crt=crt, period=p,
                               n=engine.count(indicator, crt=crt, period=p))

    previous = period.previous()
    return KeyFigure(indicator, value(period), previous, value(previous))


def sections(figures: list[KeyFigure]) -> list[tuple[str, list[KeyFigure]]]:
    grouped: dict[str, list[KeyFigure]] = {title: [] for _, title in SECTIONS}
    grouped[OTHER_SECTION] = []
    for figure in sorted(figures, key=lambda f: f.indicator.code):
        title = next((t for prefix, t in SECTIONS if figure.indicator.code.startswith(prefix)),
                     OTHER_SECTION)
        grouped[title].append(figure)
    return [(title, rows) for title, rows in grouped.items() if rows]


def _indicator(code: str) -> Indicator:
    try:
        return engine.get(code)
    except KeyError:
        raise Http404("Cet indicateur n'existe pas.") from None


def _period_form(request) -> tuple[IndicatorPeriodForm, Period | None]:
    """The period form and the period asked for (None when the form has errors)."""
    form = IndicatorPeriodForm(request.GET, today=timezone.localdate())
    if form.is_bound and not form.is_valid():
        return form, None
    return form, form.period()


def _query(period: Period, **extra) -> str:
    return urlencode({**period_query(period), **{k: v for k, v in extra.items()
                                                 if v is not None}})


@require("indicator.view")
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every registered indicator for the period: value, unit, previous period and change."""
    form, period = _period_form(request)
    figures = []
    if period is not None:
        figures = [key_figure(indicator, crt=request.crt, period=period)
                   for indicator in engine.registry().values()]
    return render(request, "steering/dashboard.html", {
        "form": form, "period": period, "sections": sections(figures),
        "query": _query(period) if period else "",
        "previous_query": _query(period.previous()) if period else "",
        "can_see_budget": has_permission(request.roles, "budget.view"),
    }, status=200 if period is not None else 400)


# --- One indicator -------------------------------------------------------------------------


def _drill_down_allowed(indicator: Indicator, request, period: Period) -> int:
    """How many records behind the figure the viewer may see (0: counts only). One query."""
    return engine.drilldown(indicator, crt=request.crt, period=period, user=request.user,
                            roles=request.roles).count()


def _row_key(key) -> str:
    """A breakdown row's key as a GET parameter (the empty category: "")."""
    return "" if key is None or key == "" else str(key)


def _share(row: engine.Row, breakdown: engine.BreakdownResult, result: Result,
           amounts: bool) -> str:
    """« 12,5 % »: the row's part of the figure in an exclusive breakdown: of the euros for an
    amount (the row's sum over all the rows' sums, whatever the number of expenses), of the
    records counted otherwise; "" when the whole is nothing."""
    part, whole = ((row.amount, sum((r.amount for r in breakdown.rows), Decimal(0)))
                   if amounts else (row.value, result.count))
    if not whole:
        return ""
    return number(engine.quantize(part * 100 / whole, "0.1")) + " %"


@require("indicator.view")
@require_GET
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One indicator: its definition and version, value, previous period, extra figures, and
    each breakdown as a table with its chart (drawn from the same rows)."""
    indicator = _indicator(code)
    form, period = _period_form(request)
    filters = BreakdownFilterForm(request.GET, indicator=indicator)
    shown = indicator
    if filters.is_bound and filters.is_valid():
        chosen = filters.cleaned_data["ventilation"]
        shown = replace(indicator, breakdowns=(indicator.breakdown(chosen),))
    # Each form keeps the other's choice.
    context = {"indicator": indicator, "form": form, "filters": filters, "period": period,
               "keep": {"ventilation": request.GET["ventilation"]}
               if request.GET.get("ventilation") else {}}
    if period is None:
        return render(request, "steering/indicator.html", context, status=400)
    result: Result = engine.compute(shown, crt=request.crt, period=period)
    visible = _drill_down_allowed(indicator, request, period)
    records_url = reverse("steering:indicator_records", kwargs={"code": indicator.code})
    # An amount (``summed``): each row's sum beside its count, its share is of the euros, and
    # the chart draws the sums.
    amounts = indicator.summed is not None
    breakdowns = []
    for index, b in enumerate(result.breakdowns):
        rows = [{
            "label": row.label, "value": number(row.value),
            "amount": with_unit(row.amount, "€") if row.amount is not None else None,
            "share": _share(row, b, result, amounts) if b.exclusive else "",
            "url": (f"{records_url}?{_query(period, ventilation=b.code, cle=_row_key(row.key))}"
                    if visible and row.value else None),
        } for row in b.rows]
        breakdowns.append({
            "code": b.code, "label": b.label, "note": b.note, "exclusive": b.exclusive,
            "rows": rows, "chart_id": f"chart-data-{index}", "amounts": amounts,
            "chart": {"title": b.label, "labels": [r.label for r in b.rows],
                      "values": [float(r.amount) if amounts else r.value for r in b.rows]},
        })
    status = 400 if filters.is_bound and not filters.is_valid() else 200
    context.update({
        "result": result,
        "value": with_unit(result.value, indicator.unit),
        "previous": with_unit(result.previous_value, indicator.unit),
        "trend": trend(result.value, result.previous_value),
        "counted": number(result.count),
        "extras": [{"label": e.label, "value": with_unit(e.value, e.unit)}
                   for e in result.extras],
        "breakdowns": breakdowns, "visible": visible, "visible_shown": number(visible),
        "records_url": f"{records_url}?{_query(period)}" if visible else None,
        "query": _query(period), "period_keep": period_query(period),
    })
    return render(request, "steering/indicator.html", context, status=status)


# --- The records behind a figure -----------------------------------------------------------


def _breakdown_row(indicator: Indicator, request, period: Period):
    """The breakdown and row asked for (``ventilation``, ``cle``), or (None, None) for the
    whole figure; an unknown one answers 404. The row is found among the rows the engine
    computes (one grouped query), so that its key has its real type (a number, a date…)."""
    code = request.GET.get("ventilation", "")
    if not code:
        return None, None
    try:
        breakdown = indicator.breakdown(code)
    except KeyError:
        raise Http404("Cette ventilation n'existe pas pour cet indicateur.") from None
    key = request.GET.get("cle")
    rows = engine.breakdown_rows(indicator, breakdown, crt=request.crt, period=period).rows
    row = next((r for r in rows if key is not None and _row_key(r.key) == key), None)
    if row is None:
        raise Http404("Cette ligne n'existe pas dans la ventilation.")
    return breakdown, row


@require("indicator.view")
@require_GET
def indicator_records(request: HttpRequest, code: str) -> HttpResponse:
    """The records behind the figure (or behind one breakdown row) that the viewer may see,
    by their own access policy, paginated by the database. The read is audited: one event for
    the page (which figure, which period) and one per person listed, so that the person's
    access history shows it."""
    indicator = _indicator(code)
    form, period = _period_form(request)
    context = {"indicator": indicator, "form": form, "period": period,
               "keep": {name: request.GET[name] for name in ("ventilation", "cle")
                        if name in request.GET}}
    if period is None:
        return render(request, "steering/indicator_records.html", context, status=400)
    breakdown, row = _breakdown_row(indicator, request, period)
    records = engine.drilldown(
        indicator, crt=request.crt, period=period, user=request.user, roles=request.roles,
        **({"breakdown": breakdown.code, "key": row.key} if breakdown else {}))
    presenter = drilldown.presenter_for(records.model)
    page = Paginator(drilldown.ordered(records, presenter), RECORDS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    shown = drilldown.rows(page.object_list, presenter, request.roles)
    figure = row.value if row is not None else engine.count(indicator, crt=request.crt,
                                                          period=period)
    _audit_records(request, indicator, period, breakdown, row, page, shown)
    context.update({
        "breakdown": breakdown, "row": row, "page": page, "records": shown,
        "headings": presenter.headings, "figure": number(figure),
        "total": number(page.paginator.count), "partial": page.paginator.count < figure,
        "model_name": records.model._meta.verbose_name_plural,
        "back_url": f"{reverse('steering:indicator', kwargs={'code': indicator.code})}?"
                    f"{_query(period)}",
    })
    return render(request, "steering/indicator_records.html", context)


def _audit_records(request, indicator, period, breakdown, row, page, shown) -> None:
    details = {"indicateur": indicator.code, "période": period.label,
               "page": page.number, "dossiers affichés": len(shown)}
    if breakdown is not None:
        details["ventilation"] = f"{breakdown.label} : {row.label}"
    audit_log(actor=request.user, action="indicator.drilldown_viewed", crt=request.crt,
              object_type="indicateur", object_id=indicator.code,
              object_label=f"Indicateur {indicator.code} ({period.label})", details=details)
    people = {}
    for record in shown:
        for person in (record.beneficiary, record.attendee):
            if person is not None:
                people.setdefault((person._meta.label, person.pk), (person, record))
    for person, record in people.values():
        audit_log(actor=request.user, action="indicator.person_viewed", crt=request.crt,
                  obj=person, beneficiary=record.beneficiary if person is record.beneficiary
                  else None, details={"indicateur": indicator.code, "période": period.label})
