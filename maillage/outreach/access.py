"""The access policies of volet 1, each with both faces from one condition (agreement tested in
``tests/test_access.py``).

- Actions and their sessions' calendar (no person): the whole CRT team (``outreach.view``).
- Participants (registrations, attendance, the attendance sheet, light records): the activity
  leader, the direction, the coordination and the secretariat (who takes registrations by
  phone: identity, contacts, planning — SPEC §3) see every session of their CRT; a partner
  (role ``partner``, linked to a ``territory.Professional``) sees the sessions they facilitate,
  and nothing else. The care staff see the calendar, not who comes; the ARS and the DPO see
  nothing of volet 1. Nobody reaches a volet 2 file from here: a participant who is a
  beneficiary shows by name only (identity, never health data).
- Registering people, cancelling a registration, attendance, transport and the light records:
  those who register (``outreach.register``: the activity leader, the direction, the
  secretariat).
- The GIR of a light record (« évalué (grille AGGIR) » or « déclaré »): the one health datum of
  volet 1's records — the result of an evaluation (SPEC §3) — read and typed by those who
  register except the secretariat (``outreach.attendee_gir``): its forms have no GIR field.
  Nothing else of volet 1 is health data: the participants' list and the attendance sheet show
  the name, the kind of person, the commune or structure, attendance and transport.
- Volet 2 people offered at registration, and as the file a light record is joined to (« la
  personne a un dossier au volet 2 »: its registrations and telehealth acts move to the file),
  to those who register people (``outreach.register``): the beneficiaries whose identity the
  file policy grants them
  (``beneficiaries.access.beneficiaries_for("identity")``: the whole CRT for the direction; for
  the activity leader, the people she accompanies, never one who objected to sharing), by name
  and birth date; and the caregivers recorded on those files (``caregivers_visible``), by name
  only (« aidant d'un bénéficiaire du volet 2 »), never the helped person nor their file.
  Joining is an identity decision (this person is that file), the secretariat's trade too:
  the telehealth acts moved are not shown, and their number only to those who see them
  (``care.access.sees_territory_telehealth``).
"""

from django.db.models import QuerySet

from maillage.beneficiaries.access import (
    WHOLE_CRT_ROLES,
    beneficiaries_for,
    caregivers_visible,
    file_access,
)
from maillage.beneficiaries.models import Beneficiary, Caregiver
from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import Attendee, Participation, Session, SupportAction


def sees_every_session(roles) -> bool:
    """The CRT's volet 1 staff (not a partner): every session's participants."""
    return has_permission(roles, "outreach.participants") and has_permission(
        roles, "outreach.view")


# --- Actions (no person) ---------------------------------------------------------------------


def actions_visible(*, crt, user, roles) -> QuerySet[SupportAction]:
    if has_permission(roles, "outreach.view"):
        return SupportAction.objects.filter(crt=crt)
    return SupportAction.objects.none()


def can_view_action(*, user, roles, action: SupportAction) -> bool:
    return has_permission(roles, "outreach.view")


# --- Sessions with their participants --------------------------------------------------------


def sessions_visible(*, crt, user, roles) -> QuerySet[Session]:
    """The sessions whose participants ``user`` may see."""
    if sees_every_session(roles):
        return Session.objects.filter(crt=crt)
    if has_permission(roles, "outreach.participants") and Role.PARTNER in roles:
        return Session.objects.filter(crt=crt, partner_facilitators__user=user,
                                      partner_facilitators__is_active=True).distinct()
    return Session.objects.none()


def can_view_session(*, user, roles, session: Session) -> bool:
    if sees_every_session(roles):
        return True
    if has_permission(roles, "outreach.participants") and Role.PARTNER in roles:
        return session.partner_facilitators.filter(user=user, is_active=True).exists()
    return False


def participations_visible(*, crt, user, roles) -> QuerySet[Participation]:
    return Participation.objects.filter(
        crt=crt, session__in=sessions_visible(crt=crt, user=user, roles=roles))


