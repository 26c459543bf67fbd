"""Views of the beneficiary file. Each one: permission → visible file → form → service."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from maillage.core import submissions
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.downloads import file_download
from maillage.core.errors import DomainError
from maillage.core.forms_util import run_form
from maillage.core.permissions import has_permission
from maillage.core.roles import CRT_TEAM
from maillage.core.tenancy import get_for_crt

from . import icope, selectors, services
from .access import (
    can_correct_vital_sign,
    file_for_request,
    medical_section,
    vital_sign_correction_refused,
    vital_signs_visible,
)
from .elsewhere import other_crts_matching
from .forms import (
    AggirForm,
    CaregiverForm,
    CareTeamEndForm,
    CareTeamForm,
    ConsentForm,
    ConsentWithdrawForm,
    DocumentForm,
    FreeEvaluationForm,
    IcopeForm,
    IdentityForm,
    MedicalForm,
    NewBeneficiaryForm,
    SituationForm,
    VitalSignCorrectForm,
    VitalSignForm,
    VitalSignRetractForm,
    VitalThresholdsForm,
)
from .models import Beneficiary, Caregiver, CareTeamMember, Consent, Document

_file = file_for_request


def _require_health(access) -> None:
    if not access.health:
        raise PermissionDenied(
            "Données de santé : réservées aux professionnels de santé du cercle de soins."
        )


def _audit_form_read(request, b: Beneficiary, form: str, obj=None, details=None) -> None:
    """An edit form shows the current values: opening it (GET) is a read of the file."""
    if request.method == "GET":
        audit_log(actor=request.user, action="beneficiary.form_opened", obj=obj or b,
                  beneficiary=b, details={"formulaire": form, **(details or {})})


def _file_url(b: Beneficiary, anchor: str = "") -> str:
    url = reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})
    return f"{url}#{anchor}" if anchor else url


def _form_context(b: Beneficiary, title: str) -> dict:
    return {"title": title, "back_url": _file_url(b), "back_label": b.display_name}


@require("beneficiary.view")
@require_GET
def beneficiary_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:80]
    qs = selectors.beneficiary_list(
        crt=request.crt, user=request.user, roles=request.roles, query=query
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page, "q": query,
        "can_create": has_permission(request.roles, "beneficiary.manage"),
        # Someone of that name followed by another CRT this user works for (no audit of its
        # own: see elsewhere.py).
        "elsewhere": other_crts_matching(
            request=request, permission="beneficiary.view",
            matching=lambda qs: selectors.list_matching(qs, query)) if query else [],
    }
    template = "beneficiaries/_partials/rows.html" if request.htmx else "beneficiaries/list.html"
    return render(request, template, context)


@require("beneficiary.manage")
@require_http_methods(["GET", "POST"])
def beneficiary_create(request: HttpRequest) -> HttpResponse:
    referral = _referral_to_link(request)
    if referral is not None and referral.beneficiary_id:
        # The link followed again (back button, second tab, double post).
        opened = referral.beneficiary
        messages.info(request, f"Le dossier de cette demande est déjà ouvert : celui de "
                               f"{opened.display_name}.")
        return redirect(_file_url(opened))
    initial = {}
    if referral is not None:
        initial = {
            "birth_name": referral.person_last_name, "first_names": referral.person_first_name,
            "first_name": referral.person_first_name.split()[0],
            "birth_date": referral.person_birth_date, "address": referral.person_address,
            "commune": referral.person_commune, "phone": referral.person_phone,
        }
    form = NewBeneficiaryForm(request.POST or None, crt=request.crt, initial=initial)
    context: dict = {"title": "Nouveau dossier", "referral": referral}

    def save(data):
        try:
            return services.beneficiary_create(
                actor=request.user, crt=request.crt,
                duplicates_checked=data["duplicates_checked"],
                **{f: data[f] for f in services.IDENTITY_FIELDS},
            )
        except DomainError as error:
            if error.code == "possible_duplicate":
                context["duplicates"] = services.possible_duplicates(
                    crt=request.crt, birth_name=data["birth_name"],
                    first_name=data["first_name"], birth_date=data["birth_date"],
                    ins_matricule=data["ins_matricule"], used_name=data["used_name"],
                )
            raise

    def done(b):
        messages.success(request, f"Le dossier de {b.display_name} est ouvert.")
        if referral is not None:
            from maillage.admissions.services import referral_link_file

            referral_link_file(actor=request.user, referral=referral, beneficiary=b)
            return redirect("admissions:referral_detail", public_id=referral.public_id)
        return redirect(_file_url(b))

    response = run_form(
        request, form, save, template="beneficiaries/create.html", on_success=done,
        context=context, once=True,
    )
    if context.get("duplicates"):
        response.status_code = 409
    return response


def _referral_to_link(request):
    """The referral this new file is opened for (``?demande=``), if the user may review it
    (its file already opened: ``beneficiary`` set)."""
    public_id = request.GET.get("demande") or request.POST.get("demande")
    if not public_id or not has_permission(request.roles, "referral.review"):
        return None
    from maillage.admissions.models import Referral

    return get_for_crt(Referral.objects.select_related("beneficiary"), request.crt, public_id)


@require("beneficiary.view")
@require_GET
def beneficiary_detail(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    if not access.identity:
        raise PermissionDenied("Le consentement de la personne ne couvre pas son identité.")
    audit_log(actor=request.user, action="beneficiary.viewed", obj=b, beneficiary=b,
              details={"code_boite_a_cles": True} if access.key_box and b.has_key_box else None)
    from maillage.oncall.access import calls_shown_on_file

    context = {
        "b": b,
        "access": access,
        "can_consent": has_permission(request.roles, "consent.manage"),
        "can_access_log": has_permission(request.roles, "beneficiary.access_log"),
        "can_mssante": has_permission(request.roles, "mssante.send"),
        "can_prescriptions": has_permission(request.roles, "prescription.view"),
        "can_portal_accounts": has_permission(request.roles, "portal.accounts"),
        "can_document": has_permission(request.roles, "document.add"),
        # The notebook, the alerts and the thread: the care team's and the coordination's
        # (``access.liaison``), each for the roles that read it (an administrative role plans
        # but reads none of them).
        "can_notes": access.liaison and has_permission(request.roles, "notes.view"),
        "can_alerts": access.liaison and has_permission(request.roles, "alert.view"),
        "can_conversation": access.liaison and has_permission(request.roles,
                                                              "conversation.view"),
        "can_evaluate": access.health and has_permission(request.roles, "evaluation.record"),
        "can_screen": access.health and has_permission(request.roles, "screening.record"),
        **selectors.file_detail(
            beneficiary=b, access=access,
            oncall_entries=access.health and calls_shown_on_file(roles=request.roles,
                                                                 beneficiary=b)),
    }
    if context["can_mssante"]:
        from maillage.interop.access import mssante_sendings_visible

        # The last MSSanté sendings of the file, within the sent documents' own policies.
        context["mssante_sendings"] = list(mssante_sendings_visible(
            user=request.user, roles=request.roles, beneficiary=b, health=access.health)[:5])
    if access.planning:
        from maillage.oncall.selectors import calls_for_file

        # The on-call interventions of the last days: the coordination always; the care team
        # when the person consented to be informed.
        context["oncall_calls"] = calls_for_file(beneficiary=b, user=request.user,
                                                 roles=request.roles)
    return render(request, "beneficiaries/detail.html", context)


@require("beneficiary.access_log")
@require_GET
def access_log(request: HttpRequest, public_id) -> HttpResponse:
    """Who accessed this file and when, printable for the person (SPEC §3)."""
    b, _ = _file(request, public_id)
    # Traced first, so the list handed to the person includes this very consultation.
    audit_log(actor=request.user, action="beneficiary.access_log_viewed", obj=b, beneficiary=b)
    page = Paginator(selectors.access_log(beneficiary=b), 100).get_page(request.GET.get("page"))
    return render(request, "beneficiaries/access_log.html", {"b": b, "page": page})


# The DPO's view of the same list: any person of the CRT (the auditor is in no care team), the
# trail only (who, role, when, what, emergency reason), never the file's content.


@require("audit.view")
@require_GET
def access_history(request: HttpRequest, public_id) -> HttpResponse:
    """« Who read this file », for the DPO (auditor), with the access report to hand over."""
    b = get_for_crt(Beneficiary, request.crt, public_id)
    audit_log(actor=request.user, action="beneficiary.access_log_viewed", obj=b, beneficiary=b)
    page = Paginator(selectors.access_log(beneficiary=b), 100).get_page(request.GET.get("page"))
    return render(request, "beneficiaries/access_history.html", {"b": b, "page": page})


@require("audit.view")
@require_GET
def access_report(request: HttpRequest, public_id) -> HttpResponse:
    """The access report the person is entitled to (RGPD right of access; SPEC §3), as a PDF."""
    from django.template.loader import render_to_string
    from django.utils import timezone

    b = get_for_crt(Beneficiary, request.crt, public_id)
    # Traced first, so the report includes its own printing.
    audit_log(actor=request.user, action="beneficiary.access_report_printed", obj=b,
              beneficiary=b)
    html = render_to_string("beneficiaries/access_report_pdf.html", {
        "b": b, "crt": request.crt, "events": selectors.access_log(beneficiary=b),
        "now": timezone.now(), "by": request.user,
    })
    from maillage.core.pdf import render_pdf

    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="releve-acces-{str(b.public_id)[:8]}.pdf"')
    response["Cache-Control"] = "private, no-store"
    return response


@require("beneficiary.manage")
@require_http_methods(["GET", "POST"])
def identity_edit(request: HttpRequest, public_id) -> HttpResponse:
    b, _ = _file(request, public_id)
    _audit_form_read(request, b, "identité")

    def save(data):
        return services.beneficiary_update_identity(
            actor=request.user, beneficiary=b, version=data["version"] or 0,
            **{f: data[f] for f in services.IDENTITY_FIELDS},
        )

    return run_form(
        request, IdentityForm(request.POST or None, instance=b, crt=request.crt), save,
        template="core/form_page.html", context=_form_context(b, "Identité et coordonnées"),
        on_success=lambda r: _saved(request, r, "Identité enregistrée."),
    )


def _saved(request, b: Beneficiary, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    return redirect(_file_url(b, anchor))


@require("beneficiary.manage")
@require_http_methods(["GET", "POST"])
def situation_edit(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    form = SituationForm(request.POST or None, instance=b, show_key_box=access.key_box)
    _audit_form_read(request, b, "situation", details={"code_boite_a_cles": True}
                     if access.key_box and b.has_key_box else None)

    def save(data):
        fields = {f: data[f] for f in services.SITUATION_FIELDS if f in form.fields}
        return services.beneficiary_update_situation(
            actor=request.user, beneficiary=b, version=data["version"] or 0, **fields
        )

    return run_form(
        request, form, save, template="core/form_page.html",
        context=_form_context(b, "Situation, logement, droits"),
        on_success=lambda r: _saved(request, r, "Situation enregistrée.", "situation"),
    )


@require("beneficiary.manage")
@require_http_methods(["GET", "POST"])
def caregiver_edit(request: HttpRequest, public_id, item_id=None) -> HttpResponse:
    b, _ = _file(request, public_id)
    caregiver = None
    if item_id is not None:
        caregiver = get_for_crt(Caregiver.objects.filter(beneficiary=b), request.crt, item_id)
        _audit_form_read(request, b, "aidant", obj=caregiver)

    def save(data):
        return services.caregiver_save(
            actor=request.user, beneficiary=b, caregiver=caregiver, version=data["version"],
            **{f: data[f] for f in services.CAREGIVER_FIELDS},
        )

    title = "Nouvel aidant" if caregiver is None else f"Aidant : {caregiver}"
    return run_form(
        request, CaregiverForm(request.POST or None, instance=caregiver), save,
        template="core/form_page.html", context=_form_context(b, title),
        on_success=lambda r: _saved(request, b, "Aidant enregistré.", "aidants"),
        once=caregiver is None,
    )


@require("care_team.manage")
@require_http_methods(["GET", "POST"])
def care_team_add(request: HttpRequest, public_id) -> HttpResponse:
    b, _ = _file(request, public_id)

    def save(data):
        return services.care_team_add(
            actor=request.user, beneficiary=b, user=data["user"],
            professional=data["professional"], role=data["role"],
            start_date=data["start_date"], is_gp=data["is_gp"],
            is_referent=data["is_referent"], visits_home=data["visits_home"],
        )

    search_url = reverse("beneficiaries:care_team_pick", kwargs={"public_id": b.public_id})
    return run_form(
        request, CareTeamForm(request.POST or None, crt=request.crt, search_url=search_url),
        save, template="core/form_page.html",
        context=_form_context(b, "Ajouter au cercle de soins"),
        on_success=lambda r: _saved(request, b, "Cercle de soins mis à jour.", "cercle"),
        once=True,
    )


@require("care_team.manage")
@require_GET
def care_team_pick(request: HttpRequest, public_id) -> HttpResponse:
    """The matches of a name typed in the care team form (htmx fragment, at most 20)."""
    from maillage.core.pickers import picker_response

    _file(request, public_id)  # another CRT's person: 404
    return picker_response(request, CareTeamForm(crt=request.crt), default="user")


@require("care_team.manage")
@require_http_methods(["GET", "POST"])
def care_team_end(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b, _ = _file(request, public_id)
    member = get_for_crt(CareTeamMember.objects.filter(beneficiary=b), request.crt, item_id)
    if member.end_date is not None:
        # Already ended (one's own second click, the page opened again): nothing to do, said so.
        messages.info(request, services.care_team_already_ended(member))
        return redirect(_file_url(b, "cercle"))
    form = CareTeamEndForm(request.POST or None, initial={"version": member.version})

    def save(data):
        return services.care_team_end(
            actor=request.user, member=member, end_date=data["end_date"],
            version=data["version"],
        )

    return run_form(
        request, form, save, template="core/form_page.html",
        context=_form_context(b, f"Fin de participation : {member}"),
        on_success=lambda r: _saved(request, b, "Cercle de soins mis à jour.", "cercle"),
    )


@require("consent.manage")
@require_http_methods(["GET", "POST"])
def consent_add(request: HttpRequest, public_id) -> HttpResponse:
    b, _ = _file(request, public_id)

    def save(data):
        return services.consent_record(
            actor=request.user, beneficiary=b, kind=data["kind"], granted=data["granted"],
            collected_on=data["collected_on"], method=data["method"],
            organization=data["organization"], share_identity=data["share_identity"],
            share_planning=data["share_planning"], share_health=data["share_health"],
            scope_notes=data["scope_notes"],
        )

    return run_form(
        request, ConsentForm(request.POST or None, crt=request.crt), save,
        template="core/form_page.html", context=_form_context(b, "Recueillir un consentement"),
        on_success=lambda r: _saved(request, b, "Consentement enregistré.", "consentements"),
        once=True,
    )


@require("consent.manage")
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b, _ = _file(request, public_id)
    consent = get_for_crt(Consent.objects.filter(beneficiary=b), request.crt, item_id)

    def save(data):
        return services.consent_withdraw(actor=request.user, consent=consent,
                                         reason=data["reason"])

    return run_form(
        request, ConsentWithdrawForm(request.POST or None), save,
        template="core/form_page.html",
        context={**_form_context(b, f"Retirer : {consent.get_kind_display()}"),
                 "submit_label": "Enregistrer le retrait"},
        on_success=lambda r: _saved(request, b, "Le retrait prend effet immédiatement.",
                                    "consentements"),
    )


@require("health.view")
@require_GET
def medical_detail(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    _require_health(access)
    audit_log(actor=request.user, action="beneficiary.medical_viewed", obj=b.medical,
              beneficiary=b)
    return render(request, "beneficiaries/medical.html", {
        # Only the fields of the section this reader may read (``access.medical_fields``).
        "b": b, "medical": medical_section(b.medical, access.medical_fields),
        "can_edit": has_permission(request.roles, "health.edit"),
        "can_evaluate": has_permission(request.roles, "evaluation.record"),
        "can_screen": has_permission(request.roles, "screening.record"),
        **selectors.evaluations(beneficiary=b),
        "domains": icope.DOMAINS_BY_CODE,
    })


@require("health.edit")
@require_http_methods(["GET", "POST"])
def medical_edit(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    _require_health(access)
    record = b.medical
    _audit_form_read(request, b, "volet médical", obj=record)

    # The form holds only the fields this user may read; the others are neither shown nor
    # written (``services.medical_update`` refuses their change too).
    form = MedicalForm(request.POST or None, instance=record, readable=access.medical_fields)

    def save(data):
        return services.medical_update(
            actor=request.user, record=record, version=data["version"] or 0,
            **{f: data[f] for f in services.MEDICAL_FIELDS if f in form.fields},
        )

    return run_form(
        request, form, save,
        template="core/form_page.html",
        context={"title": "Volet médical",
                 "back_url": reverse("beneficiaries:medical", kwargs={"public_id": b.public_id}),
                 "back_label": "Volet médical"},
        on_success=lambda r: _medical_saved(request, b),
    )


#: The periods the charts offer, in days.
CHART_PERIODS = (30, 90)


@require("health.view")
@require_GET
def vital_charts(request: HttpRequest, public_id) -> HttpResponse:
    """The series of each measure over 30 or 90 days, drawn as SVG with the thresholds, and
    the same values as tables: a read of health data, audited like the medical section."""
    from datetime import timedelta

    from django.utils import timezone

    from . import charts

    b, access = _file(request, public_id)
    _require_health(access)
    days = int(request.GET["jours"]) if request.GET.get("jours") in ("30", "90") else 30
    end = timezone.now()
    start = end - timedelta(days=days)
    series = selectors.vital_series(beneficiary=b, since=start)
    audit_log(actor=request.user, action="beneficiary.vital_series_viewed", obj=b,
              beneficiary=b, details={"période": f"{days} jours"})
    correctable = {s.public_id for s in [*series["measures"], *series["falls"]]
                   if can_correct_vital_sign(user=request.user, roles=request.roles, sign=s,
                                             health=access.health)}
    return render(request, "beneficiaries/vital_charts.html", {
        "b": b, "days": days, "periods": CHART_PERIODS, "falls": series["falls"],
        "retracted": series["retracted"], "thresholds": series["thresholds"],
        "charts": charts.charts(series["measures"], start=start, end=end,
                                thresholds=series["thresholds"]),
        "can_set_thresholds": has_permission(request.roles, "vital_threshold.set"),
        "record_form": _record_form(request),
        "correctable": correctable,
    })


def _record_form(request) -> VitalSignForm | None:
    """The « Enregistrer une mesure » form the charts page carries, for whoever may record
    (the page itself already required the file's health face); posted to ``vital_sign_add``."""
    if not has_permission(request.roles, "vital_sign.record"):
        return None
    form = VitalSignForm()
    form.submission_key = submissions.once_key(request)
    return form


@require("vital_sign.record")
@require_http_methods(["GET", "POST"])
def vital_sign_add(request: HttpRequest, public_id) -> HttpResponse:
    """A measure taken by the team, or a fall: the same service as the API's (ranges, moment,
    threshold alert, audit), source « équipe ». The charts page carries this form; refused
    input comes back here, with the message next to the field."""
    from .models import VitalSign
    from .vitals import vital_sign_record

    b, access = _file(request, public_id)
    _require_health(access)
    # A partner of the care team (the matrix lets them record, as through the API) is not the
    # CRT's team: their measure says so.
    source = VitalSign.Source.TEAM if set(request.roles) & CRT_TEAM else VitalSign.Source.PARTNER

    def save(data):
        return vital_sign_record(
            actor=request.user, beneficiary=b, kind=data["kind"], source=source,
            measured_at=data["measured_at"], value=data["value"], systolic=data["systolic"],
            diastolic=data["diastolic"], device=data["device"])

    return run_form(
        request, VitalSignForm(request.POST or None), save,
        template="beneficiaries/vital_sign_form.html", context={"b": b},
        on_success=lambda sign: _vital_sign_saved(request, b, sign), once=True,
    )


def _vital_sign_saved(request, b, sign):
    from .vitals import alarm_for

    message = "Mesure enregistrée."
    if alarm_for(sign) is not None:
        # No value in the message (it is kept in the session until shown).
        message += " Une alerte a été créée pour le cercle de soins et l'astreinte."
    messages.success(request, message)
    return _charts_redirect(b, sign)


def _charts_redirect(b, sign):
    """Back to the charts, over the period that shows ``sign``."""
    from datetime import timedelta

    from django.utils import timezone

    url = reverse("beneficiaries:vital_charts", kwargs={"public_id": b.public_id})
    # A measure older than the default period: the longer one, so that it shows.
    if sign.measured_at < timezone.now() - timedelta(days=CHART_PERIODS[0]):
        url += f"?jours={CHART_PERIODS[-1]}"
    return redirect(url)


def _correctable_sign(request, public_id, item_id, verb: str):
    """The file and one of its measures this user may correct or retract (the file's health
    face, then ``access.can_correct_vital_sign``: their own measure, any for the doctor; one
    already retracted too, which the views answer)."""
    b, access = _file(request, public_id)
    _require_health(access)
    sign = get_for_crt(
        vital_signs_visible(crt=request.crt, user=request.user, roles=request.roles)
        .filter(beneficiary=b).select_related("recorded_by"), request.crt, item_id)
    if not can_correct_vital_sign(user=request.user, roles=request.roles, sign=sign,
                                  health=access.health, retracted=True):
        raise PermissionDenied(vital_sign_correction_refused(verb))
    return b, sign


def _sign_context(b, sign, title: str) -> dict:
    return {"b": b, "sign": sign, "title": title,
            "charts_url": reverse("beneficiaries:vital_charts",
                                  kwargs={"public_id": b.public_id})}


def _stale_measure(call):
    """``call()``, a stale version said of a measure rather than of a file."""
    from maillage.core.errors import ConflictError

    try:
        return call()
    except ConflictError:
        raise ConflictError(
            "Cette mesure a été corrigée ou retirée par quelqu'un d'autre depuis l'ouverture "
            "de cette page : revenez aux courbes pour la voir à jour, puis refaites votre "
            "changement s'il y a lieu.") from None


def _alert_status(sign) -> str | None:
    """The state of the latest alert the measure raised (None: it raised none)."""
    from maillage.care.selectors import measure_alert

    alert = measure_alert(sign=sign)
    return alert.status if alert else None


def _already_retracted(request, b, sign):
    messages.info(request, "Cette mesure a déjà été retirée : elle figure dans les mesures "
                           "retirées.")
    return _charts_redirect(b, sign)


@require("vital_sign.record")
@require_http_methods(["GET", "POST"])
def vital_sign_correct(request: HttpRequest, public_id, item_id) -> HttpResponse:
    """« Corriger » a measure of the charts page: its new value and a reason, through the
    API's service (``vital_sign_update``: the same ranges, status « corrigée », the threshold
    checked again, audited), the value first entered kept in its history; the version shown
    guards against a change made meanwhile, a one-time key against a double post."""
    from django.utils import timezone

    from maillage.care.models import Alert

    from .vitals import alarm_for, vital_sign_update

    b, sign = _correctable_sign(request, public_id, item_id, "corriger")
    if sign.deleted_at is not None and request.method == "GET":
        return _already_retracted(request, b, sign)
    _audit_form_read(request, b, "correction d'une constante", obj=sign)
    shown = timezone.localtime(sign.measured_at).replace(second=0, microsecond=0)

    alert_before = _alert_status(sign)

    def save(data):
        # The moment as the field shows it (to the minute) leaves a device's seconds as sent.
        when = sign.measured_at if data["measured_at"] == shown else data["measured_at"]
        return _stale_measure(lambda: vital_sign_update(
            actor=request.user, sign=sign, version=data["version"] or 0, kind=sign.kind,
            measured_at=when, value=data.get("value"), systolic=data.get("systolic"),
            diastolic=data.get("diastolic"), device=data["device"], reason=data["reason"]))

    def saved(corrected):
        # No value in the message (it is kept in the session until shown).
        message = "Mesure corrigée ; la valeur d'origine reste dans son historique."
        after = _alert_status(corrected)
        if after in (Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED):
            message += (" Une alerte est ouverte pour cette mesure (cercle de soins et "
                        "astreinte)." if alarm_for(corrected) is not None else
                        " Son alerte, déjà prise en charge, reste en cours : clôturez-la "
                        "depuis les alertes de la personne si elle n'a plus lieu d'être.")
        elif after == Alert.Status.RESOLVED and alert_before == Alert.Status.OPEN:
            message += (" La valeur corrigée est dans les seuils : l'alerte de cette mesure "
                        "est close, avec votre motif.")
        messages.success(request, message)
        return _charts_redirect(b, corrected)

    return run_form(
        request, VitalSignCorrectForm(request.POST or None, sign=sign), save,
        template="beneficiaries/vital_sign_change.html",
        context={**_sign_context(b, sign, "Corriger une mesure"),
                 "submit_label": "Enregistrer la correction"},
        on_success=saved, once=True,
    )


@require("vital_sign.record")
@require_http_methods(["GET", "POST"])
def vital_sign_retract(request: HttpRequest, public_id, item_id) -> HttpResponse:
    """« Retirer (saisie erronée) »: a reason, then ``vital_sign_retract`` (the API's
    DELETE): the measure leaves the charts and the latest measures, its open alert is closed,
    and it stays in the charts page's history as « retirée »."""
    from maillage.care.models import Alert

    from .vitals import vital_sign_retract as retract

    b, sign = _correctable_sign(request, public_id, item_id, "retirer")
    if sign.deleted_at is not None and request.method == "GET":
        return _already_retracted(request, b, sign)
    _audit_form_read(request, b, "retrait d'une constante", obj=sign)

    def save(data):
        return _stale_measure(lambda: retract(
            actor=request.user, sign=sign, version=data["version"] or 0,
            reason=data["reason"]))

    alert_before = _alert_status(sign)

    def saved(retracted):
        message = ("Mesure retirée : elle n'apparaît plus dans les courbes ; elle reste dans "
                   "les mesures retirées, avec le motif.")
        after = _alert_status(retracted)
        if after == Alert.Status.RESOLVED and alert_before == Alert.Status.OPEN:
            message += " L'alerte de cette mesure est close, avec votre motif."
        elif after == Alert.Status.ACKNOWLEDGED:
            message += (" Son alerte, déjà prise en charge, reste en cours : clôturez-la depuis "
                        "les alertes de la personne.")
        messages.success(request, message)
        return _charts_redirect(b, retracted)

    return run_form(
        request, VitalSignRetractForm(request.POST or None,
                                      initial={"version": sign.version}), save,
        template="beneficiaries/vital_sign_change.html",
        context={**_sign_context(b, sign, "Retirer une mesure (saisie erronée)"),
                 "submit_label": "Retirer la mesure", "retract": True},
        on_success=saved, once=True,
    )


@require("vital_threshold.set")
@require_http_methods(["GET", "POST"])
def vital_thresholds_edit(request: HttpRequest, public_id) -> HttpResponse:
    from .models import VitalThresholds
    from .vitals import THRESHOLD_FIELDS, vital_thresholds_set

    b, access = _file(request, public_id)
    _require_health(access)
    current = VitalThresholds.objects.filter(beneficiary=b).first() \
        or VitalThresholds(crt=b.crt, beneficiary=b)
    _audit_form_read(request, b, "seuils d'alerte des constantes",
                     obj=current if current.pk else b)

    def save(data):
        return vital_thresholds_set(
            actor=request.user, beneficiary=b, version=data["version"] or 0,
            **{f: data[f] for _, low, high in THRESHOLD_FIELDS for f in (low, high)})

    charts_url = reverse("beneficiaries:vital_charts", kwargs={"public_id": b.public_id})
    return run_form(
        request, VitalThresholdsForm(request.POST or None, instance=current), save,
        template="core/form_page.html",
        context={"title": "Seuils d'alerte des constantes", "back_url": charts_url,
                 "back_label": "Courbes des constantes",
                 "intro": "Une mesure hors de ces seuils (télésurveillance, partenaire ou "
                          "équipe) crée une alerte pour le cercle de soins et l'astreinte. "
                          "La pression artérielle se surveille sur la systolique."},
        on_success=lambda r: _thresholds_saved(request, b),
    )


def _thresholds_saved(request, b):
    messages.success(request, "Seuils d'alerte enregistrés.")
    return redirect("beneficiaries:vital_charts", public_id=b.public_id)


def _medical_saved(request, b):
    return _medical_recorded(request, b, "Volet médical enregistré.")


def _medical_recorded(request, b, message: str):
    """Back to the medical section, saying what was recorded."""
    messages.success(request, message)
    return redirect("beneficiaries:medical", public_id=b.public_id)


@require("evaluation.record")
@require_http_methods(["GET", "POST"])
def aggir_create(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    _require_health(access)

    def save(data):
        return services.aggir_record(
            actor=request.user, beneficiary=b, evaluated_on=data["evaluated_on"],
            inputs=form.inputs(), notes=data["notes"],
        )

    form = AggirForm(request.POST or None)
    return run_form(
        request, form, save, template="beneficiaries/aggir_form.html",
        context={"b": b},
        on_success=lambda r: _aggir_saved(request, b, r), once=True,
    )


def _aggir_saved(request, b, evaluation):
    messages.success(request, f"Évaluation enregistrée : GIR {evaluation.gir} "
                              f"(rang {evaluation.rang}).")
    return redirect("beneficiaries:medical", public_id=b.public_id)


@require("evaluation.record")
@require_http_methods(["GET", "POST"])
def free_evaluation_create(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    _require_health(access)

    def save(data):
        return services.free_evaluation_record(
            actor=request.user, beneficiary=b, kind=data["kind"],
            evaluated_on=data["evaluated_on"], title=data["title"], findings=data["findings"],
        )

    return run_form(
        request, FreeEvaluationForm(request.POST or None), save,
        template="core/form_page.html",
        context={"title": f"Évaluation — {b.display_name}",
                 "back_url": reverse("beneficiaries:medical", kwargs={"public_id": b.public_id}),
                 "back_label": "Volet médical"},
        on_success=lambda r: _medical_recorded(request, b, "Évaluation enregistrée."),
        once=True,
    )


@require("screening.record")
@require_http_methods(["GET", "POST"])
def icope_create(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    _require_health(access)
    form = IcopeForm(request.POST or None)

    def save(data):
        return services.icope_record(
            actor=request.user, beneficiary=b, screened_on=data["screened_on"],
            answers=form.answers(), notes=data["notes"],
        )

    return run_form(
        request, form, save, template="beneficiaries/icope_form.html", context={"b": b},
        on_success=lambda r: _medical_recorded(request, b, "Repérage ICOPE enregistré."),
        once=True,
    )


@require("document.add")
@require_http_methods(["GET", "POST"])
def document_add(request: HttpRequest, public_id) -> HttpResponse:
    b, access = _file(request, public_id)
    form = DocumentForm(request.POST or None, request.FILES or None, allow_medical=access.health)

    def save(data):
        return services.document_add(
            actor=request.user, beneficiary=b, category=data["category"], title=data["title"],
            document_date=data["document_date"], uploaded_file=data["file"],
            max_bytes=settings.DOCUMENT_MAX_BYTES,
        )

    return run_form(
        request, form, save, template="core/form_page.html",
        context={**_form_context(b, "Ajouter un document"), "submit_label": "Déposer"},
        on_success=lambda r: _saved(request, b, "Document déposé.", "documents"),
        once=True,
    )


@require("beneficiary.view")
@require_GET
def document_download(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b, access = _file(request, public_id)
    doc = get_for_crt(Document.objects.filter(beneficiary=b), request.crt, item_id)
    if doc.is_health_data:
        _require_health(access)
    elif not access.reads_document(doc):
        raise PermissionDenied("Le consentement de la personne ne couvre pas ce document.")
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Le fichier n'est plus disponible.") from exc
    audit_log(actor=request.user, action="document.downloaded", obj=doc, beneficiary=b)
    return file_download(handle, content_type=doc.content_type, filename=doc.original_name)
