"""The roles of SPEC §3. A user holds roles per CRT, through a membership."""

from django.db import models


class Role(models.TextChoices):
    DIRECTION = "direction", "Direction / pilotage"
    COORDINATOR = "coordinator", "Coordination (IDEC)"
    DOCTOR = "doctor", "Médecin coordonnateur"
    NURSE = "nurse", "Infirmier·ère"
    CARE_AIDE = "care_aide", "Aide-soignant·e (AS, ASG, AES)"
    PSYCHOLOGIST = "psychologist", "Psychologue"
    OCCUPATIONAL_THERAPIST = "occupational_therapist", "Ergothérapeute"
    ACTIVITY_LEADER = "activity_leader", "Animateur·rice"
    ADMIN_STAFF = "admin_staff", "Secrétariat / administratif"
    PARTNER = "partner", "Professionnel partenaire"
    CAREGIVER = "caregiver", "Aidant"
    BENEFICIARY = "beneficiary", "Bénéficiaire"
    AUDITOR = "auditor", "Délégué à la protection des données (audit)"
    ARS = "ars", "ARS (indicateurs agrégés)"


#: Roles of the CRT team itself (not partners, portal users, auditors or the ARS).
CRT_TEAM = frozenset(
    {
        Role.DIRECTION,
        Role.COORDINATOR,
        Role.DOCTOR,
        Role.NURSE,
        Role.CARE_AIDE,
        Role.PSYCHOLOGIST,
        Role.OCCUPATIONAL_THERAPIST,
        Role.ACTIVITY_LEADER,
        Role.ADMIN_STAFF,
    }
)

#: Health professionals: may see health data of the beneficiaries whose care team they are in.
HEALTH_PROFESSIONALS = frozenset(
    {Role.DOCTOR, Role.NURSE, Role.CARE_AIDE, Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST}
)

PORTAL = frozenset({Role.CAREGIVER, Role.BENEFICIARY})

#: The professions of those who visit at home, as qualifications for the rounds (in this order
#: when a member of staff holds two: the first one is taken as theirs).
QUALIFICATIONS = (Role.NURSE, Role.CARE_AIDE, Role.PSYCHOLOGIST, Role.OCCUPATIONAL_THERAPIST,
                  Role.ACTIVITY_LEADER)

#: The one definition of a **team member**: active staff of the CRT holding a care or
#: coordination role. Pickers (care team, referent, visits, rota, alert assignee, next step
#: owner) list only them; portal accounts, partners, the DPO (auditor), the ARS — and the
#: secretariat, whose job is administrative — are never team members. See
#: ``core.selectors.team_member_users``.
TEAM_MEMBER_ROLES = CRT_TEAM - {Role.ADMIN_STAFF}


def role_labels(codes: str) -> str:
    """"coordinator,nurse" (as kept in the audit trail) → "Coordination (IDEC), Infirmier·ère"."""
    labels = dict(Role.choices)
    return ", ".join(labels.get(c, c) for c in (codes or "").split(",") if c)
