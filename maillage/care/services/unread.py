"""The stored unread-messages counters (``UnreadCounter``): one row per user and CRT, read by
the navigation's badge on every page.

The rule stays ``selectors.unread_message_count`` (messages of others after the user's read
mark, in the threads they follow and may read under the file policy). The counters follow it,
in the transaction of each change that moves a count:

- a new message (``message_post``): +1 for each follower who may read the thread, except the
  author (``unread_counters_message_added``);
- a read mark (``conversation_mark_read``, the author's own post included): that user's count
  is recomputed;
- someone joins or leaves a care team (``care_team_add``, ``care_team_end``), a consent or an
  objection is recorded or withdrawn (``consent_record``, ``consent_withdraw``): the counts of
  whoever follows the person's threads are recomputed (``unread_counters_for_file``);
- a member's roles change, their access ends or comes back (``core.services``, through
  ``on_membership_changed``): that member's count is recomputed;
- the demo's bulk loads: ``unread_counters_rebuild`` once per CRT at the end.

Causes that are not caught at once, repaired by the nightly ``unread_counters_repair`` task
(``care/tasks.py``), which recomputes every counter of every CRT:

- dates: a care-team membership that starts or ends on a later day (``start_date`` /
  ``end_date`` are compared with the day, not with the moment of the change);
- a directory professional linked to or unlinked from an account (``territory``), an account
  deactivated as a whole, memberships created by commands or imports;
- files erased by the retention purge (their threads go with them).
A missing row is computed from the rule when the badge first reads it.
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Q

from maillage.core.selectors import members_roles

from ..models import Conversation, ConversationRead, UnreadCounter


def unread_counters_refresh(*, crt, users, roles=None) -> dict[int, int]:
    """Recompute the counters of ``users`` in ``crt`` from the rule and store them (one upsert).
    ``roles`` (``{user pk: roles}``), when the caller knows them, saves looking them up.
    Returns ``{user pk: count}``."""
    from ..selectors import unread_message_count

    users = [u for u in users if u is not None]
    if not users:
        return {}
    crt_id = getattr(crt, "pk", crt)
    if roles is None:
        roles = members_roles(crt=crt_id, user_ids=[u.pk for u in users])
    counts = {
        user.pk: unread_message_count(crt=crt_id, user=user, roles=roles[user.pk])
        if roles.get(user.pk) else 0
        for user in users
    }
    UnreadCounter.objects.bulk_create(
        [UnreadCounter(crt_id=crt_id, user_id=pk, count=n) for pk, n in counts.items()],
        update_conflicts=True, unique_fields=["user", "crt"], update_fields=["count"])
    return counts


def unread_counters_rebuild(*, crt) -> int:
    """Every counter of ``crt`` recomputed from the rule: after the demo's bulk loads, and the
    nightly repair. Counters of people no longer in the CRT are dropped. Returns how many
    counters were written."""
    users = list(get_user_model().objects.filter(
        memberships__crt=crt, memberships__is_active=True, is_active=True).distinct())
    UnreadCounter.objects.filter(crt=crt).exclude(user__in=[u.pk for u in users]).delete()
    return len(unread_counters_refresh(crt=crt, users=users))


def _followers(*, beneficiary, conversations=None) -> set[int]:
    """Who follows the threads of this person: the current care team (staff, or a directory
    professional's account) and whoever holds a read mark in one of them."""
    from maillage.beneficiaries.models import CareTeamMember

    team = CareTeamMember.objects.active().filter(beneficiary=beneficiary)
    ids = set(team.filter(user__isnull=False).values_list("user", flat=True))
    ids |= set(team.filter(professional__user__isnull=False)
               .values_list("professional__user", flat=True))
    if conversations is None:
        conversations = Conversation.objects.filter(beneficiary=beneficiary)
    ids |= set(ConversationRead.objects.filter(conversation__in=conversations)
               .values_list("user", flat=True))
    return ids


def unread_counters_for_file(*, beneficiary, also=()) -> None:
    """Whoever follows this person's threads, and ``also`` (a member who just left or joined
    the care team), may have gained or lost them (care team, consent, objection): their
    counters recomputed. Nothing to do while the person has no thread."""
    if not Conversation.objects.filter(beneficiary=beneficiary).exists():
        return
    ids = _followers(beneficiary=beneficiary) | {u.pk for u in also if u is not None}
    users = get_user_model().objects.filter(pk__in=ids)
    unread_counters_refresh(crt=beneficiary.crt_id, users=list(users))


def unread_counters_for_user(*, crt, user, roles=None) -> None:
    """This user's care teams or read marks changed: their counter recomputed (``roles``: their
    roles in ``crt``, when the caller knows them)."""
    if user is not None:
        unread_counters_refresh(crt=crt, users=[user],
                                roles=None if roles is None else {user.pk: frozenset(roles)})


def unread_counters_message_added(message) -> None:
    """A new message: +1 for each follower of the thread who may read it now and has not read
    past it, except its author (a follower without a counter yet gets it computed)."""
    from maillage.beneficiaries.access import users_with_access

    conversation = message.conversation
    beneficiary = conversation.beneficiary
    followers = _followers(beneficiary=beneficiary, conversations=[conversation])
    followers.discard(message.author_id)
    followers -= set(ConversationRead.objects.filter(
        conversation=conversation, user__in=followers, last_read_at__gte=message.created_at,
    ).values_list("user", flat=True))
    if not followers:
        return
    face = "health" if conversation.kind == Conversation.Kind.HEALTH else "liaison"
    readers = users_with_access(face, beneficiary=beneficiary,
                                users=get_user_model().objects.filter(pk__in=followers))
    counted = set(UnreadCounter.objects.filter(
        crt=message.crt_id, user__in=[u.pk for u in readers]).values_list("user", flat=True))
    if counted:
        UnreadCounter.objects.filter(Q(crt=message.crt_id), Q(user__in=counted)).update(
            count=F("count") + 1)
    missing = [u for u in readers if u.pk not in counted]
    if missing:
        unread_counters_refresh(crt=message.crt_id, users=missing)
