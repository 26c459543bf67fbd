"""The stored unread-messages counters (``UnreadCounter``) the navigation's badge reads: after
the real services run through a thread's life (posts, mentions, reads, care-team changes,
consent recorded and withdrawn, an objection, roles changed, access ended and restored,
another CRT), every user's stored counter equals the recomputation from the rule
(``selectors.unread_message_count``), and the nightly repair puts back what only time moves."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries import services as beneficiary_services
from maillage.beneficiaries.access import file_access
from maillage.beneficiaries.models import CareTeamMember, Consent
from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.care import selectors
from maillage.care.models import Conversation, UnreadCounter
from maillage.care.services import (
    conversation_mark_read,
    conversation_open_health,
    message_post,
    unread_counters_rebuild,
)
from maillage.care.tasks import unread_counters_repair
from maillage.core.models import Membership, MembershipRole
from maillage.core.roles import Role
from maillage.core.services import member_deactivate, member_reactivate, member_update_roles

pytestmark = pytest.mark.django_db


def _roles(crt, user) -> frozenset:
    return frozenset(MembershipRole.objects.filter(
        membership__crt=crt, membership__user=user, membership__is_active=True,
    ).values_list("role", flat=True))


def _check(crt, people) -> dict:
    """Every stored counter of ``crt`` equals the rule; returns the counts by username."""
    counts = {}
    for user in people:
        roles = _roles(crt, user)
        expected = selectors.unread_message_count(crt=crt, user=user, roles=roles)
        stored = UnreadCounter.objects.get(crt=crt, user=user).count
        assert stored == expected, (user.username, stored, expected)
        assert selectors.unread_badge(crt=crt, user=user, roles=roles) == expected
        counts[user.username] = stored
    return counts


def _post(b, user, text, kind=Conversation.Kind.TEAM, mentions=()):
    roles = _roles(b.crt, user)
    return message_post(
        actor=user, roles=roles, beneficiary=b, kind=kind, text=text, mentions=mentions,
        access=file_access(user=user, roles=roles, beneficiary=b),
        candidates=selectors.mention_candidates(beneficiary=b, kind=kind, exclude=user))


def test_stored_counters_equal_the_rule_through_the_services(crt_a, crt_b, users, user_b):
    coordinator, today = users["coordinator"], timezone.localdate()
    b = shared_file(crt_a, users["care_aide"])
    join_care_team(b, users["nurse"])
    join_care_team(b, users["partner"], {Role.PARTNER})
    join_care_team(b, users["activity_leader"])
    other = shared_file(crt_a, users["nurse"])
    elsewhere = shared_file(crt_b, user_b)
    unread_counters_rebuild(crt=crt_a)
    unread_counters_rebuild(crt=crt_b)
    people = list(users.values())
    assert set(_check(crt_a, people).values()) == {0}

    # Posts, one with a mention: every follower who may read them but the author.
    _post(b, users["care_aide"], "Chute sans gravité ce matin")
    _post(b, users["care_aide"], "Famille prévenue, @partner", mentions=[users["partner"]])
    counts = _check(crt_a, people)
    assert counts["nurse"] == counts["partner"] == counts["activity_leader"] == 2
    assert counts["care_aide"] == counts["coordinator"] == 0

    # Reading, and answering (the author's read mark moves to their post).
    conversation_mark_read(user=users["nurse"], conversation=Conversation.objects.get(
        beneficiary=b, kind=Conversation.Kind.TEAM), until=timezone.now())
    _post(b, users["partner"], "Je passe demain")
    counts = _check(crt_a, people)
    assert (counts["nurse"], counts["care_aide"], counts["partner"]) == (1, 1, 0)

    # The coordination follows a thread once it opened it.
    team_thread = Conversation.objects.get(beneficiary=b, kind=Conversation.Kind.TEAM)
    conversation_mark_read(user=coordinator, conversation=team_thread,
                           until=timezone.now() - timedelta(days=1))
    assert _check(crt_a, people)["coordinator"] == 3

    # A doctor joins through the service; the health thread, for health professionals only.
    beneficiary_services.care_team_add(actor=coordinator, beneficiary=b, user=users["doctor"],
                                       role="Médecin", start_date=today)
    assert _check(crt_a, people)["doctor"] == 3
    doctor_roles = _roles(crt_a, users["doctor"])
    conversation_open_health(actor=users["doctor"], roles=doctor_roles, beneficiary=b,
                             access=file_access(user=users["doctor"], roles=doctor_roles,
                                                beneficiary=b))
    _post(b, users["doctor"], "Tension à surveiller", kind=Conversation.Kind.HEALTH)
    counts = _check(crt_a, people)
    # The partner is a GP with health sharing consented; the activity leader is no health
    # professional.
    assert (counts["nurse"], counts["care_aide"], counts["partner"]) == (2, 2, 1)
    assert counts["activity_leader"] == 3

    # Another file, and another CRT's thread: counted apart.
    _post(other, users["nurse"], "Rendez-vous de kiné déplacé")
    _post(elsewhere, user_b, "Autre CRT")
    _check(crt_b, [user_b])
    _check(crt_a, people)

    # The partner leaves the care team: the person's threads no longer count for them.
    _post(b, users["care_aide"], "Nouvelle chute")
    assert _check(crt_a, people)["partner"] == 2
    member = CareTeamMember.objects.get(beneficiary=b, professional__user=users["partner"])
    beneficiary_services.care_team_end(actor=coordinator, member=member, version=member.version,
                                       end_date=today - timedelta(days=1))
    assert _check(crt_a, people)["partner"] == 0

    # An objection to sharing within the care team: the activity leader loses the threads.
    assert _check(crt_a, people)["activity_leader"] == 4
    objection = beneficiary_services.consent_record(
        actor=coordinator, beneficiary=b, kind=Consent.Kind.CARE_TEAM_SHARING, granted=False,
        collected_on=today, method=Consent.Method.ORAL)
    assert _check(crt_a, people)["activity_leader"] == 0
    _post(b, users["nurse"], "Pansement refait")
    assert _check(crt_a, people)["activity_leader"] == 0
    # ... withdrawn, then sharing consented again: they count again.
    beneficiary_services.consent_withdraw(actor=coordinator, consent=objection,
                                          reason="La personne a changé d'avis.")
    _check(crt_a, people)
    beneficiary_services.consent_record(
        actor=coordinator, beneficiary=b, kind=Consent.Kind.CARE_TEAM_SHARING, granted=True,
        collected_on=today, method=Consent.Method.ORAL, share_health=True)
    assert _check(crt_a, people)["activity_leader"] == 5

    # Roles and access change (core's services): the member's counter follows.
    nurse_membership = Membership.objects.get(crt=crt_a, user=users["nurse"])
    assert _check(crt_a, people)["nurse"] > 0
    member_update_roles(actor=users["direction"], membership=nurse_membership,
                        roles=[Role.ADMIN_STAFF])
    assert _check(crt_a, people)["nurse"] == 0  # the secretariat reads no notebook
    member_update_roles(actor=users["direction"], membership=nurse_membership,
                        roles=[Role.NURSE])
    assert _check(crt_a, people)["nurse"] > 0
    member_deactivate(actor=users["direction"], membership=nurse_membership)
    assert _check(crt_a, people)["nurse"] == 0
    member_reactivate(actor=users["direction"], membership=nurse_membership)
    assert _check(crt_a, people)["nurse"] > 0

    # A counter gone wrong (what only time moves: a membership ending on a later day) is put
    # back by the nightly repair; a user without a counter gets it from the rule when read.
    UnreadCounter.objects.filter(crt=crt_a, user=users["nurse"]).update(count=42)
    UnreadCounter.objects.filter(crt=crt_a, user=users["care_aide"]).delete()
    aide_roles = _roles(crt_a, users["care_aide"])
    assert selectors.unread_badge(crt=crt_a, user=users["care_aide"], roles=aide_roles) == (
        selectors.unread_message_count(crt=crt_a, user=users["care_aide"], roles=aide_roles))
    unread_counters_repair.call_local()
    _check(crt_a, people)
    _check(crt_b, [user_b])


def test_the_badge_reads_the_stored_counter(client, crt_a, users):
    b = shared_file(crt_a, users["care_aide"])
    join_care_team(b, users["nurse"])
    _post(b, users["care_aide"], "Chute sans gravité")
    _post(b, users["care_aide"], "Famille prévenue")
    client.force_login(users["nurse"])
    response = client.get(reverse("visits:my_day"))
    assert response.status_code == 200
    badge = UnreadCounter.objects.get(crt=crt_a, user=users["nurse"])
    assert badge.count == 2
    # The page shows what is stored (the rule itself is not evaluated on each page).
    UnreadCounter.objects.filter(pk=badge.pk).update(count=7)
    assert "7" in client.get(reverse("visits:my_day")).content.decode().split(
        reverse("care:conversations"))[1][:400]


def test_an_invited_member_has_a_counter_from_the_start(crt_a, users):
    from maillage.core.services import member_invite

    user, _ = member_invite(actor=users["direction"], crt=crt_a, username="nouvelle-ide",
                            first_name="Léa", last_name="Martin", roles=["nurse"])
    assert UnreadCounter.objects.get(crt=crt_a, user=user).count == 0
