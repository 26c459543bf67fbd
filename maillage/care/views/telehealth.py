"""Telehealth acts: each person's list (health data) and the CRT's counts by kind and month."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maillage.beneficiaries.access import file_for_request
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission

from .. import selectors, services
from ..forms import TelehealthForm
from ..models import TelehealthAct

MONTHS_SHOWN = 12


def _health_file(request, public_id):
    b, access = file_for_request(request, public_id)
    if not access.health:
        raise PermissionDenied(
            "Données de santé : réservées aux professionnels de santé du cercle de soins.")
    return b, access


def _list_url(b) -> str:
    return reverse("care:telehealth", kwargs={"public_id": b.public_id})


@require("telehealth.view")
@require_GET
def telehealth(request: HttpRequest, public_id) -> HttpResponse:
    b, _ = _health_file(request, public_id)
    audit_log(actor=request.user, action="telehealth.viewed", obj=b, beneficiary=b)
    return render(request, "care/telehealth.html", {
        "b": b, "acts": selectors.telehealth_acts(beneficiary=b),
        "can_record": has_permission(request.roles, "telehealth.record"),
    })


@require("telehealth.record")
@require_GET
def telehealth_pick(request: HttpRequest, public_id) -> HttpResponse:
    """Team members or directory professionals matching a typed name (htmx fragment, at most
    20)."""
    from maillage.core.pickers import picker_response

    _health_file(request, public_id)  # another CRT's person: 404
    return picker_response(request, TelehealthForm(crt=request.crt), default="staff")


@require("telehealth.record")
@require_http_methods(["GET", "POST"])
def telehealth_add(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _health_file(request, public_id)
    form = TelehealthForm(request.POST or None, crt=request.crt,
                          initial={"staff": request.user},
                          search_url=reverse("care:telehealth_pick",
                                             kwargs={"public_id": b.public_id}))

    def save(data):
        return services.telehealth_record(
            actor=request.user, beneficiary=b, access=access, kind=data["kind"],
            performed_at=data["performed_at"], staff=data["staff"],
            professional=data["professional"], professional_name=data["professional_name"],
            reason=data["reason"], outcome=data["outcome"], notes=data["notes"])

    def done(act):
        messages.success(request, f"{act.get_kind_display()} enregistrée.")
        return redirect(_list_url(b))

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": f"Nouvel acte de télésanté — {b.display_name}",
                             "back_url": _list_url(b), "back_label": "Télésanté"})


def _months_ago(today, months: int):
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return datetime(year, month + 1, 1, tzinfo=timezone.get_current_timezone())


@require("telehealth.stats")
@require_GET
def telehealth_overview(request: HttpRequest) -> HttpResponse:
    """The CRT's acts counted by kind and month (for the indicators), and the latest acts
    without their content (no person's health data)."""
    since = _months_ago(timezone.localdate(), MONTHS_SHOWN - 1)
    rows = selectors.telehealth_by_month(crt=request.crt, since=since)
    page = Paginator(selectors.telehealth_recent(crt=request.crt), 30).get_page(
        request.GET.get("page"))
    audit_log(actor=request.user, action="telehealth.overview_viewed", crt=request.crt)
    return render(request, "care/telehealth_overview.html", {
        "rows": rows, "kinds": TelehealthAct.Kind.labels, "since": since,
        "totals": [sum(r["counts"][i] for r in rows) for i in range(len(TelehealthAct.Kind))],
        "total": sum(r["total"] for r in rows), "page": page, "acts": page.object_list,
    })
