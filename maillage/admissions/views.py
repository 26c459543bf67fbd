"""Referrals (internal and public), their review, the waiting list."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from maillage.core.access import public, require
from maillage.core.audit import audit_log, client_ip
from maillage.core.forms_util import run_form
from maillage.core.models import Crt
from maillage.core.permissions import has_permission
from maillage.core.ratelimit import allow
from maillage.core.tenancy import get_for_crt
from maillage.territory import selectors as territory_selectors

from . import selectors, services
from .eligibility import eligibility_checks, priority
from .forms import DecisionForm, NextStepForm, PublicReferralForm, ReferralForm
from .models import Referral

PUBLIC_LIMIT = 5  # public referrals per address and CRT per hour


@require("referral.view")
@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("statut", Referral.Status.RECEIVED)
    if status not in Referral.Status.values:
        status = Referral.Status.RECEIVED
    page = Paginator(selectors.referrals(crt=request.crt, status=status), 50).get_page(
        request.GET.get("page"))
    return render(request, "admissions/referral_list.html", {
        "page": page, "status": status, "statuses": Referral.Status.choices,
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


@require("referral.view")
@require_http_methods(["GET", "POST"])
def referral_detail(request: HttpRequest, public_id) -> HttpResponse:
    referral = get_for_crt(
        Referral.objects.select_related("person_commune", "referrer_organization",
                                        "referrer_professional", "decided_by",
                                        "redirected_to", "next_step_owner", "beneficiary"),
        request.crt, public_id,
    )
    can_review = has_permission(request.roles, "referral.review")
    decision_form = next_step_form = None
    status = 200
    if referral.status == Referral.Status.RECEIVED and can_review:
        decision_form = DecisionForm(
            request.POST if request.POST.get("form") == "decision" else None,
            crt=request.crt, initial={"version": referral.version})
    if referral.status == Referral.Status.WAITING and can_review:
        next_step_form = NextStepForm(
            request.POST if request.POST.get("form") == "next_step" else None,
            crt=request.crt, initial={"version": referral.version,
                                      "next_step": referral.next_step,
                                      "next_step_owner": referral.next_step_owner})
    if request.method == "POST":
        form = decision_form if request.POST.get("form") == "decision" else next_step_form
        if form is None:
            return render(request, "403.html", status=403)

        def save(data):
            if form is decision_form:
                return services.referral_decide(
                    actor=request.user, referral=referral, version=data["version"],
                    decision=data["decision"], reason=data["reason"],
                    redirected_to=data["redirected_to"], override=data["override"],
                    next_step=data["next_step"], next_step_owner=data["next_step_owner"],
                )
            return services.referral_set_next_step(
                actor=request.user, referral=referral, version=data["version"],
                next_step=data["next_step"], next_step_owner=data["next_step_owner"],
            )

        def done(result):
            messages.success(request, f"Demande : {result.get_status_display().lower()}.")
            return redirect("admissions:referral_detail", public_id=referral.public_id)

        response = run_form(request, form, save, template="admissions/referral_detail.html",
                            on_success=done, context=_detail_context(request, referral,
                                                                     decision_form,
                                                                     next_step_form))
        return response
    audit_log(actor=request.user, action="referral.viewed", obj=referral,
              beneficiary=referral.beneficiary)
    return render(request, "admissions/referral_detail.html",
                  _detail_context(request, referral, decision_form, next_step_form),
                  status=status)


def _detail_context(request, referral, decision_form, next_step_form) -> dict:
    return {
        "referral": referral,
        "checks": eligibility_checks(referral),
        "priority": priority(referral),
        "possible_files": services.possible_files(referral),
        "possible_referrals": services.possible_referrals(referral),
        "decision_form": decision_form,
        "next_step_form": next_step_form,
    }


@require("referral.view")
@require_GET
def waiting_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.waiting_list(crt=request.crt)
    return render(request, "admissions/waiting_list.html", {
        "rows": rows,
        "file_active": selectors.file_active_count(crt=request.crt),
        "target": request.crt.file_active_target,
    })


@public
@require_http_methods(["GET", "POST"])
def public_referral(request: HttpRequest, crt_id) -> HttpResponse:
    crt = get_object_or_404(Crt, public_id=crt_id, is_active=True)
    form = PublicReferralForm(request.POST or None)
    if request.method == "POST":
        ip = client_ip(request) or "inconnue"
        if not allow(f"public-referral:{crt.pk}:{ip}", limit=PUBLIC_LIMIT, window_seconds=3600):
            return render(request, "admissions/public_referral.html",
                          {"crt": crt, "form": form, "flooded": True}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            if data["website"]:  # a robot: pretend success, keep nothing
                return redirect("admissions:public_referral_thanks", crt_id=crt.public_id)
            org_name = data["referrer_organization_name"].strip()
            services.referral_create(
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
            return redirect("admissions:public_referral_thanks", crt_id=crt.public_id)
        return render(request, "admissions/public_referral.html", {"crt": crt, "form": form},
                      status=400)
    return render(request, "admissions/public_referral.html", {"crt": crt, "form": form})


@public
@require_GET
def public_referral_thanks(request: HttpRequest, crt_id) -> HttpResponse:
    crt = get_object_or_404(Crt, public_id=crt_id, is_active=True)
    return render(request, "admissions/public_referral_thanks.html", {"crt": crt})
