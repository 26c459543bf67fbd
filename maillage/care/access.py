"""The access policy of the telehealth acts about the older people of the territory (volet 1
light records, ``outreach.Attendee``), with both faces from one condition (agreement tested in
``tests/test_telehealth_territory.py``).

Those acts are health data about people who have no file, hence no care team and no consent to
share: the CRT's own health professionals (``telehealth.territory``) see and record them for
every older person of their CRT; nobody else sees any — not the activity leader who registers
these people to the sessions, nor the secretariat, the direction (counts only, through
``telehealth.stats``), partners, the ARS or the DPO. The acts about a volet 2 beneficiary
follow the file's health rule (``beneficiaries.access``: ``file_for_request(...).health``).
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.outreach.models import Attendee

from .models import CarePlanVersion, TelehealthAct


def sees_territory_telehealth(roles) -> bool:
    return has_permission(roles, "telehealth.territory") and has_permission(
        roles, "telehealth.view")


def may_record_territory_telehealth(roles) -> bool:
    return sees_territory_telehealth(roles) and has_permission(roles, "telehealth.record")


def territory_people_visible(*, crt, user, roles) -> QuerySet[Attendee]:
    """The older people of the territory whose telehealth acts ``user`` may see."""
    if sees_territory_telehealth(roles):
        return Attendee.objects.filter(crt=crt, kind=Attendee.Kind.OLDER_PERSON)
    return Attendee.objects.none()


def can_view_territory_person(*, user, roles, attendee: Attendee) -> bool:
    return sees_territory_telehealth(roles) and attendee.kind == Attendee.Kind.OLDER_PERSON


def territory_acts_visible(*, crt, user, roles) -> QuerySet[TelehealthAct]:
    """The telehealth acts about older people of the territory that ``user`` may see."""
    if sees_territory_telehealth(roles):
        return TelehealthAct.objects.filter(crt=crt, attendee__isnull=False)
    return TelehealthAct.objects.none()


def can_view_territory_act(*, user, roles, act: TelehealthAct) -> bool:
    return sees_territory_telehealth(roles) and act.attendee_id is not None


def telehealth_acts_visible(*, crt, user, roles) -> QuerySet[TelehealthAct]:
    """Every telehealth act ``user`` may read, both volets: those about the volet 2
    beneficiaries whose health data they see (the file's rule, ``telehealth.view``) and those
    about the older people of the territory (the rule above). The indicators' drill-down."""
    from maillage.beneficiaries.access import health_visible_beneficiaries

    if not has_permission(roles, "telehealth.view"):
        return TelehealthAct.objects.none()
    about = Q(beneficiary__in=health_visible_beneficiaries(crt=crt, user=user, roles=roles))
    if sees_territory_telehealth(roles):
        about |= Q(attendee__isnull=False)
    return TelehealthAct.objects.filter(about, crt=crt)


def liaison_notes_visible(*, crt, user, roles) -> QuerySet:
    """The liaison notes this user may read, across people: those of the people whose liaison
    face they see, except the notes reserved to health professionals, read only where they also
    see the health face — the rule of the notebook's screen (``selectors.notes``)."""
    from maillage.beneficiaries.access import beneficiaries_for

    from .models import LiaisonNote

    liaison = beneficiaries_for("liaison", crt=crt, user=user, roles=roles)
    health = beneficiaries_for("health", crt=crt, user=user, roles=roles)
    return LiaisonNote.objects.filter(crt=crt, beneficiary__in=liaison).filter(
        ~Q(visibility=LiaisonNote.Visibility.HEALTH) | Q(beneficiary__in=health))


def care_plans_visible(*, crt, user, roles) -> QuerySet[CarePlanVersion]:
    """The versions of the personalised plans this user may read: ``plan.view`` and the
    person's planning face (consent included for partners), as the plan's pages
    (``views.plans._plan_file``) and the plans to review. The FHIR API's CarePlan."""
    from maillage.beneficiaries.access import planning_visible_beneficiaries

    if not has_permission(roles, "plan.view"):
        return CarePlanVersion.objects.none()
    return CarePlanVersion.objects.filter(crt=crt, plan__beneficiary__in=(
        planning_visible_beneficiaries(crt=crt, user=user, roles=roles)))


#: Who writes the personalised plan of every person of the CRT: the coordination (direction,
#: IDEC, médecin coordonnateur). The other roles holding ``plan.edit`` (nurses, psychologists,
#: occupational therapists) write the plans of the people of their care team.
PLAN_COORDINATION = frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR})


