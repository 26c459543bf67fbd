"""The access policies of the admission path (SPEC §3, §4.2), each with both faces — the
queryset of what a user may see and the check for one object — built from the same condition
(agreement tested for every user × object in ``tests/test_policy_agreement.py``).

- **Referrals** (requests, the waiting list, the admission steps and contracts): the CRT team
  that follows admissions (``referral.view``: not the activity leader) sees every request of its
  CRT; a partner sees, on the waiting list, the people they referred (themselves or their
  organisation) or whose evaluation their organisation takes part in (joint home visit).
  Clinical free text (the reason, step observations) is further limited to the coordination and
  the nurses, and to the health professionals of the person's care team or who recorded one of
  the request's steps (``reads_referral_clinical_text``).
- **Enrolments** (the file active, temporary and definitive exits): the roles holding
  ``enrolment.view``, for every person of the CRT.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.territory.models import Professional

from .models import AdmissionStep, Enrolment, Referral


def _partner_q(*, crt, user) -> Q:
    organizations = Professional.objects.filter(
        crt=crt, user=user, organization__isnull=False).values("organization")
    joint = AdmissionStep.objects.filter(referral=OuterRef("pk"),
                                         joint_organizations__in=organizations)
    return Q(status=Referral.Status.WAITING) & (
        Q(referrer_professional__user=user) | Q(referrer_organization__in=organizations)
        | Q(Exists(joint)))


def _referral_q(*, crt, user, roles) -> Q | None:
    """None: none; Q(): every referral of the CRT."""
    if has_permission(roles, "referral.view"):
        return Q()
    if Role.PARTNER in roles and has_permission(roles, "waiting_list.view"):
        return _partner_q(crt=crt, user=user)
    return None


def referrals_visible(*, crt, user, roles) -> QuerySet[Referral]:
    q = _referral_q(crt=crt, user=user, roles=roles)
    qs = Referral.objects.filter(crt=crt)
    return qs.none() if q is None else qs.filter(q)


def can_view_referral(*, user, roles, referral: Referral) -> bool:
    q = _referral_q(crt=referral.crt, user=user, roles=roles)
    if q is None:
        return False
    return not q or Referral.objects.filter(pk=referral.pk, crt=referral.crt).filter(q).exists()


def enrolments_visible(*, crt, user, roles) -> QuerySet[Enrolment]:
    if has_permission(roles, "enrolment.view"):
        return Enrolment.objects.filter(crt=crt)
    return Enrolment.objects.none()


def can_view_enrolment(*, user, roles, enrolment: Enrolment) -> bool:
    return has_permission(roles, "enrolment.view")


def reads_referral_clinical_text(*, user, roles, referral: Referral) -> bool:
    """The reason of a request and the observations of its steps: whoever reads clinical text
    about its person (``beneficiaries.access.reads_clinical_text_about``), or a health
    professional who recorded one of its steps."""
    from maillage.beneficiaries.access import reads_clinical_text_about
    from maillage.core.roles import HEALTH_PROFESSIONALS

    person = referral.beneficiary if referral.beneficiary_id else None
    if reads_clinical_text_about(user=user, roles=roles, beneficiary=person):
        return True
    return bool(set(roles) & HEALTH_PROFESSIONALS
                and referral.steps.filter(done_by=user).exists())


#: The steps of the procedure only some of the roles holding ``admission.step`` record
#: (SPEC §4.2: the medical evaluation is the coordinating doctor's, with the GP).
STEP_RECORDERS = {AdmissionStep.Kind.MEDICAL_EVALUATION: frozenset({Role.DOCTOR})}


def may_record_step(roles, kind: str) -> bool:
    if not has_permission(roles, "admission.step"):
        return False
    allowed = STEP_RECORDERS.get(kind)
    return allowed is None or bool(set(roles) & allowed)


def step_refusal(kind: str) -> str:
    """Why a role holding ``admission.step`` may not record this step."""
    labels = ", ".join(Role(r).label.lower() for r in sorted(STEP_RECORDERS.get(kind, ())))
    return f"L'étape « {AdmissionStep.Kind(kind).label} » est enregistrée par : {labels}."


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    every = "toutes les demandes du CRT"
    referrals = {}
    for role in Role:
        if has_permission({role}, "referral.view"):
            referrals[role] = every
        elif role == Role.PARTNER and has_permission({role}, "waiting_list.view"):
            referrals[role] = ("sur la liste d'attente, les personnes qu'il ou elle a orientées "
                               "ou que sa structure évalue (visite conjointe)")
    return [
        ("Demandes d'admission, liste d'attente, étapes, contrats", referrals),
        ("Enregistrer l'évaluation médicale d'une admission",
         {role: "toutes les demandes du CRT" for role in Role
          if may_record_step({role}, AdmissionStep.Kind.MEDICAL_EVALUATION)}),
        ("File active, sorties temporaires et définitives",
         {role: "toutes les personnes du CRT" for role in Role
          if has_permission({role}, "enrolment.view")}),
    ]
