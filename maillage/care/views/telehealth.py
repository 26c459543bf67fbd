"""Telehealth acts: each person's list (health data) — a volet 2 beneficiary's, under the
file's health rule, or an older person's of the territory (volet 1 light record), under
``care.access`` — the list of the territory's acts, and the CRT's counts by kind, month and
volet (no person)."""

from datetime import datetime, timedelta

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
from maillage.core.tenancy import get_for_crt
from maillage.territory.forms import MapPeriodForm

from .. import access as policy
from .. import selectors, services
from ..forms import TelehealthForm, TerritoryTelehealthForm
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
            actor=request.user, beneficiary=b, access=access, **_act_values(data))

    def done(act):
        messages.success(request, f"{act.get_kind_display()} enregistrée.")
        return redirect(_list_url(b))

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    once=True,
                    context={"title": f"Nouvel acte de télésanté — {b.display_name}",
                             "back_url": _list_url(b), "back_label": "Télésanté"})


def _act_values(data) -> dict:
    """The form's answers as the services' keyword arguments (the person apart)."""
    return {name: data[name] for name in (
        "kind", "performed_at", "staff", "professional", "professional_name", "requester",
        "requester_detail", "performer_employer", "reason", "outcome", "notes")}


def _months_ago(today, months: int):
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return datetime(year, month + 1, 1, tzinfo=timezone.get_current_timezone())


def _midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())


class TelehealthPeriodForm(MapPeriodForm):
    """The period of the counts (GET): by default the last twelve months, this one included."""

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, today=today, **kwargs)
        self.default_start = _months_ago(today, MONTHS_SHOWN - 1).date()
        if not self.is_bound:
            self.initial = {"debut": self.default_start, "fin": self.default_end}


@require("telehealth.stats")
@require_GET
def telehealth_overview(request: HttpRequest) -> HttpResponse:
    """The CRT's acts counted by kind and month, and by kind and volet (volet 2 beneficiaries,
    older people of the territory), for the indicators (V1-03); the latest acts without their
    person nor their content (no health data)."""
    form = TelehealthPeriodForm(request.GET or None, today=timezone.localdate())
    start, end, status = form.default_start, form.default_end, 200
    if form.is_bound:
        if form.is_valid():
            start, end = form.period()
        else:  # the errors next to the dates, the counts of the default period
            status = 400
    since, until = _midnight(start), _midnight(end + timedelta(days=1))
    rows = selectors.telehealth_by_month(crt=request.crt, since=since, until=until)
    page = Paginator(selectors.telehealth_recent(crt=request.crt), 30).get_page(
        request.GET.get("page"))
    audit_log(actor=request.user, action="telehealth.overview_viewed", crt=request.crt)
    return render(request, "care/telehealth_overview.html", {
        "form": form, "start": start, "end": end,
        "rows": rows, "kinds": TelehealthAct.Kind.labels,
        "totals": [sum(r["counts"][i] for r in rows) for i in range(len(TelehealthAct.Kind))],
        "total": sum(r["total"] for r in rows), "page": page, "acts": page.object_list,
        "by_kind": selectors.telehealth_by_kind(crt=request.crt, since=since, until=until),
        "carrier_is_ehpad": request.crt.carrier_type == request.crt.CarrierType.EHPAD,
        "can_see_territory": policy.sees_territory_telehealth(request.roles),
    }, status=status)


# --- Older people of the territory (volet 1) -------------------------------------------------


def _territory_person(request, public_id):
    """The older person of the territory, if the policy lets ``request.user`` see their acts
    (the views' permission already excluded other roles); another CRT's: 404."""
    return get_for_crt(policy.territory_people_visible(
        crt=request.crt, user=request.user, roles=request.roles).select_related("commune"),
        request.crt, public_id)


def _check_records(request) -> None:
    if not policy.may_record_territory_telehealth(request.roles):
        raise PermissionDenied("Données de santé : réservées aux professionnels de santé du CRT.")


