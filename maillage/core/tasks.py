"""Core's tasks (discovered by ``huey.contrib.djhuey``): the outbox."""

from huey import crontab
from huey.contrib.djhuey import db_task

from . import outbox
from .queue import periodic, prune_periodic_runs


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
    """Every night: the guard rows of past slots (a week kept) and the messages sent more than
    90 days ago (their text may carry personal data)."""
    return prune_periodic_runs() + outbox.prune()
