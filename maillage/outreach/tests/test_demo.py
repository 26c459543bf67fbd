"""The volet 1 demo: a year of actions of CRT Anjou Bleu in the five fields, with attendance."""

from datetime import timedelta

from django.utils import timezone

from maillage.core.models import AuditEvent
from maillage.outreach import selectors
from maillage.outreach.models import Attendee, Participation, Session, SupportAction


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
    # What the indicators read: institutes invited (V1-04), GIR and its source (V1-07), the
    # transport rule (V1-08), caregivers of volet 2 files (V1-02).
    assert actions.filter(field="practices", institute_ifsi=True).count() == 2
    assert not actions.exclude(field="practices").filter(institute_ifsi=True).exists()
    older = Attendee.objects.filter(crt=crt, kind="older_person")
    assert not older.filter(gir__isnull=False, gir_source="").exists()
    assert {"evaluated", "declared"} <= set(older.values_list("gir_source", flat=True))
    transports = Participation.objects.filter(crt=crt).exclude(transport_mode="")
    assert transports.exists() and not transports.filter(transport_reason="").exists()
    assert present.filter(attendee__caregiver__isnull=False).exists()
    assert AuditEvent.objects.filter(action="participation.caregiver_linked").exists()
    assert not SupportAction.objects.filter(crt__name="CRT Baugeois Vallée").exists()
    # The partner account facilitates the training sessions.
    assert sessions.filter(partner_facilitators__user__username="partner").exists()
    if today.timetuple().tm_yday > 20:  # the first days of January have no session yet
        assert selectors.yearly_check(crt=crt, year=today.year).ok
