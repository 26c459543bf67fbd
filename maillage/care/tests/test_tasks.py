"""Plan review reminders, as the task queue runs them every day: each plan due is reminded
once, by e-mail too (through the outbox) for those who asked for it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.tasks import plans_review_reminders
from maillage.core.models import Notification, OutboxMessage, PeriodicRun

from . import factories as f

pytestmark = pytest.mark.django_db


def test_daily_reminders_once_with_the_emails_through_the_outbox(
        crt_a, users, django_capture_on_commit_callbacks):
    nurse = users["nurse"]
    nurse.notify_by_email, nurse.email = True, "infirmiere@example.fr"
    nurse.save()
    b = shared_file(crt_a, users["coordinator"])
    f.plan_version(b, status="validated", referent=nurse,
                   validated_at=timezone.now() - timedelta(days=200),
                   next_review_on=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        plans_review_reminders()  # the queue runs it (at once in tests)
        plans_review_reminders()  # a second worker, same day: refused
    assert PeriodicRun.objects.get(name="plans_review_reminders").skipped == 1
    assert set(Notification.objects.values_list("user__username", flat=True)) == {
        "coordinator", "nurse"}
    message = OutboxMessage.objects.get()
    assert (message.to, message.state) == ("infirmiere@example.fr", "sent")
    assert [m.to for m in mail.outbox] == [["infirmiere@example.fr"]]
    assert "Révision du plan" in mail.outbox[0].subject
