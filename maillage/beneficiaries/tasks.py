"""The beneficiaries' periodic task (discovered by ``huey.contrib.djhuey``): the retention
purge, every night (``retention_purge --confirm`` does the same by hand)."""

import logging

from django.utils import timezone
from huey import crontab

from maillage.core.queue import periodic

from . import retention

logger = logging.getLogger(__name__)


@periodic(crontab(minute="30", hour="1"), name="retention_purge", every_minutes=1440)
def retention_purge() -> int:
    """Every night at 01:30 UTC: delete the health data kept 20 years past the person's last
    episode (SPEC §3). Returns how many people were purged; logs only counts and public ids."""
    today = timezone.localdate()
    done = 0
    for candidate in retention.eligible(today=today):
        if retention.purge(beneficiary=candidate.beneficiary, today=today) is not None:
            done += 1
    if done:
        logger.info("Retention purge: health data of %s person(s) deleted", done)
    return done
