"""The visits' periodic tasks (run by the task queue): series extension reads only the series
with something left to create; the tasks run once per slot."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import Alert
from maillage.core.models import PeriodicRun
from maillage.core.queue import slot_of
from maillage.visits import services
from maillage.visits.models import Visit
from maillage.visits.tasks import visits_missed, visits_series_extend

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _series(b, actor, **fields):
    defaults = {"staff": actor, "frequency": "daily", "times": "08:00",
                "duration_minutes": 30, "start_date": TODAY + timedelta(days=1)}
    return services.series_create(actor=actor, beneficiary=b, **{**defaults, **fields})[0]


def test_series_extension_does_not_read_complete_or_ended_series(crt_a, users):
    b = shared_file(crt_a, users["care_aide"])
    aide = users["care_aide"]
    _series(b, aide, end_date=TODAY + timedelta(days=5))  # complete: generated to its end
    ended = _series(b, aide, start_date=TODAY - timedelta(days=20),
                    end_date=TODAY - timedelta(days=2), not_before=timezone.now() -
                    timedelta(days=30))
    open_ended = _series(b, aide, end_date=None, times="19:00")
    later = TODAY + timedelta(days=7)
    with CaptureQueriesContext(connection) as queries:
        created = services.extend_series(today=later)
    assert created == 7  # the open-ended series only, one visit a day
    series_read = [q["sql"] for q in queries.captured_queries
                   if 'FROM "visits_visitseries"' in q["sql"]]
    assert len(series_read) == 1
    assert Visit.objects.filter(series=ended).count() == 19
    open_ended.refresh_from_db()
    assert open_ended.generated_until == later + timedelta(days=services.HORIZON_DAYS)
    # Nothing left to create: the next run reads the series table and no series.
    with CaptureQueriesContext(connection) as queries:
        assert services.extend_series(today=later) == 0
    assert len(queries.captured_queries) == 1


def test_the_visit_tasks_run_once_per_slot(crt_a, users):
    b = shared_file(crt_a, users["care_aide"])
    past = timezone.now() - timedelta(hours=3)
    Visit.objects.create(crt=crt_a, beneficiary=b, staff=users["care_aide"],
                         starts_at=past, ends_at=past + timedelta(minutes=30))
    slot = slot_of(timezone.now(), 5)
    visits_missed()  # the queue runs it (at once in tests)…
    visits_missed()  # …and a second worker for the same slot does nothing
    assert Visit.objects.get().missed_alert is not None
    assert Alert.objects.filter(kind=Alert.Kind.MISSED_VISIT).count() == 1
    if slot_of(timezone.now(), 5) == slot:  # (not across a slot boundary)
        assert PeriodicRun.objects.get(name="visits_missed").skipped == 1
    visits_series_extend()
    assert PeriodicRun.objects.filter(name="visits_series_extend").exists()
