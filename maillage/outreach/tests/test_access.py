"""Both faces of the volet 1 policies agree for every user × every object (``x in
*_visible(…)`` iff ``can_view_*(…)``), and say what the brief says: volet 1 staff see every
session (the secretariat too, who registers people by phone), a partner only those they
facilitate (an inactive directory entry no longer counts), the care staff the calendar without
participants, the ARS and the DPO nothing; volet 2 caregivers are offered (by name) to those who
register, of their CRT only."""

from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    CaregiverFactory,
    consent,
    join_care_team,
)
from maillage.core.roles import Role
from maillage.outreach import access
from maillage.territory.tests.factories import ProfessionalFactory

from .factories import action, attendee, participation, session


def test_policies_agree(users, crt_a, crt_b, make_user):
    retired = make_user(crt_a, Role.PARTNER, username="retired")
    stranger = make_user(crt_a, Role.PARTNER, username="stranger")
    ProfessionalFactory(crt=crt_a, user=stranger)
    mine = session(crt_a, partner_user=users["partner"])
    old = session(crt_a)
    old.partner_facilitators.add(ProfessionalFactory(crt=crt_a, user=retired, is_active=False))
    sessions = [mine, old, session(crt_a), session(crt_b)]
    participations = [participation(s) for s in sessions]
    actions = [s.action for s in sessions] + [action(crt_a)]
    attendees = [attendee(crt_a), attendee(crt_b)]
    caregivers = [CaregiverFactory(crt=crt, beneficiary=BeneficiaryFactory(crt=crt))
                  for crt in (crt_a, crt_b)]
    # The leader accompanies the first person (and her caregiver's); the second objected.
    accompanied, objected = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
    for b in (accompanied, objected, caregivers[0].beneficiary):
        join_care_team(b, users["activity_leader"])
    consent(objected, granted=False)
    volet2 = [accompanied, objected, BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_b)]
    people = [(u, frozenset({role})) for role, u in users.items()]
    people += [(retired, frozenset({Role.PARTNER})), (stranger, frozenset({Role.PARTNER}))]

    seen = {}
    for user, roles in people:
        checks = [
            (access.sessions_visible, access.can_view_session, "session", sessions),
            (access.participations_visible, access.can_view_participation, "participation",
             participations),
            (access.actions_visible, access.can_view_action, "action", actions),
            (access.attendees_visible, access.can_view_attendee, "attendee", attendees),
            (access.volet2_caregivers_offered, access.can_offer_volet2_caregiver, "caregiver",
             caregivers),
            (access.volet2_beneficiaries_offered, access.can_offer_volet2_beneficiary,
             "beneficiary", volet2),
        ]
        for visible_of, can_view, name, objects in checks:
            visible = set(visible_of(crt=crt_a, user=user, roles=roles))
            for obj in objects:
                allowed = obj.crt_id == crt_a.id and can_view(user=user, roles=roles,
                                                              **{name: obj})
                assert (obj in visible) == allowed, (user.username, name)
                if allowed:
                    seen.setdefault(user.username, set()).add((name, obj.pk))
    sessions_seen = {u: {pk for n, pk in s if n == "session"} for u, s in seen.items()}
    for role in ("activity_leader", "direction", "coordinator", "admin_staff"):
        assert sessions_seen[role] == {s.pk for s in sessions[:3]}
    assert sessions_seen["partner"] == {mine.pk}
    assert "retired" not in sessions_seen and "stranger" not in sessions_seen
    for role in ("nurse", "doctor", "care_aide"):
        assert sessions_seen.get(role, set()) == set()
        assert {n for n, _ in seen[role]} == {"action"}
    for role in ("ars", "auditor", "caregiver", "beneficiary"):
        assert role not in seen
    offered = {u for u, s in seen.items() if any(n == "caregiver" for n, _ in s)}
    assert offered == {"activity_leader", "direction", "admin_staff"}
    people = {u: {pk for n, pk in s if n == "beneficiary"} for u, s in seen.items()}
    assert people["activity_leader"] == {accompanied.pk}
    # The secretariat sees every person's identity (SPEC §3), as the direction.
    assert people["direction"] == people["admin_staff"] == {b.pk for b in volet2[:3]}
    assert not people.get("coordinator") and not people.get("nurse")


def test_the_gir_of_a_light_record_is_not_the_secretariat_s(users):
    """The one health datum of volet 1's records: read by those who register, the
    secretariat aside (SPEC §3)."""
    readers = {role for role, user in users.items() if access.reads_attendee_gir({role})}
    assert readers == {"activity_leader", "direction"}
    assert access.reads_attendee_gir({Role.ADMIN_STAFF, Role.ACTIVITY_LEADER})
