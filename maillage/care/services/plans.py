"""Writes of the catalogue, the baskets and the personalised plans (PPCS)."""

import calendar
from datetime import date

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.services import timeline_add
from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import Crt
from maillage.core.selectors import is_team_member
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from ..models import (
    DEFAULT_DOMAINS,
    BasketItem,
    CarePlan,
    CarePlanVersion,
    Domain,
    Goal,
    GoalStatusChange,
    PlannedAction,
    Problem,
    Service,
)

SERVICE_FIELDS = ("domain", "name", "description", "funding", "price", "price_unit", "funder",
                  "provider", "qualification", "is_active")
VERSION_TEXT_FIELDS = ("situation_summary", "wishes", "life_project", "referent",
                       "next_review_on")


@transaction.atomic
def domains_install_defaults(*, actor, crt: Crt) -> list[Domain]:
    created = []
    for position, (code, name, description, active) in enumerate(DEFAULT_DOMAINS, start=1):
        domain, was_created = Domain.objects.get_or_create(
            crt=crt, code=code,
            defaults={"name": name, "description": description, "position": position,
                      "is_active": active, "created_by": actor, "updated_by": actor},
        )
        if was_created:
            created.append(domain)
    if created:
        audit_log(actor=actor, action="domains.installed", crt=crt,
                  details={"domaines": [d.name for d in created]})
    return created


def _check_service(service: Service) -> None:
    # The funding rules first: their messages say what to do, the constraints only refuse.
    if service.funding == Service.Funding.FORFAIT:
        if service.price is not None:
            raise DomainError("Une prestation du socle est gratuite pour la personne : aucun "
                              "prix ne peut lui être demandé.", field="price")
        service.funder = ""
    elif service.funding == Service.Funding.BENEFICIARY:
        if service.price is None:
            raise DomainError("Indiquez le prix d'une prestation optionnelle.", field="price")
        service.funder = ""
    elif service.funding == Service.Funding.COMMON_LAW:
        if not service.funder:
            raise DomainError("Indiquez le financeur de cette prestation de droit commun.",
                              field="funder")
        if service.price is not None:
            raise DomainError("Une prestation de droit commun est payée par son financeur : "
                              "ne mettez pas de prix pour la personne ici.", field="price")
    validate(service, exclude=["crt", "domain", "provider", "created_by", "updated_by"])
    if service.domain.crt_id != service.crt_id:
        raise DomainError("Domaine inconnu.", field="domain")
    if service.provider_id and service.provider.crt_id != service.crt_id:
        raise DomainError("Structure inconnue.", field="provider")


@transaction.atomic
def service_save(*, actor, crt: Crt, service: Service | None = None,
                 version: int | None = None, **fields) -> Service:
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    creating = service is None
    if creating:
        service = Service(crt=crt, created_by=actor)
    before = snapshot(service, SERVICE_FIELDS) if not creating else {}
    for field, value in fields.items():
        setattr(service, field, value)
    service.updated_by = actor
    _check_service(service)
    if creating:
        service.save()
        audit_log(actor=actor, action="service.created", obj=service)
    else:
        save_versioned(service, actor=actor, version=version or 0, fields=SERVICE_FIELDS)
        audit_log(actor=actor, action="service.updated", obj=service,
                  details=changes(before, service))
    return service


@transaction.atomic
def basket_add(*, actor, beneficiary: Beneficiary, service: Service, start_date: date,
               notes: str = "") -> BasketItem:
    if service.crt_id != beneficiary.crt_id or not service.is_active:
        raise DomainError("Prestation inconnue ou inactive.", field="service")
    if BasketItem.objects.filter(beneficiary=beneficiary, service=service,
                                 end_date__isnull=True).exists():
        raise DomainError("Cette prestation est déjà dans le panier.", field="service")
    item = BasketItem.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, service=service, start_date=start_date,
        notes=notes, created_by=actor, updated_by=actor)
    audit_log(actor=actor, action="basket.added", obj=item, beneficiary=beneficiary)
    timeline_add(beneficiary=beneficiary, kind="basket.added", actor=actor,
                 title=f"Prestation ajoutée : {service.name}")
    return item


