
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.collation import french
from maillage.core.downloads import file_download, open_stored
from maillage.core.errors import DomainError
from maillage.core.forms_util import posted_version, run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from . import access, annuaire, birthplaces, selectors, services
from .access import agreements_visible, can_edit_agreement
from .forms import (
    AgreementForm,
    AnnuaireImportForm,
    CommuneAddForm,
    CommuneForm,
    MapPeriodForm,
    OrganizationForm,
    ProfessionalForm,
)
from .map import map_data
from .models import Agreement, AnnuaireImport, Commune, Organization, Professional
from .tiles import render_with_tiles


def _list(request, template: str, partial: str, context: dict, queryset, per_page: int = 50):
    context["page"] = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    return render(request, partial if request.htmx else template, context)


@require("beneficiary.manage")
@require_GET
def birthplace_search(request: HttpRequest) -> HttpResponse:
    """Birthplaces (communes since 1943, countries) matching a typed name or code: JSON for
    the identity form's combobox. National reference data, no personal data: not audited."""
    query = request.GET.get("q", "")[:80]
    places = birthplaces.search(query)
    response = JsonResponse({"query": query, "results": [p.as_json() for p in places]})
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require("territory.view")
@require_GET
def commune_list(request: HttpRequest) -> HttpResponse:
    volet = request.GET.get("volet", "")
    query = request.GET.get("q", "").strip()[:80]
    context = {
        "volet": volet,
        "q": query,
        "figures": selectors.territory_figures(crt=request.crt),
        "can_manage": has_permission(request.roles, "territory.manage"),
    }
    return _list(
        request, "territory/commune_list.html", "territory/_partials/commune_rows.html",
        context, selectors.communes(crt=request.crt, volet=volet, query=query), per_page=100,
    )


@require("territory.manage")
@require_http_methods(["GET", "POST"])
def commune_edit(request: HttpRequest, public_id) -> HttpResponse:
    commune = get_for_crt(Commune, request.crt, public_id)

    def save(data):
        return services.commune_update(
            actor=request.user, commune=commune, version=data["version"],
            **{f: data[f] for f in services.COMMUNE_FIELDS},
        )

    def done(result):
        messages.success(request, f"La commune « {result.name} » a été mise à jour.")
        return redirect("territory:commune_list")

    return run_form(
        request, CommuneForm(request.POST or None, instance=commune), save,
        template="territory/commune_form.html", context={"commune": commune}, on_success=done,
    )


@require("territory.manage")
@require_http_methods(["GET", "POST"])
def commune_add(request: HttpRequest) -> HttpResponse:
    """Add a commune by its INSEE code: name, postal code, population and position come from
    the national reference (``reference.py``)."""

    def save(data):
        return services.commune_create(
            actor=request.user, crt=request.crt, insee_code=data["insee_code"],
            travel_minutes=data["travel_minutes"], covers_volet1=data["covers_volet1"],
            covers_volet2=data["covers_volet2"],
        )

    def done(result):
        messages.success(request, f"La commune « {result.name} » ({result.insee_code}) a été "
                                  "ajoutée au territoire.")
        return redirect("territory:commune_list")

    return run_form(
        request, CommuneAddForm(request.POST or None), save, template="core/form_page.html",
        on_success=done, context={
            "title": "Ajouter une commune au territoire",
            "intro": "Le nom, le code postal, la population et la position de la commune sont "
                     "repris du code officiel géographique de l'INSEE ; ils restent modifiables "
                     "ensuite.",
            "back_url": reverse("territory:commune_list"),
            "back_label": "Territoire",
            "submit_label": "Ajouter la commune",
        },
    )


# --- The territory map ---------------------------------------------------------------------


def _map_period(request) -> tuple[MapPeriodForm, tuple | None]:
    form = MapPeriodForm(request.GET or None, today=timezone.localdate())
    if not form.is_bound:
        return form, (form.default_start, form.default_end)
    return form, form.period() if form.is_valid() else None


