"""The access policies of volet 1, each with both faces from one condition (agreement tested in
``tests/test_access.py``).

- Actions and their sessions' calendar (no person): the whole CRT team (``outreach.view``).
- Participants (registrations, attendance, the attendance sheet, light records): the activity
  leader, the direction and the coordination see every session of their CRT; a partner
  (role ``partner``, linked to a ``territory.Professional``) sees the sessions they facilitate,
  and nothing else. The care staff and the secretariat see the calendar, not who comes; the ARS
  and the DPO see nothing of volet 1. Nobody reaches a volet 2 file from here: a participant
  who is a beneficiary shows by name only (identity, never health data).
- Volet 2 caregivers (the relatives recorded on a beneficiary's file) are offered by name to
  those who register people (``outreach.register``), to register one as a caregiver: identity
  only (« aidant d'un bénéficiaire du volet 2 »), never the helped person nor their file.
"""

from django.db.models import QuerySet

from maillage.beneficiaries.models import Caregiver
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
    """Light records are looked up (to register someone again) by those who register."""
    if has_permission(roles, "outreach.register"):
        return Attendee.objects.filter(crt=crt)
    return Attendee.objects.none()


def can_view_attendee(*, user, roles, attendee: Attendee) -> bool:
    return has_permission(roles, "outreach.register")


# --- Volet 2 caregivers offered at registration (identity only) ------------------------------


def volet2_caregivers_offered(*, crt, user, roles) -> QuerySet[Caregiver]:
    """The CRT's volet 2 caregivers ``user`` may register to a session (by name only)."""
    if has_permission(roles, "outreach.register"):
        return Caregiver.objects.filter(crt=crt)
    return Caregiver.objects.none()


def can_offer_volet2_caregiver(*, user, roles, caregiver: Caregiver) -> bool:
    return has_permission(roles, "outreach.register")


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
        ("Aidants du volet 2 proposés à l'inscription (nom seulement, jamais le dossier de "
         "la personne aidée)", {
             role: "les aidants enregistrés dans les dossiers du CRT" for role in Role
             if has_permission({role}, "outreach.register")}),
    ]
