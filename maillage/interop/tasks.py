"""Exchanges' periodic tasks (discovered by ``huey.contrib.djhuey``): the MSSanté mailbox."""

import logging

from huey import crontab

from maillage.core.queue import periodic

logger = logging.getLogger(__name__)


@periodic(crontab(minute="*/5"), name="mssante_inbox_poll", every_minutes=5)
def mssante_inbox_poll() -> int:
    """Every 5 minutes, when a mailbox is configured: the GPs' answers attached to the files
    (``interop.mssante.inbox``). A mail server that does not answer is logged; the next poll
    tries again and nothing is lost (messages stay unread until handled)."""
    from .mssante.inbox import configured, poll

    if not configured():
        return 0
    try:
        return poll().attached
    except Exception as exc:  # noqa: BLE001 - any failure waits for the next poll
        logger.warning("MSSanté mailbox not read: %s", type(exc).__name__)
        return 0
