"""Core's tasks (discovered by ``huey.contrib.djhuey``): the outbox, the nightly backup."""

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_task

from . import backup, outbox, submissions
from .queue import periodic, prune_periodic_runs

logger = logging.getLogger(__name__)


@db_task()
def outbox_send(pk: int) -> str | None:
    """Send one outbox message (queued after the commit that wrote it)."""
    return outbox.deliver(pk)


@periodic(crontab(minute="*"), name="outbox_flush", every_minutes=1)
def outbox_flush() -> int:
    """Every minute: the messages whose enqueue was lost, whose retry is due, or that a killed
    worker left half-sent."""
    return outbox.flush()


@periodic(crontab(minute="17", hour="3"), name="periodic_runs_prune", every_minutes=1440)
def periodic_runs_prune() -> int:
    """Every night: the guard rows of past slots (a week kept), the messages sent more than
    90 days ago (their text may carry personal data) and the create forms' one-time keys past
    their 30 days."""
    return prune_periodic_runs() + outbox.prune() + submissions.prune()


@periodic(crontab(minute="30", hour="2"), name="backup_nightly", every_minutes=1440)
def backup_nightly() -> str | None:
    """Every night at 02:30 UTC, when ``BACKUP_DIR`` is set: a backup into it, the
    ``BACKUP_KEEP`` newest kept. A failure is logged (what failed, never data) and raised, so the
    queue counts the task as failed."""
    if not settings.BACKUP_DIR:
        return None
    try:
        summary = backup.periodic_backup()
    except Exception as exc:
        logger.error("Nightly backup into %s failed: %s", settings.BACKUP_DIR,
                     getattr(exc, "message", type(exc).__name__))
        raise
    logger.info("Nightly backup written: %s (%d bytes)", summary.path.name, summary.size)
    return summary.path.name
