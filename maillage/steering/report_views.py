"""The activity reports' pages: the list (versions, due dates, what is still to produce), create,
the report (its figures and the director's texts), regenerate, submit, correct, the PDF and
XLSX downloads, and the report settings. ``report_page`` and ``report_download`` also serve
the regional view's pages of the reports a region's CRTs transmitted (``regional.views``)."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from . import report_files, report_services, reports
from .access import report_reads_audited, reports_visible
from .forms import NarrativesForm, ReportCreateForm, ReportSettingsForm, ReportVersionForm
from .models import ActivityReport, ReportKind

PAGE_SIZE = 30


def _who(request) -> dict:
    return {"crt": request.crt, "user": request.user, "roles": request.roles}


def _report(request, public_id) -> ActivityReport:
    return get_for_crt(reports_visible(**_who(request)).select_related(
        "crt", "generated_by", "submitted_by"), request.crt, public_id)


@require("report.view")
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    rows = reports_visible(**_who(request)).select_related("submitted_by").defer(
        "snapshot").order_by("-period_end", "kind", "-number")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    settings = reports.settings_for(request.crt)
    existing = set(reports_visible(**_who(request)).values_list("kind", "period_start"))
    for r in page:
        r.due = reports.due_date(settings, r.kind, r.period_end)
        r.label = reports.period_label(r.kind, r.period_start, r.period_end)
    return render(request, "steering/reports/report_list.html", {
        "page": page, "settings": settings,
        "expected": reports.expected_reports(request.crt, settings, existing, timezone.localdate()),
        "can_manage": has_permission(request.roles, "report.manage"),
        "drafts": has_permission(request.roles, "report.drafts"),
    })


@require("report.manage")
@require_http_methods(["GET", "POST"])
def report_create(request: HttpRequest) -> HttpResponse:
    initial = {"kind": request.GET.get("modele", ReportKind.ANNUAL),
               "year": request.GET.get("annee", timezone.localdate().year),
               "half": request.GET.get("semestre", "")}
    form = ReportCreateForm(request.POST or None, initial=initial)

    def save(data):
        return report_services.report_create(actor=request.user, crt=request.crt,
                                             kind=data["kind"], year=data["year"],
                                             half=data.get("half"))

    def done(report):
        messages.success(request, f"{report.get_kind_display()} — "
                                  f"{report.snapshot['period']['label']} : brouillon créé, "
                                  "chiffres calculés.")
        return redirect("steering:report_detail", public_id=report.public_id)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouveau rapport",
                             "intro": "Les chiffres sont calculés à partir des dossiers au "
                                      "moment de la création ; ils peuvent être recalculés "
                                      "tant que le rapport n'est pas transmis. Le premier "
                                      "rapport annuel part de la date d'ouverture du CRT.",
                             "submit_label": "Créer le brouillon",
                             "back_url": reverse("steering:report_list"),
                             "back_label": "Rapports d'activité"})


@dataclass
class Links:
    """Where a report page's links go: the CRT's pages, or the regional view's."""

    back_url: str
    back_label: str
    detail: str
    pdf: str
    xlsx: str
    args: tuple = ()

    def of(self, name: str, report) -> str:
        return reverse(getattr(self, name), args=[*self.args, report.public_id])


CRT_LINKS = Links(back_url="", back_label="Rapports d'activité",
                  detail="steering:report_detail", pdf="steering:report_pdf",
                  xlsx="steering:report_xlsx")
#: How often the page that waits for a report's PDF asks for it again.
PDF_REFRESH_SECONDS = 3
#: Past this wait, the page says the PDF is slow to come (the task queue may be stopped).
PDF_SLOW_SECONDS = 60


