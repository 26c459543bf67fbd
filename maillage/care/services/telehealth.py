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

from ..models import TelehealthAct

#: A time typed to the minute, a little ahead of the server clock, is still "now".
CLOCK_TOLERANCE = timedelta(minutes=5)


@transaction.atomic
def telehealth_record(*, actor, beneficiary: Beneficiary, access, kind: str,
                      performed_at: datetime, staff, reason: str, outcome: str,
                      professional=None, professional_name: str = "",
                      notes: str = "") -> TelehealthAct:
    if not access.health:
        raise DomainError("Données de santé : réservées aux professionnels de santé du cercle "
                          "de soins.")
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
    if professional is not None and professional.crt_id != beneficiary.crt_id:
        raise DomainError("Professionnel inconnu.", field="professional")
    if not is_team_member(staff, beneficiary.crt):
        raise DomainError("Cette personne n'est pas membre de l'équipe du CRT.", field="staff")
    if not reason.strip():
        raise DomainError("Indiquez le motif.", field="reason")
    if not outcome.strip():
        raise DomainError("Indiquez le résultat et les suites.", field="outcome")
    act = TelehealthAct(
        crt=beneficiary.crt, beneficiary=beneficiary, kind=kind, performed_at=performed_at,
        staff=staff, professional=professional, professional_name=professional_name,
        reason=reason.strip(), outcome=outcome.strip(), notes=notes.strip(), created_by=actor,
        updated_by=actor)
    validate(act, exclude=["crt", "beneficiary", "staff", "professional", "created_by",
                           "updated_by"])
    act.save()
    audit_log(actor=actor, action="telehealth.recorded", obj=act, beneficiary=beneficiary,
              details={"type": act.get_kind_display()})
    timeline_add(beneficiary=beneficiary, kind="telehealth.recorded", actor=actor, health=True,
                 at=performed_at, title=f"{act.get_kind_display()} : {act.remote_professional}")
    return act
