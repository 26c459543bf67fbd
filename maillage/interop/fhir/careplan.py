"""CarePlan (base R4: FR Core has no CarePlan profile): the personalised plan (PPCS), one
CarePlan per version of a person's plan — the draft in preparation (``draft``), the version in
force (``active``: the latest validated one) and the versions it replaced (``revoked``: FHIR's
« terminated prior to completion, possibly replaced by a new plan »). Goals and problems travel
as contained Goal and Condition resources; the planned actions as ``activity.detail``. Read
through the plan's policy (``care.access.care_plans_visible``: the planning face, as the plan's
pages), audited like a screen read of the plan."""

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from maillage.care.access import care_plans_visible, plan_health_visible
from maillage.care.models import CarePlanVersion, Goal, PlannedAction
from maillage.core.permissions import Perm

from .resource import ResourceType, audited_reads
from .search import (
    LOCAL_SYSTEM,
    NOTHING,
    SearchParam,
    date_q,
    last_updated,
    reference_q,
    split_token,
)

GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
#: Goal status → (FHIR lifecycleStatus, achievementStatus code or None).
GOAL_STATUS = {
    Goal.Status.PLANNED: ("planned", None),
    Goal.Status.IN_PROGRESS: ("active", "in-progress"),
    Goal.Status.ACHIEVED: ("completed", "achieved"),
    Goal.Status.PARTIALLY_ACHIEVED: ("completed", None),
    Goal.Status.ABANDONED: ("cancelled", None),
}


def _later_validated():
    return CarePlanVersion.objects.filter(
        plan=OuterRef("plan"), status=CarePlanVersion.Status.VALIDATED,
        number__gt=OuterRef("number"))


def plan_status(v: CarePlanVersion) -> str:
    if not v.is_validated:
        return "draft"
    return "revoked" if v.is_replaced else "active"


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _action_status(action: PlannedAction, status: str, today) -> str:
    if status == "draft":
        return "not-started"
    if action.end_date and action.end_date < today:
        return "completed"
    if status == "revoked":
        return "stopped"
    if action.start_date and action.start_date > today:
        return "scheduled"
    return "in-progress"


def _activity(action: PlannedAction, status: str, today) -> dict:
    detail = {
        "code": {"text": action.description},
        "status": _action_status(action, status, today),
        "description": " — ".join(
            part for part in (action.domain.name,
                              action.service.name if action.service_id else "") if part),
    }
    timing = {}
    bounds = {k: d.isoformat() for k, d in (("start", action.start_date),
                                            ("end", action.end_date)) if d}
    if bounds:
        timing["repeat"] = {"boundsPeriod": bounds}
    if action.frequency:
        timing["code"] = {"text": action.frequency}
    if timing:
        detail["scheduledTiming"] = timing
    who = action.who if not action.staff_id else _person(action.staff)
    if who and who != "—":
        detail["performer"] = [{"display": who}]
    return {"detail": detail}


def _goal(goal: Goal, index: int, subject: dict) -> dict:
    lifecycle, achievement = GOAL_STATUS[goal.status]
    resource = {
        "resourceType": "Goal",
        "id": f"objectif{index}",
        "lifecycleStatus": lifecycle,
        "description": {"text": goal.description},
        "subject": subject,
    }
    if achievement:
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT, "code": achievement}],
            "text": goal.get_status_display()}
    else:
        resource["achievementStatus"] = {"text": goal.get_status_display()}
    if goal.target_date:
        resource["target"] = [{"dueDate": goal.target_date.isoformat()}]
    return resource


