"""Writes of the portal: the caregiver's message to the team; portal accounts (given by the
team from the person's file)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary, Caregiver, CareTeamMember
from maillage.care.models import LiaisonNote, LiaisonNoteRead
from maillage.core import services as core_services
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Membership, MembershipRole
from maillage.core.notifications import notify
from maillage.core.permissions import grantable_roles
from maillage.core.roles import PORTAL, Role
from maillage.core.versioning import validate

#: The longest message a caregiver may post (the liaison notebook's limit).
NOTE_MAX_LENGTH = 4000


def _team_recipients(beneficiary: Beneficiary) -> list:
    """Who hears of a caregiver's message: the CRT staff of the care team and the coordinators.
    Partners read it in the notebook within the person's consent; they are not notified."""
    staff = [m.user for m in CareTeamMember.objects.active()
             .filter(beneficiary=beneficiary, user__isnull=False).select_related("user")]
    coordinators = [m.user for m in Membership.objects.filter(
        crt=beneficiary.crt, is_active=True, roles__role=Role.COORDINATOR).select_related("user")]
    from maillage.beneficiaries.access import users_with_access

    return users_with_access("liaison", beneficiary=beneficiary, users=staff + coordinators)


@transaction.atomic
def caregiver_note_post(*, actor, caregiver: Caregiver, text: str) -> LiaisonNote:
    """The caregiver writes to the team: a liaison note of the person, shared with the caregiver
    (so they find it on their page), the team notified."""
    if caregiver.user_id is None or caregiver.user_id != actor.pk:
        raise DomainError("Seul l'aidant relié à ce compte peut écrire à l'équipe.")
    text = (text or "").strip()
    if not text:
        raise DomainError("Écrivez votre message.", field="text")
    if len(text) > NOTE_MAX_LENGTH:
        raise DomainError(f"Votre message ne peut pas dépasser {NOTE_MAX_LENGTH} caractères "
                          f"(il en compte {len(text)}).", field="text")
    beneficiary = caregiver.beneficiary
    role = Role.CAREGIVER.label + (f", {caregiver.relation}" if caregiver.relation else "")
    note = LiaisonNote(
        crt=beneficiary.crt, beneficiary=beneficiary, author=actor, author_role=role[:120],
        category=LiaisonNote.Category.GENERAL, visibility=LiaisonNote.Visibility.CAREGIVER,
        text=text, created_by=actor, updated_by=actor)
    validate(note, exclude=["crt", "beneficiary", "author", "created_by", "updated_by"])
    note.save()
    LiaisonNoteRead.objects.create(note=note, user=actor)
    audit_log(actor=actor, action="portal.note_posted", obj=note, beneficiary=beneficiary)
    notify(crt=beneficiary.crt, users=_team_recipients(beneficiary), exclude=actor,
           text=f"Message de l'aidant ({actor.get_full_name() or actor.username}) : "
                f"{beneficiary.display_name}",
           url=reverse("care:notes", kwargs={"public_id": beneficiary.public_id}),
           beneficiary=beneficiary, face="liaison")
    return note



# --- Portal accounts, given from the file ---------------------------------------------------


def _holder(beneficiary: Beneficiary, caregiver: Caregiver | None):
    """The record an account is linked to, locked: the person's file or one caregiver's."""
    if caregiver is None:
        return Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    return Caregiver.objects.select_for_update().get(pk=caregiver.pk, beneficiary=beneficiary)


def _linked_user_id(record):
    return record.user_id if isinstance(record, Caregiver) else record.portal_user_id


def _link(record, user) -> None:
    """Link (or, with None, unlink) the account. The file's version is not bumped: nobody edits
    this field in a form, so a concurrent edit of the caregiver must not turn into a conflict."""
    field = "user" if isinstance(record, Caregiver) else "portal_user"
    setattr(record, field, user)
    type(record).objects.filter(pk=record.pk).update(**{field: user})


def _role_for(caregiver: Caregiver | None) -> str:
    return Role.BENEFICIARY if caregiver is None else Role.CAREGIVER


def _holder_label(beneficiary: Beneficiary, caregiver: Caregiver | None) -> str:
    """Whose portal access, for the audit trail: the person's name is in its own column."""
    if caregiver is None:
        return "Accès de la personne elle-même"
    return f"Accès d'un aidant : {caregiver.first_name} {caregiver.last_name}"[:200]


def _already_linked() -> DomainError:
    return DomainError("Cette personne a déjà un accès au portail : retirez-le d'abord, ou "
                       "créez un nouveau lien de mot de passe.")


