"""Temporary rooms: the rooms and the places kept, the stays (month planning, one stay, its
arrival, departure or cancellation), the occupancy figures."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maillage.beneficiaries.access import beneficiaries_for
from maillage.beneficiaries.models import Beneficiary
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from . import selectors, services
from .access import stays_visible
from .forms import CancelForm, DateForm, RoomForm, SettingsForm, StayForm
from .models import Room, Stay
from .occupancy import overall_rate

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
SHORT_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc."]


def month_label(year: int, month: int) -> str:
    return f"{MONTHS[month - 1]} {year}"


def _month_param(request) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in request.GET.get("mois", "").split("-"))
        date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.year, today.month
    return year, month


def _shift(year: int, month: int, delta: int) -> str:
    index = year * 12 + month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --- Rooms -----------------------------------------------------------------------------------


@require("lodging.view")
@require_GET
def room_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    settings = selectors.settings_for(crt=request.crt)
    return render(request, "lodging/rooms.html", {
        "rows": selectors.rooms_overview(crt=request.crt, today=today),
        "settings": settings,
        "exits": selectors.temporary_exits(crt=request.crt, today=today, settings=settings),
        "today": today,
        "can_manage": has_permission(request.roles, "lodging.manage"),
        "can_configure": has_permission(request.roles, "lodging.configure"),
        "can_open_enrolment": has_permission(request.roles, "enrolment.view"),
    })


def _room_form(request, room: Room | None) -> HttpResponse:
    form = RoomForm(request.POST or None, instance=room, crt=request.crt)

    def save(data):
        values = {f: data[f] for f in services.ROOM_FIELDS}
        if room is None:
            return services.room_create(actor=request.user, crt=request.crt, **values)
        return services.room_update(actor=request.user, room=room,
                                    version=data["version"] or 0, **values)

    def done(result):
        messages.success(request, f"« {result.name} » est enregistrée.")
        return redirect("lodging:rooms")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle chambre ou place" if room is None
                             else f"Modifier « {room.name} »",
                             "back_url": reverse("lodging:rooms"), "back_label": "Chambres"})


@require("lodging.configure")
@require_http_methods(["GET", "POST"])
def room_create(request: HttpRequest) -> HttpResponse:
    return _room_form(request, None)


@require("lodging.configure")
@require_http_methods(["GET", "POST"])
def room_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _room_form(request, get_for_crt(Room, request.crt, public_id))


@require("lodging.configure")
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    current = selectors.settings_for(crt=request.crt)
    form = SettingsForm(request.POST or None, instance=current)

    def save(data):
        return services.lodging_settings_update(
            actor=request.user, crt=request.crt, version=data["version"] or 0,
            place_kept_days=data["place_kept_days"])

    def done(result):
        messages.success(request, f"Place conservée {result.place_kept_days} jours.")
        return redirect("lodging:rooms")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Réglages des chambres temporaires",
                             "back_url": reverse("lodging:rooms"), "back_label": "Chambres"})


# --- Stays -----------------------------------------------------------------------------------


def _with_amounts(stays: list[Stay], today: date) -> list[Stay]:
    for stay in stays:
        stay.amount = stay.amount_due(today)
    return stays


@require("lodging.view")
@require_GET
def stay_list(request: HttpRequest) -> HttpResponse:
    """The month's planning (rooms × nights) and its stays; or every stay of one person."""
    today = timezone.localdate()
    can_manage = has_permission(request.roles, "lodging.manage")
    person = request.GET.get("personne", "")
    if person:
        b = get_for_crt(Beneficiary, request.crt, person)
        audit_log(actor=request.user, action="stays.viewed", obj=b, beneficiary=b)
        return render(request, "lodging/stays.html", {
            "b": b, "today": today, "can_manage": can_manage,
            "stays": _with_amounts(selectors.beneficiary_stays(crt=request.crt, beneficiary=b),
                                   today),
        })
    year, month = _month_param(request)
    room = None
    if request.GET.get("chambre"):
        try:
            room = get_for_crt(Room, request.crt, request.GET["chambre"])
        except Http404:
            room = None  # an unknown filter shows every room
    days, grid, stays = selectors.month_grid(crt=request.crt, year=year, month=month,
                                             today=today, room=room)
    return render(request, "lodging/stays.html", {
        "days": days, "grid": grid, "stays": _with_amounts(stays, today), "room": room,
        "rooms": selectors.rooms(crt=request.crt),
        "month": f"{year:04d}-{month:02d}", "month_label": month_label(year, month),
        "prev": _shift(year, month, -1), "next": _shift(year, month, 1),
        "today": today, "can_manage": can_manage,
    })


def _stay(request, public_id) -> Stay:
    return get_for_crt(stays_visible(crt=request.crt, user=request.user, roles=request.roles)
                       .select_related(
        "room__organization", "beneficiary", "referral", "suspension__enrolment",
        "created_by"), request.crt, public_id)