@transaction.atomic
def basket_end(*, actor, item: BasketItem, end_date: date, version: int) -> BasketItem:
    if end_date < item.start_date:
        raise DomainError("La date de fin précède la date de début.", field="end_date")
    item.end_date = end_date
    save_versioned(item, actor=actor, version=version, fields=["end_date"])
    audit_log(actor=actor, action="basket.ended", obj=item, beneficiary=item.beneficiary)
    return item


# --- Personalised plan ---------------------------------------------------------------------


def _draft(version: CarePlanVersion) -> None:
    if version.is_validated:
        raise DomainError("Une version validée ne peut plus être modifiée : créez une nouvelle "
                          "version.", code="conflict")


def _admission_referent(beneficiary: Beneficiary):
    """The referent chosen at the person's admission (their stay in the file active), if they
    are still a member of the CRT's team; else None."""
    from maillage.admissions.models import Enrolment

    enrolment = (Enrolment.objects.filter(beneficiary=beneficiary, ended_on__isnull=True)
                 .select_related("referent").order_by("-admitted_on").first())
    if enrolment is None or not is_team_member(enrolment.referent, beneficiary.crt):
        return None
    return enrolment.referent


def careplan_drafts_take_referent(*, actor, beneficiary: Beneficiary) -> int:
    """At the person's admission: a plan drafted before it, still without a referent, gets the
    referent chosen at admission, as a draft started after it does (``careplan_new_version``).
    A referent already written is kept. In the admission's transaction; returns how many
    drafts were given one."""
    referent = _admission_referent(beneficiary)
    if referent is None:
        return 0
    drafts = list(CarePlanVersion.objects.filter(
        plan__beneficiary=beneficiary, status=CarePlanVersion.Status.DRAFT,
        referent__isnull=True))
    for draft in drafts:
        draft.referent = referent
        save_versioned(draft, actor=actor, version=draft.version, fields=["referent"])
        audit_log(actor=actor, action="care_plan.updated", obj=draft, beneficiary=beneficiary,
                  details={"référent PPCS": "celui choisi à l'admission"})
    return len(drafts)


@transaction.atomic
def careplan_new_version(*, actor, beneficiary: Beneficiary) -> CarePlanVersion:
    """A new draft: the first one, or a copy of the latest validated version. The first one's
    referent is the person's referent chosen at admission (``Enrolment.referent`` of the stay
    in the file active), while they are still in the team."""
    plan, _ = CarePlan.objects.get_or_create(
        crt=beneficiary.crt, beneficiary=beneficiary,
        defaults={"created_by": actor, "updated_by": actor})
    versions = plan.versions.all()
    if versions.filter(status=CarePlanVersion.Status.DRAFT).exists():
        raise DomainError("Une version est déjà en cours de rédaction.", code="conflict")
    previous = versions.filter(status=CarePlanVersion.Status.VALIDATED).order_by(
        "-number").first()
    number = (versions.aggregate(n=Max("number"))["n"] or 0) + 1
    # The review date is not carried over: the new version is the review, and validating it
    # sets the next one (``careplan_validate``).
    draft = CarePlanVersion.objects.create(
        crt=plan.crt, plan=plan, number=number, based_on=previous, created_by=actor,
        updated_by=actor,
        **({f: getattr(previous, f) for f in VERSION_TEXT_FIELDS if f != "next_review_on"}
           if previous else {"referent": _admission_referent(beneficiary)}),
    )
    if previous:
        for p in previous.problems.all():
            Problem.objects.create(crt=plan.crt, version=draft, description=p.description,
                                   position=p.position)
        for g in previous.goals.prefetch_related("status_changes"):
            copy = Goal.objects.create(crt=plan.crt, version=draft, description=g.description,
                                       target_date=g.target_date, status=g.status,
                                       position=g.position)
            # The goal's history goes with it: the new version still tells how it evolved.
            GoalStatusChange.objects.bulk_create([
                GoalStatusChange(
                    crt=plan.crt, goal=copy, old_status=c.old_status, new_status=c.new_status,
                    changed_on=c.changed_on, comment=c.comment, changed_by_id=c.changed_by_id,
                    changed_at=c.changed_at, created_by=actor, updated_by=actor)
                for c in g.status_changes.all()
            ])
        for a in previous.actions.all():
            PlannedAction.objects.create(
                crt=plan.crt, version=draft, domain=a.domain, service=a.service,
                description=a.description, staff=a.staff, professional=a.professional,
                frequency=a.frequency, start_date=a.start_date, end_date=a.end_date,
                position=a.position)
    audit_log(actor=actor, action="care_plan.version_started", obj=draft,
              beneficiary=beneficiary, details={"version": number})
    return draft