def report_page(request, report: ActivityReport, *, versions, roles, links: Links,
                form=None, status: int = 200) -> HttpResponse:
    """The page of one version of a report: its figures (masked, ``reports.shown``), the
    director's texts (a form for the direction on a draft), the other versions ``versions``
    (already restricted by the access policy). A read of the ARS is audited."""
    can_manage = has_permission(roles, "report.manage")
    kinds = reports.narratives_for(report.kind)
    if form is None and can_manage and report.is_draft:
        form = NarrativesForm(narratives=kinds, report=report)
    versions = list(versions.defer("snapshot").order_by("-number"))
    for v in versions:
        v.url = links.of("detail", v)
    settings = reports.settings_for(report.crt)
    if report_reads_audited(roles=roles):
        audit_log(actor=request.user, action="report.viewed", obj=report,
                  details={"version": report.number})
    snapshot = reports.shown(report.snapshot)
    due = reports.due_date(settings, report.kind, report.period_end)
    return render(request, "steering/reports/report_detail.html", {
        "report": report, "s": snapshot,
        "sections": reports.layout(snapshot, report.narratives),
        "form": form, "can_manage": can_manage, "versions": versions,
        "latest": versions[0] if versions else report,
        "due": due,
        # Sent after its due date: said beside the date (the ARS reads the page too).
        "late": bool(due and report.submitted_at
                     and timezone.localtime(report.submitted_at).date() > due),
        "title": report_files.title_of(report.kind),
        "period_over": report.period_end < timezone.localdate(),
        "back_url": links.back_url or reverse("steering:report_list"),
        "back_label": links.back_label,
        "pdf_url": links.of("pdf", report), "xlsx_url": links.of("xlsx", report),
    }, status=status)


def _detail(request, report: ActivityReport, form=None, status: int = 200) -> HttpResponse:
    versions = reports_visible(**_who(request)).filter(kind=report.kind,
                                                       period_start=report.period_start)
    return report_page(request, report, versions=versions, roles=request.roles,
                       links=CRT_LINKS, form=form, status=status)


@require("report.view")
@require_GET
def report_detail(request: HttpRequest, public_id) -> HttpResponse:
    return _detail(request, _report(request, public_id))


@require("report.manage")
@require_POST
def report_narratives(request: HttpRequest, public_id) -> HttpResponse:
    report = _report(request, public_id)
    form = NarrativesForm(request.POST, narratives=reports.narratives_for(report.kind),
                          report=report)
    if not form.is_valid():
        return _detail(request, report, form, status=400)
    texts = {n.key: form.cleaned_data.get(n.key, "")
             for n in reports.narratives_for(report.kind)}
    try:
        report_services.report_narratives_update(
            actor=request.user, report=report, version=form.cleaned_data["version"] or 0,
            narratives=texts)
    except DomainError as error:
        form.add_domain_error(error)
        return _detail(request, report, form, status=409 if error.code == "conflict" else 400)
    messages.success(request, "Textes enregistrés.")
    return redirect(reverse("steering:report_detail", args=[report.public_id]) + "#textes")


