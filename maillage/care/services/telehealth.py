"""Writes of the telehealth acts (accompanied teleconsultation, tele-expertise, telecare)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.services import timeline_add
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.selectors import is_team_member
from maillage.core.versioning import validate
from maillage.outreach.models import Attendee

from ..access import may_record_territory_telehealth
from ..models import TelehealthAct

#: A time typed to the minute, a little ahead of the server clock, is still "now".
CLOCK_TOLERANCE = timedelta(minutes=5)


@transaction.atomic
def telehealth_record(*, actor, beneficiary: Beneficiary, access, kind: str,
                      performed_at: datetime, staff, reason: str, outcome: str,
                      requester: str, performer_employer: str, requester_detail: str = "",
                      professional=None, professional_name: str = "",
                      notes: str = "") -> TelehealthAct:
    """An act about a volet 2 beneficiary: health data of the file (``access.health``)."""
    if not access.health:
        raise DomainError("Données de santé : réservées aux professionnels de santé du cercle "
                          "de soins.")
    act = _new_act(
        actor=actor, crt=beneficiary.crt, kind=kind, performed_at=performed_at, staff=staff,
        reason=reason, outcome=outcome, requester=requester, requester_detail=requester_detail,
        performer_employer=performer_employer, professional=professional,
        professional_name=professional_name, notes=notes)
    act.beneficiary = beneficiary
    act.save()
    audit_log(actor=actor, action="telehealth.recorded", obj=act, beneficiary=beneficiary,
              details={"type": act.get_kind_display()})
    timeline_add(beneficiary=beneficiary, kind="telehealth.recorded", actor=actor, health=True,
                 at=performed_at, title=f"{act.get_kind_display()} : {act.remote_professional}")
    return act


@transaction.atomic
def telehealth_record_for_attendee(*, actor, roles, attendee: Attendee, kind: str,
                                   performed_at: datetime, staff, reason: str, outcome: str,
                                   requester: str, performer_employer: str,
                                   requester_detail: str = "", professional=None,
                                   professional_name: str = "",
                                   notes: str = "") -> TelehealthAct:
    """An act about an older person of the territory known through volet 1 (a light record,
    no file): recorded by the CRT's health professionals (``care.access``)."""
    if not may_record_territory_telehealth(roles):
        raise DomainError("Données de santé : réservées aux professionnels de santé du CRT.")
    if attendee.kind != Attendee.Kind.OLDER_PERSON:
        raise DomainError("Un acte de télésanté concerne une personne âgée, pas un aidant ni "
                          "un professionnel.", field="attendee")
    act = _new_act(
        actor=actor, crt=attendee.crt, kind=kind, performed_at=performed_at, staff=staff,
        reason=reason, outcome=outcome, requester=requester, requester_detail=requester_detail,
        performer_employer=performer_employer, professional=professional,
        professional_name=professional_name, notes=notes)
    act.attendee = attendee
    act.save()
    audit_log(actor=actor, action="telehealth.recorded", obj=act,
              details={"type": act.get_kind_display(), "volet": "1"})
    return act


def _new_act(*, actor, crt, kind, performed_at, staff, reason, outcome, requester,
             requester_detail, performer_employer, professional, professional_name,
             notes) -> TelehealthAct:
    """The act checked and not yet saved (the caller sets the person)."""
    if performed_at > timezone.now() + CLOCK_TOLERANCE:
        raise DomainError("La date de l'acte est dans le futur : enregistrez l'acte une fois "
                          "réalisé.", field="performed_at")
    professional_name = professional_name.strip()
    if professional is not None and professional_name:
        raise DomainError("Choisissez le professionnel dans l'annuaire ou écrivez son nom, pas "
                          "les deux.", field="professional_name")
    if professional is None and not professional_name:
        raise DomainError("Indiquez le professionnel consulté à distance.",
                          field="professional")
    if professional is not None and professional.crt_id != crt.id:
        raise DomainError("Professionnel inconnu.", field="professional")
    if not is_team_member(staff, crt):
        raise DomainError("Cette personne n'est pas membre de l'équipe du CRT.", field="staff")
    if not requester:
        raise DomainError("Indiquez qui a demandé l'acte.", field="requester")
    requester_detail = requester_detail.strip()
    if requester == TelehealthAct.Requester.OTHER and not requester_detail:
        raise DomainError("Précisez qui a demandé l'acte.", field="requester_detail")
    if not performer_employer:
        raise DomainError("Indiquez pour quelle structure travaille la personne qui a réalisé "
                          "ou accompagné l'acte.", field="performer_employer")
    if not reason.strip():
        raise DomainError("Indiquez le motif.", field="reason")
    if not outcome.strip():
        raise DomainError("Indiquez le résultat et les suites.", field="outcome")
    act = TelehealthAct(
        crt=crt, kind=kind, performed_at=performed_at, staff=staff, professional=professional,
        professional_name=professional_name, requester=requester,
        requester_detail=requester_detail, performer_employer=performer_employer,
        reason=reason.strip(), outcome=outcome.strip(), notes=notes.strip(), created_by=actor,
        updated_by=actor)
    validate(act, exclude=["crt", "beneficiary", "attendee", "staff", "professional",
                           "created_by", "updated_by"])
    return act
