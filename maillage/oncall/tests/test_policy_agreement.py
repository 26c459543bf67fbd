"""Both faces of each on-call policy agree, for every user × every object (issue 10, item 1).

- Calls: ``call in calls_visible(...)`` iff ``can_view_call(...)``.
- Break the glass: ``b in glass_beneficiaries(...)`` iff ``valid_glass(...)`` is set, and
  ``b in emergency_beneficiaries(...)`` iff ``emergency_access(...).health``.

The scene mixes people with and without a care team, with and without the person's agreement
(given, withdrawn), calls answered or travelled for by different people, during and outside a
rota shift, a call about nobody, glasses valid, expired, and one on a call about someone else
(as the old code recorded)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.core.roles import Role
from maillage.oncall.access import (
    calls_visible,
    can_edit_call,
    can_view_call,
    emergency_access,
    emergency_beneficiaries,
    glass_beneficiaries,
    valid_glass,
)
from maillage.oncall.models import BreakGlass, Call, Shift

from .factories import call, shift


@pytest.fixture
def scene(crt_a, crt_b, users, make_user):
    now = timezone.now()
    people = {role: (user, frozenset({role})) for role, user in users.items()}
    for name, role in [("team_nurse", Role.NURSE), ("team_aide", Role.CARE_AIDE),
                       ("outsider_nurse", Role.NURSE), ("outsider_aide", Role.CARE_AIDE),
                       ("rota_aide", Role.CARE_AIDE), ("advice_nurse", Role.NURSE),
                       ("night_nurse", Role.NURSE)]:
        people[name] = (make_user(crt_a, role, username=name), frozenset({role}))
    people["coordinator_nurse"] = (
        make_user(crt_a, Role.COORDINATOR, Role.NURSE, username="coordinator_nurse"),
        frozenset({Role.COORDINATOR, Role.NURSE}))
    team_partner = make_user(crt_a, Role.PARTNER, username="team_partner")
    people["team_partner"] = (team_partner, frozenset({Role.PARTNER}))
    u = {name: user for name, (user, _) in people.items()}

    informed = shared_file(crt_a, u["team_nurse"])  # sharing with health data
    join_care_team(informed, u["team_aide"])
    join_care_team(informed, u["coordinator_nurse"])
    join_care_team(informed, team_partner, roles=(Role.PARTNER,))
    consent(informed, kind="oncall_information")
    not_informed = shared_file(crt_a, u["team_nurse"])
    join_care_team(not_informed, u["team_aide"])
    withdrawn = shared_file(crt_a, u["team_aide"])
    consent(withdrawn, kind="oncall_information", withdrawn_at=now - timedelta(days=1))
    no_sharing = BeneficiaryFactory(crt=crt_a)
    join_care_team(no_sharing, u["team_nurse"])
    consent(no_sharing, kind="oncall_information")
    nobody = BeneficiaryFactory(crt=crt_a)

    # The rota: an aide three days ago, a nurse for advice two days ago, the night nurse now.
    three_days = now - timedelta(days=3)
    shift(crt_a, u["rota_aide"], start=three_days - timedelta(hours=1))
    shift(crt_a, u["advice_nurse"], start=now - timedelta(days=2, hours=1),
          duty=Shift.Duty.NURSE)
    shift(crt_a, u["night_nurse"], start=now - timedelta(hours=1))
    shift(crt_a, u["care_aide"], start=now - timedelta(hours=1), duty=Shift.Duty.TRAVEL)

    calls = [
        call(crt_a, u["nurse"], informed, assessment="Chute"),
        call(crt_a, u["care_aide"], nobody, call_out=True, travelled_by=u["outsider_nurse"]),
        call(crt_a, u["doctor"], received_at=three_days),  # about nobody, on rota_aide's shift
        call(crt_a, u["coordinator"], not_informed, received_at=now - timedelta(days=2)),
        call(crt_a, u["nurse"], withdrawn, status=Call.Status.CLOSED,
             closed_at=now - timedelta(hours=1)),
        call(crt_a, u["night_nurse"], no_sharing),
        call(crt_a, u["team_aide"], informed, received_at=now - timedelta(days=5),
             status=Call.Status.CLOSED, closed_at=now - timedelta(days=5)),
    ]
    call(crt_b, make_user(crt_b, Role.NURSE), None)  # another CRT: never visible

    # Break the glass: valid on an open call, valid 1 h after closing, expired 3 h after,
    # and one recorded on a call about somebody else (never valid).
    glass_calls = {
        "open": call(crt_a, u["night_nurse"], nobody),
        "closed_1h": call(crt_a, u["care_aide"], withdrawn, status=Call.Status.CLOSED,
                          closed_at=now - timedelta(hours=1)),
        "closed_3h": call(crt_a, u["outsider_aide"], no_sharing, status=Call.Status.CLOSED,
                          closed_at=now - timedelta(hours=3)),
        "elsewhere": call(crt_a, u["outsider_nurse"], nobody),
    }
    for user, key, b in [(u["night_nurse"], "open", nobody),
                         (u["care_aide"], "closed_1h", withdrawn),
                         (u["outsider_aide"], "closed_3h", no_sharing),
                         (u["outsider_nurse"], "elsewhere", informed)]:
        BreakGlass.objects.create(crt=crt_a, call=glass_calls[key], user=user, beneficiary=b,
                                  reason="Motif de l'accès en urgence")
    calls += list(glass_calls.values())
    beneficiaries = [informed, not_informed, withdrawn, no_sharing, nobody]
    return {"people": people, "calls": calls, "beneficiaries": beneficiaries}


def test_calls_both_faces_agree(crt_a, scene):
    seen = {}
    for name, (user, roles) in scene["people"].items():
        visible = set(calls_visible(crt=crt_a, user=user, roles=roles)
                      .values_list("pk", flat=True))
        for item in scene["calls"]:
            allowed = can_view_call(user=user, roles=roles, call=item)
            assert (item.pk in visible) == allowed, (name, item.pk, allowed)
            if can_edit_call(user=user, roles=roles, call=item):
                assert allowed, (name, item.pk)
        seen[name] = {scene["calls"].index(c) for c in scene["calls"] if c.pk in visible}
    # The scene exercises each branch of the rule.
    everything = set(range(len(scene["calls"])))
    assert seen["coordinator"] == everything and seen["coordinator_nurse"] == everything
    assert seen["direction"] == set() and seen["auditor"] == set()
    assert seen["admin_staff"] == set() and seen["activity_leader"] == set()
    assert {0, 4} <= seen["nurse"]  # answered
    assert 1 in seen["outsider_nurse"] and 1 in seen["care_aide"]  # travels / answered
    assert 2 in seen["rota_aide"]  # on the rota when it came in
    assert 3 in seen["advice_nurse"]  # the nurse for advice, on the rota then
    # The informed care team (the CRT's health professionals need no sharing record: the
    # person did not object), not where the agreement is missing (3) or withdrawn (4).
    assert seen["team_nurse"] == {0, 5, 6, 9}
    assert seen["team_aide"] >= {0, 6} and not seen["team_aide"] & {3, 4}
    assert seen["team_partner"] == {0, 6}  # a partner GP, within the sharing consent
    assert seen["outsider_aide"] == {len(scene["calls"]) - 2}  # only the call they took


def test_break_the_glass_both_faces_agree(crt_a, scene):
    granted = {}
    for name, (user, roles) in scene["people"].items():
        glass = set(glass_beneficiaries(crt=crt_a, user=user, roles=roles)
                    .values_list("pk", flat=True))
        emergency = set(emergency_beneficiaries(crt=crt_a, user=user, roles=roles)
                        .values_list("pk", flat=True))
        for b in scene["beneficiaries"]:
            has_glass = valid_glass(user=user, roles=roles, beneficiary=b) is not None
            assert (b.pk in glass) == has_glass, (name, b.pk)
            health = emergency_access(user=user, roles=roles, beneficiary=b).health
            assert (b.pk in emergency) == health, (name, b.pk)
        granted[name] = glass
    informed, _, withdrawn, no_sharing, nobody = (b.pk for b in scene["beneficiaries"])
    assert granted["night_nurse"] == {nobody}  # open call
    assert granted["care_aide"] == {withdrawn}  # closed 1 h ago
    assert granted["outsider_aide"] == set()  # closed 3 h ago
    assert granted["outsider_nurse"] == set()  # glass on a call about somebody else
