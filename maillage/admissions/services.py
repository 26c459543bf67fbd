"""Writes of the admission process: referrals, review, waiting list."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import Crt
from maillage.core.notify import send_email
from maillage.core.versioning import save_versioned, validate

from .eligibility import eligibility_checks
from .forfait import forfait_months_refresh
from .models import AdmissionStep, Contract, Enrolment, PrioritySituation, Referral, Suspension

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
    if referral.person_birth_date and referral.person_birth_date > timezone.localdate():
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
    """Existing files that may be this person (same birth date and name), other than the file
    opened or linked for this request."""
    if referral.person_birth_date is None:
        return []
    from maillage.beneficiaries.services import possible_duplicates

    return possible_duplicates(
        crt=referral.crt, birth_name=referral.person_last_name,
        first_name=referral.person_first_name, birth_date=referral.person_birth_date,
        exclude_pk=referral.beneficiary_id,
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
def referral_create(*, actor, crt: Crt, source: str, received_at=None, **fields) -> Referral:
    """``received_at`` defaults to now; an import (or the demo's history) may give the date."""
    unknown = set(fields) - set(REFERRAL_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    received_at = received_at or timezone.now()
    if received_at > timezone.now():
        raise DomainError("La date de réception est dans le futur.")
    referral = Referral(
        crt=crt, source=source, received_at=received_at, created_by=actor, updated_by=actor,
        **fields,
    )
    _check(referral)
    referral.eligibility_warnings = [c.message for c in eligibility_checks(referral)]
    referral.save()
    audit_log(actor=actor, action="referral.received", obj=referral, crt=crt,
              beneficiary=referral.beneficiary,
              details={"origine": referral.get_source_display()})
    send_email(
        crt=crt,
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
                    next_step: str = "", next_step_owner=None, meeting=None) -> Referral:
    """The review of a request: on the waiting list, declined or redirected; ``meeting``, the
    admission commission that examined it, when one did."""
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
    if meeting is not None:
        _check_commission(meeting, referral=referral, on=timezone.localdate(),
                          field="meeting", late="La commission d'admission choisie se tient "
                                                "après aujourd'hui : elle n'a pas encore "
                                                "examiné la demande.")
    referral.status = DECISIONS[decision]
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    referral.decision_reason = reason
    referral.redirected_to = redirected_to if decision == "redirect" else None
    referral.eligibility_override = override.strip() if decision == "accept" else ""
    referral.eligibility_warnings = [c.message for c in eligibility_checks(referral)]
    referral.decision_meeting = meeting
    if decision == "accept":
        referral.next_step = next_step.strip() or "Visite à domicile d'évaluation"
        referral.next_step_owner = next_step_owner or actor
    save_versioned(referral, actor=actor, version=version, fields=[
        "status", "decided_at", "decided_by", "decision_reason", "redirected_to",
        "eligibility_override", "eligibility_warnings", "next_step", "next_step_owner",
        "decision_meeting",
    ])
    audit_log(actor=actor, action=f"referral.{DECISION_VERBS[decision]}",
              obj=referral, beneficiary=referral.beneficiary,
              details={"décision": referral.get_status_display(),
                       "dérogation": bool(referral.eligibility_override),
                       **({"commission d'admission": str(meeting)}
                          if meeting is not None else {})})
    crt = referral.crt
    outcome = {
        "accept": "La demande est acceptée : la personne est inscrite sur la liste d'attente "
                  "du volet 2. La coordination prendra contact pour la visite d'évaluation.",
        "decline": f"La demande n'a pas pu être retenue. Motif : {reason}",
        "redirect": f"La demande est réorientée vers {getattr(redirected_to, 'name', '')}. "
                    f"Motif : {reason}",
    }[decision]
    send_email(
        crt=crt,
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
                   emergency_path: bool = False, capacity_justification: str = "",
                   capacity_message: str = "", admission_meeting=None):
    """Admit into the file active (the decision of ``admission_decide``, or the demo)."""
    if Enrolment.objects.filter(beneficiary=beneficiary, ended_on__isnull=True).exists():
        raise DomainError("Cette personne est déjà dans la file active.")
    if admitted_on > timezone.localdate():
        raise DomainError("La date d'admission est dans le futur.", field="admitted_on")
    if not 1 <= gir_at_entry <= 6:
        raise DomainError("Le GIR va de 1 à 6.", field="gir_at_entry")
    if referral is not None and referral.crt_id != beneficiary.crt_id:
        raise DomainError("Demande inconnue.", field="referral")
    enrolment = Enrolment.objects.create(
        crt=beneficiary.crt, beneficiary=beneficiary, referral=referral,
        admitted_on=admitted_on, referent=referent, gir_at_entry=gir_at_entry,
        emergency_path=emergency_path, capacity_justification=capacity_justification,
        admission_meeting=admission_meeting, created_by=actor, updated_by=actor,
    )
    forfait_months_refresh(enrolments=[enrolment])
    from maillage.care.services.plans import careplan_drafts_take_referent

    careplan_drafts_take_referent(actor=actor, beneficiary=beneficiary)
    if referral is not None:
        referral.status, referral.beneficiary = Referral.Status.ADMITTED, beneficiary
        referral.next_step, referral.next_step_owner = "", None
        save_versioned(referral, actor=actor, version=referral.version,
                       fields=["status", "beneficiary", "next_step", "next_step_owner"])
    audit_log(actor=actor, action="enrolment.opened", obj=enrolment, beneficiary=beneficiary,
              details={**({"capacité": capacity_message,
                           "justification": capacity_justification}
                          if capacity_justification else {}),
                       **({"commission d'admission": str(admission_meeting)}
                          if admission_meeting is not None else {})} or None)
    from maillage.beneficiaries.services import timeline_add

    timeline_add(beneficiary=beneficiary, kind="enrolment.opened", actor=actor,
                 title=f"Admission dans la file active (GIR {gir_at_entry})"
                       + (" — parcours d'urgence" if emergency_path else ""))
    return enrolment


# --- Admission procedure ---------------------------------------------------------------------

PROCEDURE = [
    AdmissionStep.Kind.HOME_VISIT,
    AdmissionStep.Kind.MEDICAL_EVALUATION,
    AdmissionStep.Kind.TEAM_OPINION,
    AdmissionStep.Kind.PLAN_DRAFTED,
    AdmissionStep.Kind.CONTRACT_SIGNED,
    AdmissionStep.Kind.AGREEMENT,
]

#: Steps whose form asks an opinion (avis); the others are done or not.
STEPS_WITH_OUTCOME = {
    AdmissionStep.Kind.HOME_VISIT, AdmissionStep.Kind.MEDICAL_EVALUATION,
    AdmissionStep.Kind.TEAM_OPINION,
}


#: How the next step reads on the waiting list.
NEXT_STEP_LABELS = {
    AdmissionStep.Kind.HOME_VISIT: "Visite à domicile d'évaluation",
    AdmissionStep.Kind.MEDICAL_EVALUATION: "Évaluation médicale",
    AdmissionStep.Kind.TEAM_OPINION: "Avis de l'équipe / commission d'admission",
    AdmissionStep.Kind.PLAN_DRAFTED: "Élaboration du plan d'accompagnement",
    AdmissionStep.Kind.CONTRACT_SIGNED: "Signature du contrat",
    AdmissionStep.Kind.AGREEMENT: "Accord de la personne ou de son représentant légal",
}


def steps_due(referral: Referral) -> list[str]:
    done = {s.kind for s in referral.steps.all()}
    return [kind for kind in PROCEDURE if kind not in done]


def latest_care_plan_version(referral: Referral):
    """The newest version of the file's personalised plan (care app), if any."""
    if not referral.beneficiary_id:
        return None
    from maillage.care.models import CarePlanVersion

    return (CarePlanVersion.objects.filter(plan__beneficiary_id=referral.beneficiary_id)
            .order_by("-number").first())


def plan_exists(referral: Referral) -> bool:
    """The plan step is done, or the file has a version of its personalised plan."""
    return (referral.steps.filter(kind=AdmissionStep.Kind.PLAN_DRAFTED).exists()
            or latest_care_plan_version(referral) is not None)


def contract_blocker(referral: Referral) -> str:
    """Why the contract cannot be generated yet ("" when it can)."""
    if referral.beneficiary_id is None:
        return "Ouvrez ou reliez d'abord le dossier de la personne."
    if not plan_exists(referral):
        return ("Le plan d'accompagnement n'existe pas encore : le contrat en reprend les "
                "prestations, élaborez d'abord le plan.")
    return ""


def legal_representative(beneficiary: Beneficiary | None) -> str:
    """The legal representative named in the file (protection measure and its mandataire)."""
    if beneficiary is None or not beneficiary.protection_measure:
        return ""
    return beneficiary.protection_contact.strip()


def agreement_blocker(referral: Referral) -> str:
    if referral.beneficiary_id is None:
        return ("Ouvrez ou reliez d'abord le dossier de la personne (le représentant légal "
                "éventuel y est indiqué).")
    return ""


def agreement_withdrawn(referral: Referral) -> str:
    """Why the agreement step, recorded, no longer counts ("" while it does): the file's
    consent to the contract was withdrawn or refused since (it takes effect at once)."""
    from .selectors import agreement

    given = agreement(referral)
    if given.given:
        return ""
    return (f"L'accord de la personne n'est plus en vigueur ({given.text.removeprefix('non — ')})"
            " : enregistrez son nouveau consentement au contrat dans le dossier (Consentements).")


def decision_blockers(referral: Referral) -> list[str]:
    """Why the admission cannot be decided yet (empty when it can)."""
    blockers = []
    if referral.beneficiary_id is None:
        blockers.append("Ouvrez ou reliez d'abord le dossier de la personne.")
    due = steps_due(referral)
    if AdmissionStep.Kind.AGREEMENT in due:
        blockers.append("L'accord de la personne ou de son représentant légal n'est pas "
                        "enregistré.")
    elif blocker := agreement_withdrawn(referral):
        blockers.append(blocker)
    others = [k for k in due if k != AdmissionStep.Kind.AGREEMENT]
    if others and not referral.hospital_discharge:
        labels = ", ".join(AdmissionStep.Kind(k).label.lower() for k in others)
        blockers.append(f"Étapes restant à réaliser avant la décision : {labels}.")
    return blockers


@dataclass(frozen=True)
class Capacity:
    """The file active against the CRT's number of places (``Crt.places``; the file active
    target, at least 30, is an objective, not a ceiling)."""

    active: int
    places: int

    @property
    def reached(self) -> bool:
        return self.active >= self.places

    @property
    def message(self) -> str:
        return (f"Capacité atteinte : {self.active} personne{'s' if self.active > 1 else ''} "
                f"accompagnée{'s' if self.active > 1 else ''} pour {self.places} "
                f"place{'s' if self.places > 1 else ''}.")


def capacity(crt: Crt) -> Capacity:
    return Capacity(
        active=Enrolment.objects.filter(crt=crt, ended_on__isnull=True).count(),
        places=crt.places,
    )


def _check_version(referral: Referral, version: int | None) -> None:
    """The referral has not changed since the form was read (checked under a row lock)."""
    if version is None:
        return
    current = Referral.objects.select_for_update().filter(pk=referral.pk) \
        .values_list("version", flat=True).first()
    if current != version:
        raise ConflictError()


@transaction.atomic
def step_record(*, actor, referral: Referral, kind: str, done_on: date, outcome: str = "",
                notes: str = "", joint_organizations=(), gp_associated: bool = False,
                plan_summary: str = "", agreed_by: str = "", agreement_method: str = "",
                version: int | None = None, meeting=None) -> AdmissionStep:
    """One step of the procedure; for the team opinion, ``meeting`` is the admission commission
    that gave it, when one did (ignored for the other steps)."""
    _check_version(referral, version)
    if referral.status not in {Referral.Status.WAITING, Referral.Status.ADMITTED}:
        raise DomainError("La procédure d'admission concerne une personne en liste d'attente "
                          "(ou admise en urgence).")
    if kind not in AdmissionStep.Kind.values:
        raise DomainError("Étape inconnue.", field="kind")
    if done_on > timezone.localdate():
        raise DomainError("La date est dans le futur.", field="done_on")
    if kind in STEPS_WITH_OUTCOME:
        if outcome not in AdmissionStep.Outcome.values:
            raise DomainError("Indiquez l'avis.", field="outcome")
    else:
        outcome, joint_organizations, gp_associated = AdmissionStep.Outcome.FAVOURABLE, (), False
    if kind != AdmissionStep.Kind.PLAN_DRAFTED:
        plan_summary = ""
    if kind != AdmissionStep.Kind.TEAM_OPINION:
        meeting = None
    if meeting is not None:
        _check_commission(meeting, referral=referral, on=done_on, field="meeting",
                          late="La commission d'admission choisie se tient après la date "
                               "de l'avis.")
    representative = ""
    if kind == AdmissionStep.Kind.AGREEMENT:
        if blocker := agreement_blocker(referral):
            raise DomainError(blocker, field="kind")
        if agreed_by not in AdmissionStep.AgreedBy.values:
            raise DomainError("Indiquez qui a donné son accord.", field="agreed_by")
        if agreement_method not in AdmissionStep.AgreementMethod.values:
            raise DomainError("Indiquez comment l'accord a été donné.",
                              field="agreement_method")
        if agreed_by == AdmissionStep.AgreedBy.LEGAL_REPRESENTATIVE:
            representative = legal_representative(referral.beneficiary)
            if not representative:
                raise DomainError("Le dossier n'indique pas de représentant légal (mesure de "
                                  "protection et mandataire) : complétez-le d'abord, ou "
                                  "recueillez l'accord de la personne.", field="agreed_by")
    else:
        agreed_by = agreement_method = ""
    care_plan_version = None
    if kind == AdmissionStep.Kind.PLAN_DRAFTED:
        # The personalised plan of the file, when it exists, is what this step records.
        care_plan_version = latest_care_plan_version(referral)
        if not plan_summary.strip() and care_plan_version is None:
            raise DomainError("Résumez le plan d'accompagnement élaboré (ou rédigez le plan "
                              "personnalisé dans le dossier).", field="plan_summary")
    if kind == AdmissionStep.Kind.CONTRACT_SIGNED:
        contract = referral.contracts.order_by("-created_at").first()
        if contract is None:
            raise DomainError("Générez d'abord le contrat d'accompagnement.", field="kind")
    for org in joint_organizations:
        if org.crt_id != referral.crt_id:
            raise DomainError("Structure inconnue.", field="joint_organizations")
    if referral.steps.filter(kind=kind).exists():
        raise DomainError("Cette étape est déjà enregistrée.", field="kind")
    step = AdmissionStep.objects.create(
        crt=referral.crt, referral=referral, kind=kind, done_on=done_on, done_by=actor,
        outcome=outcome, notes=notes, gp_associated=gp_associated,
        plan_summary=plan_summary.strip(), care_plan_version=care_plan_version,
        agreed_by=agreed_by, agreed_by_name=representative,
        agreement_method=agreement_method, meeting=meeting, created_by=actor,
        updated_by=actor,
    )
    step.joint_organizations.set(joint_organizations)
    if kind == AdmissionStep.Kind.CONTRACT_SIGNED:
        Contract.objects.filter(pk=contract.pk).update(signed_on=done_on)
    details = {"étape": step.get_kind_display()}
    if kind in STEPS_WITH_OUTCOME:
        details["avis"] = step.get_outcome_display()
    if meeting is not None:
        details["commission d'admission"] = str(meeting)
    if kind == AdmissionStep.Kind.AGREEMENT:
        details.update({"accord de": step.get_agreed_by_display(),
                        "modalité": step.get_agreement_method_display()})
        _agreement_in_file(actor=actor, referral=referral, step=step)
    remaining = steps_due(referral)
    if referral.status == Referral.Status.WAITING:
        referral.next_step = (
            NEXT_STEP_LABELS[remaining[0]] if remaining else "Décision d'admission"
        )
        save_versioned(referral, actor=actor, version=referral.version, fields=["next_step"])
    audit_log(actor=actor, action="admission_step.recorded", obj=step,
              beneficiary=referral.beneficiary, details=details)
    if referral.beneficiary:
        from maillage.beneficiaries.services import timeline_add

        title = f"Admission : {step.get_kind_display().lower()}"
        if kind in STEPS_WITH_OUTCOME:
            title += f" ({step.get_outcome_display().lower()})"
        timeline_add(beneficiary=referral.beneficiary, kind=f"admission.{kind}", actor=actor,
                     title=title)
    return step


def _agreement_in_file(*, actor, referral: Referral, step: AdmissionStep) -> None:
    """The agreement is kept in the file as its consent to the accompaniment contract."""
    from maillage.beneficiaries.models import Consent
    from maillage.beneficiaries.services import consent_record

    by_representative = step.agreed_by == AdmissionStep.AgreedBy.LEGAL_REPRESENTATIVE
    method = Consent.Method.REPRESENTATIVE if by_representative else (
        Consent.Method.WRITTEN if step.agreement_method == AdmissionStep.AgreementMethod.WRITTEN
        else Consent.Method.ORAL)
    who = f"son représentant légal, {step.agreed_by_name}" if by_representative else \
        "la personne elle-même"
    consent_record(
        actor=actor, beneficiary=referral.beneficiary, kind=Consent.Kind.CONTRACT,
        granted=True, collected_on=step.done_on, method=method,
        scope_notes=f"Accord à l'admission donné par {who} "
                    f"({step.get_agreement_method_display().lower()}).",
    )


@transaction.atomic
def referral_link_file(*, actor, referral: Referral, beneficiary: Beneficiary) -> Referral:
    if beneficiary.crt_id != referral.crt_id:
        raise DomainError("Dossier inconnu.")
    referral.beneficiary = beneficiary
    save_versioned(referral, actor=actor, version=referral.version, fields=["beneficiary"])
    audit_log(actor=actor, action="referral.file_linked", obj=referral, beneficiary=beneficiary)
    return referral


@transaction.atomic
def admission_decide(*, actor, referral: Referral, admitted_on: date, referent,
                     gir_at_entry: int | None = None, capacity_justification: str = "",
                     version: int | None = None, admission_meeting=None) -> Enrolment:
    """The coordinator's decision. Normal path: every step done and favourable. Emergency path
    (admission recommended at hospital discharge): admit first, the steps still due are
    listed on the file active. Never without the recorded agreement of the person or of
    their legal representative; above capacity, only with a written justification."""
    # The CRT row is locked so that two admissions decided at once count each other.
    crt = Crt.objects.select_for_update().get(pk=referral.crt_id)
    _check_version(referral, version)
    if referral.status != Referral.Status.WAITING:
        raise DomainError("Seule une personne en liste d'attente peut être admise.")
    if blockers := decision_blockers(referral):
        raise DomainError(" ".join(blockers))
    due = steps_due(referral)
    emergency = referral.hospital_discharge
    unfavourable = referral.steps.filter(outcome=AdmissionStep.Outcome.UNFAVOURABLE)
    if unfavourable.exists():
        raise DomainError("Une étape a reçu un avis défavorable : l'admission n'est pas "
                          "possible en l'état.")
    gir = gir_at_entry or referral.beneficiary.current_gir or referral.known_gir
    if gir is None:
        raise DomainError("Le GIR à l'entrée est inconnu : renseignez-le ou faites "
                          "l'évaluation AGGIR.", field="gir_at_entry")
    if admission_meeting is not None:
        _check_commission(admission_meeting, referral=referral, on=admitted_on,
                          field="admission_meeting",
                          late="La commission d'admission choisie se tient après la date "
                               "d'admission.")
    places = capacity(crt)
    capacity_justification = capacity_justification.strip() if places.reached else ""
    if places.reached and not capacity_justification:
        raise DomainError(f"{places.message} Justifiez l'admission au-delà de la capacité.",
                          field="capacity_justification")
    return enrolment_open(actor=actor, beneficiary=referral.beneficiary,
                          admitted_on=admitted_on, referent=referent, gir_at_entry=gir,
                          referral=referral, emergency_path=bool(due) and emergency,
                          capacity_justification=capacity_justification,
                          capacity_message=places.message if places.reached else "",
                          admission_meeting=admission_meeting)


def _check_commission(meeting, *, referral: Referral, on: date, field: str, late: str) -> None:
    """The commission that examined a request (its review, its team opinion, its admission):
    an admission commission of this CRT, held on or before ``on`` (else ``late``), and not
    before the request came in (it could not have examined it)."""
    from maillage.organisation.models import Meeting

    if meeting.crt_id != referral.crt_id or meeting.kind != Meeting.Kind.ADMISSION_COMMISSION:
        raise DomainError("Choisissez une commission d'admission du CRT.", field=field)
    if meeting.held_on > on:
        raise DomainError(late, field=field)
    received = received_on(referral)
    if meeting.held_on < received:
        raise DomainError(f"La commission d'admission choisie s'est tenue le "
                          f"{meeting.held_on:%d/%m/%Y}, avant la réception de la demande (le "
                          f"{received:%d/%m/%Y}) : elle ne l'a pas examinée.", field=field)


def received_on(referral: Referral) -> date:
    """The day (Paris time) the request came in: no commission before it examined it."""
    return timezone.localtime(referral.received_at).date()


# --- Contract ------------------------------------------------------------------------------

SOCLE_DOMAINS = [
    ("Sécurisation de l'environnement", "surveillance et sécurisation du domicile jour et nuit, "
     "accompagnement à l'adaptation du logement"),
    ("Gestion des situations de crise et soutien des aidants", "gestion des ruptures "
     "d'accompagnement et des sorties d'hospitalisation, soutien et orientation des aidants "
     "vers des solutions de répit"),
    ("Suivi renforcé", "suivi des plans d'accompagnement et de soins, coordination de "
     "l'ensemble des interventions, surveillance gériatrique"),
    ("Continuité du projet de vie et lutte contre l'isolement", "maintien de la vie sociale, "
     "accompagnement du parcours de vie"),
]


def parse_optional_services(text: str) -> list[dict]:
    """One line per service: « libellé ; prix en euros ; prestataire (facultatif) »."""
    from decimal import Decimal, InvalidOperation

    services_ = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) < 2 or not parts[0]:
            raise DomainError(f"Ligne {number} : écrivez « libellé ; prix ; prestataire ».",
                              field="optional_services")
        try:
            price = Decimal(parts[1].replace(",", ".").replace("€", "").strip())
        except InvalidOperation as exc:
            raise DomainError(f"Ligne {number} : le prix « {parts[1]} » n'est pas un nombre.",
                              field="optional_services") from exc
        if price < 0:
            raise DomainError(f"Ligne {number} : le prix ne peut pas être négatif.",
                              field="optional_services")
        services_.append({"label": parts[0], "price": f"{price:.2f}",
                          "provider": parts[2] if len(parts) > 2 else ""})
    return services_


@transaction.atomic
def contract_generate(*, actor, referral: Referral, optional_services_text: str = ""):
    from django.core.files.base import ContentFile
    from django.template.loader import render_to_string

    from maillage.core.pdf import render_pdf

    if blocker := contract_blocker(referral):
        raise DomainError(blocker)
    if referral.contracts.filter(signed_on__isnull=False).exists():
        raise DomainError("Le contrat est déjà signé : il ne peut plus être régénéré.")
    optional = parse_optional_services(optional_services_text)
    b = referral.beneficiary
    contract = Contract(crt=referral.crt, referral=referral, beneficiary=b,
                        optional_services=optional, created_by=actor, updated_by=actor)
    html = render_to_string("admissions/contract_pdf.html", {
        "crt": referral.crt, "b": b, "socle": SOCLE_DOMAINS, "optional": optional,
        "consents": b.consents.filter(withdrawn_at__isnull=True).select_related(
            "organization"),
        "caregivers": b.caregivers.all(), "today": timezone.localdate(),
    })
    pdf = render_pdf(html)
    contract.file.save(f"{contract.public_id}.pdf", ContentFile(pdf), save=False)
    contract.save()
    from maillage.beneficiaries.models import Document

    doc = Document(crt=b.crt, beneficiary=b, category=Document.Category.CONTRACT,
                   title="Contrat d'accompagnement", document_date=timezone.localdate(),
                   original_name="contrat-accompagnement.pdf", content_type="application/pdf",
                   size=len(pdf), created_by=actor, updated_by=actor)
    doc.file.save(f"{doc.public_id}.pdf", ContentFile(pdf), save=False)
    doc.save()
    audit_log(actor=actor, action="contract.generated", obj=contract, beneficiary=b)
    return contract


# --- Suspensions and exits -----------------------------------------------------------------


def _check_suspension(s: Suspension) -> None:
    e = s.enrolment
    if s.start_date < e.admitted_on:
        raise DomainError("La sortie temporaire commence avant l'admission.", field="start_date")
    if e.ended_on and (s.end_date or date.max) > e.ended_on:
        raise DomainError("La sortie temporaire dépasse la date de sortie définitive.",
                          field="end_date")
    if s.end_date and s.end_date < s.start_date:
        raise DomainError("La date de fin précède la date de début.", field="end_date")
    overlap = Suspension.objects.filter(enrolment=e).exclude(pk=s.pk).filter(
        start_date__lte=s.end_date or date.max).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=s.start_date))
    if overlap.exists():
        raise DomainError("Cette période chevauche une autre sortie temporaire.",
                          field="start_date")


