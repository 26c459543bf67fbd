"""A review of the plan asked by an event of the file (a return from hospital…)."""

from datetime import timedelta

from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.care.selectors import reviews_due
from maillage.care.services.plans import plan_review_request
from maillage.core.models import AuditEvent, Notification

from .factories import plan_version


def test_moves_the_review_earlier_never_later_and_tells_the_coordination(users, crt_a):
    today = timezone.localdate()
    b = BeneficiaryFactory(crt=crt_a)
    v = plan_version(b, status="validated", next_review_on=today + timedelta(days=120),
                     referent=users["nurse"])
    assert v not in reviews_due(crt=crt_a)
    due = today + timedelta(days=3)
    got = plan_review_request(actor=users["admin_staff"], beneficiary=b, due_on=due,
                              reason="retour d'hospitalisation")
    v.refresh_from_db()
    assert got == v and v.next_review_on == due
    assert v in reviews_due(crt=crt_a)
    assert b.timeline.filter(
        title=f"Révision du plan demandée avant le {due:%d/%m/%Y} : retour d'hospitalisation"
    ).exists()
    assert AuditEvent.objects.filter(action="care_plan.review_requested").count() == 1
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"coordinator", "nurse"}
    # A later date never postpones an earlier review.
    plan_review_request(actor=users["admin_staff"], beneficiary=b,
                        due_on=today + timedelta(days=30), reason="autre")
    v.refresh_from_db()
    assert v.next_review_on == due


def test_no_validated_plan_nothing_to_review(users, crt_a):
    b = BeneficiaryFactory(crt=crt_a)
    plan_version(b, status="draft")
    assert plan_review_request(actor=users["coordinator"], beneficiary=b,
                               due_on=timezone.localdate(), reason="retour") is None
    assert not Notification.objects.exists()