def _stay_done(request, stay: Stay, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("lodging:stay_detail", public_id=stay.public_id)


def _stay_context(stay: Stay, title: str) -> dict:
    return {"title": title,
            "back_url": reverse("lodging:stay_detail", kwargs={"public_id": stay.public_id}),
            "back_label": f"Séjour de {stay.person_name}"}


@require("lodging.view")
@require_GET
def stay_detail(request: HttpRequest, public_id) -> HttpResponse:
    stay = _stay(request, public_id)
    today = timezone.localdate()
    audit_log(actor=request.user, action="stay.viewed", obj=stay, beneficiary=stay.beneficiary)
    return render(request, "lodging/stay_detail.html", {
        "stay": stay, "today": today,
        "charged_days": stay.charged_days(today), "amount": stay.amount_due(today),
        "exceeds": stay.exceeds_max_stay(today),
        "can_manage": has_permission(request.roles, "lodging.manage"),
        "can_open_enrolment": has_permission(request.roles, "enrolment.view"),
        "month": stay.start.strftime("%Y-%m"),
    })


def _offered(request: HttpRequest):
    """The people a stay may be for: those whose identity the file policy grants the user."""
    return beneficiaries_for("identity", crt=request.crt, user=request.user, roles=request.roles)


@require("lodging.manage")
@require_GET
def stay_pick(request: HttpRequest) -> HttpResponse:
    """Beneficiaries or referrals matching a typed name, for a stay (htmx fragment, at most
    20)."""
    from maillage.core.pickers import picker_response

    return picker_response(request, StayForm(crt=request.crt, beneficiaries=_offered(request)),
                           default="beneficiary")


@require("lodging.manage")
@require_http_methods(["GET", "POST"])
def stay_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.method == "GET":
        for param, name, model in (("chambre", "room", Room),
                                   ("beneficiaire", "beneficiary", Beneficiary)):
            if request.GET.get(param):
                try:
                    initial[name] = get_for_crt(model, request.crt, request.GET[param])
                except Http404:
                    pass
    form = StayForm(request.POST or None, crt=request.crt, beneficiaries=_offered(request),
                    initial=initial,
                    search_url=reverse("lodging:stay_pick"))

    def save(data):
        return services.stay_create(actor=request.user, crt=request.crt,
                                    **{f: data[f] for f in services.STAY_FIELDS})

    return run_form(request, form, save, template="core/form_page.html",
                    on_success=lambda s: _stay_done(request, s, "Séjour enregistré."),
                    context={"title": "Nouveau séjour", "back_url": reverse("lodging:stays"),
                             "back_label": "Séjours"})


@require("lodging.manage")
@require_http_methods(["GET", "POST"])
def stay_edit(request: HttpRequest, public_id) -> HttpResponse:
    stay = _stay(request, public_id)
    form = StayForm(request.POST or None, crt=request.crt, beneficiaries=_offered(request),
                    stay=stay,
                    search_url=reverse("lodging:stay_pick"))
    if request.method == "GET":  # the form shows the stay's notes: a read
        audit_log(actor=request.user, action="stay.form_opened", obj=stay,
                  beneficiary=stay.beneficiary)

    def save(data):
        return services.stay_update(actor=request.user, stay=stay, version=data["version"] or 0,
                                    **{f: data[f] for f in services.STAY_FIELDS})

    return run_form(request, form, save, template="core/form_page.html",
                    on_success=lambda s: _stay_done(request, s, "Séjour modifié."),
                    context=_stay_context(stay, "Modifier le séjour"))


@require("lodging.manage")
@require_http_methods(["GET", "POST"])
def stay_start(request: HttpRequest, public_id) -> HttpResponse:
    stay = _stay(request, public_id)
    form = DateForm(request.POST or None, name="actual_start", label="Arrivée le",
                    initial={"version": stay.version, "actual_start": timezone.localdate()})

    def save(data):
        return services.stay_start(actor=request.user, stay=stay, version=data["version"],
                                   actual_start=data["actual_start"])

    context = _stay_context(stay, f"Arrivée de {stay.person_name}")
    if stay.beneficiary_id:
        context["intro"] = ("Si la personne est dans la file active, sa sortie temporaire y "
                            "est enregistrée à cette date.")
    return run_form(request, form, save, template="core/form_page.html",
                    on_success=lambda s: _stay_done(request, s, "Arrivée enregistrée."),
                    context=context)


@require("lodging.manage")
@require_http_methods(["GET", "POST"])
def stay_end(request: HttpRequest, public_id) -> HttpResponse:
    stay = _stay(request, public_id)
    form = DateForm(request.POST or None, name="actual_end", label="Départ le",
                    initial={"version": stay.version,
                             "actual_end": stay.actual_end or timezone.localdate()})

    def save(data):
        return services.stay_end(actor=request.user, stay=stay, version=data["version"],
                                 actual_end=data["actual_end"])

    title = (f"Corriger la date de départ de {stay.person_name}"
             if stay.status == Stay.Status.ENDED else f"Départ de {stay.person_name}")
    return run_form(request, form, save, template="core/form_page.html",
                    on_success=lambda s: _stay_done(request, s, "Départ enregistré."),
                    context=_stay_context(stay, title))


@require("lodging.manage")
@require_http_methods(["GET", "POST"])
def stay_cancel(request: HttpRequest, public_id) -> HttpResponse:
    stay = _stay(request, public_id)

    def save(data):
        return services.stay_cancel(actor=request.user, stay=stay, version=data["version"],
                                    reason=data["reason"])

    return run_form(request, CancelForm(request.POST or None,
                                        initial={"version": stay.version}), save,
                    template="core/form_page.html",
                    on_success=lambda s: _stay_done(request, s, "Séjour annulé."),
                    context={**_stay_context(stay, "Annuler le séjour"),
                             "submit_label": "Annuler le séjour"})


# --- Occupancy -------------------------------------------------------------------------------


@require("lodging.view")
@require_GET
def occupancy(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    months, rows, totals = selectors.occupancy(crt=request.crt, today=today)
    return render(request, "lodging/occupancy.html", {
        "months": [{"label": month_label(y, m), "short": f"{SHORT_MONTHS[m - 1]} {y}",
                    "param": f"{y:04d}-{m:02d}",
                    "current": (y, m) == (today.year, today.month)} for y, m in months],
        "rows": rows, "totals": totals, "overall": overall_rate(totals),
    })