#: Days the coordination has to review the plan after a return home (issue 11).
REVIEW_AFTER_RETURN_DAYS = 3


def _absence_reason(s: Suspension) -> str:
    from maillage.visits.models import Visit

    if s.kind == Suspension.Kind.HOSPITALISATION:
        return Visit.NotDoneReason.HOSPITALISED
    return Visit.NotDoneReason.TEMPORARY_EXIT


def _tell_care_team(*, actor, suspension: Suspension, text: str) -> int:
    """The care team and the coordinators, of those who may read the person's planning now."""
    from django.urls import reverse

    from maillage.beneficiaries.access import users_with_access
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.core.models import Membership
    from maillage.core.notifications import notify
    from maillage.core.roles import Role

    b = suspension.enrolment.beneficiary
    members = CareTeamMember.objects.active().filter(beneficiary=b).select_related(
        "user", "professional__user")
    users = [m.user or (m.professional.user if m.professional_id else None) for m in members]
    coordinators = [m.user for m in Membership.objects.filter(
        crt=b.crt, is_active=True, roles__role=Role.COORDINATOR).select_related("user")]
    return notify(crt=b.crt, exclude=actor,
                  users=users_with_access("planning", beneficiary=b,
                                          users=users + coordinators),
                  text=f"{text} — {b.display_name}",
                  url=reverse("visits:beneficiary", kwargs={"public_id": b.public_id}),
                  beneficiary=b, face="planning")


