"""The liaison notebook and the alerts of a person."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.beneficiaries.access import file_for_request, reads_clinical_text_about
from maillage.core import submissions
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.forms_util import posted_version, run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from .. import selectors, services
from ..forms import AlertForm, NoteForm, ResolveForm
from ..models import Alert, LiaisonNote


def _shared_file(request, public_id):
    b, access = file_for_request(request, public_id)
    if not access.liaison:
        raise PermissionDenied(
            "Le cahier de liaison et les alertes sont réservés à la coordination et au cercle "
            "de soins, dans la limite du consentement de la personne.")
    return b, access


@require("notes.view")
@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _shared_file(request, public_id)
    category = request.GET.get("categorie", "")
    if category not in LiaisonNote.Category.values:
        category = ""
    unread = request.GET.get("non_lues") == "1"
    form = NoteForm(request.POST or None)
    form.submission_key = submissions.once_key(request)  # the same page posted twice: one note
    status = 200
    if request.method == "POST":
        if not has_permission(request.roles, "notes.write"):
            raise PermissionDenied("Votre rôle ne permet pas d'écrire dans le cahier.")
        if (done := submissions.replayed(request)) is not None:
            return done
        if form.is_valid():
            def save() -> HttpResponse:
                services.note_add(actor=request.user, roles=request.roles, beneficiary=b,
                                  access=access, **form.cleaned_data)
                messages.success(request, "Transmission enregistrée.")
                return redirect("care:notes", public_id=b.public_id)

            try:
                return submissions.save_once(request, save)
            except DomainError as error:
                form.add_domain_error(error)
                status = 400
        else:
            status = 400
    page = Paginator(selectors.notes(beneficiary=b, user=request.user, access=access,
                                     category=category, unread=unread), 30).get_page(
        request.GET.get("page"))
    shown = list(page.object_list)
    services.notes_mark_read(user=request.user, notes=shown)
    audit_log(actor=request.user, action="notes.viewed", obj=b, beneficiary=b)
    return render(request, "care/notes.html", {
        "b": b, "page": page, "notes": shown, "form": form, "category": category,
        "unread": unread, "categories": LiaisonNote.Category.choices,
        "can_write": has_permission(request.roles, "notes.write") and (
            request.method == "POST" or services.may_write_about(
                actor=request.user, roles=request.roles, beneficiary=b, access=access)),
        "may_write_role": has_permission(request.roles, "notes.write"),
    }, status=status)


@require("alert.view")
@require_GET
def alerts(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _shared_file(request, public_id)
    audit_log(actor=request.user, action="alerts.viewed", obj=b, beneficiary=b)
    return render(request, "care/alerts.html", {
        "b": b, "alerts": selectors.alerts(beneficiary=b),
        # An alert raised by a measure says the measure (health data): for those who read the
        # person's health data or clinical text, not for a partner or the activity leader
        # who follow the coordination only.
        "reads_measures": access.health or reads_clinical_text_about(
            user=request.user, roles=request.roles, beneficiary=b),
        "can_raise": has_permission(request.roles, "alert.raise"),
        "can_manage": has_permission(request.roles, "alert.manage"),
    })


@require("alert.raise")
@require_GET
def alert_pick(request: HttpRequest, public_id) -> HttpResponse:
    """Team members matching a typed name, to entrust an alert to (htmx fragment, at most
    20)."""
    from maillage.core.pickers import picker_response

    _shared_file(request, public_id)  # another CRT's person: 404
    return picker_response(request, AlertForm(crt=request.crt), default="assignee")


@require("alert.raise")
@require_http_methods(["GET", "POST"])
def alert_add(request: HttpRequest, public_id) -> HttpResponse:
    b, _ = _shared_file(request, public_id)

    def save(data):
        return services.alert_raise(actor=request.user, beneficiary=b, kind=data["kind"],
                                    severity=data["severity"],
                                    description=data["description"],
                                    assignee=data["assignee"])

    def done(alert):
        messages.success(request, "Alerte transmise au cercle de soins et à la coordination.")
        return redirect("care:alerts", public_id=b.public_id)

    search_url = reverse("care:alert_pick", kwargs={"public_id": b.public_id})
    return run_form(request, AlertForm(request.POST or None, crt=request.crt,
                                       search_url=search_url), save,
                    template="core/form_page.html", once=True, on_success=done,
                    context={"title": f"Signaler une alerte — {b.display_name}",
                             "back_url": reverse("care:alerts",
                                                 kwargs={"public_id": b.public_id}),
                             "back_label": "Alertes"})


def _alert(request, public_id, item_id):
    b, _ = _shared_file(request, public_id)
    return b, get_for_crt(Alert.objects.filter(beneficiary=b), request.crt, item_id)


@require("alert.manage")
@require_POST
def alert_acknowledge(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b, alert = _alert(request, public_id, item_id)
    try:
        services.alert_acknowledge(actor=request.user, alert=alert,
                                   version=posted_version(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Alerte prise en charge.")
    return redirect("care:alerts", public_id=b.public_id)


@require("alert.manage")
@require_http_methods(["GET", "POST"])
def alert_resolve(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b, alert = _alert(request, public_id, item_id)

    def save(data):
        return services.alert_resolve(actor=request.user, alert=alert,
                                      version=data["version"], outcome=data["outcome"])

    def done(result):
        messages.success(request, "Alerte résolue.")
        return redirect("care:alerts", public_id=b.public_id)

    return run_form(request, ResolveForm(request.POST or None,
                                         initial={"version": alert.version}), save,
                    template="core/form_page.html", on_success=done,
                    context={"title": f"Résoudre : {alert}",
                             "back_url": reverse("care:alerts",
                                                 kwargs={"public_id": b.public_id}),
                             "back_label": "Alertes"})


@require("alert.view")
@require_GET
def open_alerts(request: HttpRequest) -> HttpResponse:
    from maillage.beneficiaries.access import liaison_visible_beneficiaries

    visible = liaison_visible_beneficiaries(crt=request.crt, user=request.user,
                                            roles=request.roles)
    rows = selectors.open_alerts(crt=request.crt).filter(beneficiary__in=visible)
    return render(request, "care/open_alerts.html", {"alerts": rows})
