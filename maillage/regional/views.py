"""The ARS's regional view (issue 14 §5): the CRTs of a region side by side — every indicator,
one breakdown at a time, the budget — aggregates only, small counts of people hidden
(INDICATORS §5), no link to any record; the same tables as CSV and XLSX. Every read is
audited once per CRT shown, with the page's parameters only. And the activity reports the
region's CRTs transmitted, read-only, as the CRT sent them (figures masked by the same rule;
``steering.access.reports_received``), each read audited in the trail of its CRT."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from maillage.core.access import REGION_ROLE, require_region
from maillage.core.audit import audit_log_for_crts
from maillage.core.indicators import Period, registry
from maillage.core.models import Crt, Region
from maillage.core.smallcells import LEGEND, THRESHOLD
from maillage.core.tenancy import get_visible
from maillage.steering import report_views
from maillage.steering.access import reports_received
from maillage.steering.dashboard import sections

from . import figures
from .exports import Sheet, csv_response, xlsx_response
from .forms import BreakdownForm, period_form, year_form


@require_region("regional.view")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The regions of the user (an ARS agent usually follows one)."""
    regions = getattr(request, "regions", [])
    return render(request, "regional/index.html", {"regions": regions})


def _audit(request, region: Region, crts: list[Crt], *, page: str, export: str = "",
           **details) -> None:
    audit_log_for_crts(
        actor=request.user, action="regional.exported" if export else "regional.viewed",
        crts=crts, object_type="core.region", object_id=region.code,
        object_label=f"Région {region.name}"[:200],
        details={"page": page, **({"format": export} if export else {}),
                 **{k: v for k, v in details.items() if v}})


def _period_label(period: Period) -> str:
    return f"{period.label} ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y})"


def _context(region: Region, crts: list[Crt], **extra) -> dict:
    return {"region": region, "crts": crts, "legend": LEGEND, "threshold": THRESHOLD, **extra}


# --- Every indicator side by side -------------------------------------------------------------


def _overview(request, region: Region):
    form = period_form(request.GET)
    crts = figures.region_crts(user=request.user, region=region)
    if not form.is_valid():
        return form, crts, None
    known = figures.known_columns(user=request.user, region=region, crts=crts,
                                  period=form.period)
    # In the dashboard's sections and order (Transversal, volet 1, volet 2, finances), the
    # exports too.
    rows = [row for _, section_rows in sections(figures.overview(crts, form.period,
                                                                  known=known))
            for row in section_rows]
    return form, crts, rows


@require_region("regional.view")
@require_GET
def overview(request: HttpRequest, region: Region) -> HttpResponse:
    form, crts, rows = _overview(request, region)
    if rows is None:
        return render(request, "regional/overview.html", _context(region, crts, form=form),
                      status=400)
    period = form.period
    _audit(request, region, crts, page="indicateurs", période=_period_label(period))
    reports = figures.submitted_reports(user=request.user, region=region, period=period)
    return render(request, "regional/overview.html", _context(
        region, crts, form=form, rows=rows, sections=sections(rows), period=period,
        reports=reports,
        query=request.GET.urlencode()))


def _overview_sheets(crts, rows) -> list[Sheet]:
    return [Sheet("Indicateurs", ["Code", "Indicateur", "Unité", *[c.name for c in crts],
                                  "Région"],
                  [[r.indicator.code, r.indicator.name, r.indicator.unit, *r.cells, r.total]
                   for r in rows])]


def _export(fmt: str, name: str, heading: list[str], sheets: list[Sheet]):
    if fmt == "csv":
        return csv_response(name, heading, sheets)
    return xlsx_response(name, heading, sheets)


@require_region("regional.view")
@require_GET
def overview_export(request: HttpRequest, region: Region, fmt: str) -> HttpResponse:
    form, crts, rows = _overview(request, region)
    if rows is None:
        return render(request, "regional/overview.html", _context(region, crts, form=form),
                      status=400)
    period = form.period
    _audit(request, region, crts, page="indicateurs", export=fmt,
           période=_period_label(period))
    heading = [f"Indicateurs des CRT — région {region.name}", _period_label(period)]
    return _export(fmt, f"indicateurs-region-{region.code}-{period.start:%Y%m%d}-"
                        f"{period.end:%Y%m%d}", heading, _overview_sheets(crts, rows))


# --- One indicator: value, extras, one breakdown ----------------------------------------------


def _indicator(request, region: Region, code: str):
    indicator = registry().get(code)
    if indicator is None:
        raise Http404("Aucun indicateur ne porte ce code.")
    form = period_form(request.GET)
    choice = BreakdownForm(request.GET, indicator=indicator)
    crts = figures.region_crts(user=request.user, region=region)
    ok = form.is_valid() & choice.is_valid()
    data = {"indicator": indicator, "form": form, "choice": choice, "crts": crts}
    if not ok:
        return data, False
    period = form.period
    known = figures.known_columns(user=request.user, region=region, crts=crts, period=period)
    row = figures.indicator_row(indicator, crts, period, known=known)
    code = choice.cleaned_data["ventilation"]
    data.update(period=period, row=row,
                extras=figures.extras_table(indicator, crts, period, row, known=known),
                breakdown=figures.breakdown_table(indicator, code, crts, period, row,
                                                  known=known)
                if code else None)
    return data, True