def _ask_review(*, actor, suspension: Suspension) -> None:
    from datetime import timedelta

    from maillage.care.services.plans import plan_review_request

    plan_review_request(
        actor=actor, beneficiary=suspension.enrolment.beneficiary,
        due_on=suspension.end_date + timedelta(days=REVIEW_AFTER_RETURN_DAYS),
        reason=f"retour à domicile le {suspension.end_date:%d/%m/%Y} "
               f"({suspension.get_kind_display().lower()})")


@transaction.atomic
def suspension_start(*, actor, enrolment: Enrolment, kind: str, start_date: date,
                     reason: str, place: str = "", end_date: date | None = None) -> Suspension:
    """A temporary exit, in one transaction: the person's planned visits of the period are
    cancelled (the series generate none inside it), the care team is told and, the return
    date being known, the plan's review is asked for three days after it."""
    from maillage.visits.services import visits_suspend

    if not enrolment.is_active:
        raise DomainError("La personne n'est plus dans la file active.")
    if kind not in Suspension.Kind.values:
        raise DomainError("Choisissez le type de sortie temporaire.", field="kind")
    if not reason.strip():
        raise DomainError("Indiquez le motif.", field="reason")
    if end_date is not None and end_date < start_date:
        raise DomainError("La date de fin précède la date de début.", field="end_date")
    s = Suspension(crt=enrolment.crt, enrolment=enrolment, kind=kind, start_date=start_date,
                   end_date=end_date, place=place, reason=reason.strip(), created_by=actor,
                   updated_by=actor)
    validate(s, exclude=["crt", "enrolment", "created_by", "updated_by"])
    _check_suspension(s)
    s.save()
    forfait_months_refresh(enrolments=[enrolment])
    b = enrolment.beneficiary
    cancelled = visits_suspend(actor=actor, beneficiary=b, first_day=start_date,
                               return_day=end_date, reason=_absence_reason(s))
    audit_log(actor=actor, action="suspension.started", obj=s, beneficiary=b,
              details={"type": s.get_kind_display(), "du": f"{start_date:%d/%m/%Y}",
                       "passages annulés": cancelled})
    from maillage.beneficiaries.services import timeline_add

    timeline_add(beneficiary=b, kind="suspension.started", actor=actor,
                 title=f"Sortie temporaire : {s.get_kind_display().lower()}"
                       + (f" ({place})" if place else ""))
    until = f", retour prévu le {end_date:%d/%m/%Y}" if end_date else ""
    _tell_care_team(actor=actor, suspension=s,
                    text=f"Visites suspendues : {s.get_kind_display().lower()} depuis le "
                         f"{start_date:%d/%m/%Y}{until}")
    if end_date is not None:
        _ask_review(actor=actor, suspension=s)
    return s


