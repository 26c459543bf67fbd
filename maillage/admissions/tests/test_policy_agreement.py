"""Both faces of the admission policies agree for every user × every object (issue 10, item 1):
``r in referrals_visible(…)`` iff ``can_view_referral(…)``; the same for enrolments; and the
waiting list shows exactly the visible waiting requests."""

from django.utils import timezone

from maillage.admissions.access import (
    can_view_enrolment,
    can_view_referral,
    enrolments_visible,
    referrals_visible,
)
from maillage.admissions.models import AdmissionStep, Referral
from maillage.admissions.selectors import waiting_list
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.roles import Role
from maillage.territory.tests.factories import OrganizationFactory, ProfessionalFactory

from .factories import ReferralFactory, enrolment


def test_referrals_and_enrolments(users, crt_a, crt_b, make_user):
    ssiad = OrganizationFactory(crt=crt_a, kind="ssiad")
    me = ProfessionalFactory(crt=crt_a, user=users["partner"], organization=ssiad)
    colleague = make_user(crt_a, Role.PARTNER, username="colleague")
    ProfessionalFactory(crt=crt_a, user=colleague, organization=ssiad)
    stranger = make_user(crt_a, Role.PARTNER, username="stranger")
    referrals = [
        ReferralFactory(crt=crt_a, status="waiting", referrer_professional=me),
        ReferralFactory(crt=crt_a, status="waiting", referrer_organization=ssiad),
        ReferralFactory(crt=crt_a, status="received", referrer_professional=me),
        ReferralFactory(crt=crt_a, status="waiting"),
        ReferralFactory(crt=crt_a, status="declined"),
        ReferralFactory(crt=crt_b, status="waiting"),
    ]
    visited = ReferralFactory(crt=crt_a, status="waiting")
    step = AdmissionStep.objects.create(crt=crt_a, referral=visited, kind="home_visit",
                                        done_on=timezone.localdate(), done_by=users["nurse"])
    step.joint_organizations.set([ssiad])
    referrals.append(visited)
    enrolments = [enrolment(BeneficiaryFactory(crt=crt_a)),
                  enrolment(BeneficiaryFactory(crt=crt_b))]
    people = [(u, frozenset({role})) for role, u in users.items()]
    people += [(colleague, frozenset({Role.PARTNER})), (stranger, frozenset({Role.PARTNER}))]

    seen = 0
    for user, roles in people:
        visible = set(referrals_visible(crt=crt_a, user=user, roles=roles))
        for referral in referrals:
            allowed = referral.crt_id == crt_a.id and can_view_referral(
                user=user, roles=roles, referral=referral)
            assert (referral in visible) == allowed, (user.username, referral.person_last_name)
            seen += allowed
        waiting = set(waiting_list(crt=crt_a, user=user, roles=roles))
        assert waiting == {r for r in visible if r.status == Referral.Status.WAITING}
        shown = set(enrolments_visible(crt=crt_a, user=user, roles=roles))
        for e in enrolments:
            allowed = e.crt_id == crt_a.id and can_view_enrolment(user=user, roles=roles,
                                                                  enrolment=e)
            assert (e in shown) == allowed, user.username

    # The partner sees their own, their organisation's and the jointly evaluated requests on
    # the waiting list — not the one still under review, nor anybody else's.
    partner = set(referrals_visible(crt=crt_a, user=users["partner"],
                                    roles=frozenset({Role.PARTNER})))
    assert partner == {referrals[0], referrals[1], visited}
    assert set(referrals_visible(crt=crt_a, user=colleague,
                                 roles=frozenset({Role.PARTNER}))) == {referrals[1], visited}
    assert not referrals_visible(crt=crt_a, user=stranger, roles=frozenset({Role.PARTNER}))
    assert not referrals_visible(crt=crt_a, user=users["activity_leader"],
                                 roles=frozenset({Role.ACTIVITY_LEADER}))
    assert seen > 20