@transaction.atomic
def careplan_update(*, actor, version: CarePlanVersion, row_version: int, **fields):
    _draft(version)
    unknown = set(fields) - set(VERSION_TEXT_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    for field, value in fields.items():
        setattr(version, field, value)
    referent = version.referent
    if referent is not None and not is_team_member(referent, version.crt):
        raise DomainError("Le référent doit être membre de l'équipe du CRT.", field="referent")
    if "next_review_on" in fields:
        _check_review_date(version.next_review_on)
    save_versioned(version, actor=actor, version=row_version, fields=VERSION_TEXT_FIELDS)
    audit_log(actor=actor, action="care_plan.updated", obj=version,
              beneficiary=version.plan.beneficiary)
    return version


@transaction.atomic
def careplan_add_problem(*, actor, version: CarePlanVersion, description: str) -> Problem:
    _draft(version)
    if not description.strip():
        raise DomainError("Décrivez le problème.", field="description")
    return Problem.objects.create(crt=version.crt, version=version,
                                  description=description.strip(),
                                  position=version.problems.count())


#: How far ahead a goal's target date may be: the plan is reviewed at least every year.
GOAL_HORIZON_YEARS = 3


def _check_goal_target(target_date: date | None) -> None:
    """A new goal's target date: from today to ``GOAL_HORIZON_YEARS`` years ahead (a goal
    due in the past is not a goal; goals copied into a new version keep theirs)."""
    if target_date is None:
        return
    today = timezone.localdate()
    if target_date < today:
        raise DomainError("L'échéance d'un nouvel objectif ne peut pas être passée : indiquez "
                          f"une date à partir d'aujourd'hui ({today:%d/%m/%Y}).",
                          field="target_date")
    if target_date.year > today.year + GOAL_HORIZON_YEARS:
        raise DomainError(f"Échéance trop lointaine : le plan est réévalué au moins chaque "
                          f"année, indiquez une date avant {today.year + GOAL_HORIZON_YEARS + 1}.",
                          field="target_date")


@transaction.atomic
def careplan_add_goal(*, actor, version: CarePlanVersion, description: str,
                      target_date: date | None = None, status: str = Goal.Status.PLANNED):
    _draft(version)
    if not description.strip():
        raise DomainError("Décrivez l'objectif.", field="description")
    _check_goal_target(target_date)
    return Goal.objects.create(crt=version.crt, version=version, description=description.strip(),
                               target_date=target_date, status=status,
                               position=version.goals.count())


@transaction.atomic
def careplan_add_action(*, actor, version: CarePlanVersion, domain: Domain, description: str,
                        service=None, staff=None, professional=None, frequency: str = "",
                        start_date: date | None = None,
                        end_date: date | None = None) -> PlannedAction:
    _draft(version)
    if not description.strip():
        raise DomainError("Décrivez l'action.", field="description")
    if staff is not None and professional is not None:
        raise DomainError("Une action est confiée à un membre de l'équipe ou à un "
                          "professionnel partenaire, pas aux deux.", field="professional")
    for obj, field in ((domain, "domain"), (service, "service"), (professional, "professional")):
        if obj is not None and obj.crt_id != version.crt_id:
            raise DomainError("Élément inconnu.", field=field)
    if staff is not None and not is_team_member(staff, version.crt):
        raise DomainError("Cette personne n'est pas membre de l'équipe du CRT.", field="staff")
    if start_date and end_date and end_date < start_date:
        raise DomainError("La fin précède le début.", field="end_date")
    return PlannedAction.objects.create(
        crt=version.crt, version=version, domain=domain, service=service,
        description=description.strip(), staff=staff, professional=professional,
        frequency=frequency.strip(), start_date=start_date, end_date=end_date,
        position=version.actions.count())


@transaction.atomic
def careplan_remove_item(*, actor, version: CarePlanVersion, item) -> None:
    _draft(version)
    if item.version_id != version.pk:
        raise DomainError("Élément inconnu.")
    item.delete()


@transaction.atomic
def careplan_validate(*, actor, version: CarePlanVersion, row_version: int) -> CarePlanVersion:
    _draft(version)
    missing = []
    if not version.situation_summary.strip():
        missing.append("la synthèse de la situation")
    if not version.goals.exists():
        missing.append("au moins un objectif")
    if not version.actions.exists():
        missing.append("au moins une action")
    if version.referent_id is None:
        missing.append("le référent")
    if missing:
        raise DomainError("Avant de valider, renseignez " + ", ".join(missing) + ".")
    _check_review_date(version.next_review_on)  # chosen on a day since past
    version.status = CarePlanVersion.Status.VALIDATED
    version.validated_at, version.validated_by = timezone.now(), actor
    # The next review: the CRT's delay after validation, unless an earlier date was chosen.
    default_review = add_months(timezone.localdate(version.validated_at),
                                version.crt.plan_review_months)
    if version.next_review_on is None or version.next_review_on > default_review:
        version.next_review_on = default_review
    save_versioned(version, actor=actor, version=row_version,
                   fields=["status", "validated_at", "validated_by", "next_review_on"])
    b = version.plan.beneficiary
    audit_log(actor=actor, action="care_plan.validated", obj=version, beneficiary=b,
              details={"version": version.number,
                       "prochaine révision": f"{version.next_review_on:%d/%m/%Y}"})
    timeline_add(beneficiary=b, kind="care_plan.validated", actor=actor,
                 title=f"Plan personnalisé validé (version {version.number}), prochaine "
                       f"révision le {version.next_review_on:%d/%m/%Y}")
    return version


def _check_review_date(day: date | None) -> None:
    """A plan's next review is today or later: a plan validated with a past review date would
    be overdue the moment it is in force."""
    if day is not None and day < timezone.localdate():
        raise DomainError(f"La prochaine révision ({day:%d/%m/%Y}) est passée : choisissez "
                          "aujourd'hui ou une date à venir, ou laissez vide pour le délai du "
                          "CRT.", field="next_review_on")


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


#: The statuses a goal may be moved to during the plan's life, and those that need a word.
GOAL_STATUS_TARGETS = [s for s in Goal.Status if s != Goal.Status.PLANNED]
GOAL_STATUS_NEEDS_COMMENT = {Goal.Status.ABANDONED, Goal.Status.PARTIALLY_ACHIEVED}


@transaction.atomic
def goal_status_change(*, actor, goal: Goal, new_status: str, changed_on: date,
                       comment: str = "", row_version: int) -> GoalStatusChange:
    """Change a goal's status in the plan in force, without a new version: the change is kept
    in the goal's history (date, comment, who), the file's timeline and the audit trail."""
    version = goal.version
    if not version.is_validated:
        raise DomainError("Dans un brouillon, l'état se choisit avec l'objectif : changez "
                          "l'état ici une fois le plan validé.", field="new_status")
    in_force = (CarePlanVersion.objects.filter(plan_id=version.plan_id,
                                               status=CarePlanVersion.Status.VALIDATED)
                .order_by("-number").values_list("number", flat=True).first())
    if in_force != version.number:
        raise DomainError("Cette version n'est plus celle en vigueur : changez l'état de "
                          "l'objectif dans la dernière version du plan.", field="new_status",
                          code="conflict")
    if new_status not in GOAL_STATUS_TARGETS:
        raise DomainError("Choisissez le nouvel état de l'objectif.", field="new_status")
    if new_status == goal.status:
        raise DomainError(f"L'objectif est déjà « {goal.get_status_display().lower()} ».",
                          field="new_status")
    today = timezone.localdate()
    if changed_on > today:
        raise DomainError("La date ne peut pas être dans le futur.", field="changed_on")
    validated_on = timezone.localdate(version.validated_at)
    if changed_on < validated_on:
        raise DomainError(f"La date précède la validation du plan (le "
                          f"{validated_on:%d/%m/%Y}).", field="changed_on")
    last = goal.status_changes.order_by("-changed_on").values_list("changed_on",
                                                                   flat=True).first()
    if last and changed_on < last:
        raise DomainError(f"La date précède le dernier changement d'état de cet objectif (le "
                          f"{last:%d/%m/%Y}).", field="changed_on")
    comment = comment.strip()
    if new_status in GOAL_STATUS_NEEDS_COMMENT and not comment:
        label = Goal.Status(new_status).label.lower()
        raise DomainError(f"Expliquez en quelques mots pourquoi l'objectif est « {label} ».",
                          field="comment")
    old_status = goal.status
    updated = Goal.objects.filter(pk=goal.pk, row_version=row_version, status=old_status).update(
        status=new_status, row_version=F("row_version") + 1, updated_by=actor,
        updated_at=timezone.now())
    if updated != 1:
        raise ConflictError("L'état de cet objectif a été changé par quelqu'un d'autre pendant "
                            "que vous le modifiiez. Rechargez la page pour voir son état actuel.")
    goal.status, goal.row_version = new_status, row_version + 1
    change = GoalStatusChange.objects.create(
        crt=goal.crt, goal=goal, old_status=old_status, new_status=new_status,
        changed_on=changed_on, comment=comment, changed_by=actor, created_by=actor,
        updated_by=actor)
    b = version.plan.beneficiary
    old_label, new_label = Goal.Status(old_status).label, Goal.Status(new_status).label
    audit_log(actor=actor, action="care_plan.goal_status_changed", obj=goal, beneficiary=b,
              details={"version": version.number, "avant": old_label, "après": new_label,
                       "date": f"{changed_on:%d/%m/%Y}"})
    timeline_add(beneficiary=b, kind="care_plan.goal_status_changed", actor=actor,
                 title=f"Objectif du plan « {goal.description} » : {new_label.lower()} "
                       f"(le {changed_on:%d/%m/%Y})")
    return change


def careplan_review_reminders(*, today: date | None = None) -> int:
    """The periodic job: tell the referent and the coordination of each plan in force whose
    review is due (review date reached) — once per review date, so running it again sends
    nothing new; a review date moved since is reminded again when it comes. Returns how many
    plans were reminded."""
    from django.urls import reverse

    from maillage.beneficiaries.access import users_with_access
    from maillage.core.models import Membership
    from maillage.core.notifications import notify
    from maillage.core.roles import Role

    from ..selectors import plans_in_force

    today = today or timezone.localdate()
    due = (plans_in_force().filter(next_review_on__lte=today)
           .exclude(review_reminded_for=F("next_review_on"))
           .select_related("crt", "plan__beneficiary", "referent"))
    coordinators: dict[int, list] = {}
    reminded = 0
    for version in due:
        with transaction.atomic():
            # Mark first, conditionally: two runs at once remind once.
            if not CarePlanVersion.objects.filter(
                    pk=version.pk, next_review_on=version.next_review_on).exclude(
                    review_reminded_for=version.next_review_on).update(
                    review_reminded_for=version.next_review_on):
                continue
            b = version.plan.beneficiary
            if version.crt_id not in coordinators:
                coordinators[version.crt_id] = [m.user for m in Membership.objects.filter(
                    crt_id=version.crt_id, is_active=True, roles__role=Role.COORDINATOR)
                    .select_related("user")]
            recipients = users_with_access(
                "planning", beneficiary=b,
                users=coordinators[version.crt_id] + [version.referent])
            notify(crt=version.crt, users=recipients,
                   text=f"Révision du plan de {b.display_name} à faire (prévue le "
                        f"{version.next_review_on:%d/%m/%Y}).",
                   url=reverse("care:plan_review", kwargs={"public_id": b.public_id,
                                                           "number": version.number}),
                   beneficiary=b, face="planning")
            reminded += 1
    return reminded


@transaction.atomic
def plan_review_request(*, actor, beneficiary: Beneficiary, due_on: date,
                        reason: str) -> CarePlanVersion | None:
    """Ask the coordination to review the person's plan by ``due_on`` (a return from
    hospital…): the latest validated version's next review moves to ``min(current, due_on)``,
    so it shows among the plans to review; the file's timeline records it and the
    coordinators and the plan's referent who may read the planning are told. ``None`` when
    the person has no validated plan yet (nothing to review)."""
    from django.urls import reverse

    from maillage.beneficiaries.access import users_with_access
    from maillage.core.models import Membership
    from maillage.core.notifications import notify
    from maillage.core.roles import Role

    # The version in force now: one validated later (a replayed history, as the demo's)
    # never takes a request made before it.
    version = (CarePlanVersion.objects.select_for_update()
               .filter(plan__beneficiary=beneficiary, status=CarePlanVersion.Status.VALIDATED)
               .exclude(validated_at__gt=timezone.now())
               .order_by("-number").first())
    if version is None:
        return None
    current = version.next_review_on
    if current is None or due_on < current:
        version.next_review_on = due_on
        save_versioned(version, actor=actor, version=version.version,
                       fields=["next_review_on"])
    audit_log(actor=actor, action="care_plan.review_requested", obj=version,
              beneficiary=beneficiary,
              details={"avant le": f"{version.next_review_on:%d/%m/%Y}", "motif": reason})
    timeline_add(beneficiary=beneficiary, kind="care_plan.review_requested", actor=actor,
                 title=f"Révision du plan demandée avant le {version.next_review_on:%d/%m/%Y}"
                       f" : {reason}")
    coordinators = [m.user for m in Membership.objects.filter(
        crt=beneficiary.crt, is_active=True, roles__role=Role.COORDINATOR).select_related(
        "user")]
    recipients = users_with_access("planning", beneficiary=beneficiary,
                                   users=coordinators + [version.referent])
    notify(crt=beneficiary.crt, users=recipients, exclude=actor,
           text=f"Plan à réviser avant le {version.next_review_on:%d/%m/%Y} — "
                f"{beneficiary.display_name} : {reason}",
           url=reverse("care:plan", kwargs={"public_id": beneficiary.public_id}),
           beneficiary=beneficiary, face="planning")
    return version


def careplan_diff(old: CarePlanVersion, new: CarePlanVersion) -> dict:
    """What changed from ``old`` to ``new``: text fields, and items added or removed."""
    labels = {f: CarePlanVersion._meta.get_field(f).verbose_name for f in VERSION_TEXT_FIELDS}
    fields = []
    for f in VERSION_TEXT_FIELDS:
        before, after = getattr(old, f), getattr(new, f)
        if before != after:
            fields.append({"label": labels[f], "before": _show(before), "after": _show(after)})

    def keyed(items, key):
        return {key(i): i for i in items}

    result = {"fields": fields}
    for name, key in (
        ("problems", lambda p: p.description),
        ("goals", lambda g: (g.description, g.target_date, g.status)),
        ("actions", lambda a: (a.domain_id, a.description, a.staff_id, a.professional_id,
                               a.frequency, a.start_date, a.end_date, a.service_id)),
    ):
        before = keyed(getattr(old, name).all(), key)
        after = keyed(getattr(new, name).all(), key)
        result[name] = {
            "added": [after[k] for k in after if k not in before],
            "removed": [before[k] for k in before if k not in after],
        }
    result["empty"] = not fields and not any(
        result[n]["added"] or result[n]["removed"] for n in ("problems", "goals", "actions"))
    return result


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if hasattr(value, "get_full_name"):
        return value.get_full_name()
    return str(value)