def can_view_participation(*, user, roles, participation: Participation) -> bool:
    return can_view_session(user=user, roles=roles, session=participation.session)


# --- Light records ---------------------------------------------------------------------------


def attendees_visible(*, crt, user, roles) -> QuerySet[Attendee]:
    """Light records are looked up (to register someone again), corrected and merged (two
    records of one person) by those who register."""
    if has_permission(roles, "outreach.register"):
        return Attendee.objects.filter(crt=crt)
    return Attendee.objects.none()


def can_view_attendee(*, user, roles, attendee: Attendee) -> bool:
    return has_permission(roles, "outreach.register")


def reads_attendee_gir(roles) -> bool:
    """Whether the GIR of the light records this user sees (``attendees_visible``) is shown to
    them and may be typed by them: not the secretariat's (health data, SPEC §3)."""
    return has_permission(roles, "outreach.register") and has_permission(
        roles, "outreach.attendee_gir")


# --- Volet 2 caregivers offered at registration (identity only) ------------------------------


def volet2_beneficiaries_offered(*, crt, user, roles) -> QuerySet[Beneficiary]:
    """The volet 2 beneficiaries ``user`` may register to a session, or join a light record to
    (name and birth date): those whose identity the file policy grants them."""
    if has_permission(roles, "outreach.register"):
        return beneficiaries_for("identity", crt=crt, user=user, roles=roles)
    return Beneficiary.objects.none()


def can_offer_volet2_beneficiary(*, user, roles, beneficiary: Beneficiary) -> bool:
    return has_permission(roles, "outreach.register") and file_access(
        user=user, roles=roles, beneficiary=beneficiary).identity


def volet2_caregivers_offered(*, crt, user, roles) -> QuerySet[Caregiver]:
    """The volet 2 caregivers ``user`` may register to a session (by name only): those of the
    files whose identity the file policy grants them."""
    if has_permission(roles, "outreach.register"):
        return caregivers_visible(crt=crt, user=user, roles=roles)
    return Caregiver.objects.none()


def can_offer_volet2_caregiver(*, user, roles, caregiver: Caregiver) -> bool:
    return has_permission(roles, "outreach.register") and file_access(
        user=user, roles=roles, beneficiary=caregiver.beneficiary).identity


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    sessions = {}
    for role in Role:
        if sees_every_session({role}):
            sessions[role] = "toutes les séances du CRT"
        elif has_permission({role}, "outreach.participants"):
            sessions[role] = "les séances qu'il ou elle anime"
    return [
        ("Actions du volet 1 et calendrier des séances", {
            role: "toutes les actions du CRT" for role in Role
            if has_permission({role}, "outreach.view")}),
        ("Participants aux séances du volet 1", sessions),
        ("Inscriptions, présences, transport et fiches légères du volet 1 (correction, "
         "fusion de deux fiches d'une même personne)", {
            role: "toutes les séances et fiches du CRT" for role in Role
            if has_permission({role}, "outreach.register")}),
        ("GIR d'une fiche légère du volet 1 (évalué ou déclaré : donnée de santé)", {
            role: "les fiches légères du CRT" for role in Role
            if reads_attendee_gir({role})}),
        ("Bénéficiaires et aidants du volet 2 proposés à l'inscription (nom et date de "
         "naissance, nom seulement pour un aidant ; jamais le dossier de la personne aidée) ; "
         "bénéficiaires auxquels rattacher une fiche légère (ses inscriptions et ses actes de "
         "télésanté passent au dossier, la fiche est supprimée)", {
             role: ("toutes les personnes du CRT et leurs aidants" if role in WHOLE_CRT_ROLES
                    else "les personnes dont il ou elle voit l'identité au volet 2, et leurs "
                         "aidants")
             for role in Role if has_permission({role}, "outreach.register")}),
    ]
