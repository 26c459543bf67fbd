"""Writes of the conversations: opening a thread, posting (mentions, attachment), read marks."""

import re
from datetime import datetime

from django.db import transaction
from django.urls import reverse

from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.services import upload_check
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.versioning import validate

from ..models import Conversation, ConversationRead, Message
from .liaison import author_role, check_care_team_writer
from .unread import unread_counters_for_user, unread_counters_message_added

HEALTH_ONLY = "Ce fil est réservé aux professionnels de santé du cercle de soins."
MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")


def _check_kind(kind: str, access) -> None:
    if kind not in Conversation.Kind.values:
        raise DomainError("Fil de conversation inconnu.")
    if kind == Conversation.Kind.HEALTH and not access.health:
        raise DomainError(HEALTH_ONLY)


@transaction.atomic
def conversation_open_health(*, actor, roles, beneficiary: Beneficiary,
                             access) -> Conversation:
    """The thread of the health professionals of the care team, opened on demand by one of
    them (idempotent: an open thread is returned as it is)."""
    if not access.health:
        raise DomainError("Seul un professionnel de santé du cercle de soins peut ouvrir un fil "
                          "réservé aux professionnels de santé.")
    check_care_team_writer(actor=actor, roles=roles, beneficiary=beneficiary, access=access,
                           refusal="Seuls les membres du cercle de soins ouvrent un fil.")
    conversation, created = Conversation.objects.get_or_create(
        crt=beneficiary.crt, beneficiary=beneficiary, kind=Conversation.Kind.HEALTH,
        defaults={"created_by": actor, "updated_by": actor})
    if created:
        audit_log(actor=actor, action="conversation.opened", obj=conversation,
                  beneficiary=beneficiary, details={"fil": conversation.get_kind_display()})
    return conversation


def _mentioned(*, text: str, chosen, candidates) -> list:
    """The people mentioned: those picked in the form and the ``@identifiant`` in the text,
    all among ``candidates`` (who may read the thread)."""
    allowed = {u.pk: u for u in candidates}
    for user in chosen:
        if user.pk not in allowed:
            raise DomainError(f"{user.get_full_name() or user.username} n'a pas accès à ce fil : "
                              "mentionnez un membre du cercle de soins.", field="mentions")
    by_username = {u.username.lower(): u for u in candidates}
    found = {u.pk: u for u in chosen}
    for name in MENTION.findall(text):
        user = by_username.get(name.lower().rstrip("."))
        if user is not None:
            found[user.pk] = user
    return list(found.values())


@transaction.atomic
def message_post(*, actor, roles, beneficiary: Beneficiary, access, kind: str, text: str,
                 mentions=(), candidates=(), attachment=None, max_bytes: int = 0) -> Message:
    """Post in the thread of ``kind`` (the team thread is created by its first message).

    ``candidates`` are the people who may be mentioned (``selectors.mention_candidates``);
    everyone mentioned is notified, with a link to the thread but not its content.
    """
    from maillage.core.notifications import notify

    _check_kind(kind, access)
    check_care_team_writer(
        actor=actor, roles=roles, beneficiary=beneficiary, access=access,
        refusal="Seuls les membres du cercle de soins écrivent dans cette conversation.")
    text = text.strip()
    if not text:
        raise DomainError("Écrivez votre message.", field="text")
    mentioned = [u for u in _mentioned(text=text, chosen=mentions, candidates=candidates)
                 if u.pk != actor.pk]
    file_kind = None
    if attachment is not None:
        file_kind = upload_check(attachment, max_bytes=max_bytes, field="attachment")
    if kind == Conversation.Kind.HEALTH:
        conversation = Conversation.objects.filter(beneficiary=beneficiary, kind=kind).first()
        if conversation is None:
            raise DomainError("Ce fil n'est pas encore ouvert.")
    else:
        conversation, _ = Conversation.objects.get_or_create(
            crt=beneficiary.crt, beneficiary=beneficiary, kind=kind,
            defaults={"created_by": actor, "updated_by": actor})
    message = Message(crt=beneficiary.crt, conversation=conversation, author=actor,
                      author_role=author_role(roles), text=text, created_by=actor,
                      updated_by=actor)
    validate(message, exclude=["crt", "conversation", "author", "attachment", "created_by",
                               "updated_by"])
    if file_kind is not None:
        message.attachment_name = attachment.name[:200]
        message.attachment_type, message.attachment_size = file_kind[0], attachment.size
        message.attachment.save(f"{message.public_id}{file_kind[1]}", attachment, save=False)
    message.save()
    if mentioned:
        message.mentions.set(mentioned)
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=message.created_at, updated_by=actor, updated_at=message.created_at)
    unread_counters_message_added(message)
    conversation_mark_read(user=actor, conversation=conversation, until=message.created_at,
                           roles=roles)
    audit_log(actor=actor, action="message.posted", obj=message, beneficiary=beneficiary,
              details={"fil": conversation.get_kind_display(),
                       "pièce jointe": bool(file_kind), "mentions": len(mentioned)})
    if mentioned:
        from maillage.beneficiaries.access import users_with_access

        # Only those who may read this thread now are told of it.
        face = "health" if kind == Conversation.Kind.HEALTH else "liaison"
        mentioned_readers = users_with_access(face, beneficiary=beneficiary, users=mentioned)
        where = ("le fil des professionnels de santé" if kind == Conversation.Kind.HEALTH
                 else "la conversation")
        notify(crt=beneficiary.crt, users=mentioned_readers, exclude=actor,
               text=f"{actor.get_full_name() or actor.username} vous mentionne dans {where} "
                    f"de {beneficiary.display_name}",
               url=reverse("care:conversation", kwargs={"public_id": beneficiary.public_id,
                                                        "kind": conversation.slug}),
               beneficiary=beneficiary, face=face)
    return message


@transaction.atomic
def conversation_mark_read(*, user, conversation: Conversation, until: datetime,
                           roles=None) -> None:
    """The user has read the thread up to ``until`` (never moves back); their unread counter
    follows (recomputed: the mark may also make them a follower of the thread). ``roles``, the
    user's roles in the thread's CRT when the caller knows them, saves looking them up."""
    if not ConversationRead.objects.filter(conversation=conversation, user=user,
                                           last_read_at__lt=until).update(last_read_at=until):
        if ConversationRead.objects.filter(conversation=conversation, user=user).exists():
            return  # already read past ``until``: nothing moves
        ConversationRead.objects.bulk_create(
            [ConversationRead(conversation=conversation, user=user, last_read_at=until)],
            ignore_conflicts=True)
    unread_counters_for_user(crt=conversation.crt_id, user=user, roles=roles)
