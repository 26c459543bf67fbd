"""Who sees which beneficiaries, and which parts of a file (SPEC §3).

- The CRT team sees every beneficiary of its CRT: identity, contacts, planning.
- Health data: health professionals who are current members of the person's care team.
- The key-box code: care-team members who visit the home.
- A partner sees a person only when they are in the care team and the person, informed, did not
  object to sharing within the team (an active ``care_team_sharing`` consent), or when the person
  gave explicit consent for the partner's organisation; and only the categories consented to.
  Withdrawing a consent takes effect on the next request.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from maillage.core.permissions import has_permission, is_in_care_team
from maillage.core.roles import CRT_TEAM, HEALTH_PROFESSIONALS, Role
from maillage.territory.models import Professional

from .models import Beneficiary, CareTeamMember, Consent

HEALTH_PROFESSIONS = {
    Professional.Profession.GP, Professional.Profession.SPECIALIST,
    Professional.Profession.GERIATRICIAN, Professional.Profession.NURSE,
    Professional.Profession.PHYSIOTHERAPIST, Professional.Profession.PHARMACIST,
    Professional.Profession.CARE_AIDE, Professional.Profession.OCCUPATIONAL_THERAPIST,
    Professional.Profession.PSYCHOLOGIST,
}


def _active_consents(kind: str) -> QuerySet:
    return Consent.objects.filter(
        beneficiary=OuterRef("pk"), kind=kind, granted=True, withdrawn_at__isnull=True
    )


def visible_beneficiaries(*, crt, user, roles) -> QuerySet[Beneficiary]:
    qs = Beneficiary.objects.filter(crt=crt)
    if roles & CRT_TEAM:
        return qs
    if Role.PARTNER in roles:
        in_team = CareTeamMember.objects.active().filter(
            beneficiary=OuterRef("pk"), professional__user=user
        )
        organizations = Professional.objects.filter(
            crt=crt, user=user, organization__isnull=False
        ).values("organization")
        explicit = _active_consents(Consent.Kind.PARTNER_SHARING).filter(
            organization__in=organizations
        )
        return qs.filter(
            Q(Exists(in_team) & Exists(_active_consents(Consent.Kind.CARE_TEAM_SHARING)))
            | Exists(explicit)
        )
    return qs.none()


def planning_visible_beneficiaries(*, crt, user, roles) -> QuerySet[Beneficiary]:
    """The people whose planning (visits) this user may see: the whole CRT for its team; for a
    partner, those visible to them through a consent that shares the planning (the care-team
    consent only while they are in the care team), as ``file_access`` decides for one file."""
    qs = visible_beneficiaries(crt=crt, user=user, roles=roles)
    if roles & CRT_TEAM or Role.PARTNER not in roles:
        return qs
    in_team = CareTeamMember.objects.active().filter(
        beneficiary=OuterRef("pk"), professional__user=user
    )
    organizations = Professional.objects.filter(
        crt=crt, user=user, organization__isnull=False
    ).values("organization")
    planning = _active_consents(Consent.Kind.CARE_TEAM_SHARING).filter(share_planning=True)
    explicit = _active_consents(Consent.Kind.PARTNER_SHARING).filter(
        share_planning=True, organization__in=organizations
    )
    return qs.filter((Exists(in_team) & Exists(planning)) | Exists(explicit))


def health_visible_beneficiaries(*, crt, user, roles) -> QuerySet[Beneficiary]:
    """The people whose health data this user may see, as ``file_access(...).health`` decides
    for one file: for the CRT team, health professionals in the person's care team; for a
    partner, a health professional, through a consent that shares health data."""
    qs = visible_beneficiaries(crt=crt, user=user, roles=roles)
    in_team = CareTeamMember.objects.active().filter(beneficiary=OuterRef("pk")).for_user(user)
    if roles & CRT_TEAM:
        if not roles & HEALTH_PROFESSIONALS:
            return qs.none()
        return qs.filter(Exists(in_team))
    if Role.PARTNER not in roles:
        return qs.none()
    organizations = Professional.objects.filter(
        crt=crt, user=user, organization__isnull=False
    ).values("organization")
    health = _active_consents(Consent.Kind.CARE_TEAM_SHARING).filter(share_health=True)
    explicit = _active_consents(Consent.Kind.PARTNER_SHARING).filter(
        share_health=True, organization__in=organizations
    )
    is_health_pro = Professional.objects.filter(
        user=user, crt=crt, profession__in=HEALTH_PROFESSIONS
    )
    return qs.filter(
        Exists(is_health_pro) & ((Exists(in_team) & Exists(health)) | Exists(explicit))
    )


@dataclass(frozen=True)
class FileAccess:
    identity: bool = False
    planning: bool = False
    health: bool = False
    key_box: bool = False
    manage: bool = False

    @property
    def anything(self) -> bool:
        return self.identity or self.planning or self.health


def file_access(*, user, roles, beneficiary: Beneficiary) -> FileAccess:
    """What ``user`` may see of this file (the beneficiary is already known to be visible)."""
    in_team = is_in_care_team(user, beneficiary)
    visits = in_team and (
        CareTeamMember.objects.active()
        .filter(beneficiary=beneficiary, visits_home=True)
        .for_user(user)
        .exists()
    )
    if roles & CRT_TEAM:
        return FileAccess(
            identity=True,
            planning=True,
            health=bool(roles & HEALTH_PROFESSIONALS) and in_team,
            key_box=visits,
            manage=has_permission(roles, "beneficiary.manage"),
        )
    if Role.PARTNER not in roles:
        return FileAccess()
    consents = list(
        Consent.objects.filter(
            beneficiary=beneficiary, granted=True, withdrawn_at__isnull=True
        ).filter(
            Q(kind=Consent.Kind.CARE_TEAM_SHARING)
            | Q(
                kind=Consent.Kind.PARTNER_SHARING,
                organization__in=Professional.objects.filter(user=user).values("organization"),
            )
        )
    )
    applicable = [
        c for c in consents if c.kind == Consent.Kind.PARTNER_SHARING or in_team
    ]
    is_health_pro = Professional.objects.filter(
        user=user, crt=beneficiary.crt, profession__in=HEALTH_PROFESSIONS
    ).exists()
    identity = any(c.share_identity for c in applicable)
    return FileAccess(
        identity=identity,
        planning=any(c.share_planning for c in applicable),
        health=is_health_pro and any(c.share_health for c in applicable),
        key_box=visits and identity,
    )


def file_for_request(request, public_id):
    """The beneficiary named in a URL, if this user may see it at all (404 otherwise), and
    what they may see of it. Every app's pages about a person start here."""
    from maillage.core.tenancy import get_for_crt

    beneficiary = get_for_crt(
        visible_beneficiaries(crt=request.crt, user=request.user, roles=request.roles)
        .select_related("commune"),
        request.crt,
        public_id,
    )
    return beneficiary, file_access(user=request.user, roles=request.roles,
                                    beneficiary=beneficiary)
