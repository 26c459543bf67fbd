"""Volet 1 pages: the actions (with the yearly check), one action and its calendar, the
sessions, one session with its registrations, registration by phone, attendance, transport,
the attendance sheet (PDF), a light record corrected, merged with its duplicate or joined to
the person's volet 2 file."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.collation import french
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.tenancy import get_for_crt

from . import access, merge, satisfaction, selectors, services
from .forms import (
    ActionForm,
    AttendanceForm,
    AttendeeForm,
    AttendeeJoinForm,
    AttendeeMergeForm,
    RegistrationForm,
    SessionForm,
    TransportForm,
)
from .models import Attendee, Field, Participation, Session, SupportAction

PAGE_SIZE = 25


def _flags(request) -> dict:
    roles = request.roles
    return {"can_manage": has_permission(roles, "outreach.manage"),
            "can_register": has_permission(roles, "outreach.register"),
            "can_see_participants": access.sees_every_session(roles)}


# --- Actions ---------------------------------------------------------------------------------


@require("outreach.view")
@require_GET
def action_list(request: HttpRequest) -> HttpResponse:
    year = timezone.localdate().year
    field = request.GET.get("axe", "")
    if field not in Field.values:
        field = ""
    qs = selectors.actions(crt=request.crt, user=request.user, roles=request.roles,
                           field=field, year=year)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outreach/actions.html", {
        "page": page, "actions": page.object_list, "year": year, "field": field,
        "fields": Field.choices, "check": selectors.yearly_check(crt=request.crt, year=year),
        **_flags(request)})


def _action(request, public_id) -> SupportAction:
    return get_for_crt(access.actions_visible(crt=request.crt, user=request.user,
                                              roles=request.roles)
                       .select_related("commune"), request.crt, public_id)


def _action_form(request, action: SupportAction | None) -> HttpResponse:
    form = ActionForm(request.POST or None, instance=action, crt=request.crt)

    def save(data):
        values = {f: data[f] for f in services.ACTION_FIELDS}
        if action is None:
            return services.action_create(actor=request.user, crt=request.crt,
                                          partners=data["partners"], **values)
        return services.action_update(actor=request.user, action=action,
                                      version=data["version"] or 0,
                                      partners=data["partners"], **values)

    def done(result):
        messages.success(request, f"Action « {result.title} » enregistrée.")
        return redirect("outreach:action_detail", public_id=result.public_id)

    back = (reverse("outreach:action_detail", kwargs={"public_id": action.public_id})
            if action else reverse("outreach:actions"))
    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle action du volet 1" if action is None
                             else f"Modifier « {action.title} »",
                             "back_url": back, "back_label": "Actions du volet 1"
                             if action is None else action.title})


@require("outreach.manage")
@require_http_methods(["GET", "POST"])
def action_create(request: HttpRequest) -> HttpResponse:
    return _action_form(request, None)


@require("outreach.manage")
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _action_form(request, _action(request, public_id))


@require("outreach.view")
@require_GET
def action_detail(request: HttpRequest, public_id) -> HttpResponse:
    action = _action(request, public_id)
    sessions = selectors.action_sessions(action=action)
    # By pages of 25, opening on the page of the next session (a weekly cycle runs for years).
    number = request.GET.get("page") or selectors.first_page_to_come(sessions, PAGE_SIZE)
    page = Paginator(sessions, PAGE_SIZE).get_page(number)
    return render(request, "outreach/action_detail.html", {
        "action": action, "partners": list(action.partners.order_by(french("name"))),
        "satisfaction": satisfaction.action_results(request=request, action=action),
        "page": page, "sessions": page.object_list, "now": timezone.now(),
        **_flags(request)})


# --- Sessions --------------------------------------------------------------------------------


def _session(request, public_id) -> Session:
    """A session whose participants the user may see (404 otherwise, as for another CRT)."""
    return get_for_crt(access.sessions_visible(crt=request.crt, user=request.user,
                                               roles=request.roles)
                       .select_related("action", "commune"), request.crt, public_id)


def _session_done(request, session: Session, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("outreach:session_detail", public_id=session.public_id)


def _session_values(data) -> dict:
    return {"starts_at": data["starts_at"], "ends_at": data["ends_at"],
            "is_remote": data["is_remote"], "commune": data["commune"],
            "address": data["address"], "capacity": data["capacity"]}


@require("outreach.manage")
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, public_id) -> HttpResponse:
    action = _action(request, public_id)
    form = SessionForm(request.POST or None, crt=request.crt, action=action)

    def save(data):
        return services.session_create(
            actor=request.user, action=action, record_held=data["record_held"],
            facilitators=data["facilitators"],
            partner_facilitators=data["partner_facilitators"], **_session_values(data))

    def done(result):
        messages.success(request, f"Séance du {timezone.localtime(result.starts_at):%d/%m/%Y} "
                                  "enregistrée.")
        return redirect("outreach:action_detail", public_id=action.public_id)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": f"Nouvelle séance — {action.title}",
                             "back_url": reverse("outreach:action_detail",
                                                 kwargs={"public_id": action.public_id}),
                             "back_label": action.title,
                             "intro": "Le lieu est celui de l'action, sauf si vous le "
                                      "changez."})


@require("outreach.manage")
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(request, public_id)
    form = SessionForm(request.POST or None, crt=request.crt, action=session.action,
                       session=session)

    def save(data):
        return services.session_update(
            actor=request.user, session=session, version=data["version"] or 0,
            status=data["status"], facilitators=data["facilitators"],
            partner_facilitators=data["partner_facilitators"], **_session_values(data))

    return run_form(request, form, save, template="core/form_page.html",
                    on_success=lambda s: _session_done(request, s, "Séance modifiée."),
                    context={"title": "Modifier la séance",
                             "back_url": reverse("outreach:session_detail",
                                                 kwargs={"public_id": session.public_id}),
                             "back_label": str(session)})


@require("outreach.participants")
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    past = request.GET.get("passees") == "1"
    qs = selectors.sessions(crt=request.crt, user=request.user, roles=request.roles,
                            past=past)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outreach/sessions.html", {
        "page": page, "sessions": page.object_list, "past": past, **_flags(request)})


@require("outreach.participants")
@require_GET
def session_detail(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(request, public_id)
    participations = selectors.session_participations(session=session)
    audit_log(actor=request.user, action="session.viewed", obj=session)
    return render(request, "outreach/session_detail.html", {
        "session": session, "action": session.action, "participations": participations,
        "facilitators": list(session.facilitators.all()),
        "partner_facilitators": list(session.partner_facilitators.select_related(
            "organization")),
        "started": session.starts_at <= timezone.now(),
        "active_count": sum(p.status != Participation.Status.CANCELLED
                            for p in participations),
        "satisfaction": (satisfaction.session_summary(request=request, session=session)
                         if has_permission(request.roles, "survey.results") else None),
        "can_open_survey": has_permission(request.roles, "survey.manage"),
        **_flags(request)})


@require("survey.manage")
@require_http_methods(["POST"])
def session_satisfaction(request: HttpRequest, public_id) -> HttpResponse:
    """Open the session's satisfaction questionnaire: one answer code per participant (codes
    added only for participants registered since the last time)."""
    session = _session(request, public_id)
    try:
        satisfaction.session_satisfaction_open(actor=request.user, session=session)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("outreach:session_detail", public_id=session.public_id)
    return _session_done(request, session, "Questionnaire de satisfaction prêt : un code par "
                         "participant, imprimé avec la feuille d'émargement.")


@require("outreach.participants")
@require_GET
def session_sheet(request: HttpRequest, public_id) -> HttpResponse:
    """The attendance sheet to sign, as a PDF."""
    from maillage.core.pdf import render_pdf  # WeasyPrint loads on first use only

    session = _session(request, public_id)
    audit_log(actor=request.user, action="session.sheet_printed", obj=session)
    html = render_to_string("outreach/sheet_pdf.html", {
        "session": session, "action": session.action, "crt": request.crt,
        "participations": [p for p in selectors.session_participations(session=session)
                           if p.status != Participation.Status.CANCELLED],
        "facilitators": list(session.facilitators.all()),
        "partner_facilitators": list(session.partner_facilitators.all()),
        **satisfaction.sheet_context(request, session), "now": timezone.now()})
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    start = timezone.localtime(session.starts_at)
    response["Content-Disposition"] = (
        f'attachment; filename="emargement-{start:%Y-%m-%d}-{str(session.public_id)[:8]}.pdf"')
    response["Cache-Control"] = "private, no-store"
    return response


# --- Registrations and attendance ------------------------------------------------------------


def _registration_form(request, data=None) -> RegistrationForm:
    who = {"crt": request.crt, "user": request.user, "roles": request.roles}
    return RegistrationForm(
        data, crt=request.crt, search_url=reverse("outreach:register_pick"),
        attendees=access.attendees_visible(**who),
        beneficiaries=access.volet2_beneficiaries_offered(**who),
        caregivers=access.volet2_caregivers_offered(**who),
        with_gir=access.reads_attendee_gir(request.roles))


@require("outreach.register")
@require_GET
def register_pick(request: HttpRequest) -> HttpResponse:
    """Known people, volet 2 beneficiaries or volet 2 caregivers matching a typed name (htmx
    fragment, at most 20; beneficiaries by name and birth date only, caregivers by name
    only)."""
    from maillage.core.pickers import picker_response

    return picker_response(request, _registration_form(request), default="attendee")


@require("outreach.register")
@require_http_methods(["GET", "POST"])
def session_register(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(request, public_id)
    form = _registration_form(request, request.POST or None)
    context: dict = {}

    @transaction.atomic  # a new light record is kept only with its registration
    def save(data):
        attendee = data.get("attendee")
        if data.get("caregiver"):
            attendee = services.attendee_for_caregiver(actor=request.user, crt=request.crt,
                                                       caregiver=data["caregiver"])
        elif not attendee and not data.get("beneficiary"):
            fields = form.new_attendee_fields()
            try:
                attendee = services.attendee_create(
                    actor=request.user, crt=request.crt,
                    duplicates_checked=data["duplicates_checked"], **fields)
            except DomainError as error:
                if error.code == "possible_duplicate":
                    # Shown with a button to register each of them instead.
                    context["duplicates"] = selectors.attendee_possible_duplicates(
                        crt=request.crt, user=request.user, roles=request.roles,
                        kind=fields["kind"], last_name=fields["last_name"],
                        first_name=fields["first_name"])
                    active = session.participations.exclude(
                        status=Participation.Status.CANCELLED)
                    context["registered_attendees"] = set(
                        active.values_list("attendee_id", flat=True))
                    context["registered_beneficiaries"] = set(
                        active.values_list("beneficiary_id", flat=True))
                raise
        try:
            return services.participation_register(
                actor=request.user, session=session, beneficiary=data.get("beneficiary"),
                attendee=attendee, duplicates_checked=data["duplicates_checked"])
        except DomainError as error:
            if error.code == "same_name_in_session":
                # Shown above the form, with the confirmation next to the buttons.
                context["same_name"] = selectors.session_same_name(
                    session=session, person=data.get("beneficiary") or attendee)
                field, bound = form.fields["duplicates_checked"], form["duplicates_checked"]
                field.label = bound.label = (
                    "Ce n'est pas la même personne : l'inscrire quand même")
                field.help_text = bound.help_text = (  # the bound field is cached: both
                    "Seulement après avoir vérifié la personne déjà inscrite.")
            raise

    def done(result):
        messages.success(request, f"{result.person_name} est inscrit·e.")
        if "encore" in request.POST:
            return redirect("outreach:session_register", public_id=session.public_id)
        return redirect("outreach:session_detail", public_id=session.public_id)

    start = timezone.localtime(session.starts_at)
    context.update({"title": "Inscrire une personne", "session": session,
                    "action": session.action, "start": start,
                    "back_url": reverse("outreach:session_detail",
                                        kwargs={"public_id": session.public_id}),
                    "back_label": f"{session.action.title}, {start:%d/%m/%Y}"})
    response = run_form(request, form, save, template="outreach/register.html",
                        on_success=done, context=context)
    if context.get("duplicates") or context.get("same_name"):
        response.status_code = 409  # as a new volet 2 file resembling another
    return response


@require("outreach.register")
@require_http_methods(["GET", "POST"])
def session_attendance(request: HttpRequest, public_id) -> HttpResponse:
    session = _session(request, public_id)
    participations = selectors.session_participations(session=session)
    form = AttendanceForm(request.POST or None, participations=participations,
                          session=session)

    def save(data):
        return services.attendance_record(
            actor=request.user, session=session, version=data["version"],
            statuses=form.statuses(), anonymous_count=data["anonymous_count"] or 0)

    return run_form(request, form, save, template="outreach/attendance.html",
                    on_success=lambda s: _session_done(request, s, "Présences enregistrées."),
                    context={"title": "Présences", "session": session,
                             "back_url": reverse("outreach:session_detail",
                                                 kwargs={"public_id": session.public_id}),
                             "back_label": session.action.title})


@require("outreach.register")
@require_http_methods(["GET", "POST"])
def participation_transport(request: HttpRequest, public_id) -> HttpResponse:
    participation = get_for_crt(
        access.participations_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("session__action", "beneficiary", "attendee__commune"),
        request.crt, public_id)
    form = TransportForm(request.POST or None, crt=request.crt, participation=participation)

    def save(data):
        return services.participation_transport_set(
            actor=request.user, participation=participation, version=data["version"],
            transport_mode=data["transport_mode"],
            transport_provider=data["transport_provider"],
            transport_cost=data["transport_cost"], transport_from=data["transport_from"],
            transport_reason=data["transport_reason"],
            transport_reason_detail=data["transport_reason_detail"])

    session = participation.session
    return run_form(request, form, save, template="core/form_page.html",
                    on_success=lambda p: _session_done(request, session,
                                                       "Transport enregistré."),
                    context={"title": f"Transport de {participation.person_name}",
                             "back_url": reverse("outreach:session_detail",
                                                 kwargs={"public_id": session.public_id}),
                             "back_label": session.action.title})


def _attendee(request, public_id) -> Attendee:
    """A light record the user may edit (404 otherwise, as for another CRT)."""
    return get_for_crt(access.attendees_visible(crt=request.crt, user=request.user,
                                                roles=request.roles)
                       .select_related("commune", "organization"), request.crt, public_id)


@require("outreach.register")
@require_http_methods(["GET", "POST"])
def attendee_edit(request: HttpRequest, public_id) -> HttpResponse:
    """Correct a light record (name, commune, structure…); back to the session it was opened
    from (``seance``), or to the sessions. Linked: « Fusionner avec un doublon… »."""
    attendee = _attendee(request, public_id)
    form = AttendeeForm(request.POST or None, instance=attendee, crt=request.crt,
                        with_gir=access.reads_attendee_gir(request.roles))
    back = reverse("outreach:sessions")
    session_id = request.GET.get("seance", "")
    if session_id:
        try:
            back = reverse("outreach:session_detail", kwargs={"public_id": get_for_crt(
                access.sessions_visible(crt=request.crt, user=request.user,
                                        roles=request.roles), request.crt,
                session_id).public_id})
        except Http404:
            pass

    def save(data):
        fields = {f: data[f] for f in form.fields if f != "version"}
        return services.attendee_update(actor=request.user, attendee=attendee,
                                        version=data["version"] or 0, **fields)

    def done(result):
        messages.success(request, f"Fiche de {result.display_name} enregistrée.")
        return redirect(back)

    intro = ("Aidant d'un bénéficiaire du volet 2 : sa fiche reprend son identité, le dossier "
             "de la personne aidée ne s'ouvre pas d'ici." if attendee.caregiver_id else "")
    return run_form(request, form, save, template="outreach/attendee_edit.html",
                    on_success=done,
                    context={"title": f"Fiche de {attendee.display_name} "
                                      f"({attendee.get_kind_display().lower()})",
                             "intro": intro, "back_url": back, "back_label": "Retour",
                             "attendee": attendee})


# --- Two light records of one person merged --------------------------------------------------


@require("outreach.register")
@require_GET
def attendee_merge_pick(request: HttpRequest, public_id) -> HttpResponse:
    """The other light records this one may duplicate (same kind, same names): choose the
    one to keep, then see what the merge does before confirming."""
    attendee = _attendee(request, public_id)
    candidates = selectors.attendee_merge_candidates(
        crt=request.crt, user=request.user, roles=request.roles, attendee=attendee)
    return render(request, "outreach/attendee_merge_pick.html", {
        "attendee": attendee, "candidates": candidates,
        "title": f"Fusionner la fiche de {attendee.display_name} avec un doublon"})


def _merged_away(request, *public_ids, template: str = "outreach/attendee_merge.html",
                 title: str = "Fusionner deux fiches") -> HttpResponse | None:
    """The page saying that one of the records was merged into another or joined to a volet 2
    file by someone else meanwhile (409), or None when neither was (the caller answers 404)."""
    for public_id in public_ids:
        gone = selectors.attendee_merged_into(crt=request.crt, user=request.user,
                                              roles=request.roles, public_id=public_id)
        if gone is not None:
            return render(request, template, {"title": title, "gone": gone}, status=409)
    return None


@require("outreach.register")
@require_http_methods(["GET", "POST"])
def attendee_merge(request: HttpRequest, public_id, duplicate_id) -> HttpResponse:
    """Merge the light record ``duplicate_id`` into ``public_id`` (kept): both records'
    registrations, the values that differ (which to keep), then the confirmation."""
    try:
        kept, duplicate = _attendee(request, public_id), _attendee(request, duplicate_id)
    except Http404:
        if (page := _merged_away(request, public_id, duplicate_id)) is not None:
            return page
        raise
    if kept.pk == duplicate.pk:
        raise Http404("Aucun élément ne correspond à cette adresse.")
    form = AttendeeMergeForm(request.POST or None, kept=kept, duplicate=duplicate,
                             with_gir=access.reads_attendee_gir(request.roles))

    def save(data):
        return merge.attendee_merge(
            actor=request.user, kept=kept, kept_version=data["kept_version"],
            duplicate=duplicate, duplicate_version=data["duplicate_version"],
            take=form.take())

    def done(result):
        total = result.registrations
        messages.success(request, f"Fiches fusionnées : {result.kept.display_name} a "
                                  f"{total} inscription{'s' if total > 1 else ''}. La fiche "
                                  "en double est supprimée.")
        return redirect("outreach:attendee_edit", public_id=result.kept.public_id)

    try:
        merge.attendee_merge_check(kept=kept, duplicate=duplicate)
    except DomainError as error:
        refusal = error.message
    else:
        refusal = ""
    summary = selectors.attendee_merge_summary(crt=request.crt, user=request.user,
                                               roles=request.roles, kept=kept,
                                               duplicate=duplicate)
    context = {
        "title": "Fusionner deux fiches", "kept": kept, "duplicate": duplicate,
        "summary": summary, "refusal": refusal,
        "sides": [("Fiche conservée", kept, summary.kept),
                  ("Fiche en double, supprimée après la fusion", duplicate, summary.duplicate)],
        "back_url": reverse("outreach:attendee_merge_pick",
                            kwargs={"public_id": kept.public_id}),
        "back_label": f"Doublons de {kept.display_name}",
        "swap_url": reverse("outreach:attendee_merge",
                            kwargs={"public_id": duplicate.public_id,
                                    "duplicate_id": kept.public_id})}
    return run_form(request, form, save, template="outreach/attendee_merge.html",
                    context=context, on_success=done)


# --- A light record joined to the person's volet 2 file --------------------------------------


@require("outreach.register")
@require_http_methods(["GET", "POST"])
def attendee_join(request: HttpRequest, public_id) -> HttpResponse:
    """« Rattacher à un dossier du volet 2… »: the person of this light record has a volet 2
    file. Choose it (a picker over the files the user may read, the registration's:
    ``access.volet2_beneficiaries_offered``), see what joining does, confirm: the record's
    registrations and telehealth acts move to the file, the record is deleted
    (``merge.attendee_join_file``)."""
    title = "Rattacher à un dossier du volet 2"
    try:
        attendee = _attendee(request, public_id)
    except Http404:
        if (page := _merged_away(request, public_id, template="outreach/attendee_join.html",
                                 title=title)) is not None:
            return page
        raise
    confirming = "confirmer" in request.POST
    form = AttendeeJoinForm(
        request.POST or None, confirming=confirming,
        beneficiaries=access.volet2_beneficiaries_offered(
            crt=request.crt, user=request.user, roles=request.roles),
        search_url=reverse("outreach:register_pick"))
    back = reverse("outreach:attendee_edit", kwargs={"public_id": attendee.public_id})
    context = {"title": title, "attendee": attendee, "back_url": back,
               "back_label": f"Fiche de {attendee.display_name}"}
    try:
        merge.attendee_join_check(attendee=attendee, beneficiary=None)
    except DomainError as error:
        context["refusal"] = error.message
        return render(request, "outreach/attendee_join.html", {**context, "form": form},
                      status=400 if request.method == "POST" else 200)
    if request.method == "POST" and form.is_valid():
        beneficiary = form.cleaned_data["beneficiary"]
        context.update(beneficiary=beneficiary, summary=selectors.attendee_join_summary(
            crt=request.crt, user=request.user, roles=request.roles, attendee=attendee,
            beneficiary=beneficiary))
        if not confirming:  # the person chosen: what joining does, then the confirmation
            return render(request, "outreach/attendee_join.html", {**context, "form": form})

    def save(data):
        return merge.attendee_join_file(
            actor=request.user, attendee=attendee, attendee_version=data["attendee_version"],
            beneficiary=data["beneficiary"], beneficiary_version=data["beneficiary_version"])

    def done(result):
        moved = result.moved + result.combined
        messages.success(request, f"La fiche de {attendee.display_name} est rattachée au "
                                  f"dossier du volet 2 de {result.beneficiary.display_name} : "
                                  f"{moved} inscription{'s' if moved > 1 else ''} reprise"
                                  f"{'s' if moved > 1 else ''}. La fiche légère est supprimée.")
        # The file, which the user may open (the picker offers only files whose identity she
        # sees): its volet 1 registrations are there now.
        return redirect("beneficiaries:detail", public_id=result.beneficiary.public_id)

    return run_form(request, form, save, template="outreach/attendee_join.html",
                    context=context, on_success=done)