@require("territory.map")
@require_GET
def territory_map(request: HttpRequest) -> HttpResponse:
    form, period = _map_period(request)
    data = None
    if period is not None:
        data = map_data(crt=request.crt, user=request.user, roles=request.roles,
                        start=period[0], end=period[1])
    rows = []
    if data is not None:
        for commune in data["communes"]:
            code = commune["insee_code"]
            names = data["partner_names"].get(code, [])
            rows.append({**commune, "cells": [
                {"text": layer["cells"].get(code),
                 "names": names if layer["key"] == "territory.partners" else []}
                for layer in data["layers"]]})
    return render_with_tiles(request, "territory/map.html", {
        "form": form,
        "period": period,
        "data": data,
        "rows": rows,
        "data_url": reverse("territory:map_data"),
        "query": request.GET.urlencode(),
        "small_cells_hidden": not access.sees_exact_counts(request.roles),
        "can_manage": has_permission(request.roles, "territory.manage"),
    }, status=200 if period is not None else 400)


@require("territory.map")
@require_GET
def territory_map_data(request: HttpRequest) -> HttpResponse:
    """The map's data as JSON (the page fetches it): per-commune counts computed by the
    database, filtered by the access rules of ``access.py``. No personal data."""
    form, period = _map_period(request)
    if period is None:
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"errors": errors}, status=400)
    data = map_data(crt=request.crt, user=request.user, roles=request.roles,
                    start=period[0], end=period[1])
    response = JsonResponse(data)
    response["Cache-Control"] = "private, no-store"
    return response


# --- Partner directory ---------------------------------------------------------------------


@require("directory.view")
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:80]
    kind = request.GET.get("kind", "")
    if kind not in Organization.Kind.values:
        kind = ""
    context = {
        "q": query,
        "kind": kind,
        "kinds": Organization.Kind.choices,
        "can_manage": has_permission(request.roles, "directory.manage"),
    }
    return _list(
        request, "territory/organization_list.html",
        "territory/_partials/organization_rows.html", context,
        selectors.organizations(crt=request.crt, query=query, kind=kind),
    )


@require("directory.view")
@require_GET
def organization_detail(request: HttpRequest, public_id) -> HttpResponse:
    org = get_for_crt(
        Organization.objects.select_related("commune", "updated_by"), request.crt, public_id
    )
    return render(
        request,
        "territory/organization_detail.html",
        {
            "org": org,
            "professionals": org.professionals.order_by(french("last_name"), french("first_name")),
            "agreements": agreements_visible(crt=request.crt, user=request.user,
                                             roles=request.roles)
            .filter(organizations=org).order_by("-starts_on")
            if has_permission(request.roles, "agreement.view") else None,
            "can_manage": has_permission(request.roles, "directory.manage"),
        },
    )


def _organization_form(request, org: Organization | None) -> HttpResponse:
    form = OrganizationForm(request.POST or None, instance=org, crt=request.crt)
    fields = services.ORGANIZATION_FIELDS

    def save(data):
        values = {f: data[f] for f in fields}
        if org is None:
            return services.organization_create(actor=request.user, crt=request.crt, **values)
        return services.organization_update(
            actor=request.user, organization=org, version=data["version"] or 0, **values
        )

    def done(result):
        messages.success(request, f"La structure « {result.name} » est enregistrée.")
        return redirect("territory:organization_detail", public_id=result.public_id)

    title = "Nouvelle structure partenaire" if org is None else f"Modifier {org.name}"
    return run_form(
        request, form, save, template="core/form_page.html", on_success=done,
        context={
            "title": title,
            "back_url": reverse("territory:organization_list"),
            "back_label": "Structures partenaires",
        },
    )


@require("directory.manage")
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    return _organization_form(request, None)


@require("directory.manage")
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _organization_form(request, get_for_crt(Organization, request.crt, public_id))


@require("directory.view")
@require_GET
def professional_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:80]
    profession = request.GET.get("profession", "")
    if profession not in Professional.Profession.values:
        profession = ""
    context = {
        "q": query,
        "profession": profession,
        "professions": Professional.Profession.choices,
        "can_manage": has_permission(request.roles, "directory.manage"),
    }
    return _list(
        request, "territory/professional_list.html",
        "territory/_partials/professional_rows.html", context,
        selectors.professionals(crt=request.crt, user=request.user, roles=request.roles,
                                query=query, profession=profession),
    )


