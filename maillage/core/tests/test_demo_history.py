"""The demo has lived: 14 months of referrals, admissions, visits, notes, alerts, calls, stays
and audit events at their dates (relative to today), and the progress of the load (the command's
own output: ``test_demo_loading.py``)."""

from datetime import timedelta

import pytest
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import Enrolment, Referral
from maillage.beneficiaries.models import Beneficiary
from maillage.care.models import Alert, LiaisonNote
from maillage.core.demo import DEMO_PASSWORD
from maillage.core.models import AuditEvent, Crt
from maillage.lodging.models import Stay
from maillage.oncall.models import Call
from maillage.visits.models import Visit

from .helpers import visible_text


@pytest.fixture(scope="module")
def demo(demo_module):
    """The demo, restored once for this module's read-only tests, removed afterwards."""
    return demo_module


def months_ago(n: int):
    today = timezone.localdate()
    month = (today.year * 12 + today.month - 1) - n
    return month // 12, month % 12 + 1


def last_months(count: int) -> set:
    return {months_ago(n) for n in range(1, count + 1)}


def months(queryset, field: str) -> set:
    return {(d.year, d.month) for d in queryset.annotate(m=TruncMonth(field))
            .values_list("m", flat=True).distinct()}


def test_referrals_and_admissions_spread_over_fourteen_months(demo, db):
    now = timezone.now()
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    oldest = Referral.objects.filter(crt=anjou).order_by("received_at").first().received_at
    assert timedelta(days=395) <= now - oldest <= timedelta(days=470)
    assert anjou.opened_on <= oldest.date()
    assert len(months(Referral.objects.filter(crt=anjou), "received_at") & last_months(12)) >= 10
    assert len(months(Enrolment.objects.filter(crt=anjou), "admitted_on")
               & last_months(12)) >= 9
    # Every admission has its referral, received before and decided before the admission.
    for e in Enrolment.objects.filter(crt=anjou).select_related("referral"):
        assert e.referral is not None, e
        received = timezone.localdate(e.referral.received_at)
        assert received <= timezone.localdate(e.referral.decided_at) <= e.admitted_on
    assert {"declined", "redirected", "cancelled", "waiting", "admitted"} <= set(
        Referral.objects.filter(crt=anjou).values_list("status", flat=True))
    assert Enrolment.objects.filter(crt=anjou, ended_on__isnull=False).count() >= 5
    # Nothing recorded in the future.
    assert not Referral.objects.filter(received_at__gt=now).exists()
    assert not Referral.objects.filter(created_at__gt=now).exists()


def test_the_medical_evaluations_are_the_doctors(demo, db):
    """SPEC §4.2: recorded by the coordinating doctor, who is also who the waiting list says
    does that step next."""
    from maillage.admissions.models import AdmissionStep
    from maillage.core.roles import Role

    steps = AdmissionStep.objects.filter(kind=AdmissionStep.Kind.MEDICAL_EVALUATION)
    assert steps.exists()
    assert not steps.exclude(done_by__memberships__roles__role=Role.DOCTOR).exists()
    waiting = Referral.objects.filter(status="waiting", next_step="Évaluation médicale")
    assert waiting.exists()
    assert not waiting.exclude(next_step_owner__memberships__roles__role=Role.DOCTOR).exists()


def test_visits_done_and_missed_in_past_months(demo, db):
    past = Visit.objects.filter(crt__name="CRT Anjou Bleu")
    done = past.filter(status="done")
    assert len(months(done, "starts_at") & last_months(5)) == 5
    assert len(months(past.filter(status="not_done"), "starts_at") & last_months(5)) >= 4
    # Generated before they happened, never "today" for an old visit.
    old = done.filter(starts_at__lt=timezone.now() - timedelta(days=60))
    assert old.exists()
    assert not old.filter(created_at__gte=timezone.now() - timedelta(days=30)).exists()
    # Today's day is still there for the field.
    assert past.filter(starts_at__date=timezone.localdate()).exists()


def test_notes_alerts_calls_and_stays_over_the_months(demo, db):
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    year = last_months(12)
    assert len(months(LiaisonNote.objects.filter(crt=crt), "created_at") & year) >= 11
    resolved = Alert.objects.filter(crt=crt, status="resolved")
    assert len(months(resolved, "created_at") & year) >= 8
    assert Alert.objects.filter(crt=crt, status="open").exists()  # today's work
    assert len(months(Call.objects.filter(crt=crt), "received_at") & year) >= 9
    assert len(months(Call.objects.filter(crt=crt), "created_at") & year) >= 9
    stays = Stay.objects.filter(crt=crt, actual_start__isnull=False)
    assert len(months(stays, "actual_start") & year) >= 8


def test_audit_events_spread_over_the_months(demo, db):
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    events = AuditEvent.objects.filter(crt=crt)
    assert len(months(events, "occurred_at") & last_months(13)) == 13
    assert not events.filter(occurred_at__gt=timezone.now()).exists()
    for action in ("beneficiary.viewed", "note.added", "referral.received",
                   "enrolment.opened", "alert.resolved"):
        assert len(months(events.filter(action=action), "occurred_at")
                   & last_months(12)) >= 6, action


def test_a_persons_timeline_shows_dated_entries_over_months(demo, db, client):
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    e = (Enrolment.objects.filter(crt=anjou, ended_on__isnull=True,
                                  admitted_on__lte=timezone.localdate() - timedelta(days=240))
         .order_by("admitted_on").first())
    b = e.beneficiary
    assert len({(t.year, t.month) for t in b.timeline.values_list("occurred_at", flat=True)}) \
        >= 3
    client.post(reverse("core:login"), {"username": "coordinator", "password": DEMO_PASSWORD})
    text = visible_text(client.get(reverse("beneficiaries:detail",
                                           kwargs={"public_id": b.public_id})))
    assert f"{e.admitted_on:%d/%m/%Y}" in text
    assert timezone.localdate(Beneficiary.objects.get(pk=b.pk).created_at) < e.admitted_on


def test_load_demo_reports_each_step_with_counts(demo):
    lines = demo
    assert any(line.startswith("Territoire… 50 communes") for line in lines)
    assert any(line.startswith("Bénéficiaires… 52 dossiers") for line in lines)
    assert any(line.startswith("Historique 14 mois…") and "transmissions" in line
               for line in lines)
    assert all(any(ch.isdigit() for ch in line) for line in lines)
