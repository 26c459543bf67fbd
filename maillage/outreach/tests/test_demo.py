"""The volet 1 demo: a year of actions of CRT Anjou Bleu in the five fields, with attendance."""

from datetime import timedelta

from django.utils import timezone

from maillage.core.models import AuditEvent
from maillage.outreach import selectors
from maillage.outreach.models import Participation, Session, SupportAction


def test_demo_year_of_volet1(demo):
    today = timezone.localdate()
    crt = SupportAction.objects.filter(crt__name="CRT Anjou Bleu").first().crt
    actions = SupportAction.objects.filter(crt=crt)
    assert set(actions.values_list("field", flat=True)) == {
        "care_prevention", "isolation", "practices", "caregivers", "resources"}
    anti_fall = actions.get(anti_fall=True)
    sessions = Session.objects.filter(crt=crt)
    assert anti_fall.sessions.filter(status="held").count() >= 8
    assert sessions.filter(starts_at__date__lte=today - timedelta(days=300)).exists()
    assert sessions.filter(status="planned", starts_at__date__gt=today).count() == 8
    # Dated by the demo clock: recorded the day they took place, not when the demo loaded.
    first = sessions.order_by("starts_at").first()
    assert first.created_at.date() == timezone.localtime(first.starts_at).date()
    assert AuditEvent.objects.filter(action="session.recorded",
                                     occurred_at__date__lt=today - timedelta(days=300)).exists()
    present = Participation.objects.filter(crt=crt, status="present")
    assert present.filter(beneficiary__isnull=False).values("beneficiary").distinct().count() \
        >= 3
    assert set(present.values_list("kind", flat=True)) == {
        "older_person", "caregiver", "professional"}
    assert present.exclude(transport_mode="").filter(transport_cost__gt=0).exists()
    assert not SupportAction.objects.filter(crt__name="CRT Baugeois Vallée").exists()
    # The partner account facilitates the training sessions.
    assert sessions.filter(partner_facilitators__user__username="partner").exists()
    if today.timetuple().tm_yday > 20:  # the first days of January have no session yet
        assert selectors.yearly_check(crt=crt, year=today.year).ok