def plans_editable(*, crt, user, roles) -> QuerySet:
    """The people whose plan this user may write (drafts, validation, goals, basket): within
    what they may see of the plan (the planning face)."""
    from maillage.beneficiaries.access import in_care_team_q, planning_visible_beneficiaries

    visible = planning_visible_beneficiaries(crt=crt, user=user, roles=roles)
    if not has_permission(roles, "plan.edit"):
        return visible.none()
    if set(roles) & PLAN_COORDINATION:
        return visible
    return visible.filter(in_care_team_q(user))


def plan_health_visible(*, crt, user, roles) -> QuerySet:
    """The people whose plan's health data (its problems, the comments on its goals:
    ``care.health_data``) this user reads: who reads clinical text about the person
    (``beneficiaries.access``: the coordination, the nurses, the care team's health
    professionals), who sees their health data (a partner within the consent), and who writes
    their plan. Not the secretariat nor the activity leader (SPEC §3)."""
    from maillage.beneficiaries.access import beneficiaries_for, reads_clinical_text
    from maillage.beneficiaries.models import Beneficiary

    visible = beneficiaries_for("planning", crt=crt, user=user, roles=roles)
    if reads_clinical_text(roles):
        return visible
    health = beneficiaries_for("health", crt=crt, user=user, roles=roles)
    editable = plans_editable(crt=crt, user=user, roles=roles)
    return Beneficiary.objects.filter(crt=crt).filter(
        Q(pk__in=health.values("pk")) | Q(pk__in=editable.values("pk")))


def sees_plan_health(*, access, may_edit_plan: bool) -> bool:
    """``plan_health_visible`` for one person whose file access is known."""
    return access.clinical_text or access.health or may_edit_plan


def can_edit_plan(*, user, roles, beneficiary, access) -> bool:
    """``plans_editable`` for one person whose file access (``file_for_request``) is known."""
    from maillage.core.permissions import is_in_care_team

    if not (access.planning and has_permission(roles, "plan.edit")):
        return False
    return bool(set(roles) & PLAN_COORDINATION) or is_in_care_team(user, beneficiary)


@dataclass(frozen=True)
class PlanEntry:
    """What a link to a person's plan from another page may offer this user: open it
    (``read``), start its first version (``write``)."""

    read: bool = False
    write: bool = False


def plan_entry(*, user, roles, beneficiary) -> PlanEntry:
    """The rule of the plan pages (``views.plans._plan_file``: ``plan.view`` and the file's
    planning face; ``can_edit_plan`` to write), for a page that links to them, so that no link
    leads to a refusal. A query or two (the file's faces; the care team, for a role that writes
    the plans of its care team only)."""
    from maillage.beneficiaries.access import file_access

    if not has_permission(roles, "plan.view"):
        return PlanEntry()
    access = file_access(user=user, roles=roles, beneficiary=beneficiary)
    if not access.planning:
        return PlanEntry()
    return PlanEntry(read=True, write=can_edit_plan(user=user, roles=roles,
                                                    beneficiary=beneficiary, access=access))


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rule above as a row for the "Access and audit" page (``maillage access_doc``)."""
    rows = {}
    for role in Role:
        if may_record_territory_telehealth({role}):
            rows[role] = "tous les actes des personnes âgées du CRT ; les enregistre"
        elif sees_territory_telehealth({role}):
            rows[role] = "tous les actes des personnes âgées du CRT"
        elif has_permission({role}, "telehealth.stats"):
            rows[role] = "les nombres d'actes par type et par volet, sans personne"
    prescriptions = {}
    for role in Role:
        if has_permission({role}, "prescription.request"):
            prescriptions[role] = ("celles des personnes dont il ou elle est du cercle de soins ; "
                                   "les demande et les annule")
        elif has_permission({role}, "prescription.view"):
            prescriptions[role] = "celles des personnes dont il ou elle est du cercle de soins"
    plans = {}
    for role in Role:
        if has_permission({role}, "plan.edit"):
            plans[role] = ("toutes les personnes du CRT" if role in PLAN_COORDINATION
                           else "les personnes de son cercle de soins")
    return [("Actes de télésanté des personnes âgées du territoire (volet 1)", rows),
            ("Rédiger et valider le plan personnalisé", plans),
            ("Demandes de prescription au médecin traitant (MSSanté)", prescriptions)]
