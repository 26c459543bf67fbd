"""Writes of the portal: the caregiver's message to the team."""

from django.db import transaction
from django.urls import reverse

from maillage.beneficiaries.models import Beneficiary, Caregiver, CareTeamMember
from maillage.care.models import LiaisonNote, LiaisonNoteRead
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Membership
from maillage.core.notifications import notify
from maillage.core.roles import Role
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
    return staff + coordinators


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
           url=reverse("care:notes", kwargs={"public_id": beneficiary.public_id}))
    return note
