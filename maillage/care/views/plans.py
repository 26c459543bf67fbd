"""The services catalogue, each person's basket and personalised plan (PPCS)."""


from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from maillage.beneficiaries.access import file_for_request
from maillage.core.access import require
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.forms_util import posted_version, run_form
from maillage.core.permissions import has_permission
from maillage.core.plurals import count_label
from maillage.core.tenancy import get_for_crt

from .. import selectors, services
from ..access import can_edit_plan, sees_plan_health
from ..forms import (
    ActionForm,
    BasketForm,
    EndForm,
    GoalForm,
    GoalStatusForm,
    PlanTextForm,
    ProblemForm,
    ServiceForm,
)
from ..models import BasketItem, Goal, PlannedAction, Problem, Service

# --- Catalogue -----------------------------------------------------------------------------


@require("catalogue.view")
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(request, "care/catalogue.html", {
        "domains": selectors.catalogue(crt=request.crt),
        "can_manage": has_permission(request.roles, "catalogue.manage"),
    })


@require("catalogue.manage")
@require_POST
def domains_install(request: HttpRequest) -> HttpResponse:
    created = services.domains_install_defaults(actor=request.user, crt=request.crt)
    messages.success(request, count_label(len(created), "domaine installé,domaines installés")
                     + ".")
    return redirect("care:catalogue")


def _service_form(request, service: Service | None) -> HttpResponse:
    form = ServiceForm(request.POST or None, instance=service, crt=request.crt)

    def save(data):
        return services.service_save(
            actor=request.user, crt=request.crt, service=service, version=data["version"],
            **{f: data[f] for f in services.SERVICE_FIELDS})

    def done(result):
        messages.success(request, f"Prestation « {result.name} » enregistrée.")
        return redirect("care:catalogue")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Nouvelle prestation" if service is None
                             else f"Prestation : {service.name}",
                             "back_url": reverse("care:catalogue"),
                             "back_label": "Catalogue des prestations"})


@require("catalogue.manage")
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest) -> HttpResponse:
    return _service_form(request, None)


@require("catalogue.manage")
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, public_id) -> HttpResponse:
    return _service_form(request, get_for_crt(Service, request.crt, public_id))


# --- The person's plan and basket ----------------------------------------------------------


@require("plan.view")
@require_GET
def reviews_due(request: HttpRequest) -> HttpResponse:
    """Every plan to review (the home page shows the first ones), of the people whose plan this
    reader may see (``planning_visible_beneficiaries``: the coordination all of them)."""
    from django.core.paginator import Paginator

    from maillage.beneficiaries.access import planning_visible_beneficiaries

    from ..home import plans_to_review

    visible = planning_visible_beneficiaries(crt=request.crt, user=request.user,
                                             roles=request.roles)
    page = Paginator(plans_to_review(crt=request.crt).filter(plan__beneficiary__in=visible),
                     50).get_page(request.GET.get("page"))
    return render(request, "care/reviews_due.html", {
        "page": page, "today": timezone.localdate()})


def _plan_file(request, public_id, *, edit: bool = False):
    """The person whose plan is shown; ``b.may_edit_plan`` says whether this user writes it
    (``access.can_edit_plan``), required when ``edit``."""
    b, access = file_for_request(request, public_id)
    if not access.planning:
        raise PermissionDenied("Le consentement de la personne ne couvre pas son plan.")
    b.may_edit_plan = can_edit_plan(user=request.user, roles=request.roles, beneficiary=b,
                                    access=access)
    b.plan_health = sees_plan_health(access=access, may_edit_plan=b.may_edit_plan)
    if edit and not b.may_edit_plan:
        raise PermissionDenied("Seuls la coordination et les membres du cercle de soins de la "
                               "personne rédigent son plan.")
    return b


def _pick_url(b) -> str:
    return reverse("care:plan_pick", kwargs={"public_id": b.public_id})


@require("plan.edit")
@require_GET
def plan_pick(request: HttpRequest, public_id) -> HttpResponse:
    """Who may carry out an action of the plan, matching a typed name (htmx fragment, at most
    20): the team members and the directory's professionals."""
    from maillage.core.pickers import picker_response

    _plan_file(request, public_id, edit=True)  # another CRT's person: 404
    return picker_response(request, ActionForm(crt=request.crt), default="staff")


