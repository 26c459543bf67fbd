"""Prescription requests to the person's GP, by MSSanté (``services.prescriptions``): the
person's list, a new request, its cancellation. Health data: the file's health face."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.beneficiaries.access import file_for_request
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from .. import selectors
from ..forms import PrescriptionCancelForm, PrescriptionRequestForm
from ..models import PrescriptionRequest
from ..services import prescriptions as services


def _health_file(request, public_id):
    b, access = file_for_request(request, public_id)
    if not access.health:
        raise PermissionDenied(services.HEALTH_ONLY)
    return b, access


def _list_url(b) -> str:
    return reverse("care:prescriptions", kwargs={"public_id": b.public_id})


def _render_list(request, b, *, status: int = 200, cancelled=None, cancel_form=None):
    page = Paginator(selectors.prescription_requests(beneficiary=b), 20).get_page(
        request.GET.get("page"))
    audit_log(actor=request.user, action="prescriptions.viewed", obj=b, beneficiary=b)
    gp = services.current_gp(b)
    return render(request, "care/prescriptions.html", {
        "b": b, "page": page, "gp": gp.professional if gp else None,
        "can_request": has_permission(request.roles, "prescription.request"),
        "cancelled": cancelled, "cancel_form": cancel_form,
    }, status=status)


@require("prescription.view")
@require_GET
def prescriptions(request: HttpRequest, public_id) -> HttpResponse:
    b, _ = _health_file(request, public_id)
    return _render_list(request, b)


@require("prescription.request")
@require_http_methods(["GET", "POST"])
def prescription_add(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _health_file(request, public_id)
    form = PrescriptionRequestForm(request.POST or None)
    gp = services.current_gp(b)

    def save(data):
        return services.prescription_request(
            actor=request.user, beneficiary=b, access=access, kind=data["kind"],
            details=data["details"], context=data["context"])

    def done(req):
        messages.success(request, f"Demande {req.reference} envoyée au Dr "
                                  f"{req.gp.last_name.upper()} par MSSanté ({req.gp_address}).")
        return redirect(_list_url(b))

    to = (f"Destinataire : Dr {gp.professional.last_name.upper()} "
          f"{gp.professional.first_name}, médecin traitant — "
          f"{gp.professional.mssante_email or 'pas d’adresse MSSanté dans l’annuaire'}"
          if gp else "Le médecin traitant n'est pas renseigné dans le cercle de soins.")
    return run_form(request, form, save, template="core/form_page.html", once=True, on_success=done,
                    context={"title": f"Demande de prescription — {b.display_name}",
                             "intro": to, "back_url": _list_url(b),
                             "submit_label": "Envoyer la demande par MSSanté",
                             "back_label": "Prescriptions"})


@require("prescription.request")
@require_POST
def prescription_cancel(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b, _ = _health_file(request, public_id)
    req = get_for_crt(PrescriptionRequest.objects.filter(beneficiary=b), request.crt, item_id)
    form = PrescriptionCancelForm(request.POST)
    if form.is_valid():
        try:
            services.prescription_cancel(actor=request.user, req=req,
                                         version=form.cleaned_data["version"],
                                         reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_domain_error(error)
            status = 409 if error.code == "conflict" else 400
        else:
            messages.success(request, f"Demande {req.reference} annulée.")
            return redirect(_list_url(b))
    else:
        status = 400
    # The list again, the refusal next to the reason of this request's form.
    return _render_list(request, b, status=status, cancelled=req, cancel_form=form)
