"""Opening an enrolment (file active): one open stay per person, referral closed, audited."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from maillage.admissions import services
from maillage.admissions.models import Enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent

from .factories import ReferralFactory


def test_admission_closes_the_referral_and_appears_on_the_timeline(users, crt_a):
    b = BeneficiaryFactory(crt=crt_a)
    referral = ReferralFactory(crt=crt_a, status="waiting", next_step="Contrat")
    enrolment = services.enrolment_open(
        actor=users["coordinator"], beneficiary=b, admitted_on=timezone.localdate(),
        referent=users["coordinator"], gir_at_entry=2, referral=referral, emergency_path=True)
    referral.refresh_from_db()
    assert (referral.status, referral.beneficiary, referral.next_step) == ("admitted", b, "")
    assert enrolment.is_active
    assert AuditEvent.objects.filter(action="enrolment.opened",
                                     beneficiary_public_id=b.public_id).exists()
    assert b.timeline.filter(title__contains="parcours d'urgence").exists()


def test_rules(users, crt_a, crt_b):
    b = BeneficiaryFactory(crt=crt_a)
    admit = dict(actor=users["coordinator"], beneficiary=b, referent=users["coordinator"])
    with pytest.raises(DomainError, match="dans le futur"):
        services.enrolment_open(**admit, admitted_on=timezone.localdate() + timedelta(days=1),
                                gir_at_entry=3)
    with pytest.raises(DomainError, match="Demande inconnue"):
        services.enrolment_open(**admit, admitted_on=timezone.localdate(), gir_at_entry=3,
                                referral=ReferralFactory(crt=crt_b))
    services.enrolment_open(**admit, admitted_on=date(2025, 1, 1), gir_at_entry=3)
    with pytest.raises(DomainError, match="déjà dans la file active"):
        services.enrolment_open(**admit, admitted_on=timezone.localdate(), gir_at_entry=3)
    # Re-admission after an exit is a new enrolment.
    Enrolment.objects.filter(beneficiary=b).update(ended_on=date(2025, 6, 1),
                                                   exit_reason="wishes_to_leave")
    services.enrolment_open(**admit, admitted_on=timezone.localdate(), gir_at_entry=2)
    assert Enrolment.objects.filter(beneficiary=b).count() == 2
