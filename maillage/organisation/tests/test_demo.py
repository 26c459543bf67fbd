"""The demo of the CRT's organisation: agreements due for renewal, partners without agreement,
the team's positions with a vacancy, two COPIL and monthly admission commissions, decisions
done and open, admissions, refusals, redirections and team opinions linked to their
commission."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import AdmissionStep, Enrolment, Referral
from maillage.core.models import Crt
from maillage.core.tests.helpers import table_text
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


def test_demo_commissions_show_what_they_examined(demo, client):
    """Refused and redirected requests and team opinions are linked to the commission held
    between the request's receipt and them; a commission's page shows them with what it did."""
    from maillage.core.demo import DEMO_PASSWORD

    crt = Crt.objects.get(name="CRT Anjou Bleu")
    commissions = list(Meeting.objects.filter(crt=crt, kind="admission_commission"))
    # A request is linked to the last commission held between its receipt and its decision
    # (a commission before the request came in did not examine it: the QA found one), and to
    # none when no commission was held in between (decided outside a commission).
    refusals = Referral.objects.filter(crt=crt, status__in=["declined", "redirected"])
    for r in refusals.select_related("decision_meeting"):
        received, decided = timezone.localdate(r.received_at), timezone.localdate(r.decided_at)
        between = [m for m in commissions
                   if received <= m.held_on <= decided <= m.held_on + timedelta(days=31)]
        expected = max(between, key=lambda m: m.held_on) if between else None
        assert r.decision_meeting == expected, r
    opinions = AdmissionStep.objects.filter(crt=crt, meeting__isnull=False) \
        .select_related("meeting", "referral")
    assert opinions.filter(referral__status="waiting").exists()
    for step in opinions:
        assert step.kind == "team_opinion" and step.meeting.held_on <= step.done_on, step
        assert step.meeting.held_on >= timezone.localdate(step.referral.received_at), step
    client.post(reverse("core:login"), {"username": "coordinator", "password": DEMO_PASSWORD})
    waiting = opinions.filter(referral__status="waiting").first().meeting
    rows = table_text(client.get(reverse("organisation:meeting_detail",
                                         args=[waiting.public_id])))
    assert "En liste d'attente avis favorable, décision d'admission en attente" in rows