def _professional_form(request, pro: Professional | None) -> HttpResponse:
    form = ProfessionalForm(request.POST or None, instance=pro, crt=request.crt)
    fields = services.PROFESSIONAL_FIELDS

    def save(data):
        values = {f: data[f] for f in fields}
        if pro is None:
            return services.professional_create(actor=request.user, crt=request.crt, **values)
        return services.professional_update(
            actor=request.user, professional=pro, version=data["version"] or 0, **values
        )

    def done(result):
        messages.success(request, f"Le professionnel « {result} » est enregistré.")
        return redirect("territory:professional_list")

    title = "Nouveau professionnel" if pro is None else f"Modifier {pro}"
    return run_form(
        request, form, save, template="core/form_page.html", on_success=done,
        context={
            "title": title,
            "back_url": reverse("territory:professional_list"),
            "back_label": "Professionnels",
        },
    )


@require("directory.manage")
@require_http_methods(["GET", "POST"])
def professional_create(request: HttpRequest) -> HttpResponse:
    return _professional_form(request, None)


@require("directory.manage")
@require_http_methods(["GET", "POST"])
def professional_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _professional_form(request, get_for_crt(Professional, request.crt, public_id))


# --- Partner agreements ----------------------------------------------------------------------


def _agreement(request, public_id) -> Agreement:
    return get_for_crt(
        agreements_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("updated_by").prefetch_related("organizations"),
        request.crt, public_id)


@require("agreement.view")
@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:80]
    status = request.GET.get("statut", "")
    if status not in Agreement.Status.values:
        status = ""
    subject = request.GET.get("objet", "")
    if subject not in Agreement.Subject.values:
        subject = ""
    who = {"crt": request.crt, "user": request.user, "roles": request.roles}
    context = {
        "q": query, "status": status, "subject": subject,
        "statuses": Agreement.Status.choices, "subjects": Agreement.Subject.choices,
        "reminders": selectors.agreement_reminders(**who),
        "can_manage": has_permission(request.roles, "agreement.manage"),
    }
    return _list(
        request, "territory/agreement_list.html", "territory/_partials/agreement_rows.html",
        context, selectors.agreements(**who, status=status, subject=subject, query=query),
    )


@require("agreement.view")
@require_GET
def agreement_gaps(request: HttpRequest) -> HttpResponse:
    """Partners that intervene for volet 2 beneficiaries without an agreement in force."""
    rows = selectors.partners_without_agreement(crt=request.crt, user=request.user,
                                                roles=request.roles)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "territory/agreement_gaps.html", {
        "page": page, "can_manage": has_permission(request.roles, "agreement.manage")})


@require("agreement.view")
@require_GET
def agreement_detail(request: HttpRequest, public_id) -> HttpResponse:
    agreement = _agreement(request, public_id)
    return render(request, "territory/agreement_detail.html", {
        "agreement": agreement,
        "can_manage": can_edit_agreement(user=request.user, roles=request.roles,
                                         agreement=agreement),
    })


@require("agreement.view")
@require_GET
def agreement_download(request: HttpRequest, public_id) -> HttpResponse:
    agreement = _agreement(request, public_id)
    handle = open_stored(agreement.file, missing="Aucun document signé.")
    audit_log(actor=request.user, action="agreement.downloaded", obj=agreement)
    return file_download(handle, content_type="application/pdf",
                         filename=agreement.file_name or f"convention-{agreement.title}")


def _agreement_form(request, agreement: Agreement | None) -> HttpResponse:
    form = AgreementForm(request.POST or None, request.FILES or None, instance=agreement,
                         crt=request.crt)

    def save(data):
        values = {f: data[f] for f in services.AGREEMENT_FIELDS}
        if agreement is None:
            return services.agreement_create(
                actor=request.user, crt=request.crt, organizations=data["organizations"],
                uploaded_file=data.get("file"), **values)
        return services.agreement_update(
            actor=request.user, agreement=agreement, version=data["version"] or 0,
            organizations=data["organizations"], uploaded_file=data.get("file"), **values)

    def done(result):
        messages.success(request, f"La convention « {result.title} » est enregistrée.")
        return redirect("territory:agreement_detail", public_id=result.public_id)

    title = "Nouvelle convention" if agreement is None else f"Modifier « {agreement.title} »"
    return run_form(
        request, form, save, template="core/form_page.html", on_success=done,
        context={"title": title, "back_url": reverse("territory:agreement_list"),
                 "back_label": "Conventions"},
    )


@require("agreement.manage")
@require_http_methods(["GET", "POST"])
def agreement_create(request: HttpRequest) -> HttpResponse:
    return _agreement_form(request, None)