@require_region("regional.view")
@require_GET
def indicator(request: HttpRequest, region: Region, code: str) -> HttpResponse:
    data, ok = _indicator(request, region, code)
    crts = data.pop("crts")
    if not ok:
        return render(request, "regional/indicator.html", _context(region, crts, **data),
                      status=400)
    b = data["breakdown"]
    _audit(request, region, crts, page="indicateur", indicateur=data["indicator"].code,
           période=_period_label(data["period"]), ventilation=b.code if b else "")
    return render(request, "regional/indicator.html", _context(
        region, crts, query=request.GET.urlencode(), **data))


def _indicator_sheets(crts, data) -> list[Sheet]:
    ind, row, b = data["indicator"], data["row"], data["breakdown"]
    names = [c.name for c in crts]
    sheets = [Sheet("Valeur", ["Code", "Indicateur", "Unité", *names, "Région"],
                    [[ind.code, ind.name, ind.unit, *row.cells, row.total]])]
    if b is not None:
        rows = [[label, *cells, total] for label, cells, total in b.rows]
        if b.totals is not None:
            rows.append(["Total", *b.totals, b.grand_total])
        sheets.append(Sheet(f"Ventilation {b.label}"[:31], [b.label, *names, "Région"], rows))
    if data["extras"]:
        sheets.append(Sheet("Compléments", ["Chiffre", "Unité", *names],
                            [[e.label, e.unit, *e.cells] for e in data["extras"]]))
    sheets.append(Sheet("Définition", ["Code", "Indicateur", "Définition", "Version"],
                        [[ind.code, ind.name, ind.definition, ind.version]]))
    return sheets


@require_region("regional.view")
@require_GET
def indicator_export(request: HttpRequest, region: Region, code: str,
                     fmt: str) -> HttpResponse:
    data, ok = _indicator(request, region, code)
    crts = data.pop("crts")
    if not ok:
        return render(request, "regional/indicator.html", _context(region, crts, **data),
                      status=400)
    b, ind, period = data["breakdown"], data["indicator"], data["period"]
    _audit(request, region, crts, page="indicateur", export=fmt, indicateur=ind.code,
           période=_period_label(period), ventilation=b.code if b else "")
    heading = [f"{ind.code} {ind.name} — région {region.name}", _period_label(period)]
    return _export(fmt, f"{ind.code}-region-{region.code}-{period.start:%Y%m%d}-"
                        f"{period.end:%Y%m%d}", heading, _indicator_sheets(crts, data))


# --- The budget -------------------------------------------------------------------------------


def _budget(request, region: Region):
    form = year_form(request.GET)
    crts = figures.region_crts(user=request.user, region=region)
    if not form.is_valid():
        return form, crts, None
    year = form.cleaned_data["annee"]
    known = figures.known_columns(user=request.user, region=region, crts=crts,
                                  period=Period.year(year))
    return form, crts, figures.budget(crts, year, known=known)


@require_region("regional.view")
@require_GET
def budget(request: HttpRequest, region: Region) -> HttpResponse:
    form, crts, rows = _budget(request, region)
    if rows is None:
        return render(request, "regional/budget.html", _context(region, crts, form=form),
                      status=400)
    year = form.cleaned_data["annee"]
    _audit(request, region, crts, page="budget", année=year)
    return render(request, "regional/budget.html", _context(
        region, crts, form=form, rows=rows, year=year))


@require_region("regional.view")
@require_GET
def budget_export(request: HttpRequest, region: Region, fmt: str) -> HttpResponse:
    form, crts, rows = _budget(request, region)
    if rows is None:
        return render(request, "regional/budget.html", _context(region, crts, form=form),
                      status=400)
    year = form.cleaned_data["annee"]
    _audit(request, region, crts, page="budget", export=fmt, année=year)
    sheet = Sheet("Budget", ["Poste", *[c.name for c in crts], "Région"],
                  [[r.label, *r.cells, r.total] for r in rows])
    return _export(fmt, f"budget-region-{region.code}-{year}",
                   [f"Budget des CRT — région {region.name}", f"Année {year}"], [sheet])


# --- The reports the region's CRTs transmitted ------------------------------------------------


def _received(request, region: Region, public_id):
    return get_visible(reports_received(user=request.user, region=region).select_related(
        "crt", "generated_by", "submitted_by"), public_id)


def _links(region: Region) -> report_views.Links:
    return report_views.Links(
        back_url=reverse("regional:overview", args=[region.code]) + "#rapports",
        back_label=f"Vue régionale — {region.name}", detail="regional:report",
        pdf="regional:report_pdf", xlsx="regional:report_xlsx", args=(region.code,))


@require_region("regional.view")
@require_GET
def report(request: HttpRequest, region: Region, public_id) -> HttpResponse:
    found = _received(request, region, public_id)
    versions = reports_received(user=request.user, region=region).filter(
        crt=found.crt, kind=found.kind, period_start=found.period_start)
    return report_views.report_page(request, found, versions=versions, roles={REGION_ROLE},
                                    links=_links(region))


@require_region("regional.view")
@require_GET
def report_pdf(request: HttpRequest, region: Region, public_id) -> HttpResponse:
    return report_views.report_download(request, _received(request, region, public_id), "pdf",
                                        links=_links(region))


@require_region("regional.view")
@require_GET
def report_xlsx(request: HttpRequest, region: Region, public_id) -> HttpResponse:
    return report_views.report_download(request, _received(request, region, public_id), "xlsx")
