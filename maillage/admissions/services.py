"""Writes of the admission process: referrals, review, waiting list."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.notify import send_email
from maillage.core.versioning import save_versioned, validate

from .eligibility import eligibility_checks
from .models import PrioritySituation, Referral

REFERRAL_FIELDS = (
    "person_last_name", "person_first_name", "person_birth_date", "person_address",
    "person_commune", "person_commune_name", "person_phone", "lives_in_institution",
    "referrer_kind", "referrer_organization", "referrer_professional", "referrer_name",
    "referrer_email", "referrer_phone", "reason", "priority_situations", "known_gir", "urgency",
    "hospital_discharge", "person_agrees", "beneficiary",
)


def _check(referral: Referral) -> None:
    unknown = set(referral.priority_situations) - set(PrioritySituation.values)
    if unknown:
        raise DomainError("Situation prioritaire inconnue.", field="priority_situations")
    if referral.person_birth_date and referral.person_birth_date > date.today():
        raise DomainError("La date de naissance est dans le futur.", field="person_birth_date")
    for fk in ("person_commune", "referrer_organization", "referrer_professional",
               "beneficiary"):
        obj = getattr(referral, fk)
        if obj is not None and obj.crt_id != referral.crt_id:
            raise DomainError("Élément inconnu.", field=fk)
    validate(referral, exclude=[
        "crt", "created_by", "updated_by", "person_commune", "referrer_organization",
        "referrer_professional", "beneficiary", "decided_by", "redirected_to", "next_step_owner",
    ])


def possible_files(referral: Referral) -> list[Beneficiary]:
    """Existing files that may be this person (same birth date and name)."""
    if referral.person_birth_date is None:
        return []
    from maillage.beneficiaries.services import possible_duplicates

    return possible_duplicates(
        crt=referral.crt, birth_name=referral.person_last_name,
        first_name=referral.person_first_name, birth_date=referral.person_birth_date,
    )


def possible_referrals(referral: Referral):
    """Other open referrals for the same person."""
    qs = Referral.objects.filter(
        crt=referral.crt, person_last_name__iexact=referral.person_last_name,
        status__in=[Referral.Status.RECEIVED, Referral.Status.WAITING],
    ).exclude(pk=referral.pk)
    if referral.person_birth_date:
        qs = qs.filter(person_birth_date=referral.person_birth_date)
    else:
        qs = qs.filter(person_first_name__iexact=referral.person_first_name)
    return list(qs[:10])


@transaction.atomic
def referral_create(*, actor, crt: Crt, source: str, **fields) -> Referral:
    unknown = set(fields) - set(REFERRAL_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    referral = Referral(
        crt=crt, source=source, received_at=timezone.now(), created_by=actor, updated_by=actor,
        **fields,
    )
    _check(referral)
    referral.eligibility_warnings = [c.message for c in eligibility_checks(referral)]
    referral.save()
    audit_log(actor=actor, action="referral.received", obj=referral, crt=crt,
              beneficiary=referral.beneficiary,
              details={"origine": referral.get_source_display()})
    send_email(
        to=referral.referrer_email,
        subject=f"{crt.name} : demande reçue",
        body=(
            f"Bonjour,\n\nLe {crt.name} a bien reçu votre demande d'accompagnement renforcé à "
            "domicile. La coordination l'examine et vous tiendra informé·e de sa décision.\n\n"
            f"Pour toute question : {crt.phone or crt.email}.\n\n{crt.name}"
        ),
    )
    return referral


DECISION_VERBS = {"accept": "accepted", "decline": "declined", "redirect": "redirected"}
DECISIONS = {
    "accept": Referral.Status.WAITING,
    "decline": Referral.Status.DECLINED,
    "redirect": Referral.Status.REDIRECTED,
}


@transaction.atomic
def referral_decide(*, actor, referral: Referral, version: int, decision: str,
                    reason: str = "", redirected_to=None, override: str = "",
                    next_step: str = "", next_step_owner=None) -> Referral:
    if referral.status != Referral.Status.RECEIVED:
        raise DomainError("Cette demande a déjà été examinée.", code="conflict")
    if decision not in DECISIONS:
        raise DomainError("Choisissez une décision.", field="decision")
    reason = reason.strip()
    blocking = [c.message for c in eligibility_checks(referral) if c.blocking]
    if decision == "accept" and blocking and not override.strip():
        raise DomainError(
            "Cette personne ne remplit pas tous les critères : justifiez par écrit "
            "l'inscription en liste d'attente (" + " ".join(blocking) + ")",
            field="override",
        )
    if decision in {"decline", "redirect"} and not reason:
        raise DomainError("Indiquez le motif de la décision, il sera transmis à la personne "
                          "qui a orienté.", field="reason")
    if decision == "redirect":
        if redirected_to is None:
            raise DomainError("Indiquez vers quelle structure la demande est réorientée.",
                              field="redirected_to")
        if redirected_to.crt_id != referral.crt_id:
            raise DomainError("Structure inconnue.", field="redirected_to")
    referral.status = DECISIONS[decision]
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    referral.decision_reason = reason
    referral.redirected_to = redirected_to if decision == "redirect" else None
    referral.eligibility_override = override.strip() if decision == "accept" else ""
    referral.eligibility_warnings = [c.message for c in eligibility_checks(referral)]
    if decision == "accept":
        referral.next_step = next_step.strip() or "Visite à domicile d'évaluation"
        referral.next_step_owner = next_step_owner or actor
    save_versioned(referral, actor=actor, version=version, fields=[
        "status", "decided_at", "decided_by", "decision_reason", "redirected_to",
        "eligibility_override", "eligibility_warnings", "next_step", "next_step_owner",
    ])
    audit_log(actor=actor, action=f"referral.{DECISION_VERBS[decision]}",
              obj=referral, beneficiary=referral.beneficiary,
              details={"décision": referral.get_status_display(),
                       "dérogation": bool(referral.eligibility_override)})
    crt = referral.crt
    outcome = {
        "accept": "La demande est acceptée : la personne est inscrite sur la liste d'attente "
                  "du volet 2. La coordination prendra contact pour la visite d'évaluation.",
        "decline": f"La demande n'a pas pu être retenue. Motif : {reason}",
        "redirect": f"La demande est réorientée vers {getattr(redirected_to, 'name', '')}. "
                    f"Motif : {reason}",
    }[decision]
    send_email(
        to=referral.referrer_email,
        subject=f"{crt.name} : décision sur votre demande",
        body=(f"Bonjour,\n\nVotre demande concernant {referral.person_first_name} "
              f"{referral.person_last_name.upper()} a été examinée.\n\n{outcome}\n\n"
              f"Pour toute question : {crt.phone or crt.email}.\n\n{crt.name}"),
    )
    return referral


@transaction.atomic
def referral_set_next_step(*, actor, referral: Referral, version: int, next_step: str,
                           next_step_owner) -> Referral:
    if referral.status != Referral.Status.WAITING:
        raise DomainError("Seules les demandes en liste d'attente ont une prochaine étape.")
    if not next_step.strip():
        raise DomainError("Indiquez la prochaine étape.", field="next_step")
    referral.next_step, referral.next_step_owner = next_step.strip(), next_step_owner
    save_versioned(referral, actor=actor, version=version,
                   fields=["next_step", "next_step_owner"])
    audit_log(actor=actor, action="referral.next_step_set", obj=referral,
              beneficiary=referral.beneficiary, details={"étape": referral.next_step})
    return referral


@transaction.atomic
def enrolment_open(*, actor, beneficiary: Beneficiary, admitted_on: date, referent,
                   gir_at_entry: int, referral: Referral | None = None,
                   emergency_path: bool = False):
    """Admit into the file active. The admission procedure (steps, contract) builds on this."""
    from .models import Enrolment

    if Enrolment.objects.filter(beneficiary=beneficiary, ended_on__isnull=True).exists():
        raise DomainError("Cette personne est déjà dans la file active.")
    if admitted_on > date.today():
        raise DomainError("La date d'admission est dans le futur.", field="admitted_on")
    if not 1 <= gir_at_entry <= 6:
        raise DomainError("Le GIR va de 1 à 6.", field="gir_at_entry")
    if referral is not None and referral.crt_id != beneficiary.crt_id:
        raise DomainError("Demande inconnue.", field="referral")
    enrolment = Enrolment.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, referral=referral,
        admitted_on=admitted_on, referent=referent, gir_at_entry=gir_at_entry,
        emergency_path=emergency_path, created_by=actor, updated_by=actor,
    )
    if referral is not None:
        referral.status, referral.beneficiary = Referral.Status.ADMITTED, beneficiary
        referral.next_step, referral.next_step_owner = "", None
        save_versioned(referral, actor=actor, version=referral.version,
                       fields=["status", "beneficiary", "next_step", "next_step_owner"])
    audit_log(actor=actor, action="enrolment.opened", obj=enrolment, beneficiary=beneficiary)
    from maillage.beneficiaries.services import timeline_add

    timeline_add(beneficiary=beneficiary, kind="enrolment.opened", actor=actor,
                 title=f"Admission dans la file active (GIR {gir_at_entry})"
                       + (" — parcours d'urgence" if emergency_path else ""))
    return enrolment
