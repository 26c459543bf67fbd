"""Eligibility to volet 2 (SPEC §4.2) and the transparent priority order of the waiting list.

Eligibility checks never block: they warn. Accepting a referral that a check finds out of the
criteria needs a written justification (recorded with the decision).
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from .models import PrioritySituation, Referral


@dataclass(frozen=True)
class Check:
    code: str
    message: str
    blocking: bool  # out of the criteria (needs a justification) vs. still to be checked


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def eligibility_checks(referral: Referral, *, today: date | None = None,
                       agreed: bool | None = None) -> list[Check]:
    """Once the person's file is opened (or linked), its commune, birth date and evaluated GIR
    are the person's, rather than what the request said.

    ``agreed``: whether the person agrees (``selectors.agreement``); by default, the
    ``agreement_given`` annotation of ``selectors.waiting_list``, else the request's word. No query
    here but the linked file (load it with its commune)."""
    today = today or timezone.localdate()
    crt = referral.crt
    checks: list[Check] = []
    person = referral.beneficiary if referral.beneficiary_id else None
    commune = person.commune if person else referral.person_commune
    birth_date = person.birth_date if person else referral.person_birth_date
    gir = (person.current_gir if person else None) or referral.known_gir
    if agreed is None:
        agreed = getattr(referral, "agreement_given", None)
        if agreed is None:
            agreed = referral.person_agrees
    if commune is None:
        checks.append(Check(
            "territory", "La commune de la personne n'est pas dans le territoire du CRT "
            "(ou n'est pas renseignée).", True))
    elif not commune.covers_volet2:
        checks.append(Check(
            "territory", f"{commune.name} n'est pas couverte par le volet 2 du CRT.", True))
    elif commune.travel_minutes > crt.max_travel_minutes:
        checks.append(Check(
            "travel", f"Trajet de {commune.travel_minutes} min depuis le site : au-delà de "
            f"{crt.max_travel_minutes} min, l'astreinte ne peut pas intervenir à temps.", True))
    if gir is None:
        checks.append(Check("gir", "GIR inconnu : à évaluer (GIR 1 à 4 attendu).", False))
    elif gir > 4:
        checks.append(Check(
            "gir", f"GIR {gir} : le volet 2 accompagne les personnes en GIR 1 à 4.", True))
    if referral.lives_in_institution:
        checks.append(Check(
            "home", "La personne vit en établissement : le volet 2 accompagne à domicile.", True))
    if birth_date is None:
        checks.append(Check("age", "Date de naissance inconnue : âge à vérifier (60 ans et "
                            "plus).", False))
    elif age_on(birth_date, today) < 60:
        checks.append(Check(
            "age", f"{age_on(birth_date, today)} ans : le volet 2 accompagne les personnes de "
            "60 ans et plus.", True))
    if not agreed:
        checks.append(Check(
            "agreement", "L'accord de la personne n'est pas encore recueilli.", False))
    return checks


@dataclass(frozen=True)
class Priority:
    score: int
    reasons: list[str]


def priority(referral: Referral) -> Priority:
    """Score = 1 per priority situation, +2 urgent, +2 hospital discharge, +1 GIR 1–2.

    Shown with its reasons on the waiting list; ties are broken by the date of the request.
    """
    labels = dict(PrioritySituation.choices)
    reasons = [labels[p] for p in referral.priority_situations if p in labels]
    score = len(reasons)
    if referral.urgency == Referral.Urgency.URGENT:
        score += 2
        reasons.append("Demande urgente")
    if referral.hospital_discharge:
        score += 2
        reasons.append("Admission préconisée en sortie d'hospitalisation")
    if referral.known_gir in (1, 2):
        score += 1
        reasons.append(f"GIR {referral.known_gir}")
    return Priority(score=score, reasons=reasons)
