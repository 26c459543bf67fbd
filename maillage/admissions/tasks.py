"""Admissions' periodic task (discovered by ``huey.contrib.djhuey``): the stored forfait-months
brought up to date as time moves on (see ``forfait``)."""

import logging

from huey import crontab

from maillage.core.queue import periodic

from .forfait import forfait_months_catch_up

logger = logging.getLogger(__name__)


@periodic(crontab(minute="5", hour="0"), name="forfait_months_daily", every_minutes=1440)
def forfait_months_daily() -> int:
    """Every day at 00:05 UTC (after midnight in France): the months that started counting
    since yesterday — the new month for people at home, returns home planned in advance —
    stored for the open enrolments lacking them. Returns the number of rows written."""
    changed = forfait_months_catch_up()
    if changed:
        logger.info("Forfait months: %s row(s) brought up to date", changed)
    return changed
