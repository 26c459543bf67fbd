"""The territory's periodic task (discovered by ``huey.contrib.djhuey``): agreements reaching
their end date renewed (tacit renewal) or expired."""

import logging

from huey import crontab

from maillage.core.queue import periodic

from .services import agreements_roll_over

logger = logging.getLogger(__name__)


@periodic(crontab(minute="10", hour="0"), name="agreements_daily", every_minutes=1440)
def agreements_daily() -> int:
    """Every day at 00:10 UTC: signed agreements whose period ended yesterday renewed for
    another period (tacit renewal) or marked expired."""
    changed = agreements_roll_over()
    if changed:
        logger.info("Agreements: %s renewed or expired", changed)
    return changed
