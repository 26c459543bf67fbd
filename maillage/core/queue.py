"""The task queue (Huey, ``huey.contrib.djhuey``): what every app's ``tasks.py`` uses.

Periodic tasks are declared with ``periodic(...)`` rather than Huey's ``periodic_task`` alone:
every consumer runs the scheduler, so with two workers (two machines sharing a Redis queue, or
``maillage worker`` started twice) each would enqueue the same periodic task for the same
minute. A row ``PeriodicRun(name, slot)`` under a unique constraint, inserted before the work,
makes it run once per slot: the second worker's insert fails, it counts itself in ``skipped``
and does nothing. This holds whether or not the two runs overlap in time (Huey's ``lock_task``
only stops overlapping runs, and on the SQLite storage its lock has no time to live, so a worker
killed while holding it would block the task until someone flushes the locks). A run longer than
its period may overlap the next slot's run: the periodic jobs are written to be idempotent
(conditional updates: a visit raises one alert, a plan one reminder per review date).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from .models import PeriodicRun

logger = logging.getLogger(__name__)


def slot_of(now: datetime, every_minutes: int) -> datetime:
    """The start of the slot ``now`` falls in, slots of ``every_minutes`` from midnight UTC."""
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    minutes = now.hour * 60 + now.minute
    return now.replace(hour=0, minute=0) + timedelta(minutes=minutes - minutes % every_minutes)


def claim_slot(name: str, slot: datetime) -> bool:
    """True for the first caller for ``(name, slot)``, False for every other one."""
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(name=name, slot=slot)
    except IntegrityError:
        PeriodicRun.objects.filter(name=name, slot=slot).update(skipped=F("skipped") + 1)
        return False
    return True


def periodic(cron, *, name: str, every_minutes: int):
    """Declare a periodic task run at most once per slot of ``every_minutes`` whatever the
    number of workers. ``cron`` is a Huey ``crontab(...)`` matching those slots. The decorated
    function stays callable directly (``.call_local``), e.g. by a management command."""

    def decorator(fn):
        @wraps(fn)
        def run():
            slot = slot_of(timezone.now(), every_minutes)
            if not claim_slot(name, slot):
                logger.info("Periodic task %s already run for %s: skipped", name,
                            slot.isoformat())
                return None
            return fn()

        task = db_periodic_task(cron, name=name)(run)
        task.call_local = fn
        return task

    return decorator


def prune_periodic_runs(*, days: int = 7) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    return PeriodicRun.objects.filter(started_at__lt=cutoff).delete()[0]
