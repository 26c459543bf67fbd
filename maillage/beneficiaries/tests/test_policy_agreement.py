"""Both faces of the file policy agree for every demo user × every demo person × every face
(issue 10, item 1): ``b in beneficiaries_for(face, …)`` iff ``getattr(file_access(…), face)``.
The conversations the care app lets a user read follow the same faces."""

import pytest

from maillage.beneficiaries.access import FACES, beneficiaries_for, file_access, users_with_access
from maillage.beneficiaries.models import Beneficiary
from maillage.care.models import Conversation
from maillage.care.selectors import readable_conversations
from maillage.core.models import Crt, Membership
from maillage.core.roles import Role
from maillage.core.tests.test_demo import demo  # noqa: F401  (module fixture: the demo)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def _members(crt):
    for m in Membership.objects.filter(crt=crt, is_active=True).select_related("user") \
            .prefetch_related("roles"):
        yield m.user, frozenset(r.role for r in m.roles.all())


def test_both_faces_agree_for_every_demo_user_and_person():
    checked = 0
    seen = dict.fromkeys(FACES, 0)
    for crt in Crt.objects.all():
        people = list(Beneficiary.objects.filter(crt=crt).select_related("crt"))
        assert people
        for user, roles in _members(crt):
            sets = {face: set(beneficiaries_for(face, crt=crt, user=user, roles=roles)
                              .values_list("pk", flat=True)) for face in FACES}
            for b in people:
                access = file_access(user=user, roles=roles, beneficiary=b)
                for face in FACES:
                    assert (b.pk in sets[face]) == getattr(access, face), \
                        (user.username, sorted(roles), str(b), face)
                    seen[face] += getattr(access, face)
                checked += 1
    assert checked > 500
    # The demo exercises every face both ways (not a test that cannot fail).
    assert all(seen.values()), seen


def test_whoever_is_told_is_whoever_may_read():
    """``users_with_access`` (the recipients of notices, in one query) agrees with
    ``file_access`` for every demo member × person × face."""
    told = 0
    for crt in Crt.objects.all():
        members = list(_members(crt))
        users = [user for user, _ in members]
        for b in Beneficiary.objects.filter(crt=crt).select_related("crt"):
            # Every face of one member's access in one object: computed once per member.
            accesses = [(user, file_access(user=user, roles=roles, beneficiary=b))
                        for user, roles in members]
            for face in FACES:
                expected = {user.pk for user, access in accesses if getattr(access, face)}
                got = {u.pk for u in users_with_access(face, beneficiary=b, users=users)}
                assert got == expected, (str(b), face)
                told += len(got)
    assert told > 500


def test_conversations_follow_the_faces():
    crt = Crt.objects.get(name__icontains="Anjou")
    conversations = list(Conversation.objects.filter(crt=crt).select_related("beneficiary__crt"))
    assert conversations
    for user, roles in _members(crt):
        readable = set(readable_conversations(crt=crt, user=user, roles=roles)
                       .values_list("pk", flat=True))
        for conversation in conversations:
            access = file_access(user=user, roles=roles, beneficiary=conversation.beneficiary)
            expected = access.health if conversation.kind == Conversation.Kind.HEALTH \
                else access.liaison
            assert (conversation.pk in readable) == expected, (user.username, conversation.pk)


def test_roles_see_what_their_job_needs_in_the_demo():
    """Spot checks of the rules on the demo itself."""
    crt = Crt.objects.get(name__icontains="Anjou")
    users = {user.username: (user, roles) for user, roles in _members(crt)}
    total = Beneficiary.objects.filter(crt=crt).count()

    def count(username, face):
        user, roles = users[username]
        return beneficiaries_for(face, crt=crt, user=user, roles=roles).count()

    assert count("admin_staff", "identity") == total
    assert count("admin_staff", "liaison") == count("direction", "liaison") == 0
    assert count("admin_staff", "health") == count("direction", "health") == 0
    assert count("coordinator", "liaison") == total
    assert 0 < count("nurse", "health") < total
    assert count("activity_leader", "identity") < total
    assert count("auditor", "identity") == count("ars", "identity") == 0
    assert Role.PARTNER in users["partner"][1]
    assert 0 < count("partner", "identity") < total