def _person_url(attendee) -> str:
    return reverse("care:telehealth_person", kwargs={"public_id": attendee.public_id})


@require("telehealth.territory")
@require_GET
def telehealth_territory(request: HttpRequest) -> HttpResponse:
    """The acts about older people of the territory, newest first (30 a page). Each person
    shown is a read of their health data: one audit event per person of the page."""
    page = Paginator(selectors.telehealth_territory(
        crt=request.crt, user=request.user, roles=request.roles), 30).get_page(
        request.GET.get("page"))
    people = {act.attendee_id: act.attendee for act in page.object_list}
    for person in people.values():
        audit_log(actor=request.user, action="telehealth.territory_viewed", obj=person,
                  crt=request.crt)
    return render(request, "care/telehealth_territory.html", {
        "page": page, "acts": page.object_list,
        "can_record": policy.may_record_territory_telehealth(request.roles),
        "can_see_stats": has_permission(request.roles, "telehealth.stats"),
    })


@require("telehealth.territory")
@require_GET
def telehealth_person(request: HttpRequest, public_id) -> HttpResponse:
    attendee = _territory_person(request, public_id)
    audit_log(actor=request.user, action="telehealth.person_viewed", obj=attendee)
    return render(request, "care/telehealth_person.html", {
        "person": attendee, "acts": selectors.telehealth_acts_of_attendee(attendee=attendee),
        "can_record": policy.may_record_territory_telehealth(request.roles),
    })


@require("telehealth.record")
@require_GET
def telehealth_territory_pick(request: HttpRequest) -> HttpResponse:
    """The territory's older people, team members or directory professionals matching a typed
    name (htmx fragment, at most 20)."""
    from maillage.core.pickers import picker_response

    _check_records(request)
    people = policy.territory_people_visible(crt=request.crt, user=request.user,
                                             roles=request.roles)
    return picker_response(request, TerritoryTelehealthForm(crt=request.crt, people=people),
                           default="attendee")


def _territory_save(request, form, back_url: str, title: str,
                    attendee=None) -> HttpResponse:
    """Record the act of ``form`` for ``attendee`` (or the person chosen in the form)."""
    def save(data):
        return services.telehealth_record_for_attendee(
            actor=request.user, roles=request.roles, attendee=attendee or data["attendee"],
            **_act_values(data))

    def done(act):
        messages.success(request, f"{act.get_kind_display()} enregistrée pour "
                                  f"{act.attendee.display_name}.")
        return redirect(_person_url(act.attendee))

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": title, "back_url": back_url, "back_label": "Télésanté"})


@require("telehealth.record")
@require_http_methods(["GET", "POST"])
def telehealth_territory_add(request: HttpRequest) -> HttpResponse:
    """A new act, the older person chosen by name among the territory's light records."""
    _check_records(request)
    people = policy.territory_people_visible(crt=request.crt, user=request.user,
                                             roles=request.roles)
    form = TerritoryTelehealthForm(request.POST or None, crt=request.crt, people=people,
                                   initial={"staff": request.user},
                                   search_url=reverse("care:telehealth_territory_pick"))
    return _territory_save(request, form, reverse("care:telehealth_territory"),
                           "Nouvel acte de télésanté — personne âgée du territoire")


@require("telehealth.record")
@require_http_methods(["GET", "POST"])
def telehealth_person_add(request: HttpRequest, public_id) -> HttpResponse:
    """A new act for this older person (the person is the page's)."""
    attendee = _territory_person(request, public_id)
    _check_records(request)
    form = TelehealthForm(request.POST or None, crt=request.crt,
                          initial={"staff": request.user},
                          search_url=reverse("care:telehealth_territory_pick"))
    return _territory_save(request, form, _person_url(attendee),
                           f"Nouvel acte de télésanté — {attendee.display_name}",
                           attendee=attendee)