def _plan_url(b, number=None) -> str:
    if number is None:
        return reverse("care:plan", kwargs={"public_id": b.public_id})
    return reverse("care:plan_version", kwargs={"public_id": b.public_id, "number": number})


@require("plan.view")
@require_GET
def plan(request: HttpRequest, public_id) -> HttpResponse:
    b = _plan_file(request, public_id)
    versions = selectors.versions(beneficiary=b)
    current = next((v for v in versions if v.is_validated), None)
    draft = next((v for v in versions if not v.is_validated), None)
    audit_log(actor=request.user, action="care_plan.viewed", obj=b, beneficiary=b)
    return render(request, "care/plan.html", {
        "b": b, "versions": versions, "current": current, "draft": draft,
        "basket": selectors.basket(beneficiary=b),
        "can_edit": b.may_edit_plan,
        # A validated plan leads on to booking its visits (the booking form's own rule:
        # ``visit.plan`` and the file's planning face, which this page already requires).
        "can_plan_visits": current is not None and has_permission(request.roles, "visit.plan"),
    })


@require("plan.view")
@require_GET
def plan_version(request: HttpRequest, public_id, number: int) -> HttpResponse:
    b = _plan_file(request, public_id)
    version = selectors.version_with_items(beneficiary=b, number=number)
    can_edit = b.may_edit_plan and not version.is_validated
    audit_log(actor=request.user, action="care_plan.viewed", obj=version, beneficiary=b)
    in_force = version.is_validated and _in_force(version)
    context = {"b": b, "version": version, "can_edit": can_edit, "in_force": in_force,
               "can_change_goals": in_force and b.may_edit_plan,
               "can_plan_visits": version.is_validated
               and has_permission(request.roles, "visit.plan"),
               "can_mssante": has_permission(request.roles, "mssante.send")}
    if can_edit:
        context.update({
            **_item_forms(request, b),
        })
    return render(request, "care/plan_version.html", context)


def _in_force(version) -> bool:
    """Whether ``version`` is the plan's version in force (``selectors.plans_in_force``)."""
    return selectors.plans_in_force(crt=version.crt_id).filter(pk=version.pk).exists()


@require("plan.edit")
@require_http_methods(["GET", "POST"])
def goal_status(request: HttpRequest, public_id, number: int, item_id) -> HttpResponse:
    """Change a goal's status in the plan in force (date, comment), without a new version."""
    b = _plan_file(request, public_id, edit=True)
    version = selectors.version_with_items(beneficiary=b, number=number)
    goal = get_for_crt(Goal.objects.filter(version=version), request.crt, item_id)
    form = GoalStatusForm(request.POST or None, goal=goal)

    def save(data):
        return services.goal_status_change(
            actor=request.user, goal=goal, new_status=data["new_status"],
            changed_on=data["changed_on"], comment=data["comment"],
            row_version=data["row_version"])

    def done(change):
        messages.success(request, f"Objectif « {goal.description} » : "
                                  f"{change.get_new_status_display().lower()}.")
        return redirect(_plan_url(b, number) + f"#objectif-{goal.public_id}")

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": "Changer l'état d'un objectif",
                             "intro": f"Objectif : « {goal.description} » — état actuel : "
                                      f"{goal.get_status_display().lower()}.",
                             "back_url": _plan_url(b, number),
                             "back_label": f"Plan — version {number}"})


@require("plan.view")
@require_GET
def plan_review(request: HttpRequest, public_id, number: int) -> HttpResponse:
    """The review of a validated version: what happened since its validation, goal by goal
    and service by service, before drafting the next version."""
    b = _plan_file(request, public_id)
    version = selectors.version_with_items(beneficiary=b, number=number)
    if not version.is_validated:
        raise Http404("Seule une version validée se révise.")
    review = selectors.plan_review(version=version, beneficiary=b)
    versions = selectors.versions(beneficiary=b)
    draft = next((v for v in versions if not v.is_validated), None)
    audit_log(actor=request.user, action="care_plan.review_viewed", obj=version,
              beneficiary=b)
    return render(request, "care/plan_review.html", {
        "b": b, "version": version, "review": review, "draft": draft,
        "in_force": _in_force(version),
        "can_edit": b.may_edit_plan,
    })


