"""The CRT's budget: the year's page (F-01 to F-03, volet × nature, domains), the expenses, the
allocation, the account mapping, the FEC imports and the « Compte analytique » export."""

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
from maillage.core.formats import euros
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.plurals import count_label, fr_plural
from maillage.core.tenancy import get_for_crt

from . import annexes, selectors, services, xlsx
from .access import (
    allocations_visible,
    expenses_visible,
    fec_imports_visible,
    mappings_visible,
)
from .forms import AllocationForm, ExpenseFilterForm, ExpenseForm, FecImportForm, MappingForm
from .models import Allocation, Expense

PAGE_SIZE = 50
UNMAPPED_VERB = "n'a pas été importé,n'ont pas été importés"


def _who(request) -> dict:
    return {"crt": request.crt, "user": request.user, "roles": request.roles}


def _year(request) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("annee", today.year))
    except (TypeError, ValueError):
        return today.year
    return year if 2000 <= year <= 2100 else today.year


def _budget_url(year: int) -> str:
    return f"{reverse('steering:budget')}?annee={year}"


@require("budget.view")
@require_GET
def budget(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    figures = selectors.budget_year(**_who(request), year=year)
    return render(request, "steering/budget.html", {
        "b": figures, "year": year,
        "imports": selectors.fec_imports(**_who(request))[:5],
        "can_manage": has_permission(request.roles, "budget.manage"),
    })


@require("budget.view")
@require_GET
def budget_export(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    figures = selectors.budget_year(**_who(request), year=year)
    rows = selectors.expenses(**_who(request), year=year).order_by("spent_on", "pk")
    content = xlsx.analytic_account(figures, rows.iterator(chunk_size=1000),
                                    crt_name=request.crt.name)
    audit_log(actor=request.user, action="budget.exported", crt=request.crt,
              details={"année": year})
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="compte-analytique-{year}.xlsx"')
    return response


#: The regional annexes (issue 14 §4): slug → (builder name, file name).
ANNEXES = {"pays-de-la-loire": "annexe-budgetaire", "occitanie": "etat-analytique"}
BAD_YEAR = "L'année demandée doit être un nombre entre 2000 et 2100 (par exemple 2026)."


@require("budget.view")
@require_GET
def budget_annex(request: HttpRequest, region: str) -> HttpResponse:
    """The Pays de la Loire budget annex or the Occitanie analytic statement of a year (XLSX);
    a bad year goes back to the budget page with a message, never a 500."""
    raw = request.GET.get("annee", "")
    if raw:
        try:
            year = int(raw)
        except ValueError:
            year = 0
        if not 2000 <= year <= 2100:
            messages.error(request, BAD_YEAR)
            return redirect("steering:budget")
    else:
        year = timezone.localdate().year
    figures = selectors.budget_year(**_who(request), year=year)
    if region == "pays-de-la-loire":
        content = annexes.pays_de_la_loire(figures, crt_name=request.crt.name)
    else:
        content = annexes.occitanie(
            figures, crt_name=request.crt.name, fte=annexes.team_fte(crt=request.crt, year=year),
            starter=annexes.starter(**_who(request), budget=figures))
    audit_log(actor=request.user, action="budget.annex_exported", crt=request.crt,
              details={"année": year, "annexe": region})
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (
        f'attachment; filename="{ANNEXES[region]}-{region}-{year}.xlsx"')
    return response


# --- Expenses --------------------------------------------------------------------------------


@require("budget.view")
@require_GET
def expense_list(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    filters = ExpenseFilterForm(request.GET)
    values = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.expenses(**_who(request), year=year, nature=values.get("nature", ""),
                              volet=values.get("volet", ""), month=values.get("mois"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "steering/expense_list.html", {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "total": selectors.expense_total(rows), "year": year, "filters": filters,
        "values": values, "query": query.urlencode(),
        "can_manage": has_permission(request.roles, "budget.manage"),
    })


def _expense_form(request, expense: Expense | None) -> HttpResponse:
    form = ExpenseForm(request.POST or None, instance=expense, crt=request.crt)
    back = _budget_url(expense.spent_on.year if expense else _year(request))

    def save(data):
        values = {f: data[f] for f in services.EXPENSE_FIELDS}
        if expense is None:
            return services.expense_create(actor=request.user, crt=request.crt, **values)
        return services.expense_update(actor=request.user, expense=expense,
                                       version=data["version"] or 0, **values)

    def done(result):
        messages.success(request, f"La dépense « {result.label} » est enregistrée.")
        return redirect(f"{reverse('steering:expense_list')}?annee={result.spent_on.year}")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle dépense" if expense is None
                             else f"Modifier la dépense « {expense.label} »",
                             "intro": (f"Ligne {expense.fec_line} du FEC "
                                       f"« {expense.fec_import.file_name} », compte "
                                       f"{expense.account}.")
                             if expense is not None and expense.fec_import_id else "",
                             "back_url": back, "back_label": "Budget"})


@require("budget.manage")
@require_http_methods(["GET", "POST"])
def expense_create(request: HttpRequest) -> HttpResponse:
    return _expense_form(request, None)


@require("budget.manage")
@require_http_methods(["GET", "POST"])
def expense_edit(request: HttpRequest, public_id) -> HttpResponse:
    expense = get_for_crt(expenses_visible(**_who(request)).select_related("fec_import"),
                          request.crt, public_id)
    return _expense_form(request, expense)


# --- Allocation ------------------------------------------------------------------------------


def _allocation_form(request, allocation: Allocation | None) -> HttpResponse:
    initial = None
    if allocation is None:
        year = _year(request)
        annual = request.crt.annual_allocation
        initial = {"year": year, "notified_amount": annual, "starter_amount": 0,
                   "earmarked_amount": 0}
    form = AllocationForm(request.POST or None, instance=allocation, initial=initial)
    year = allocation.year if allocation else _year(request)
    check = selectors.prorata(request.crt.annual_allocation, request.crt.opened_on, year)

    def save(data):
        values = {f: data[f] for f in services.ALLOCATION_FIELDS}
        if allocation is None:
            return services.allocation_create(actor=request.user, crt=request.crt, **values)
        return services.allocation_update(actor=request.user, allocation=allocation,
                                          version=data["version"] or 0, **values)

    def done(result):
        messages.success(request, f"La dotation {result.year} est enregistrée.")
        return redirect(_budget_url(result.year))

    intro = ""
    if check is not None:
        intro = (f"Contrôle : ouverture le {request.crt.opened_on:%d/%m/%Y}, le prorata aux "
                 f"jours de la dotation annuelle donne {euros(check)} pour {year}. "
                 "Saisissez le montant de la notification, tel qu'il est écrit.")
    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle dotation" if allocation is None
                             else f"Modifier la dotation {allocation.year}",
                             "intro": intro, "back_url": _budget_url(year),
                             "back_label": "Budget"})


