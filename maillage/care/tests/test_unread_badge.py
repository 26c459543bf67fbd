"""The unread-messages badge: one query without OR-joins, always equal to the recomputation
from the conversation list (``my_conversations``) and to the former OR-join query, after each
step of a thread's life (post, read, join and leave the care team, health thread, other CRT)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.beneficiaries import services as beneficiary_services
from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.care import selectors
from maillage.care.models import Conversation
from maillage.care.services.conversations import conversation_mark_read
from maillage.care.tests.factories import conversation, message
from maillage.core.roles import Role

ROLES = ["care_aide", "nurse", "partner", "coordinator", "doctor"]


def _former(*, crt, user, roles) -> int:
    """The former query: the OR-joins of ``_followed`` and of the policy sets."""
    return selectors._unread(user).filter(
        crt=crt, conversation__in=selectors._followed(crt=crt, user=user, roles=roles)
        .values("pk")).count()


def _check(crt, users, expected: dict) -> None:
    for role in ROLES:
        user, roles = users[role], frozenset({role})
        badge = selectors.unread_message_count(crt=crt, user=user, roles=roles)
        listed = sum(c.unread for c in selectors.my_conversations(crt=crt, user=user,
                                                                  roles=roles))
        assert badge == listed == _former(crt=crt, user=user, roles=roles), role
        if role in expected:
            assert badge == expected[role], role


def test_badge_equals_the_recomputation_after_each_step(crt_a, crt_b, users, user_b):
    b = shared_file(crt_a, users["care_aide"])
    join_care_team(b, users["nurse"])
    join_care_team(b, users["partner"], {Role.PARTNER})
    _check(crt_a, users, {role: 0 for role in ROLES})

    # Posts in the team thread: every follower but the author has them unread.
    message(b, users["care_aide"], text="Chute sans gravité")
    message(b, users["care_aide"], text="Famille prévenue")
    _check(crt_a, users, {"care_aide": 0, "nurse": 2, "partner": 2, "coordinator": 0})

    # Read up to now: nothing left for the nurse; a later post counts again.
    conversation_mark_read(user=users["nurse"], conversation=conversation(b),
                           until=timezone.now())
    _check(crt_a, users, {"nurse": 0, "partner": 2})
    later = message(b, users["partner"], text="Passage du médecin demain")
    _check(crt_a, users, {"nurse": 1, "care_aide": 1, "partner": 2})

    # The coordination follows a thread once it opened it (a read mark), not before.
    conversation_mark_read(user=users["coordinator"], conversation=conversation(b),
                           until=later.created_at - timedelta(microseconds=1))
    _check(crt_a, users, {"coordinator": 1})

    # The health thread: counted by those whose file access covers health data.
    message(b, users["nurse"], kind=Conversation.Kind.HEALTH, text="Tension à surveiller")
    _check(crt_a, users, {"care_aide": 2, "nurse": 1})

    # A doctor joins the care team: the threads of the person now count for them.
    join_care_team(b, users["doctor"])
    _check(crt_a, users, {"doctor": 4})

    # The partner leaves the care team: the person's threads no longer count for them.
    member = CareTeamMember.objects.get(beneficiary=b, professional__user=users["partner"])
    beneficiary_services.care_team_end(
        actor=users["coordinator"], member=member, version=member.version,
        end_date=timezone.localdate() - timedelta(days=1))
    _check(crt_a, users, {"partner": 0})

    # Another CRT's messages never count in this one.
    other = shared_file(crt_b, user_b)
    message(other, user_b, text="Ailleurs")
    _check(crt_a, users, {})


def test_one_query_without_or_join(crt_a, users):
    b = shared_file(crt_a, users["care_aide"])
    join_care_team(b, users["nurse"])
    message(b, users["care_aide"])
    with CaptureQueriesContext(connection) as queries:
        assert selectors.unread_message_count(crt=crt_a, user=users["nurse"],
                                              roles=frozenset({Role.NURSE})) == 1
    assert len(queries) == 1
    sql = queries.captured_queries[0]["sql"].upper()
    assert "UNION" in sql
