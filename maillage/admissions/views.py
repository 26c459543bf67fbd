"""Referrals (internal and public), their review, the waiting list."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maillage.beneficiaries.access import reads_clinical_text_about
from maillage.care.access import PlanEntry, plan_entry
from maillage.core.access import public, require
from maillage.core.audit import audit_log, client_ip
from maillage.core.downloads import file_download
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.models import Crt
from maillage.core.permissions import has_permission
from maillage.core.ratelimit import allow, used
from maillage.core.selectors import FORFAIT_MONTHLY
from maillage.core.tenancy import get_for_crt
from maillage.organisation.access import can_view_meeting
from maillage.territory import selectors as territory_selectors

from . import access, selectors, services
from .eligibility import eligibility_checks, priority
from .forms import (
    AdmitForm,
    ContractForm,
    DecisionForm,
    ExitForm,
    NextStepForm,
    PublicReferralForm,
    ReferralForm,
    StepForm,
    SuspensionEndForm,
    SuspensionForm,
)
from .models import AdmissionStep, Contract, Enrolment, Referral, Suspension
from .periods import hospitalisation_exceeds_three_months

PUBLIC_LIMIT = 5  # public referrals accepted per address and CRT per hour
#: Posts of the public form per address and CRT per hour, refused ones included: a referrer
#: fixing typos never reaches it, a flood of invalid posts does.
PUBLIC_POST_LIMIT = 40
PAGE_SIZE = 50  # rows per page of the lists
# The waiting list's rows are the richest (priority reasons, eligibility checks, next step):
# half a page, so that a full page costs no more than the demo's partly filled one (bench).
WAITING_PAGE_SIZE = 25


@require("referral.view")
@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("statut", Referral.Status.RECEIVED)
    if status not in Referral.Status.values:
        status = Referral.Status.RECEIVED
    page = Paginator(selectors.referrals(crt=request.crt, user=request.user, roles=request.roles,
                                         status=status), 50).get_page(
        request.GET.get("page"))
    return render(request, "admissions/referral_list.html", {
        "page": page, "status": status, "statuses": Referral.Status.choices, "can_open": True,
        "can_create": has_permission(request.roles, "referral.create"),
    })


@require("referral.create")
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    form = ReferralForm(request.POST or None, crt=request.crt)

    def save(data):
        return services.referral_create(
            actor=request.user, crt=request.crt, source=Referral.Source.INTERNAL,
            **{f: data[f] for f in services.REFERRAL_FIELDS if f in data},
        )

    def done(referral):
        messages.success(request, "Demande enregistrée : elle attend l'examen de la "
                                  "coordination.")
        return redirect("admissions:referral_detail", public_id=referral.public_id)

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle demande d'admission",
                             "back_url": reverse("admissions:referral_list"),
                             "back_label": "Demandes"})


def _detail_referral(request, public_id) -> Referral:
    """The referral with what its page shows."""
    return get_for_crt(
        access.referrals_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("crt", "person_commune", "referrer_organization",
                        "referrer_professional", "decided_by", "redirected_to",
                        "next_step_owner", "beneficiary__commune", "decision_meeting"),
        request.crt, public_id,
    )


def _review_forms(request, referral, data=None) -> tuple:
    """The review's forms the page offers (decision, next step), holding the referral's
    version; ``data`` binds the one posted."""
    decision_form = next_step_form = None
    if not has_permission(request.roles, "referral.review"):
        return decision_form, next_step_form
    posted = data.get("form") if data is not None else None
    search_url = reverse("admissions:referral_pick", kwargs={"public_id": referral.public_id})
    if referral.status == Referral.Status.RECEIVED:
        decision_form = DecisionForm(
            data if posted == "decision" else None,
            crt=request.crt, initial={"version": referral.version}, search_url=search_url,
            received_on=services.received_on(referral))
    if referral.status == Referral.Status.WAITING:
        next_step_form = NextStepForm(
            data if posted == "next_step" else None,
            crt=request.crt, search_url=f"{search_url}?formulaire=etape",
            initial={"version": referral.version, "next_step": referral.next_step,
                     "next_step_owner": referral.next_step_owner})
    return decision_form, next_step_form


@require("referral.view")
@require_http_methods(["GET", "POST"])
def referral_detail(request: HttpRequest, public_id) -> HttpResponse:
    referral = _detail_referral(request, public_id)
    decision_form, next_step_form = _review_forms(
        request, referral, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        form = decision_form if request.POST.get("form") == "decision" else next_step_form
        if form is None:
            if not has_permission(request.roles, "referral.review"):
                return render(request, "403.html", status=403)
            # A page loaded before someone else decided: say who and when, nothing saved.
            messages.error(request, _already_handled(referral))
            return render(request, "admissions/referral_detail.html",
                          _detail_context(request, referral, decision_form, next_step_form),
                          status=409)

        def save(data):
            if form is decision_form:
                return services.referral_decide(
                    actor=request.user, referral=referral, version=data["version"],
                    decision=data["decision"], reason=data["reason"],
                    redirected_to=data["redirected_to"], override=data["override"],
                    next_step=data["next_step"], next_step_owner=data["next_step_owner"],
                    meeting=data.get("meeting"),
                )
            return services.referral_set_next_step(
                actor=request.user, referral=referral, version=data["version"],
                next_step=data["next_step"], next_step_owner=data["next_step_owner"],
            )

        def done(result):
            if form is next_step_form:
                messages.success(request, f"Prochaine étape enregistrée : {result.next_step}.")
            else:
                messages.success(request,
                                 f"Demande : {result.get_status_display().lower()}.")
            return redirect("admissions:referral_detail", public_id=referral.public_id)

        response = run_form(request, form, save, template="admissions/referral_detail.html",
                            on_success=done, context=_detail_context(request, referral,
                                                                     decision_form,
                                                                     next_step_form))
        return response
    audit_log(actor=request.user, action="referral.viewed", obj=referral,
              beneficiary=referral.beneficiary)
    return render(request, "admissions/referral_detail.html",
                  _detail_context(request, referral, decision_form, next_step_form))


def _already_handled(referral: Referral) -> str:
    """Why a decision (or next step) posted from an outdated page was not recorded."""
    status = referral.get_status_display().lower()
    if referral.decided_at is None:
        return f"Cette demande a déjà été traitée ({status}). Rien n'a été enregistré."
    who = referral.decided_by
    by = f" par {who.get_full_name() or who.username}" if who is not None else ""
    when = timezone.localtime(referral.decided_at)
    return (f"Cette demande a déjà été traitée{by} le {when:%d/%m/%Y à %H:%M} ({status}). "
            "Rien n'a été enregistré.")


def _detail_context(request, referral, decision_form, next_step_form) -> dict:
    agreement = selectors.agreement(referral)
    return {
        "referral": referral,
        "agreement": agreement,
        "checks": eligibility_checks(referral, agreed=agreement.given),
        "priority": priority(referral),
        "possible_referrals": services.possible_referrals(referral),
        "decision_form": decision_form,
        "next_step_form": next_step_form,
        "decision_meeting_link": _meeting_link(request, referral.decision_meeting),
        **_checklist_context(request, referral),
    }


def _meeting_link(request, meeting) -> bool:
    """The commission named by a request is a link for whoever may open its page."""
    return meeting is not None and can_view_meeting(user=request.user, roles=request.roles,
                                                    meeting=meeting)


def _checklist_context(request, referral, flash: str = "") -> dict:
    """What the admission checklist (``_checklist.html``) shows."""
    checklist = selectors.admission_checklist(referral) if referral.status in {
        Referral.Status.WAITING, Referral.Status.ADMITTED} else []
    opinion = next((item.step for item in checklist
                    if item.key == AdmissionStep.Kind.TEAM_OPINION and item.step), None)
    return {
        # The « Plan personnalisé (PPCS) » step opens the person's plan, or starts it.
        "plan_entry": plan_entry(user=request.user, roles=request.roles,
                                 beneficiary=referral.beneficiary)
        if checklist and referral.beneficiary_id else PlanEntry(),
        "referral": referral,
        "checklist": checklist,
        "waiting": referral.status == Referral.Status.WAITING,
        "done_count": sum(item.done for item in checklist),
        "contracts": referral.contracts.all(),
        "possible_files": services.possible_files(referral),
        "can_review": has_permission(request.roles, "referral.review"),
        "can_step": has_permission(request.roles, "admission.step"),
        "step_kinds": {k for k in AdmissionStep.Kind.values
                       if access.may_record_step(request.roles, k)},
        # The reason of the request and the observations of the steps are clinical free text.
        "clinical_text": access.reads_referral_clinical_text(
            user=request.user, roles=request.roles, referral=referral),
        "opinion_meeting_link": _meeting_link(request, opinion.meeting if opinion else None),
        "flash": flash,
    }


@require("waiting_list.view")
@require_GET
def waiting_list(request: HttpRequest) -> HttpResponse:
    waiting = selectors.waiting_list(crt=request.crt, user=request.user, roles=request.roles)
    paginator = Paginator(waiting, WAITING_PAGE_SIZE)
    paginator.count, file_active = selectors.waiting_counts(waiting, crt=request.crt)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "admissions/waiting_list.html", {
        "page": page,
        "rows": selectors.waiting_rows(page.object_list),
        "can_open": has_permission(request.roles, "referral.view"),
        "file_active": file_active,
        "target": request.crt.file_active_target,
    })


@public
@require_http_methods(["GET", "POST"])
def public_referral(request: HttpRequest, crt_id) -> HttpResponse:
    crt = get_object_or_404(Crt, public_id=crt_id, is_active=True)
    form = PublicReferralForm(request.POST or None)
    if request.method == "POST":
        ip = client_ip(request) or "inconnue"
        # Only accepted requests count toward PUBLIC_LIMIT: a post refused for a typo does not
        # use up the referrer's allowance; every post counts toward the higher ceiling.
        accepted_key = f"public-referral:{crt.pk}:{ip}"
        if (not allow(f"public-referral-posts:{crt.pk}:{ip}", limit=PUBLIC_POST_LIMIT,
                      window_seconds=3600)
                or used(accepted_key) >= PUBLIC_LIMIT):
            return render(request, "admissions/public_referral.html",
                          {"crt": crt, "form": form, "flooded": True}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            if data["website"]:  # a robot: pretend success, keep nothing
                allow(accepted_key, limit=PUBLIC_LIMIT, window_seconds=3600)
                return redirect("admissions:public_referral_thanks", crt_id=crt.public_id)
            org_name = data["referrer_organization_name"].strip()
            try:
                _public_referral_create(crt, data, org_name)
            except DomainError as error:
                form.add_domain_error(error)
            else:
                allow(accepted_key, limit=PUBLIC_LIMIT, window_seconds=3600)
                return redirect("admissions:public_referral_thanks", crt_id=crt.public_id)
        return render(request, "admissions/public_referral.html", {"crt": crt, "form": form},
                      status=400)
    return render(request, "admissions/public_referral.html", {"crt": crt, "form": form})


def _public_referral_create(crt, data: dict, org_name: str) -> Referral:
    return services.referral_create(
        actor=None, crt=crt, source=Referral.Source.PUBLIC,
        person_last_name=data["person_last_name"],
        person_first_name=data["person_first_name"],
        person_birth_date=data["person_birth_date"],
        person_address=data["person_address"],
        person_commune=territory_selectors.commune_named(
            crt=crt, name=data["person_commune_name"]
        ),
        person_commune_name=data["person_commune_name"],
        person_phone=data["person_phone"],
        referrer_kind=data["referrer_kind"],
        referrer_name=(f"{data['referrer_name']} ({org_name})" if org_name
                       else data["referrer_name"])[:200],
        referrer_email=data["referrer_email"], referrer_phone=data["referrer_phone"],
        reason=data["reason"], priority_situations=data["priority_situations"],
        hospital_discharge=data["hospital_discharge"],
        person_agrees=data["person_agrees"],
    )


@public
@require_GET
def public_referral_thanks(request: HttpRequest, crt_id) -> HttpResponse:
    crt = get_object_or_404(Crt, public_id=crt_id, is_active=True)
    return render(request, "admissions/public_referral_thanks.html", {"crt": crt})


# --- Admission procedure -------------------------------------------------------------------


def _referral(request, public_id) -> Referral:
    return get_for_crt(
        access.referrals_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("beneficiary", "crt"), request.crt, public_id)


def _back_to(referral, message, request):
    messages.success(request, message)
    return redirect("admissions:referral_detail", public_id=referral.public_id)


def _inline(request) -> bool:
    """The form was opened inside the checklist (htmx): answer fragments, not pages."""
    return request.headers.get("HX-Request") == "true"


def _inline_form(request, referral, form, save, *, key: str, action: str, title: str,
                 submit_label: str, flash, page_context: dict, intro: str = "",
                 on_page_success=None) -> HttpResponse:
    """One step's form: inside the checklist with htmx (the form swaps in next to its step; on
    success the whole checklist is redrawn, its message focused), or as a small page that
    returns to the checklist without JavaScript."""
    if not _inline(request):
        return run_form(request, form, save, template="core/form_page.html",
                        on_success=on_page_success or (
                            lambda result: _back_to(referral, flash(result), request)),
                        context={"title": f"{title} — {referral}", "submit_label": submit_label,
                                 "intro": intro, **page_context,
                                 "back_url": reverse("admissions:referral_detail",
                                                     kwargs={"public_id": referral.public_id}),
                                 "back_label": str(referral)})

    def done(result):
        # The save may change the referral's state, next step and version: the parts of the
        # page that show them (and the next step's form, which holds the version) are redrawn
        # with the checklist, out of band, so that the next action works without a reload.
        current = _detail_referral(request, referral.public_id)
        response = render(request, "admissions/_checklist_saved.html", {
            **_detail_context(request, current, *_review_forms(request, current)),
            "flash": flash(result), "oob": True})
        response["HX-Retarget"] = "#admission"
        response["HX-Reswap"] = "outerHTML"
        return response

    return run_form(request, form, save, template="admissions/_inline_form.html",
                    on_success=done,
                    context={"key": key, "action": action, "title": title, "intro": intro,
                             "submit_label": submit_label, **page_context})


@require("admission.step")
@require_http_methods(["GET", "POST"])
def step_add(request: HttpRequest, public_id) -> HttpResponse:
    referral = _referral(request, public_id)
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("etape")
    if kind in AdmissionStep.Kind.values and not access.may_record_step(request.roles, kind):
        raise PermissionDenied(access.step_refusal(kind))
    due = [k for k in services.steps_due(referral) if access.may_record_step(request.roles, k)]
    plan_version = services.latest_care_plan_version(referral) \
        if kind == AdmissionStep.Kind.PLAN_DRAFTED else None
    form = StepForm(request.POST or None, crt=request.crt, due=due, kind=kind,
                    representative=services.legal_representative(referral.beneficiary),
                    plan_version=plan_version, received_on=services.received_on(referral),
                    initial={"kind": kind, "version": referral.version,
                             "done_on": timezone.localdate()})

    def save(data):
        return services.step_record(
            actor=request.user, referral=referral, kind=data["kind"], done_on=data["done_on"],
            outcome=data.get("outcome") or "", notes=data.get("notes", ""),
            joint_organizations=list(data.get("joint_organizations") or []),
            gp_associated=data.get("gp_associated", False),
            plan_summary=data.get("plan_summary", ""), agreed_by=data.get("agreed_by", ""),
            agreement_method=data.get("agreement_method", ""), version=data.get("version"),
            meeting=data.get("meeting"),
        )

    label = AdmissionStep.Kind(form.step_kind).label if form.step_kind else "Étape d'admission"
    return _inline_form(
        request, referral, form, save,
        # The signature is recorded in the contract's line of the checklist.
        key="contract" if form.step_kind == AdmissionStep.Kind.CONTRACT_SIGNED
        else form.step_kind or "step",
        action=reverse("admissions:step_add", kwargs={"public_id": referral.public_id}),
        title=label, submit_label="Enregistrer l'étape",
        flash=lambda s: f"Étape enregistrée : {s.get_kind_display()}.", page_context={})


@require("referral.review")
@require_http_methods(["GET", "POST"])
def contract_generate(request: HttpRequest, public_id) -> HttpResponse:
    referral = _referral(request, public_id)
    # Blocked (no plan yet): the checklist offers no button; this page still says why.
    blocker = services.contract_blocker(referral)

    def save(data):
        return services.contract_generate(actor=request.user, referral=referral,
                                          optional_services_text=data["optional_services"])

    return _inline_form(
        request, referral, ContractForm(request.POST or None), save, key="contract",
        action=reverse("admissions:contract_generate", kwargs={"public_id": referral.public_id}),
        title="Contrat d'accompagnement", submit_label="Générer le contrat (PDF)",
        intro=blocker, flash=lambda c: "Contrat généré : imprimez-le pour signature.",
        page_context={})


@require("referral.view")
@require_GET
def contract_download(request: HttpRequest, public_id, item_id) -> HttpResponse:
    referral = _referral(request, public_id)
    contract = get_for_crt(Contract.objects.filter(referral=referral), request.crt, item_id)
    audit_log(actor=request.user, action="contract.downloaded", obj=contract,
              beneficiary=contract.beneficiary)
    try:
        handle = contract.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Le fichier n'est plus disponible.") from exc
    return file_download(handle, content_type="application/pdf",
                         filename="contrat-accompagnement.pdf")


@require("referral.review")
@require_http_methods(["POST"])
def link_file(request: HttpRequest, public_id) -> HttpResponse:
    referral = _referral(request, public_id)
    from maillage.beneficiaries.models import Beneficiary

    beneficiary = get_for_crt(Beneficiary, request.crt, request.POST.get("beneficiary"))
    services.referral_link_file(actor=request.user, referral=referral, beneficiary=beneficiary)
    return _back_to(referral, "Demande reliée au dossier.", request)


@require("referral.review")
@require_GET
def referral_pick(request: HttpRequest, public_id) -> HttpResponse:
    """Team members (referent, next step) or structures (redirection) matching a typed name,
    for the review of a referral (htmx fragment, at most 20)."""
    from maillage.core.pickers import picker_response

    _referral(request, public_id)  # another CRT's referral: 404
    if request.GET.get("champ") == "referent":
        return picker_response(request, AdmitForm(crt=request.crt), default="referent")
    if request.GET.get("formulaire") == "etape":  # its owner is required: no « Aucun »
        return picker_response(request, NextStepForm(crt=request.crt),
                               default="next_step_owner")
    return picker_response(request, DecisionForm(crt=request.crt), default="next_step_owner")


@require("referral.review")
@require_http_methods(["GET", "POST"])
def admit(request: HttpRequest, public_id) -> HttpResponse:
    referral = _referral(request, public_id)
    places = services.capacity(request.crt)
    form = AdmitForm(request.POST or None, crt=request.crt, capacity_reached=places.reached,
                     search_url=reverse("admissions:referral_pick",
                                        kwargs={"public_id": referral.public_id}),
                     received_on=services.received_on(referral),
                     initial={"referent": request.user, "version": referral.version,
                              "admitted_on": timezone.localdate()})

    def save(data):
        return services.admission_decide(
            actor=request.user, referral=referral, admitted_on=data["admitted_on"],
            referent=data["referent"], gir_at_entry=data["gir_at_entry"],
            capacity_justification=data.get("capacity_justification", ""),
            version=data.get("version"), admission_meeting=data.get("admission_meeting"),
        )

    def done(enrolment):
        messages.success(request, f"{enrolment.beneficiary.display_name} est admis·e dans la "
                                  "file active.")
        return redirect("admissions:enrolment_detail", public_id=enrolment.public_id)

    due = services.steps_due(referral)
    return _inline_form(
        request, referral, form, save, key="decision",
        action=reverse("admissions:admit", kwargs={"public_id": referral.public_id}),
        title="Décision d'admission", submit_label="Admettre dans la file active",
        intro=(f"{places.message} Une justification est demandée. "
               if places.reached and not _inline(request) else "") + _admit_intro(referral, due),
        flash=lambda e: f"{e.beneficiary.display_name} est admis·e dans la file active.",
        page_context={"capacity": places}, on_page_success=done)


def _admit_intro(referral, due) -> str:
    due = [k for k in due if k != AdmissionStep.Kind.AGREEMENT]
    if not due:
        return "Toutes les étapes de la procédure sont réalisées."
    labels = ", ".join(AdmissionStep.Kind(k).label.lower() for k in due)
    if referral.hospital_discharge:
        return f"Parcours d'urgence (sortie d'hospitalisation) : admission possible, étapes " \
               f"restant dues : {labels}."
    return f"Étapes restant à réaliser : {labels}."


# --- File active ---------------------------------------------------------------------------


@require("enrolment.view")
@require_GET
def file_active(request: HttpRequest) -> HttpResponse:
    filters = {
        "q": request.GET.get("q", "").strip()[:80],
        "gir": request.GET.get("gir", ""),
        "referent": request.GET.get("referent", ""),
        "suspended": request.GET.get("suspendu", ""),
        "order": request.GET.get("tri", "nom"),
    }
    if filters["order"] not in selectors.FILE_ACTIVE_ORDERS:
        filters["order"] = "nom"
    today = timezone.localdate()
    enrolments, referents = selectors.file_active(crt=request.crt, today=today, **filters)
    paginator = Paginator(enrolments, PAGE_SIZE)
    paginator.count, total_months = selectors.file_active_figures(enrolments)
    page = paginator.get_page(request.GET.get("page"))
    kinds = dict(Suspension.Kind.choices)
    rows = [{"enrolment": e, "months": e.months,
             "suspension": {"label": kinds.get(e.away_kind, e.away_kind),
                            "start_date": e.away_since} if e.away_kind else None}
            for e in page.object_list]
    exits_start, exits_end = date(today.year, 1, 1), date(today.year, 12, 31)
    return render(request, "admissions/file_active.html", {
        "page": page, "rows": rows, "filters": filters, "referents": referents,
        "year": today.year, "target": request.crt.file_active_target,
        "total_months": total_months,
        "total_euros": total_months * FORFAIT_MONTHLY,
        "exits": selectors.temporary_exit_figures(crt=request.crt, start=exits_start,
                                                  end=exits_end, today=today),
        "exits_start": exits_start, "exits_end": min(exits_end, today),
    })


@require("enrolment.view")
@require_GET
def enrolment_detail(request: HttpRequest, public_id) -> HttpResponse:
    enrolment = get_for_crt(
        access.enrolments_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("beneficiary__commune", "referent", "referral", "admission_meeting"),
        request.crt, public_id)
    audit_log(actor=request.user, action="enrolment.viewed", obj=enrolment,
              beneficiary=enrolment.beneficiary)
    suspensions = list(enrolment.suspensions.all())
    for s in suspensions:
        s.proposes_exit = s.kind == Suspension.Kind.HOSPITALISATION and \
            hospitalisation_exceeds_three_months(s.start_date, s.end_date)
    due = services.steps_due(enrolment.referral) if enrolment.referral else []
    return render(request, "admissions/enrolment_detail.html", {
        "enrolment": enrolment, "b": enrolment.beneficiary, "suspensions": suspensions,
        "steps_due": [AdmissionStep.Kind(k).label for k in due],
        "history": selectors.other_stays(enrolment=enrolment),
        "can_manage": has_permission(request.roles, "enrolment.manage"),
        # Reasons of hospitalisations and the doctor's exit opinion are clinical free text.
        "clinical_text": reads_clinical_text_about(
            user=request.user, roles=request.roles, beneficiary=enrolment.beneficiary),
        "months": selectors.forfait_months_of(enrolment=enrolment, year=timezone.localdate().year),
        "today_iso": timezone.localdate().isoformat(),
        "can_view_meeting": enrolment.admission_meeting is not None and can_view_meeting(
            user=request.user, roles=request.roles, meeting=enrolment.admission_meeting),
    })


def _enrolment(request, public_id) -> Enrolment:
    return get_for_crt(
        access.enrolments_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("beneficiary"), request.crt, public_id)


def _enrolment_done(request, enrolment, message):
    messages.success(request, message)
    return redirect("admissions:enrolment_detail", public_id=enrolment.public_id)


def _enrolment_context(enrolment, title) -> dict:
    return {"title": title,
            "back_url": reverse("admissions:enrolment_detail",
                                kwargs={"public_id": enrolment.public_id}),
            "back_label": enrolment.beneficiary.display_name}


@require("enrolment.manage")
@require_http_methods(["GET", "POST"])
def suspension_add(request: HttpRequest, public_id) -> HttpResponse:
    enrolment = _enrolment(request, public_id)

    def save(data):
        return services.suspension_start(
            actor=request.user, enrolment=enrolment, kind=data["kind"],
            start_date=data["start_date"], end_date=data["end_date"], place=data["place"],
            reason=data["reason"])

    return run_form(request, SuspensionForm(request.POST or None), save,
                    template="core/form_page.html",
                    once=True,
                    on_success=lambda s: _enrolment_done(request, enrolment,
                                                         "Sortie temporaire enregistrée."),
                    context=_enrolment_context(enrolment, "Sortie temporaire"))


@require("enrolment.manage")
@require_http_methods(["GET", "POST"])
def suspension_end(request: HttpRequest, public_id, item_id) -> HttpResponse:
    enrolment = _enrolment(request, public_id)
    suspension = get_for_crt(Suspension.objects.filter(enrolment=enrolment), request.crt,
                             item_id)

    def save(data):
        return services.suspension_end(actor=request.user, suspension=suspension,
                                       end_date=data["end_date"], version=data["version"])

    return run_form(request, SuspensionEndForm(request.POST or None,
                                               initial={"version": suspension.version,
                                                        "end_date": suspension.end_date}),
                    save,
                    template="core/form_page.html",
                    on_success=lambda s: _enrolment_done(request, enrolment,
                                                         _return_message(suspension)),
                    context=_enrolment_context(enrolment, f"Fin de la sortie : {suspension}"))


def _return_message(suspension: Suspension) -> str:
    """What the coordination is told once the return is recorded: done, or planned."""
    if suspension.end_date > timezone.localdate():
        return f"Date de retour à domicile enregistrée : le {suspension.end_date:%d/%m/%Y}."
    return "Retour à domicile enregistré."


@require("enrolment.manage")
@require_http_methods(["GET", "POST"])
def enrolment_exit(request: HttpRequest, public_id) -> HttpResponse:
    enrolment = _enrolment(request, public_id)

    def save(data):
        return services.enrolment_close(
            actor=request.user, enrolment=enrolment, version=data["version"],
            ended_on=data["ended_on"], exit_reason=data["exit_reason"],
            destination=data["destination"], notes=data["notes"],
            health_related=data["health_related"], doctor_opinion=data["doctor_opinion"])

    return run_form(request, ExitForm(request.POST or None,
                                      initial={"version": enrolment.version}), save,
                    template="core/form_page.html",
                    on_success=lambda e: _enrolment_done(request, enrolment,
                                                         "Sortie définitive enregistrée."),
                    context=_enrolment_context(enrolment, "Sortie définitive"))
