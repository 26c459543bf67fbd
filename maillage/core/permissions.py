"""The whole permission matrix of Maillage, in one place (SPEC §3).

- ``MATRIX`` maps each named permission to the roles that hold it. Deny by default: a permission
  not listed, or a role not listed for it, is refused.
- What a user sees of each person is decided by one policy per resource, in the owning app's
  ``access.py`` (e.g. ``beneficiaries/access.py``: identity, planning, liaison, health, key box).
- Views declare what they need with the decorators of ``maillage.core.access``; a view that
  declares nothing is refused at run time by ``CurrentCrtMiddleware`` and by a test that walks
  every URL pattern.
"""

from collections.abc import Iterable
from enum import StrEnum

from .roles import CRT_TEAM, HEALTH_PROFESSIONALS, PORTAL, Role


class Perm(StrEnum):
    """Every permission name. A ``Perm`` compares equal to its string, so ``require("plan.view")``
    and ``require(Perm.PLAN_VIEW)`` are the same; an unknown name fails ``Perm(name)`` at import
    time (``require``) or in the tests that walk every call (``has_permission``)."""

    HOME_VIEW = "home.view"
    TERRITORY_VIEW = "territory.view"
    TERRITORY_MANAGE = "territory.manage"
    TERRITORY_MAP = "territory.map"
    DIRECTORY_VIEW = "directory.view"
    DIRECTORY_MANAGE = "directory.manage"
    BENEFICIARY_VIEW = "beneficiary.view"
    BENEFICIARY_MANAGE = "beneficiary.manage"
    BENEFICIARY_ACCESS_LOG = "beneficiary.access_log"
    CARE_TEAM_MANAGE = "care_team.manage"
    CONSENT_MANAGE = "consent.manage"
    HEALTH_VIEW = "health.view"
    HEALTH_EDIT = "health.edit"
    VITAL_SIGN_RECORD = "vital_sign.record"
    VITAL_THRESHOLD_SET = "vital_threshold.set"
    EVALUATION_RECORD = "evaluation.record"
    SCREENING_RECORD = "screening.record"
    DOCUMENT_ADD = "document.add"
    REFERRAL_VIEW = "referral.view"
    WAITING_LIST_VIEW = "waiting_list.view"
    REFERRAL_CREATE = "referral.create"
    REFERRAL_REVIEW = "referral.review"
    ADMISSION_STEP = "admission.step"
    ENROLMENT_VIEW = "enrolment.view"
    ENROLMENT_MANAGE = "enrolment.manage"
    CATALOGUE_VIEW = "catalogue.view"
    CATALOGUE_MANAGE = "catalogue.manage"
    PLAN_VIEW = "plan.view"
    PLAN_EDIT = "plan.edit"
    NOTES_VIEW = "notes.view"
    NOTES_WRITE = "notes.write"
    ALERT_VIEW = "alert.view"
    ALERT_RAISE = "alert.raise"
    ALERT_MANAGE = "alert.manage"
    CONVERSATION_VIEW = "conversation.view"
    CONVERSATION_WRITE = "conversation.write"
    TELEHEALTH_VIEW = "telehealth.view"
    TELEHEALTH_RECORD = "telehealth.record"
    TELEHEALTH_STATS = "telehealth.stats"
    TELEHEALTH_TERRITORY = "telehealth.territory"
    PRESCRIPTION_VIEW = "prescription.view"
    PRESCRIPTION_REQUEST = "prescription.request"
    VISIT_VIEW = "visit.view"
    VISIT_PLAN = "visit.plan"
    VISIT_TRACE = "visit.trace"
    VISIT_TEAM = "visit.team"
    VISIT_OFFLINE = "visit.offline"
    ROUNDS_PLAN = "rounds.plan"
    ONCALL_RESPOND = "oncall.respond"
    ONCALL_ROTA_VIEW = "oncall.rota.view"
    ONCALL_ROTA_MANAGE = "oncall.rota.manage"
    ONCALL_CALLS_VIEW = "oncall.calls.view"
    ONCALL_BREAK_GLASS_REVIEW = "oncall.break_glass.review"
    ONCALL_FIGURES = "oncall.figures"
    DLU_VIEW = "dlu.view"
    DLU_EDIT = "dlu.edit"
    DLU_REVIEWS = "dlu.reviews"
    LODGING_VIEW = "lodging.view"
    LODGING_MANAGE = "lodging.manage"
    LODGING_CONFIGURE = "lodging.configure"
    OUTREACH_VIEW = "outreach.view"
    OUTREACH_MANAGE = "outreach.manage"
    OUTREACH_PARTICIPANTS = "outreach.participants"
    OUTREACH_REGISTER = "outreach.register"
    OUTREACH_ATTENDEE_GIR = "outreach.attendee_gir"
    TEAM_VIEW = "team.view"
    TEAM_MANAGE = "team.manage"
    CRT_SETTINGS = "crt.settings"
    PORTAL_VIEW = "portal.view"
    PORTAL_POST_NOTE = "portal.post_note"
    PORTAL_ACCOUNTS = "portal.accounts"
    PORTAL_ACCESS_LOG = "portal.access_log"
    AUDIT_VIEW = "audit.view"
    OUTBOX_VIEW = "outbox.view"
    SURVEY_MANAGE = "survey.manage"
    SURVEY_RESULTS = "survey.results"
    SURVEY_COMMENTS = "survey.comments"
    AGREEMENT_VIEW = "agreement.view"
    AGREEMENT_MANAGE = "agreement.manage"
    POSITION_VIEW = "position.view"
    POSITION_MANAGE = "position.manage"
    MEETING_VIEW = "meeting.view"
    MEETING_MANAGE = "meeting.manage"
    BUDGET_VIEW = "budget.view"
    BUDGET_MANAGE = "budget.manage"
    INDICATOR_VIEW = "indicator.view"
    REGIONAL_VIEW = "regional.view"
    REPORT_VIEW = "report.view"
    REPORT_DRAFTS = "report.drafts"
    REPORT_MANAGE = "report.manage"
    MSSANTE_SEND = "mssante.send"