@require("plan.edit")
@require_POST
def plan_start(request: HttpRequest, public_id) -> HttpResponse:
    b = _plan_file(request, public_id, edit=True)
    try:
        draft = services.careplan_new_version(actor=request.user, beneficiary=b)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_plan_url(b))
    messages.success(request, f"Version {draft.number} ouverte en brouillon.")
    return redirect(_plan_url(b, draft.number))


def _draft(request, public_id, number, *, edit: bool = False):
    b = _plan_file(request, public_id, edit=edit)
    version = selectors.version_with_items(beneficiary=b, number=number)
    return b, version


@require("plan.edit")
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, public_id, number: int) -> HttpResponse:
    b, version = _draft(request, public_id, number, edit=True)
    form = PlanTextForm(request.POST or None, instance=version, crt=request.crt)

    def save(data):
        return services.careplan_update(
            actor=request.user, version=version, row_version=data["version"] or 0,
            **{f: data[f] for f in services.VERSION_TEXT_FIELDS})

    def done(result):
        messages.success(request, "Plan enregistré.")
        return redirect(_plan_url(b, number))

    return run_form(request, form, save, template="core/form_page.html", on_success=done,
                    context={"title": f"Plan de {b.display_name} — version {number}",
                             "back_url": _plan_url(b, number), "back_label": "Plan"})


ITEM_FORMS = {"probleme": ProblemForm, "objectif": GoalForm, "action": ActionForm}
#: The three forms share a page and field names (« description »): the problem's and the
#: goal's get their own ids, so that each label leads to its own field (the action's keep
#: Django's, which its pickers' fragments use).
ITEM_IDS = {"probleme": "id_probleme_%s", "objectif": "id_objectif_%s"}


def _item_forms(request, b) -> dict:
    return {"problem_form": ProblemForm(auto_id=ITEM_IDS["probleme"]),
            "goal_form": GoalForm(auto_id=ITEM_IDS["objectif"]),
            "action_form": ActionForm(crt=request.crt, search_url=_pick_url(b))}
ITEM_MODELS = {"probleme": Problem, "objectif": Goal, "action": PlannedAction}


@require("plan.edit")
@require_POST
def plan_add_item(request: HttpRequest, public_id, number: int, kind: str) -> HttpResponse:
    b, version = _draft(request, public_id, number, edit=True)
    if kind not in ITEM_FORMS:
        raise Http404("Élément inconnu.")
    form_class = ITEM_FORMS[kind]
    form = form_class(request.POST, crt=request.crt, search_url=_pick_url(b)) \
        if kind == "action" else form_class(request.POST, auto_id=ITEM_IDS[kind])
    adders = {
        "probleme": lambda d: services.careplan_add_problem(
            actor=request.user, version=version, description=d["description"]),
        "objectif": lambda d: services.careplan_add_goal(
            actor=request.user, version=version, description=d["description"],
            target_date=d["target_date"], status=d["status"]),
        "action": lambda d: services.careplan_add_action(
            actor=request.user, version=version, domain=d["domain"],
            description=d["description"], service=d["service"], staff=d["staff"],
            professional=d["professional"], frequency=d["frequency"],
            start_date=d["start_date"], end_date=d["end_date"]),
    }
    if form.is_valid():
        try:
            adders[kind](form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "Ajouté au plan.")
            return redirect(_plan_url(b, number))
    context = {"b": b, "version": version, "can_edit": not version.is_validated,
               **_item_forms(request, b)}
    context[{"probleme": "problem_form", "objectif": "goal_form",
             "action": "action_form"}[kind]] = form
    status = 409 if version.is_validated else 400
    return render(request, "care/plan_version.html", context, status=status)