@transaction.atomic
def portal_access_create(*, actor, beneficiary: Beneficiary, caregiver: Caregiver | None = None,
                         username: str, first_name: str, last_name: str, email: str = "",
                         phone: str = "", base_url: str = "") -> tuple:
    """Open a portal account for the person (``caregiver`` None) or one of their caregivers:
    the account, its membership with the beneficiary or caregiver role, the link to the
    record, in one transaction. Returns the user and their password link's path."""
    record = _holder(beneficiary, caregiver)
    if _linked_user_id(record):
        raise _already_linked()
    if caregiver is None:
        title = "Bénéficiaire"
    else:
        title = f"Aidant ({record.relation})" if record.relation else "Aidant"
    user, path = core_services.member_invite(
        actor=actor, crt=beneficiary.crt, username=username, first_name=first_name,
        last_name=last_name, email=email, phone=phone, title=title[:120],
        roles=[_role_for(caregiver)], scope=PORTAL, base_url=base_url)
    _link(record, user)
    audit_log(actor=actor, action="portal_access.created", crt=beneficiary.crt, obj=record,
              object_label=_holder_label(beneficiary, caregiver), beneficiary=beneficiary,
              details={"identifiant": user.username})
    return user, path


@transaction.atomic
def portal_access_link_existing(*, actor, beneficiary: Beneficiary,
                                caregiver: Caregiver | None = None, username: str):
    """Link a portal account this CRT already gave (a daughter helping both her parents, a
    beneficiary who is also their spouse's caregiver) instead of opening a second one.

    Only a portal account of this CRT qualifies (never a team member's, never another CRT's),
    named by its exact username; it gets the role it needs and, if it had ended, comes back.
    """
    record = _holder(beneficiary, caregiver)
    if _linked_user_id(record):
        raise _already_linked()
    crt = beneficiary.crt
    username = (username or "").strip()
    membership = (Membership.objects.select_for_update().select_related("user")
                  .filter(crt=crt, user__username=username).first() if username else None)
    held = set(membership.roles.values_list("role", flat=True)) if membership else set()
    if membership is None or not held or not held <= PORTAL:
        raise DomainError("Aucun compte du portail de ce CRT ne porte cet identifiant.",
                          field="username")
    role = _role_for(caregiver)
    if role not in grantable_roles(core_services.actor_roles(actor, crt)):
        raise DomainError("Votre rôle ne permet pas de donner un accès au portail.",
                          code="forbidden")
    if role not in held:
        MembershipRole.objects.create(membership=membership, role=role)
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active", "updated_at"])
    _link(record, membership.user)
    audit_log(actor=actor, action="portal_access.linked", crt=crt, obj=record,
              object_label=_holder_label(beneficiary, caregiver), beneficiary=beneficiary,
              details={"identifiant": username})
    return membership.user


@transaction.atomic
def portal_access_remove(*, actor, beneficiary: Beneficiary,
                         caregiver: Caregiver | None = None) -> bool:
    """Unlink the account from the record. When it opens no other file of this CRT, its
    membership ends too (a portal-only account; a team member keeps their access). Returns
    whether the membership ended."""
    record = _holder(beneficiary, caregiver)
    user_id = _linked_user_id(record)
    if not user_id:
        raise DomainError("Cette personne n'a pas d'accès au portail.")
    crt = beneficiary.crt
    if _role_for(caregiver) not in grantable_roles(core_services.actor_roles(actor, crt)):
        raise DomainError("Votre rôle ne permet pas de retirer un accès au portail.",
                          code="forbidden")
    _link(record, None)
    others = (Caregiver.objects.filter(crt=crt, user_id=user_id).exists()
              or Beneficiary.objects.filter(crt=crt, portal_user_id=user_id).exists())
    membership = (Membership.objects.select_for_update().select_related("user")
                  .filter(crt=crt, user_id=user_id).first())
    ended = False
    if membership is not None and membership.is_active and not others:
        held = set(membership.roles.values_list("role", flat=True))
        if held <= PORTAL:
            membership.is_active = False
            membership.save(update_fields=["is_active", "updated_at"])
            ended = True
    audit_log(actor=actor, action="portal_access.removed", crt=crt, obj=record,
              object_label=_holder_label(beneficiary, caregiver), beneficiary=beneficiary,
              details={"identifiant": membership.user.username if membership else "",
                       "accès_terminé": ended})
    return ended


# --- Notices to the person and their caregivers ---------------------------------------------

#: A visit moved by more than this is announced on the portal (SPEC §4.3, issue 17).
MOVED_NOTICE_MINUTES = 30


def visit_moved_notice(*, visit, before) -> int:
    """Tell the person and their caregivers with a portal account that a visit moved by more
    than ``MOVED_NOTICE_MINUTES`` (who comes is not said: the portal shows it). Returns how
    many accounts were told; none for a smaller move."""
    if abs((visit.starts_at - before).total_seconds()) <= MOVED_NOTICE_MINUTES * 60:
        return 0
    b = visit.beneficiary
    users = [c.user for c in Caregiver.objects.filter(beneficiary=b, user__isnull=False)
             .select_related("user")]
    if b.portal_user_id:
        users.append(b.portal_user)
    old, new = timezone.localtime(before), timezone.localtime(visit.starts_at)
    same_day = old.date() == new.date()
    text = (f"Le passage du {old:%d/%m} prévu à {old:%H:%M} aura lieu à {new:%H:%M}."
            if same_day else
            f"Le passage du {old:%d/%m} à {old:%H:%M} est déplacé au {new:%d/%m} à {new:%H:%M}.")
    return notify(crt=visit.crt, users=[u for u in users if u.is_active], text=text,
                  url=reverse("portal:file", kwargs={"public_id": b.public_id}))
