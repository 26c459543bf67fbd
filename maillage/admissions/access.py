"""The access policies of the admission path (SPEC §3, §4.2), each with both faces — the
queryset of what a user may see and the check for one object — built from the same condition
(agreement tested for every user × object in ``tests/test_policy_agreement.py``).

- **Referrals** (requests, the waiting list, the admission steps and contracts): the CRT team
  that follows admissions (``referral.view``: not the activity leader) sees every request of its
  CRT; a partner sees, on the waiting list, the people they referred (themselves or their
  organisation) or whose evaluation their organisation takes part in (joint home visit).
  Clinical free text (the reason, step observations) is further limited to the coordination and
  the health professionals (``beneficiaries.access.reads_clinical_text``).
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
        ("File active, sorties temporaires et définitives",
         {role: "toutes les personnes du CRT" for role in Role
          if has_permission({role}, "enrolment.view")}),
    ]