@require("plan.edit")
@require_POST
def plan_remove_item(request: HttpRequest, public_id, number: int, kind: str,
                     item_id) -> HttpResponse:
    b, version = _draft(request, public_id, number, edit=True)
    if kind not in ITEM_MODELS:
        raise Http404("Élément inconnu.")
    item = get_for_crt(ITEM_MODELS[kind].objects.filter(version=version), request.crt, item_id)
    try:
        services.careplan_remove_item(actor=request.user, version=version, item=item)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(_plan_url(b, number))


@require("plan.edit")
@require_POST
def plan_validate(request: HttpRequest, public_id, number: int) -> HttpResponse:
    b, version = _draft(request, public_id, number, edit=True)
    try:
        services.careplan_validate(actor=request.user, version=version,
                                   row_version=posted_version(request))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_plan_url(b, number))
    messages.success(request, f"Version {number} validée : elle ne peut plus être modifiée.")
    return redirect(_plan_url(b))


@require("plan.view")
@require_GET
def plan_diff(request: HttpRequest, public_id) -> HttpResponse:
    b = _plan_file(request, public_id)
    versions = selectors.versions(beneficiary=b)
    try:
        new_n = int(request.GET.get("a") or (versions[0].number if versions else 0))
        default_old = next((v.based_on_id and v.based_on.number for v in versions
                            if v.number == new_n), None)
        old_n = int(request.GET.get("de") or default_old or 0)
    except ValueError as exc:
        raise Http404("Versions à comparer invalides.") from exc
    if not old_n:
        return render(request, "care/plan_diff.html", {"b": b, "nothing": True})
    old = selectors.version_with_items(beneficiary=b, number=old_n)
    new = selectors.version_with_items(beneficiary=b, number=new_n)
    audit_log(actor=request.user, action="care_plan.compared", obj=new, beneficiary=b)
    return render(request, "care/plan_diff.html", {
        "b": b, "old": old, "new": new, "diff": services.careplan_diff(old, new)})


@require("plan.view")
@require_GET
def plan_pdf(request: HttpRequest, public_id, number: int) -> HttpResponse:
    from ..printing import plan_pdf as render_plan_pdf

    b = _plan_file(request, public_id)
    version = selectors.version_with_items(beneficiary=b, number=number)
    content = render_plan_pdf(b, version, crt=request.crt)
    audit_log(actor=request.user, action="care_plan.printed", obj=version, beneficiary=b)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="plan-personnalise-v{version.number}.pdf"')
    response["Cache-Control"] = "private, no-store"
    return response


@require("plan.edit")
@require_http_methods(["GET", "POST"])
def basket_add(request: HttpRequest, public_id) -> HttpResponse:
    b = _plan_file(request, public_id, edit=True)

    def save(data):
        return services.basket_add(actor=request.user, beneficiary=b, service=data["service"],
                                   start_date=data["start_date"], notes=data["notes"])

    def done(item):
        messages.success(request, f"« {item.service.name} » ajoutée au panier.")
        return redirect(_plan_url(b))

    return run_form(request, BasketForm(request.POST or None, crt=request.crt), save,
                    template="core/form_page.html", on_success=done,
                    context={"title": f"Panier de prestations — {b.display_name}",
                             "back_url": _plan_url(b), "back_label": "Plan et prestations"})


@require("plan.edit")
@require_http_methods(["GET", "POST"])
def basket_end(request: HttpRequest, public_id, item_id) -> HttpResponse:
    b = _plan_file(request, public_id, edit=True)
    item = get_for_crt(BasketItem.objects.filter(beneficiary=b).select_related("service"),
                       request.crt, item_id)

    def save(data):
        return services.basket_end(actor=request.user, item=item, end_date=data["end_date"],
                                   version=data["version"])

    def done(result):
        messages.success(request, f"« {item.service.name} » retirée du panier.")
        return redirect(_plan_url(b))

    return run_form(request, EndForm(request.POST or None, initial={"version": item.version}),
                    save, template="core/form_page.html", on_success=done,
                    context={"title": f"Arrêter : {item.service.name}",
                             "back_url": _plan_url(b), "back_label": "Plan et prestations"})
