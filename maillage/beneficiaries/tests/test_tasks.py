"""The nightly retention purge, as the task queue runs it."""

from datetime import date

import pytest

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tasks import retention_purge
from maillage.core.models import AuditEvent, PeriodicRun

from .factories import BeneficiaryFactory

pytestmark = pytest.mark.django_db


def test_the_nightly_task_purges_the_files_past_retention_once(crt_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = BeneficiaryFactory(crt=crt_a)
    enrolment(old, admitted_on=date(2000, 1, 1), ended_on=date(2001, 6, 30))
    recent = BeneficiaryFactory(crt=crt_a)
    enrolment(recent, admitted_on=date(2020, 1, 1), ended_on=date(2021, 6, 30))
    retention_purge()  # the queue runs it (at once in tests)
    retention_purge()  # a second worker, same night: refused
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.health_data_purged_on is not None and recent.health_data_purged_on is None
    assert AuditEvent.objects.filter(action="retention.purged").count() == 1
    assert PeriodicRun.objects.get(name="retention_purge").skipped == 1
