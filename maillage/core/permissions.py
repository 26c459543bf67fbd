"""The whole permission matrix of Maillage, in one place (SPEC §3).

- ``MATRIX`` maps each named permission to the roles that hold it. Deny by default: a permission
  not listed, or a role not listed for it, is refused.
- Object predicates (``is_in_care_team``, ``can_see_health_data``) refine a permission for one
  beneficiary.
- Views declare what they need with the decorators of ``maillage.core.access``; a view that
  declares nothing is refused at run time by ``CurrentCrtMiddleware`` and by a test that walks
  every URL pattern.
"""

from collections.abc import Iterable

from .roles import CRT_TEAM, HEALTH_PROFESSIONALS, PORTAL, Role

ALL_ROLES = frozenset(Role)

#: The roles given from the team page; portal roles are given from the person's file.
TEAM_PAGE_ROLES = CRT_TEAM | {Role.PARTNER, Role.AUDITOR, Role.ARS}

MATRIX: dict[str, frozenset[str]] = {
    # The home page: every role has its own (key figures of its CRT, or its portal page).
    "home.view": ALL_ROLES,
    # Territory: communes covered, coverage volet 1 / volet 2, travel times.
    "territory.view": CRT_TEAM,
    "territory.manage": frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # Partner directory: organisations and professionals of the territory (contacts, no
    # health data). Read by the team, kept by coordination and the secretariat.
    "directory.view": CRT_TEAM,
    "directory.manage": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # Beneficiary file. Partners see only the people whose care team they are in, within the
    # consent given (object rules in beneficiaries/access.py).
    "beneficiary.view": CRT_TEAM | {Role.PARTNER},
    "beneficiary.manage": frozenset(
        {Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF, Role.DOCTOR, Role.NURSE}
    ),
    # The list of who accessed a file, to hand to the person (SPEC §3).
    "beneficiary.access_log": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    "consent.manage": frozenset(
        {Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF, Role.DOCTOR, Role.NURSE}
    ),
    # Health data: health professionals, and only within the care team (object predicate).
    "health.view": HEALTH_PROFESSIONALS | {Role.PARTNER},
    "health.edit": frozenset({Role.DOCTOR, Role.NURSE}),
    "evaluation.record": frozenset(
        {Role.DOCTOR, Role.NURSE, Role.OCCUPATIONAL_THERAPIST, Role.PSYCHOLOGIST}
    ),
    "screening.record": HEALTH_PROFESSIONALS,
    "document.add": CRT_TEAM - {Role.ACTIVITY_LEADER},
    # Admissions (volet 2): referrals, their review (the coordinator decides, by delegation of
    # the director), the waiting list.
    "referral.view": CRT_TEAM - {Role.ACTIVITY_LEADER},
    # The waiting list is shared with the partners who evaluate: a partner sees the people
    # they referred or whose evaluation their structure takes part in.
    "waiting_list.view": (CRT_TEAM - {Role.ACTIVITY_LEADER}) | {Role.PARTNER},
    "referral.create": CRT_TEAM,
    "referral.review": frozenset({Role.DIRECTION, Role.COORDINATOR}),
    "admission.step": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                 Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST}),
    # File active: enrolments, temporary and definitive exits.
    "enrolment.view": CRT_TEAM - {Role.ACTIVITY_LEADER},
    "enrolment.manage": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                   Role.ADMIN_STAFF}),
    # Coordination: the services catalogue and the personalised plans (PPCS).
    "catalogue.view": CRT_TEAM,
    "catalogue.manage": frozenset({Role.DIRECTION, Role.COORDINATOR}),
    "plan.view": CRT_TEAM | {Role.PARTNER},
    "plan.edit": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                            Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST}),
    # Liaison notebook and alerts: the care team (object rules: care team, consent).
    "notes.view": CRT_TEAM | {Role.PARTNER},
    "notes.write": (CRT_TEAM - {Role.ADMIN_STAFF}) | {Role.PARTNER},
    "alert.view": CRT_TEAM | {Role.PARTNER},
    "alert.raise": CRT_TEAM | {Role.PARTNER},
    "alert.manage": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE}),
    # Conversations, like the notebook: the team thread within the consent (care team or
    # coordination to write); the health thread only with access to health data (object rules).
    "conversation.view": CRT_TEAM | {Role.PARTNER},
    "conversation.write": (CRT_TEAM - {Role.ADMIN_STAFF}) | {Role.PARTNER},
    # Telehealth acts are health data (object rule: health professional of the care team);
    # recorded by the CRT's health professionals; counted by kind and month by the direction.
    "telehealth.view": HEALTH_PROFESSIONALS | {Role.PARTNER},
    "telehealth.record": HEALTH_PROFESSIONALS,
    "telehealth.stats": frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # Visits: planned by coordination and the secretariat; traced by whoever does them (object
    # rule: the visit's professional, or a planner correcting); partners see their own visits and
    # those of the people they may see (consent).
    "visit.view": CRT_TEAM | {Role.PARTNER},
    "visit.plan": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF, Role.NURSE}),
    "visit.trace": (CRT_TEAM - {Role.ADMIN_STAFF}) | {Role.PARTNER},
    "visit.team": CRT_TEAM,
    # On-call service (astreinte): who answers calls and uses the on-call screen; the rota;
    # the call log; review of break-the-glass accesses; the figures. Emergency data (DLU…)
    # follows the object rule of oncall/access.py (care team, or break the glass on a call).
    "oncall.respond": frozenset({Role.NURSE, Role.CARE_AIDE, Role.DOCTOR, Role.COORDINATOR}),
    "oncall.rota.view": CRT_TEAM,
    "oncall.rota.manage": frozenset({Role.DIRECTION, Role.COORDINATOR}),
    "oncall.calls.view": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                    Role.CARE_AIDE}),
    "oncall.break_glass.review": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.AUDITOR}),
    "oncall.figures": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR}),
    # The coordinator (IDEC) takes calls too: the DLU opens for them under break-the-glass.
    "dlu.view": HEALTH_PROFESSIONALS | {Role.PARTNER, Role.COORDINATOR},
    "dlu.edit": frozenset({Role.DOCTOR, Role.NURSE}),
    # Temporary rooms: the CRT's emergency room and partners' HT / HTSH places, the stays
    # (beneficiaries, and people who are not, e.g. whose caregiver is hospitalised: personal
    # data), the places kept in the file active. Read by the team that follows the file active;
    # stays booked by those who manage it; rooms, prices and durations set by coordination.
    "lodging.view": CRT_TEAM - {Role.ACTIVITY_LEADER},
    "lodging.manage": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                 Role.ADMIN_STAFF}),
    "lodging.configure": frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The CRT team: who is in it, with which roles.
    "team.view": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # Adding people, changing their roles, ending their access, new password links. Which
    # roles each may give: ``grantable_roles`` below.
    "team.manage": frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The portal: the beneficiary and their caregivers see the coming visits, the notes shared
    # with the caregiver, their contacts and the CRT's number, for the files linked to their
    # account only (object rules in portal/selectors.py); a caregiver writes to the team.
    "portal.view": frozenset({Role.CAREGIVER, Role.BENEFICIARY}),
    "portal.post_note": frozenset({Role.CAREGIVER}),
    # Portal accounts of a person and of their caregivers, given from the file.
    "portal.accounts": frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # The audit trail is read by the DPO (auditor) only; the export is itself audited.
    "audit.view": frozenset({Role.AUDITOR}),
}