ALL_ROLES = frozenset(Role)

#: The CRT roles that take part in the coordination of care (notebook, alerts, conversations);
#: object rules in beneficiaries/access.py (the activity leader: the people they accompany).
LIAISON_TEAM = CRT_TEAM - {Role.DIRECTION, Role.ADMIN_STAFF}

#: The roles given from the team page; portal roles are given from the person's file.
TEAM_PAGE_ROLES = CRT_TEAM | {Role.PARTNER, Role.AUDITOR, Role.ARS}

MATRIX: dict[Perm, frozenset[str]] = {
    # The home page: every role has its own (key figures of its CRT, or its portal page).
    Perm.HOME_VIEW: ALL_ROLES,
    # Territory: communes covered, coverage volet 1 / volet 2, travel times.
    Perm.TERRITORY_VIEW: CRT_TEAM,
    Perm.TERRITORY_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The territory map: counts per commune, never a person's location; the ARS sees it with
    # small counts of people hidden (the small-cell rule of territory/access.py).
    Perm.TERRITORY_MAP: CRT_TEAM | {Role.ARS},
    # Partner directory: organisations and professionals of the territory (contacts, no
    # health data). Read by the team, kept by coordination and the secretariat.
    Perm.DIRECTORY_VIEW: CRT_TEAM,
    Perm.DIRECTORY_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # Beneficiary file. Partners see only the people whose care team they are in, within the
    # consent given (object rules in beneficiaries/access.py).
    Perm.BENEFICIARY_VIEW: CRT_TEAM | {Role.PARTNER},
    Perm.BENEFICIARY_MANAGE: frozenset(
        {Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF, Role.DOCTOR, Role.NURSE}
    ),
    # The list of who accessed a file, to hand to the person (SPEC §3).
    Perm.BENEFICIARY_ACCESS_LOG: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # Who is in a person's care team (and so reads what the team reads): the coordinator
    # alone decides, and never adds themselves (beneficiaries/services.py).
    Perm.CARE_TEAM_MANAGE: frozenset({Role.COORDINATOR}),
    Perm.CONSENT_MANAGE: frozenset(
        {Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF, Role.DOCTOR, Role.NURSE}
    ),
    # Health data: health professionals, and only within the care team (object predicate).
    Perm.HEALTH_VIEW: HEALTH_PROFESSIONALS | {Role.PARTNER},
    Perm.HEALTH_EDIT: frozenset({Role.DOCTOR, Role.NURSE}),
    # Vital signs (weight, blood pressure...): measured by the CRT's health professionals, and
    # posted by a partner's software (FHIR Observation); object rule: the file's health face.
    Perm.VITAL_SIGN_RECORD: HEALTH_PROFESSIONALS | {Role.PARTNER},
    # The alert thresholds of a person's measures (telemonitoring): a medical decision, the
    # doctor's (object rule: the file's health face, as the medical section).
    Perm.VITAL_THRESHOLD_SET: frozenset({Role.DOCTOR}),
    Perm.EVALUATION_RECORD: frozenset(
        {Role.DOCTOR, Role.NURSE, Role.OCCUPATIONAL_THERAPIST, Role.PSYCHOLOGIST}
    ),
    Perm.SCREENING_RECORD: HEALTH_PROFESSIONALS,
    Perm.DOCUMENT_ADD: CRT_TEAM - {Role.ACTIVITY_LEADER},
    # Admissions (volet 2): referrals, their review (the coordinator decides, by delegation of
    # the director), the waiting list.
    Perm.REFERRAL_VIEW: CRT_TEAM - {Role.ACTIVITY_LEADER},
    # The waiting list is shared with the partners who evaluate: a partner sees the people
    # they referred or whose evaluation their structure takes part in.
    Perm.WAITING_LIST_VIEW: (CRT_TEAM - {Role.ACTIVITY_LEADER}) | {Role.PARTNER},
    Perm.REFERRAL_CREATE: CRT_TEAM,
    Perm.REFERRAL_REVIEW: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    Perm.ADMISSION_STEP: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                 Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST}),
    # File active: enrolments, temporary and definitive exits.
    Perm.ENROLMENT_VIEW: CRT_TEAM - {Role.ACTIVITY_LEADER},
    Perm.ENROLMENT_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                   Role.ADMIN_STAFF}),
    # Coordination: the services catalogue and the personalised plans (PPCS).
    Perm.CATALOGUE_VIEW: CRT_TEAM,
    Perm.CATALOGUE_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    Perm.PLAN_VIEW: CRT_TEAM | {Role.PARTNER},
    Perm.PLAN_EDIT: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                            Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST}),
    # Liaison notebook and alerts: the care team (object rules: care team, consent).
    # The direction (counts and plans) and the secretariat (administrative data) read no
    # clinical free text: neither notebook nor alerts nor conversations (SPEC §3).
    Perm.NOTES_VIEW: LIAISON_TEAM | {Role.PARTNER},
    Perm.NOTES_WRITE: LIAISON_TEAM | {Role.PARTNER},
    Perm.ALERT_VIEW: LIAISON_TEAM | {Role.PARTNER},
    Perm.ALERT_RAISE: LIAISON_TEAM | {Role.PARTNER},
    Perm.ALERT_MANAGE: frozenset({Role.COORDINATOR, Role.DOCTOR, Role.NURSE}),
    # Conversations, like the notebook: the team thread within the consent (care team or
    # coordination to write); the health thread only with access to health data (object rules).
    Perm.CONVERSATION_VIEW: LIAISON_TEAM | {Role.PARTNER},
    Perm.CONVERSATION_WRITE: LIAISON_TEAM | {Role.PARTNER},
    # Telehealth acts are health data (object rule: health professional of the care team);
    # recorded by the CRT's health professionals; counted by kind and month by the direction.
    Perm.TELEHEALTH_VIEW: HEALTH_PROFESSIONALS | {Role.PARTNER},
    Perm.TELEHEALTH_RECORD: HEALTH_PROFESSIONALS,
    Perm.TELEHEALTH_STATS: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # Telehealth acts of the older people of the territory (volet 1 light records, no care
    # team, no consent to share): the CRT's own health professionals only (object rules in
    # care/access.py); never the activity leader, the secretariat, partners, the ARS or the DPO.
    Perm.TELEHEALTH_TERRITORY: HEALTH_PROFESSIONALS,
    # Prescription requests to the person's GP (by MSSanté) carry clinical context: health
    # data (object rule: the file's health face). Written by the doctor and the nurses; the
    # coordination without a health profession does not read health data (SPEC §3).
    Perm.PRESCRIPTION_VIEW: HEALTH_PROFESSIONALS,
    Perm.PRESCRIPTION_REQUEST: frozenset({Role.DOCTOR, Role.NURSE}),
    # Visits: planned by coordination and the secretariat; traced by whoever does them (object
    # rule: the visit's professional, or a planner correcting); partners see their own visits and
    # those of the people they may see (consent).
    Perm.VISIT_VIEW: CRT_TEAM | {Role.PARTNER},
    Perm.VISIT_PLAN: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF, Role.NURSE}),
    Perm.VISIT_TRACE: (CRT_TEAM - {Role.ADMIN_STAFF}) | {Role.PARTNER},
    Perm.VISIT_TEAM: CRT_TEAM,
    # The day kept on the phone without network (maillage.offline): home care only — the nurses
    # and care aides who go from home to home; never the office, partners or the portal.
    Perm.VISIT_OFFLINE: frozenset({Role.NURSE, Role.CARE_AIDE}),
    # « Optimiser les tournées »: the whole team's day, by those who plan it.
    Perm.ROUNDS_PLAN: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # On-call service (astreinte): who answers calls and uses the on-call screen; the rota;
    # the call log; review of break-the-glass accesses; the figures. Emergency data (DLU…)
    # follows the object rule of oncall/access.py (care team, or break the glass on a call).
    Perm.ONCALL_RESPOND: frozenset({Role.NURSE, Role.CARE_AIDE, Role.DOCTOR, Role.COORDINATOR}),
    Perm.ONCALL_ROTA_VIEW: CRT_TEAM,
    Perm.ONCALL_ROTA_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The call log (clinical text): object rule in oncall/access.py; the direction reads the
    # figures only.
    Perm.ONCALL_CALLS_VIEW: frozenset({Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                       Role.CARE_AIDE}),
    Perm.ONCALL_BREAK_GLASS_REVIEW: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.AUDITOR}),
    Perm.ONCALL_FIGURES: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR}),
    # The coordinator (IDEC) takes calls too: the DLU opens for them under break-the-glass.
    Perm.DLU_VIEW: HEALTH_PROFESSIONALS | {Role.PARTNER, Role.COORDINATOR},
    Perm.DLU_EDIT: frozenset({Role.DOCTOR, Role.NURSE}),
    # Which DLUs of the file active are to establish, complete or revalidate (names and the
    # state of each DLU, never its content; the home panel and its full list): those who see
    # that the work is done — the coordination, the direction, the médecin coordonnateur.
    # Each DLU itself opens under ``dlu.view`` and its object rule.
    Perm.DLU_REVIEWS: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR}),
    # Temporary rooms: the CRT's emergency room and partners' HT / HTSH places, the stays
    # (beneficiaries, and people who are not, e.g. whose caregiver is hospitalised: personal
    # data), the places kept in the file active. Read by the team that follows the file active;
    # stays booked by those who manage it; rooms, prices and durations set by coordination.
    Perm.LODGING_VIEW: CRT_TEAM - {Role.ACTIVITY_LEADER},
    Perm.LODGING_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.DOCTOR, Role.NURSE,
                                 Role.ADMIN_STAFF}),
    Perm.LODGING_CONFIGURE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # Volet 1 (object rules in outreach/access.py). The whole team sees the actions and their
    # calendar (to tell people about them), no participant. The activity leader runs volet 1
    # (with the direction); the coordination reads it all. Participants' records: the
    # activity leader, the direction, the coordination, the secretariat (who takes the
    # registrations by phone: identity, contacts, planning — SPEC §3), and partners for the
    # sessions they facilitate. Registrations, attendance, transport and light records: the
    # activity leader, the direction and the secretariat. The GIR of a light record (the
    # result of an evaluation, « évalué » or « déclaré »: health data, SPEC §3) is read and
    # typed by those who register, the secretariat aside. The ARS and the DPO see nothing of
    # it (no person; counts come with the indicators).
    Perm.OUTREACH_VIEW: CRT_TEAM,
    Perm.OUTREACH_MANAGE: frozenset({Role.ACTIVITY_LEADER, Role.DIRECTION}),
    Perm.OUTREACH_PARTICIPANTS: frozenset({Role.ACTIVITY_LEADER, Role.DIRECTION,
                                           Role.COORDINATOR, Role.ADMIN_STAFF, Role.PARTNER}),
    Perm.OUTREACH_REGISTER: frozenset({Role.ACTIVITY_LEADER, Role.DIRECTION,
                                       Role.ADMIN_STAFF}),
    Perm.OUTREACH_ATTENDEE_GIR: frozenset({Role.ACTIVITY_LEADER, Role.DIRECTION}),
    # The CRT team: who is in it, with which roles.
    Perm.TEAM_VIEW: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # Adding people, changing their roles, ending their access, new password links. Which
    # roles each may give: ``grantable_roles`` below.
    Perm.TEAM_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The CRT's settings (contacts, file active target, travel limit, plan review delay): the
    # direction.
    Perm.CRT_SETTINGS: frozenset({Role.DIRECTION}),
    # The portal: the beneficiary and their caregivers see the coming visits, the notes shared
    # with the caregiver, their contacts and the CRT's number, for the files linked to their
    # account only (object rules in portal/selectors.py); a caregiver writes to the team.
    Perm.PORTAL_VIEW: frozenset({Role.CAREGIVER, Role.BENEFICIARY}),
    Perm.PORTAL_POST_NOTE: frozenset({Role.CAREGIVER}),
    # The person's right to know who read or changed their file (SPEC §3, RGPD art. 15): on
    # their own account only, never a caregiver's.
    Perm.PORTAL_ACCESS_LOG: frozenset({Role.BENEFICIARY}),
    # Portal accounts of a person and of their caregivers, given from the file.
    Perm.PORTAL_ACCOUNTS: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    # The audit trail is read by the DPO (auditor) only; the export is itself audited.
    Perm.AUDIT_VIEW: frozenset({Role.AUDITOR}),
    # The messages sent to people outside (e-mails to referrers, access links…): their state,
    # the last error, a new attempt for those that failed. Recipients and subjects, never the
    # text.
    Perm.OUTBOX_VIEW: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # Satisfaction questionnaires (volet 1 sessions, yearly volet 2 survey): questionnaires,
    # collections, answer codes and paper answers kept by coordination, the direction and the
    # activity leader (who runs volet 1); the results (counts, means, distributions per
    # collection, exact even for 2 answers) read by them; the free comments (personal free
    # text) by them only. Not the ARS: it sees aggregates with small counts hidden
    # (INDICATORS §5), and reads satisfaction as V1-09, V2-14b, V2-15 and V2-16 in the
    # regional view, never here (as for indicator.view).
    Perm.SURVEY_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ACTIVITY_LEADER}),
    Perm.SURVEY_RESULTS: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ACTIVITY_LEADER}),
    Perm.SURVEY_COMMENTS: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ACTIVITY_LEADER}),
    # The CRT's organisation (issue 13). Partner agreements (no personal data, but financial
    # terms): kept by coordination and the direction, read by the secretariat who files them.
    Perm.AGREEMENT_VIEW: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    Perm.AGREEMENT_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The team's positions (FTE per volet, holders, vacancies): those who see the team page.
    Perm.POSITION_VIEW: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ADMIN_STAFF}),
    Perm.POSITION_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # Governance meetings and their decisions: the team takes part and carries decisions out
    # (object rule in organisation/access.py: the admission commission only for those who see
    # admissions); recorded by coordination and the direction. Partners and the ARS: nothing.
    Perm.MEETING_VIEW: CRT_TEAM,
    Perm.MEETING_MANAGE: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The budget (issue 14 §4): allocation, expenses with their analytic axes, FEC imports, the
    # analytic account. The director owns it and alone keeps it; the coordination reads it (the
    # cost per domain and the forfait consumption steer the volet 2 it organises). No personal
    # data; the rest of the team, partners, the DPO and the ARS (who gets the regional
    # reports): nothing.
    Perm.BUDGET_VIEW: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    Perm.BUDGET_MANAGE: frozenset({Role.DIRECTION}),
    # The steering dashboard (issue 14 §2): every indicator of the CRT computed from the
    # records, its breakdowns and trend. The direction and the coordination, who steer the CRT
    # and answer for its figures to the ARS. Not the doctor: the dashboard holds the forfait's
    # value (F-02) and the team's FTE (T-02), which the matrix keeps from them (budget.view,
    # position.view); they keep the figures of their own field (oncall.figures,
    # telehealth pages). The figures are aggregates; the records behind a figure (drill-down)
    # follow each record's own policy, so a holder may see a figure without its records (the
    # direction and the on-call calls). The ARS reads its CRTs' figures in the regional view,
    # with small cells suppressed, never here.
    Perm.INDICATOR_VIEW: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    # The ARS's regional view (issue 14 §5): every CRT of a region side by side, aggregates
    # only, small counts of people hidden (INDICATORS §5), no record. Held through a region
    # membership (``core.access.require_region``: an ARS agent belongs to a region, not to a
    # CRT); a CRT-level ``ars`` membership alone opens no region.
    Perm.REGIONAL_VIEW: frozenset({Role.ARS}),
    # The activity reports to the ARS (annual report, half-year review; issue 14 §3): aggregate
    # figures, small counts of people masked (INDICATORS §5), and the director's narratives, no
    # person named. Read by the direction and the coordination (who prepares the figures with
    # the director), drafts included (``report.drafts``); generated, written, submitted and
    # corrected by the direction alone, who signs what is sent. The ARS reads the versions
    # transmitted to it, never a draft (object rule in steering/access.py): a CRT-level ``ars``
    # those of its CRT, a region's agent those of the region's CRTs (in the regional view).
    Perm.REPORT_VIEW: frozenset({Role.DIRECTION, Role.COORDINATOR, Role.ARS}),
    Perm.REPORT_DRAFTS: frozenset({Role.DIRECTION, Role.COORDINATOR}),
    Perm.REPORT_MANAGE: frozenset({Role.DIRECTION}),
    # Sending a document of a person's file by MSSanté (health data leaving, audited) and seeing
    # the file's sendings: the health professionals and the coordination; object rule: the
    # document's own policy (interop/mssante/documents.py).
    Perm.MSSANTE_SEND: HEALTH_PROFESSIONALS | {Role.COORDINATOR},
}


def has_permission(roles: Iterable[str], permission: str) -> bool:
    """True when one of ``roles`` holds ``permission``. An unknown name raises ValueError."""
    allowed = MATRIX[Perm(permission)]
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

