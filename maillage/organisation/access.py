"""The access policies of the CRT's organisation, both faces from one condition each (agreement
tested in ``tests/test_access_policies.py``).

- Positions (FTE, holders, vacancies): those who see the team page (``position.view``: the
  direction, coordination, the secretariat), all positions of their CRT.
- Meetings and their decisions (``meeting.view``, the CRT team): the steering committee to the
  whole team; the admission commission, which speaks of the people asking for admission, only
  to the roles that see admissions (``referral.view``). Partners, the DPO and the ARS: nothing.
- A decision is seen with its meeting (the kinds above) and, whatever the meeting, by its
  owner (the decision only — the text, the due date — not the meeting's page, its other
  decisions nor, for a commission, its admissions): they were given it to carry out.
- A decision is marked done by coordination or the direction (``meeting.manage``), or by its
  owner."""

from django.db.models import Q, QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import Decision, Meeting, Position


def positions_visible(*, crt, user, roles) -> QuerySet[Position]:
    if has_permission(roles, "position.view"):
        return Position.objects.filter(crt=crt)
    return Position.objects.none()


def can_view_position(*, user, roles, position: Position) -> bool:
    return has_permission(roles, "position.view")


def _kinds_visible(roles) -> list[str]:
    if not has_permission(roles, "meeting.view"):
        return []
    if has_permission(roles, "referral.view"):
        return list(Meeting.Kind.values)
    return [Meeting.Kind.COPIL]


def meetings_visible(*, crt, user, roles) -> QuerySet[Meeting]:
    kinds = _kinds_visible(roles)
    if not kinds:
        return Meeting.objects.none()
    return Meeting.objects.filter(crt=crt, kind__in=kinds)


def can_view_meeting(*, user, roles, meeting: Meeting) -> bool:
    return meeting.kind in _kinds_visible(roles)


def decisions_visible(*, crt, user, roles) -> QuerySet[Decision]:
    """The decisions of the meetings ``user`` sees, and those ``user`` owns."""
    if not has_permission(roles, "meeting.view"):
        return Decision.objects.none()
    return Decision.objects.filter(Q(meeting__kind__in=_kinds_visible(roles))
                                   | Q(owner_id=user.pk), crt=crt)


def can_view_decision(*, user, roles, decision: Decision) -> bool:
    if not has_permission(roles, "meeting.view"):
        return False
    return (decision.owner_id == user.pk
            or can_view_meeting(user=user, roles=roles, meeting=decision.meeting))


def can_close_decision(*, user, roles, decision: Decision) -> bool:
    if not can_view_decision(user=user, roles=roles, decision=decision):
        return False
    return has_permission(roles, "meeting.manage") or decision.owner_id == user.pk


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    meetings = {}
    for role in Role:
        kinds = _kinds_visible({role})
        if kinds == list(Meeting.Kind.values):
            meetings[role] = "COPIL et commissions d'admission, et leurs décisions"
        elif kinds:
            meetings[role] = ("COPIL et ses décisions ; d'une commission d'admission, "
                              "seulement les décisions qu'il ou elle porte (pas la réunion)")
    return [
        ("Postes de l'équipe (ETP)", {
            role: "tous les postes du CRT" for role in Role
            if has_permission({role}, "position.view")}),
        ("Réunions de gouvernance", meetings),
    ]