@transaction.atomic
def suspension_end(*, actor, suspension: Suspension, end_date: date, version: int):
    """The return home (or a new return date): the visits follow — planned again from the
    return on, cancelled until it when the absence lasts longer than known — the care team is
    told and the plan's review is asked for three days after the return."""
    from maillage.visits.services import visits_resume, visits_suspend

    if end_date is None:
        raise DomainError("Indiquez la date de retour.", field="end_date")
    before = suspension.end_date
    suspension.end_date = end_date
    _check_suspension(suspension)
    save_versioned(suspension, actor=actor, version=version, fields=["end_date"])
    forfait_months_refresh(enrolments=[suspension.enrolment_id])
    b = suspension.enrolment.beneficiary
    if before is None or end_date < before:
        moved = visits_resume(actor=actor, beneficiary=b, from_day=end_date, until_day=before)
    else:
        moved = -visits_suspend(actor=actor, beneficiary=b, first_day=before,
                                return_day=end_date, reason=_absence_reason(suspension))
    audit_log(actor=actor, action="suspension.ended", obj=suspension, beneficiary=b,
              details={"retour le": f"{end_date:%d/%m/%Y}",
                       **({"passages replanifiés": moved} if moved >= 0
                          else {"passages annulés": -moved})})
    from maillage.beneficiaries.services import timeline_add

    timeline_add(beneficiary=b, kind="suspension.ended",
                 actor=actor, title=f"Retour à domicile ({suspension.get_kind_display().lower()}"
                                    f" du {suspension.start_date:%d/%m/%Y})")
    _tell_care_team(actor=actor, suspension=suspension,
                    text=f"Retour à domicile le {end_date:%d/%m/%Y} "
                         f"({suspension.get_kind_display().lower()}) : visites reprises")
    _ask_review(actor=actor, suspension=suspension)
    return suspension


