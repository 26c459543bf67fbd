"""Applying a proposal tells the person and their caregivers on the portal when a visit moves
by more than 30 minutes (within the window agreed with the person), and only then."""

import pytest

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, CaregiverFactory
from maillage.core.models import AuditEvent, Notification
from maillage.core.roles import Role
from maillage.rounds import services
from maillage.rounds.models import Proposal
from maillage.visits.models import Visit
from maillage.visits.tests.factories import visit

from .conftest import at

pytestmark = pytest.mark.django_db


def test_a_visit_moved_by_more_than_30_minutes_is_announced(crt_a, town, team, day, users,
                                                            make_user,
                                                            django_capture_on_commit_callbacks):
    person = BeneficiaryFactory(crt=crt_a, commune=town["lion"])
    daughter = make_user(crt_a, Role.CAREGIVER, username="fille")
    CaregiverFactory(crt=crt_a, beneficiary=person, user=daughter)
    # Marie cannot be at both at 8:00: her confirmed visit stays, the other one (agreed
    # between 8:00 and 11:00) moves after it.
    confirmed = visit(BeneficiaryFactory(crt=crt_a, commune=town["lion"]), team["marie"],
                      starts_at=at(day, 8), minutes=60)
    flexible = visit(person, team["marie"], starts_at=at(day, 8), minutes=30,
                     window_start=at(day, 8), window_end=at(day, 11))
    quiet = visit(BeneficiaryFactory(crt=crt_a, commune=town["cande"]), team["marie"],
                  starts_at=at(day, 12))
    CaregiverFactory(crt=crt_a, beneficiary=quiet.beneficiary,
                     user=make_user(crt_a, Role.CAREGIVER, username="fils"))
    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.proposal_request(
            actor=users["coordinator"], crt=crt_a, day=day,
            excluded=[team["lea"].pk, team["paul"].pk], locked=[confirmed.pk])
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DONE, proposal.error
    services.proposal_apply(actor=users["coordinator"], proposal=proposal)
    flexible.refresh_from_db()
    assert flexible.starts_at >= at(day, 9)
    notice = Notification.objects.get()
    assert notice.user == daughter
    assert notice.text == (f"Le passage du {day:%d/%m} prévu à 08:00 aura lieu à "
                           f"{flexible.starts_at.astimezone(at(day, 0).tzinfo):%H:%M}.")
    assert Visit.objects.get(pk=confirmed.pk).starts_at == at(day, 8)
    event = AuditEvent.objects.get(action="rounds.applied")
    assert event.details["comptes du portail prévenus"] == 1