def has_permission(roles: Iterable[str], permission: str) -> bool:
    """True when one of ``roles`` holds ``permission``. Unknown permissions raise KeyError."""
    allowed = MATRIX[permission]
    return any(role in allowed for role in roles)


def grantable_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles a user holding ``roles`` may give, change or take away in their CRT.

    The direction names everyone, itself included, and alone names the DPO (``auditor``) and
    the ARS; coordination names the team (not the direction) and the partners; coordination
    and the secretariat open portal accounts (from the file). Nobody else gives any role.
    """
    roles = set(roles)
    granted: set[str] = set()
    if Role.DIRECTION in roles:
        granted |= ALL_ROLES
    if Role.COORDINATOR in roles:
        granted |= (CRT_TEAM - {Role.DIRECTION}) | {Role.PARTNER} | PORTAL
    if Role.ADMIN_STAFF in roles:
        granted |= PORTAL
    return frozenset(granted)


def can_manage_member(actor_roles: Iterable[str], member_roles: Iterable[str]) -> bool:
    """May a user holding ``actor_roles`` change, end or renew the access of a member holding
    ``member_roles``? Only when they could have given every one of those roles (a coordinator
    cannot end the director's access nor take over their account with a new password link)."""
    return set(member_roles) <= grantable_roles(actor_roles)


def is_in_care_team(user, beneficiary) -> bool:
    """Object predicate: is ``user`` a current member of ``beneficiary``'s care team?

    The hook is here so that every permission check goes through this module. The care team
    itself belongs to the beneficiary file: a beneficiary model answers through its
    ``has_care_team_member(user)`` method. An object without that method has no care team, so
    nobody is in it (deny by default).
    """
    check = getattr(beneficiary, "has_care_team_member", None)
    return bool(check is not None and check(user))


def can_see_health_data(user, roles: Iterable[str], beneficiary) -> bool:
    """Health data: a health professional who belongs to the beneficiary's care team (SPEC §3).

    Break-the-glass access during an on-call call is granted by the on-call service, which
    records the reason in the audit trail; it does not go through this predicate.
    """
    return any(r in HEALTH_PROFESSIONALS for r in roles) and is_in_care_team(user, beneficiary)
