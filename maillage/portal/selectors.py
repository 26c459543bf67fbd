"""Reads of the portal: what a beneficiary or a caregiver may see of a file, and nothing else.

A portal account sees only the files it is linked to: the beneficiary's own file
(``Beneficiary.portal_user``) and the files of the people they are the caregiver of
(``Caregiver.user``), in the current CRT. Of those files: the coming visits (who, when), the
liaison notes shared with the caregiver, the contacts (names and roles) and the CRT's number.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from maillage.beneficiaries.models import Beneficiary, Caregiver, CareTeamMember, by_shown_name
from maillage.care.models import LiaisonNote
from maillage.core.models import Membership
from maillage.core.roles import Role
from maillage.core.tenancy import get_for_crt


def portal_files(*, crt, user, roles) -> QuerySet[Beneficiary]:
    """The files this account may open on the portal (deny by default)."""
    if not getattr(user, "is_authenticated", False):
        return Beneficiary.objects.none()
    linked = Q()
    if Role.BENEFICIARY in roles:
        linked |= Q(portal_user=user)
    if Role.CAREGIVER in roles:
        linked |= Q(Exists(Caregiver.objects.filter(beneficiary=OuterRef("pk"), user=user)))
    if not linked:
        return Beneficiary.objects.none()
    return Beneficiary.objects.filter(crt=crt).filter(linked).order_by(
        *by_shown_name(), "pk")


def portal_file(*, crt, user, roles, public_id) -> Beneficiary:
    """One file of :func:`portal_files`; 404 for anything else (another person, another CRT)."""
    return get_for_crt(portal_files(crt=crt, user=user, roles=roles), crt, public_id)


def own_file(*, crt, user, roles, public_id) -> Beneficiary:
    """The account holder's own file (beneficiary account); 404 for any other, a caregiver's
    included."""
    if Role.BENEFICIARY not in roles or not getattr(user, "is_authenticated", False):
        return get_for_crt(Beneficiary.objects.none(), crt, public_id)
    return get_for_crt(Beneficiary.objects.filter(crt=crt, portal_user=user), crt, public_id)


def access_events(*, beneficiary, user) -> QuerySet:
    """Who read or changed the file, newest first (the audit trail of the file, as the
    person's access report gives it), without the person's own visits to the portal."""
    from maillage.beneficiaries.selectors import access_log

    return access_log(beneficiary=beneficiary).exclude(actor=user)


def actor_name(label: str) -> str:
    """The author of an audit event by name, without the login the trail keeps beside it
    (``"Name (login)"``)."""
    name, sep, rest = label.rpartition(" (")
    return name if sep and rest.endswith(")") else label


def caregiver_record(*, beneficiary, user) -> Caregiver | None:
    """The caregiver record of ``user`` for this person, if they are their caregiver."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Caregiver.objects.filter(beneficiary=beneficiary, user=user).first()


def shared_notes(*, beneficiary, limit: int = 20) -> list[LiaisonNote]:
    """The liaison notes the team chose to share with the caregiver; never the others."""
    return list(LiaisonNote.objects.filter(
        beneficiary=beneficiary, visibility=LiaisonNote.Visibility.CAREGIVER)
        .select_related("author").order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    is_referent: bool = False


def contacts(*, beneficiary) -> list[Contact]:
    """The current care team, by name and role only (no phone, nothing medical): the CRT's
    single number is the one to call."""
    members = (CareTeamMember.objects.active().filter(beneficiary=beneficiary)
               .select_related("user", "professional"))
    result = []
    for m in members:
        if m.user_id:
            name = m.user.get_full_name() or m.user.username
        else:
            name = f"{m.professional.first_name} {m.professional.last_name}".strip()
        result.append(Contact(name=name, role=m.role, is_referent=m.is_referent))
    # The referent first, then as the care team orders them.
    return sorted(result, key=lambda c: not c.is_referent)


def caregivers(*, beneficiary) -> list[Contact]:
    """The person's caregivers, by name and relation (for the person's own account)."""
    return [Contact(name=f"{c.first_name} {c.last_name}".strip(), role=c.relation)
            for c in Caregiver.objects.filter(beneficiary=beneficiary)]


@dataclass
class PortalAccount:
    """One line of the "Accès au portail" page: the person, or one of their caregivers."""

    caregiver: Caregiver | None  # None: the person's own account
    name: str
    relation: str
    email: str
    phone: str
    first_name: str
    last_name: str
    user: object = None  # the linked account, if any
    membership: Membership | None = None

    @property
    def is_active(self) -> bool:
        return self.membership is not None and self.membership.is_active

    @property
    def password_chosen(self) -> bool:
        return self.user is not None and self.user.has_usable_password()


def portal_accounts(*, beneficiary: Beneficiary) -> list[PortalAccount]:
    """The person's own portal account and each caregiver's, with their memberships of the
    person's CRT (three queries)."""
    b = beneficiary
    rows = [PortalAccount(
        caregiver=None, name=b.display_name, relation="la personne elle-même", email=b.email,
        phone=b.mobile or b.phone, first_name=b.used_first_name or b.first_name,
        last_name=b.used_name or b.birth_name,
        user=get_user_model().objects.filter(pk=b.portal_user_id).first()
        if b.portal_user_id else None)]
    for c in Caregiver.objects.filter(beneficiary=b).select_related("user"):
        rows.append(PortalAccount(
            caregiver=c, name=f"{c.first_name} {c.last_name}".strip(), relation=c.relation,
            email=c.email, phone=c.phone, first_name=c.first_name, last_name=c.last_name,
            user=c.user))
    user_ids = [r.user.pk for r in rows if r.user is not None]
    if user_ids:
        memberships = {m.user_id: m for m in Membership.objects.filter(
            crt=b.crt, user_id__in=user_ids)}
        for r in rows:
            if r.user is not None:
                r.membership = memberships.get(r.user.pk)
    return rows
