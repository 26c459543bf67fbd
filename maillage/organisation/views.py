"""The CRT's organisation: the team's positions and composition, the governance meetings and
their decisions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maillage.admissions import selectors as admission_selectors
from maillage.admissions.models import AdmissionStep
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.collation import french
from maillage.core.downloads import file_download, open_stored
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from . import selectors, services
from .access import (
    can_close_decision,
    can_view_meeting,
    decisions_visible,
    meetings_visible,
    positions_visible,
)
from .forms import DecisionDoneForm, DecisionForm, MeetingForm, PositionForm
from .models import Decision, Meeting, Position

PAGE_SIZE = 50
#: The requests examined by an admission commission, a page at a time on its page.
REFERRAL_PAGE_SIZE = 20


def _who(request) -> dict:
    return {"crt": request.crt, "user": request.user, "roles": request.roles}


# --- Positions -------------------------------------------------------------------------------


@require("position.view")
@require_GET
def position_list(request: HttpRequest) -> HttpResponse:
    current_only = request.GET.get("tous") != "1"
    rows = selectors.positions(**_who(request), current_only=current_only)
    return render(request, "organisation/position_list.html", {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "composition": selectors.team_composition(crt=request.crt),
        "current_only": current_only,
        "can_manage": has_permission(request.roles, "position.manage"),
    })


def _position_form(request, position: Position | None) -> HttpResponse:
    form = PositionForm(request.POST or None, instance=position, crt=request.crt)

    def save(data):
        values = {f: data[f] for f in services.POSITION_FIELDS}
        if position is None:
            return services.position_create(actor=request.user, crt=request.crt, **values)
        return services.position_update(actor=request.user, position=position,
                                        version=data["version"] or 0, **values)

    def done(result):
        messages.success(request, f"Le poste « {result.get_profession_display()} » est "
                                  "enregistré.")
        return redirect("organisation:position_list")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouveau poste" if position is None
                             else f"Modifier le poste « {position.get_profession_display()} »",
                             "back_url": reverse("organisation:position_list"),
                             "back_label": "Postes et ETP"})


@require("position.manage")
@require_http_methods(["GET", "POST"])
def position_create(request: HttpRequest) -> HttpResponse:
    return _position_form(request, None)


@require("position.manage")
@require_http_methods(["GET", "POST"])
def position_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _position_form(request, get_for_crt(positions_visible(**_who(request)), request.crt,
                                               public_id))


# --- Meetings --------------------------------------------------------------------------------


def _meeting(request, public_id) -> Meeting:
    return get_for_crt(meetings_visible(**_who(request)), request.crt, public_id)


@require("meeting.view")
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("instance", "")
    if kind not in Meeting.Kind.values:
        kind = ""
    rows = selectors.meetings(**_who(request), kind=kind)
    return render(request, "organisation/meeting_list.html", {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "kind": kind, "kinds": Meeting.Kind.choices,
        "can_manage": has_permission(request.roles, "meeting.manage"),
    })


@require("meeting.view")
@require_GET
def meeting_detail(request: HttpRequest, public_id) -> HttpResponse:
    meeting = _meeting(request, public_id)
    decisions = list(selectors.meeting_decisions(meeting))
    for d in decisions:
        d.can_close = can_close_decision(user=request.user, roles=request.roles, decision=d)
    referrals = None
    if meeting.kind == Meeting.Kind.ADMISSION_COMMISSION and has_permission(
            request.roles, "referral.view"):
        # The requests it examined, as the admissions app shows them to this user (a member
        # of the team who reads no request is not told « Aucune demande »: no section).
        referrals = Paginator(admission_selectors.commission_referrals(
            **_who(request), meeting=meeting), REFERRAL_PAGE_SIZE).get_page(
            request.GET.get("page"))
        opinions = dict(AdmissionStep.Outcome.choices)
        for r in referrals.object_list:
            r.opinion_label = opinions.get(r.opinion, "")
            r.outcome_label = admission_selectors.commission_outcome(r)
    return render(request, "organisation/meeting_detail.html", {
        "meeting": meeting, "decisions": decisions, "page": referrals,
        "team": meeting.team_participants.order_by(french("last_name"), french("first_name")),
        "partners": meeting.partner_participants.select_related("organization"),
        "today": timezone.localdate(),
        "can_manage": has_permission(request.roles, "meeting.manage"),
    })


@require("meeting.view")
@require_GET
def meeting_minutes(request: HttpRequest, public_id) -> HttpResponse:
    meeting = _meeting(request, public_id)
    handle = open_stored(meeting.minutes, missing="Aucun compte rendu.")
    audit_log(actor=request.user, action="meeting.minutes_downloaded", obj=meeting)
    return file_download(handle, content_type="application/pdf",
                         filename=meeting.minutes_name or f"compte-rendu-{meeting.held_on}")


def _meeting_form(request, meeting: Meeting | None) -> HttpResponse:
    initial = {"kind": request.GET.get("instance")} if meeting is None else None
    form = MeetingForm(request.POST or None, request.FILES or None, instance=meeting,
                       crt=request.crt, initial=initial)

    def save(data):
        values = {f: data[f] for f in ("kind", "held_on", "place", "agenda")}
        values["representatives"] = services.parse_representatives(
            data["representatives_text"])
        people = {"team_participants": data["team_participants"],
                  "partner_participants": data["partner_participants"],
                  "minutes_file": data.get("minutes_file")}
        if meeting is None:
            return services.meeting_create(actor=request.user, crt=request.crt, **people,
                                           **values)
        return services.meeting_update(actor=request.user, meeting=meeting,
                                       version=data["version"] or 0, **people, **values)

    def done(result):
        messages.success(request, f"La réunion « {result} » est enregistrée.")
        return redirect("organisation:meeting_detail", public_id=result.public_id)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle réunion" if meeting is None
                             else f"Modifier « {meeting} »",
                             "back_url": reverse("organisation:meeting_list"),
                             "back_label": "Gouvernance"})


@require("meeting.manage")
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    return _meeting_form(request, None)


@require("meeting.manage")
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _meeting_form(request, _meeting(request, public_id))


# --- Decisions -------------------------------------------------------------------------------


@require("meeting.view")
@require_GET
def decision_list(request: HttpRequest) -> HttpResponse:
    """The open decisions, followed until done; overdue ones flagged."""
    mine = request.GET.get("miennes") == "1"
    rows = selectors.open_decisions(**_who(request), owner=request.user if mine else None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for d in page.object_list:  # no query: kinds, roles and owner are at hand
        d.meeting_link = can_view_meeting(user=request.user, roles=request.roles,
                                          meeting=d.meeting)
        d.can_close = can_close_decision(user=request.user, roles=request.roles, decision=d)
    return render(request, "organisation/decision_list.html", {
        "page": page, "mine": mine, "today": timezone.localdate(),
    })


def _decision(request, public_id) -> Decision:
    return get_for_crt(decisions_visible(**_who(request)).select_related("meeting", "owner"),
                       request.crt, public_id)


def _decision_back(request, decision: Decision) -> tuple[str, str]:
    """Where to go back from a decision: its meeting when the user sees it, else their
    decisions (an owner who does not see the meeting, e.g. of an admission commission)."""
    if can_view_meeting(user=request.user, roles=request.roles, meeting=decision.meeting):
        return (reverse("organisation:meeting_detail", args=[decision.meeting.public_id]),
                str(decision.meeting))
    return reverse("organisation:decision_list") + "?miennes=1", "Mes décisions"


@require("meeting.manage")
@require_http_methods(["GET", "POST"])
def decision_add(request: HttpRequest, public_id) -> HttpResponse:
    meeting = _meeting(request, public_id)
    form = DecisionForm(request.POST or None, crt=request.crt)

    def save(data):
        return services.decision_add(actor=request.user, meeting=meeting, text=data["text"],
                                     owner=data["owner"], due_on=data["due_on"])

    def done(result):
        messages.success(request, "La décision est enregistrée.")
        return redirect("organisation:meeting_detail", public_id=meeting.public_id)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": f"Nouvelle décision — {meeting}",
                             "back_url": reverse("organisation:meeting_detail",
                                                 args=[meeting.public_id]),
                             "back_label": str(meeting)})


@require("meeting.manage")
@require_http_methods(["GET", "POST"])
def decision_edit(request: HttpRequest, public_id) -> HttpResponse:
    decision = _decision(request, public_id)
    form = DecisionForm(request.POST or None, crt=request.crt, initial={
        "text": decision.text, "owner": decision.owner, "due_on": decision.due_on,
        "version": decision.version})

    def save(data):
        return services.decision_update(actor=request.user, decision=decision,
                                        version=data["version"] or 0, text=data["text"],
                                        owner=data["owner"], due_on=data["due_on"])

    back_url, back_label = _decision_back(request, decision)

    def done(result):
        messages.success(request, "La décision est modifiée.")
        return redirect(back_url)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Modifier la décision", "back_url": back_url,
                             "back_label": back_label})


@require("meeting.view")
@require_http_methods(["GET", "POST"])
def decision_done(request: HttpRequest, public_id) -> HttpResponse:
    decision = _decision(request, public_id)
    if not can_close_decision(user=request.user, roles=request.roles, decision=decision):
        raise PermissionDenied
    form = DecisionDoneForm(request.POST or None, initial={
        "done_on": timezone.localdate(), "version": decision.version})

    def save(data):
        return services.decision_done(actor=request.user, decision=decision,
                                      version=data["version"], done_on=data["done_on"],
                                      done_note=data["done_note"])

    back_url, back_label = _decision_back(request, decision)

    def done(result):
        messages.success(request, f"Décision « {result.text} » réalisée.")
        return redirect(back_url)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Décision réalisée", "intro": decision.text,
                             "submit_label": "Marquer réalisée", "back_url": back_url,
                             "back_label": back_label})