@require("agreement.manage")
@require_http_methods(["GET", "POST"])
def agreement_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _agreement_form(request, _agreement(request, public_id))


# --- Annuaire Santé import -------------------------------------------------------------------

#: The kinds of change a review lists, as the filter of its list reads them.
CHANGE_KINDS = {
    "new": "Nouveaux", "changed": "Modifiés", "closed": "À désactiver",
}


def _annuaire_import(request, public_id) -> AnnuaireImport:
    return get_for_crt(
        access.annuaire_imports_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("created_by", "updated_by"), request.crt, public_id)


@require("directory.manage")
@require_GET
def annuaire_import_list(request: HttpRequest) -> HttpResponse:
    rows = access.annuaire_imports_visible(
        crt=request.crt, user=request.user, roles=request.roles).select_related("created_by")
    return render(request, "territory/annuaire_import_list.html", {
        "page": Paginator(rows.defer("changes"), 20).get_page(request.GET.get("page")),
        "departments": services.annuaire_departments(request.crt),
    })


@require("directory.manage")
@require_http_methods(["GET", "POST"])
def annuaire_import_upload(request: HttpRequest) -> HttpResponse:
    form = AnnuaireImportForm(request.POST or None, request.FILES or None)

    def save(data):
        upload = data["file"]
        upload.seek(0)
        return services.annuaire_import_prepare(actor=request.user, crt=request.crt,
                                                file_name=upload.name, source=upload)

    def done(record):
        messages.success(request, f"Fichier « {record.file_name} » lu : "
                         + annuaire.summary_text(record.counts)
                         + " Rien n'est encore modifié : examinez les changements puis "
                           "appliquez-les.")
        return redirect("territory:annuaire_import_review", public_id=record.public_id)

    departments = ", ".join(services.annuaire_departments(request.crt))
    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Importer un fichier de l'Annuaire Santé",
                             "intro": "Les professionnels (RPPS) exerçant dans les "
                                      f"départements du territoire ({departments}) et leurs "
                                      "structures (FINESS ou SIRET) sont comparés à "
                                      "l'annuaire des partenaires. Rien n'est modifié avant "
                                      "que vous ayez examiné et appliqué les changements. Un "
                                      "fichier avec une erreur est refusé en entier.",
                             "submit_label": "Lire le fichier",
                             "back_url": reverse("territory:annuaire_import_list"),
                             "back_label": "Imports de l'Annuaire Santé"})


@require("directory.manage")
@require_GET
def annuaire_import_review(request: HttpRequest, public_id) -> HttpResponse:
    record = _annuaire_import(request, public_id)
    kind = request.GET.get("sorte", "")
    if kind not in CHANGE_KINDS:
        kind = ""
    rows = [c for c in record.changes if not kind or c["kind"] == kind]
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    order = {name: i for i, name in enumerate(annuaire.FIELD_LABELS)}
    for change in page.object_list:
        # In FIELD_LABELS' order: PostgreSQL's jsonb does not keep the keys' order.
        change["readable"] = [(annuaire.FIELD_LABELS.get(f, f), old, new) for f, (old, new) in
                              sorted(change["fields"].items(),
                                     key=lambda item: order.get(item[0], len(order)))]
    return render(request, "territory/annuaire_import_review.html", {
        "record": record, "page": page, "kind": kind, "kinds": CHANGE_KINDS,
        "counts": record.counts, "summary": annuaire.summary_text(record.counts),
        "pending": record.status == AnnuaireImport.Status.PENDING,
    })


def _annuaire_decide(request, public_id, service, success: str) -> HttpResponse:
    record = _annuaire_import(request, public_id)
    version = posted_version(request)
    try:
        service(actor=request.user, record=record, version=version)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("territory:annuaire_import_review", public_id=record.public_id)


@require("directory.manage")
@require_POST
def annuaire_import_apply(request: HttpRequest, public_id) -> HttpResponse:
    return _annuaire_decide(request, public_id, services.annuaire_import_apply,
                            "Les changements de l'Annuaire Santé sont appliqués à l'annuaire "
                            "des partenaires.")


@require("directory.manage")
@require_POST
def annuaire_import_cancel(request: HttpRequest, public_id) -> HttpResponse:
    return _annuaire_decide(request, public_id, services.annuaire_import_cancel,
                            "Import abandonné : l'annuaire des partenaires n'a pas changé.")