@require("budget.manage")
@require_http_methods(["GET", "POST"])
def allocation_create(request: HttpRequest) -> HttpResponse:
    return _allocation_form(request, None)


@require("budget.manage")
@require_http_methods(["GET", "POST"])
def allocation_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _allocation_form(request, get_for_crt(allocations_visible(**_who(request)),
                                                 request.crt, public_id))


# --- Account mapping -------------------------------------------------------------------------


@require("budget.view")
@require_GET
def mapping_list(request: HttpRequest) -> HttpResponse:
    rows = mappings_visible(**_who(request)).select_related("domain")
    return render(request, "steering/mapping_list.html", {
        "mappings": rows, "can_manage": has_permission(request.roles, "budget.manage"),
    })


def _mapping_form(request, mapping) -> HttpResponse:
    form = MappingForm(request.POST or None, instance=mapping, crt=request.crt,
                       initial={"prefix": request.GET.get("compte", "")[:20]}
                       if mapping is None else None)

    def save(data):
        values = {f: data[f] for f in services.MAPPING_FIELDS}
        if mapping is None:
            return services.mapping_create(actor=request.user, crt=request.crt, **values)
        return services.mapping_update(actor=request.user, mapping=mapping,
                                       version=data["version"] or 0, **values)

    def done(result):
        messages.success(request, f"La correspondance du compte {result.prefix} est "
                                  "enregistrée.")
        return redirect("steering:mapping_list")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle correspondance de compte" if mapping is None
                             else f"Modifier la correspondance {mapping.prefix}",
                             "intro": "Les lignes du FEC dont le compte commence par ce "
                                      "préfixe reçoivent ces axes ; le préfixe le plus long "
                                      "l'emporte.",
                             "back_url": reverse("steering:mapping_list"),
                             "back_label": "Correspondances de comptes"})


@require("budget.manage")
@require_http_methods(["GET", "POST"])
def mapping_create(request: HttpRequest) -> HttpResponse:
    return _mapping_form(request, None)


@require("budget.manage")
@require_http_methods(["GET", "POST"])
def mapping_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _mapping_form(request, get_for_crt(mappings_visible(**_who(request)), request.crt,
                                              public_id))


# --- FEC imports -----------------------------------------------------------------------------


@require("budget.view")
@require_GET
def fec_import_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.fec_imports(**_who(request))
    return render(request, "steering/fec_import_list.html", {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "can_manage": has_permission(request.roles, "budget.manage"),
    })


@require("budget.manage")
@require_http_methods(["GET", "POST"])
def fec_import(request: HttpRequest) -> HttpResponse:
    form = FecImportForm(request.POST or None, request.FILES or None)

    def save(data):
        upload = data["file"]
        return services.fec_import(actor=request.user, crt=request.crt, file_name=upload.name,
                                   content=upload.read())

    def done(result):
        text = (f"FEC « {result.file_name} » importé : "
                f"{count_label(result.lines_read, 'ligne lue,lignes lues')}, "
                f"{count_label(result.expenses_created, 'dépense créée,dépenses créées')}.")
        if n := len(result.unmapped):
            messages.warning(request, text + f" {count_label(n, 'compte')} de charges sans "
                             f"correspondance {fr_plural(n, UNMAPPED_VERB)} : voir la liste.")
        else:
            messages.success(request, text)
        return redirect("steering:fec_import_list")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Importer un FEC",
                             "intro": "Les lignes des comptes de charges (classe 6) et "
                                      "d'immobilisations (classe 2) deviennent des dépenses, "
                                      "avec les axes de leur correspondance de compte. Un "
                                      "fichier avec une erreur est refusé en entier.",
                             "submit_label": "Importer",
                             "back_url": reverse("steering:fec_import_list"),
                             "back_label": "Imports FEC"})


@require("budget.manage")
@require_POST
def fec_import_cancel(request: HttpRequest, public_id) -> HttpResponse:
    record = get_for_crt(fec_imports_visible(**_who(request)), request.crt, public_id)
    try:
        removed = services.fec_import_cancel(actor=request.user, record=record)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Import « {record.file_name} » annulé : "
                                  f"{count_label(removed, 'dépense retirée,dépenses retirées')}."
                                  " Le fichier peut être importé à nouveau.")
    return redirect("steering:fec_import_list")