@transaction.atomic
def enrolment_close(*, actor, enrolment: Enrolment, version: int, ended_on: date,
                    exit_reason: str, destination: str = "", notes: str = "",
                    health_related: bool = False, doctor_opinion: str = "") -> Enrolment:
    if not enrolment.is_active:
        raise DomainError("Cette admission est déjà close.", code="conflict")
    if exit_reason not in Enrolment.ExitReason.values:
        raise DomainError("Choisissez le motif de sortie.", field="exit_reason")
    if ended_on < enrolment.admitted_on:
        raise DomainError("La sortie précède l'admission.", field="ended_on")
    if ended_on > timezone.localdate():
        raise DomainError("La date de sortie est dans le futur.", field="ended_on")
    if exit_reason == Enrolment.ExitReason.CRITERIA and health_related and \
            not doctor_opinion.strip():
        raise DomainError("Quand les critères ne sont plus remplis pour raison de santé, "
                          "l'avis du médecin est requis.", field="doctor_opinion")
    if exit_reason == Enrolment.ExitReason.INSTITUTION and not destination.strip():
        raise DomainError("Indiquez l'établissement d'accueil.", field="destination")
    open_suspension = enrolment.suspensions.filter(end_date__isnull=True).first()
    if open_suspension and open_suspension.start_date > ended_on:
        raise DomainError("Une sortie temporaire commence après cette date.", field="ended_on")
    if open_suspension:
        open_suspension.end_date = ended_on
        save_versioned(open_suspension, actor=actor, version=open_suspension.version,
                       fields=["end_date"])
    enrolment.ended_on, enrolment.exit_reason = ended_on, exit_reason
    enrolment.exit_destination, enrolment.exit_notes = destination.strip(), notes.strip()
    enrolment.exit_doctor_opinion = doctor_opinion.strip()
    save_versioned(enrolment, actor=actor, version=version, fields=[
        "ended_on", "exit_reason", "exit_destination", "exit_notes", "exit_doctor_opinion"])
    forfait_months_refresh(enrolments=[enrolment])
    audit_log(actor=actor, action="enrolment.closed", obj=enrolment,
              beneficiary=enrolment.beneficiary,
              details={"motif": enrolment.get_exit_reason_display()})
    from maillage.beneficiaries.services import timeline_add

    timeline_add(beneficiary=enrolment.beneficiary, kind="enrolment.closed", actor=actor,
                 title=f"Sortie définitive : {enrolment.get_exit_reason_display().lower()}")
    return enrolment