def _button(request, public_id, action, success: str) -> HttpResponse:
    report = _report(request, public_id)
    form = ReportVersionForm(request.POST)
    target = report
    if not form.is_valid():
        messages.error(request, "Version manquante ou invalide : rechargez la page.")
    else:
        try:
            target = action(report, form.cleaned_data["version"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
    return redirect("steering:report_detail", public_id=target.public_id)


@require("report.manage")
@require_POST
def report_regenerate(request: HttpRequest, public_id) -> HttpResponse:
    return _button(request, public_id, lambda r, v: report_services.report_regenerate(
        actor=request.user, report=r, version=v), "Chiffres recalculés à partir des dossiers.")


@require("report.manage")
@require_POST
def report_submit(request: HttpRequest, public_id) -> HttpResponse:
    return _button(request, public_id, lambda r, v: report_services.report_submit(
        actor=request.user, report=r, version=v),
        "Rapport transmis : cette version est figée.")


@require("report.manage")
@require_POST
def report_correct(request: HttpRequest, public_id) -> HttpResponse:
    report = _report(request, public_id)
    try:
        new = report_services.report_correct(actor=request.user, report=report)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("steering:report_detail", public_id=report.public_id)
    messages.success(request, f"Version {new.number} créée (brouillon) : les textes de la "
                              f"version {report.number} sont repris, les chiffres recalculés.")
    return redirect("steering:report_detail", public_id=new.public_id)


def report_download(request, report: ActivityReport, extension: str,
                    links: Links = CRT_LINKS) -> HttpResponse:
    """The PDF or the workbook of one version of a report (masked as its page), audited.

    The PDF is rendered by the task queue, never here (WeasyPrint takes 5 to 12 s for a year's
    report, more on a busy server): a submitted version's is kept (made after the submission),
    a draft's is served again while its content is the same (its figures and texts may move),
    and so is that of a version stored before the small-cell pass (its kept PDF is not masked:
    never served). Until it is made, a page says so and asks again every few seconds (202)."""
    status = report.get_status_display().lower()
    if extension == "pdf":
        content = report_files.ready_pdf(report)
        if content is None:
            report_files.prepare_pdf(report)
            report.refresh_from_db(fields=["pdf"])
            content = report_files.ready_pdf(report)  # made already by an immediate queue
        if content is None:
            # Each reload counts (``attente``): past a minute, the page says the task queue
            # may be stopped (with no consumer running, it would wait forever in silence).
            waits = request.GET.get("attente", "")
            waits = min(int(waits), 10_000) if waits.isdigit() else 0
            return render(request, "steering/reports/report_pdf_pending.html", {
                "report": report, "title": "PDF en préparation",
                "detail_url": links.of("detail", report),
                "refresh_seconds": PDF_REFRESH_SECONDS,
                "refresh_url": f"{request.path}?attente={waits + 1}",
                "slow": waits * PDF_REFRESH_SECONDS >= PDF_SLOW_SECONDS}, status=202)
        content_type = "application/pdf"
    else:
        content = report_files.render_xlsx(report.snapshot, report.narratives,
                                           number=report.number, status=status)
        content_type = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    # Aggregates and texts, no person: audited anyway, as the read of a report sent to the ARS.
    audit_log(actor=request.user, action="report.downloaded", obj=report,
              details={"format": extension.upper(), "version": report.number})
    response = HttpResponse(content, content_type=content_type)
    name = report_files.file_name(report.snapshot, report.number, extension)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _download(request, public_id, extension: str) -> HttpResponse:
    return report_download(request, _report(request, public_id), extension)


@require("report.view")
@require_GET
def report_pdf(request: HttpRequest, public_id) -> HttpResponse:
    return _download(request, public_id, "pdf")


@require("report.view")
@require_GET
def report_xlsx(request: HttpRequest, public_id) -> HttpResponse:
    return _download(request, public_id, "xlsx")


@require("report.manage")
@require_http_methods(["GET", "POST"])
def report_settings(request: HttpRequest) -> HttpResponse:
    current = reports.settings_for(request.crt)
    form = ReportSettingsForm(request.POST or None, instance=current)
    if current.pk is None:
        form.initial["version"] = 0

    def save(data):
        values = {f: data[f] for f in report_services.SETTINGS_FIELDS}
        return report_services.report_settings_save(actor=request.user, crt=request.crt,
                                                    version=data["version"] or 0, **values)

    def done(result):
        messages.success(request, "Paramètres des rapports enregistrés.")
        return redirect("steering:report_list")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Paramètres des rapports",
                             "intro": "Les modèles que l'ARS demande au CRT et leurs "
                                      "échéances : le rapport annuel est dû le 30 avril de "
                                      "l'année suivante par défaut ; les bilans semestriels "
                                      "(Occitanie) sont arrêtés au 30/06 et au 31/12.",
                             "back_url": reverse("steering:report_list"),
                             "back_label": "Rapports d'activité"})