def serialize(v: CarePlanVersion, base_url: str = "") -> dict:
    status = plan_status(v)
    today = timezone.localdate()
    subject = {"reference": f"Patient/{v.plan.beneficiary.public_id}"}
    # The problems are health data: for whoever reads them (``care.access.plan_health_visible``,
    # annotated by ``queryset``).
    problems = [{"resourceType": "Condition", "id": f"probleme{i}",
                 "code": {"text": p.description}, "subject": subject}
                for i, p in enumerate(v.problems.all(), 1)] \
        if getattr(v, "plan_health", False) else []
    goals = [_goal(g, i, subject) for i, g in enumerate(v.goals.all(), 1)]
    resource = {
        "resourceType": "CarePlan",
        "id": str(v.public_id),
        "meta": {"versionId": str(v.version), "lastUpdated": v.updated_at.isoformat()},
        "identifier": [{"use": "usual", "system": LOCAL_SYSTEM,
                        "value": f"urn:uuid:{v.public_id}"}],
        "status": status,
        "intent": "plan",
        "category": [{"text": "Plan personnalisé de coordination en santé (PPCS)"}],
        "title": f"Plan personnalisé — version {v.number}",
        "subject": subject,
        "created": v.created_at.isoformat(),
    }
    if v.based_on_id:
        resource["replaces"] = [{"reference": f"CarePlan/{v.based_on.public_id}"}]
    if v.situation_summary:
        resource["description"] = v.situation_summary
    if v.validated_at:
        period = {"start": v.validated_at.isoformat()}
        if v.replaced_at:
            period["end"] = v.replaced_at.isoformat()
        resource["period"] = period
    if v.referent_id:
        resource["author"] = {"display": _person(v.referent)}
    if problems or goals:
        resource["contained"] = problems + goals
    if problems:
        resource["addresses"] = [{"reference": f"#{p['id']}"} for p in problems]
    if goals:
        resource["goal"] = [{"reference": f"#{g['id']}"} for g in goals]
    activities = [_activity(a, status, today) for a in v.actions.all()]
    if activities:
        resource["activity"] = activities
    notes = [{"text": f"{label} : {text}"} for label, text in (
        ("Souhaits et attentes de la personne", v.wishes), ("Projet de vie", v.life_project))
        if text]
    if notes:
        resource["note"] = notes
    return resource


def queryset(request):
    """The plan versions this requester may read (``care_plans_visible``), with everything a
    page of them shows in a fixed number of queries."""
    health = plan_health_visible(crt=request.crt, user=request.user, roles=request.roles)
    return (
        care_plans_visible(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("plan__beneficiary", "referent", "based_on")
        .annotate(plan_health=Case(When(plan__beneficiary__in=health.values("pk"),
                                        then=Value(True)),
                                   default=Value(False), output_field=BooleanField()))
        .annotate(is_replaced=Exists(_later_validated()), replaced_at=Subquery(
            _later_validated().order_by("number").values("validated_at")[:1]))
        .prefetch_related(
            "problems", "goals",
            Prefetch("actions", queryset=PlannedAction.objects.select_related(
                "domain", "service", "staff", "professional")))
    )


def status_q(value: str) -> Q:
    _, code = split_token(value)
    validated = Q(status=CarePlanVersion.Status.VALIDATED)
    later = Exists(_later_validated())
    if code == "draft":
        return Q(status=CarePlanVersion.Status.DRAFT)
    if code == "active":
        return validated & ~Q(later)
    if code == "revoked":
        return validated & Q(later)
    return NOTHING  # a status no plan has: nothing matches


CAREPLAN = ResourceType(
    type="CarePlan",
    permission=Perm.PLAN_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.careplan_read", beneficiary=lambda v: v.plan.beneficiary,
                            details=lambda v: {"version": v.number}),
    documentation=(
        "Plan personnalisé (PPCS) des personnes dont le compte du jeton voit le planning "
        "(même règle que les pages du plan, consentement compris) : une ressource par version "
        "— brouillon (draft), version en vigueur (active), versions remplacées (revoked). "
        "Objectifs (Goal) et problèmes (Condition) contenus ; actions prévues dans "
        "activity.detail. Pas de profil FR Core pour CarePlan : FHIR R4 de base."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id>.",
                    reference_q("plan__beneficiary", "patient"),
                    "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        SearchParam("date", "date",
                    "Date et heure de validation de la version (début de sa période ; "
                    "préfixes eq, ne, lt, gt, le, ge). Un brouillon n'a pas de date.",
                    date_q("validated_at", "date", is_datetime=True),
                    "http://hl7.org/fhir/SearchParameter/clinical-date"),
        SearchParam("status", "token", "draft, active (version en vigueur) ou revoked "
                    "(version remplacée).", status_q,
                    "http://hl7.org/fhir/SearchParameter/CarePlan-status"),
        last_updated(),
    ),
)
