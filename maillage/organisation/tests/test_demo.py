"""The demo of the CRT's organisation: agreements due for renewal, partners without agreement,
the team's positions with a vacancy, two COPIL and monthly admission commissions, decisions
done and open, admissions linked to their commission."""

from datetime import timedelta

from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.core.models import Crt
from maillage.organisation import selectors
from maillage.organisation.models import Decision, Meeting, Position
from maillage.territory import selectors as territory


def test_demo_organisation(demo):
    today = timezone.localdate()
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    coord = {"user": None, "roles": frozenset({"coordinator"})}
    reminders = territory.agreement_reminders(crt=crt, **coord)
    assert [r.urgent for r in reminders] == [True, False]  # one within 30 days, one within 90
    gaps = [o.kind for o in territory.partners_without_agreement(crt=crt, **coord)]
    assert "sad" in gaps and "ssiad" not in gaps
    composition = selectors.team_composition(crt=crt)
    assert composition.total.vacancies == 1 and composition.total.fte > 10
    assert {"nurse", "activity_leader", "coordinator"} <= {r.profession
                                                           for r in composition.rows}
    assert Position.objects.filter(crt=crt, holder__isnull=True).count() == 1
    meetings = Meeting.objects.filter(crt=crt)
    assert meetings.filter(kind="copil").count() == 2
    commissions = meetings.filter(kind="admission_commission")
    assert commissions.count() >= 13  # every month of the 14 months of history
    assert commissions.filter(held_on__gte=today - timedelta(days=35)).exists()
    decisions = Decision.objects.filter(crt=crt)
    assert decisions.filter(done_on__isnull=False).count() >= 10
    assert decisions.filter(done_on__isnull=True, due_on__lt=today).count() >= 1
    assert decisions.filter(done_on__isnull=True, due_on__gte=today).count() >= 1
    linked = Enrolment.objects.filter(crt=crt, admission_meeting__isnull=False)
    assert linked.count() >= 10
    for e in linked.select_related("admission_meeting"):
        m = e.admission_meeting
        assert m.kind == "admission_commission" and m.held_on <= e.admitted_on, e
