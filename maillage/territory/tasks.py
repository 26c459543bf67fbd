"""The territory's periodic tasks (discovered by ``huey.contrib.djhuey``): agreements reaching
their end date renewed (tacit renewal) or expired; the monthly Annuaire Santé refresh."""

import logging

from huey import crontab

from maillage.core.queue import periodic

from .services import agreements_roll_over, annuaire_refresh

logger = logging.getLogger(__name__)


@periodic(crontab(minute="10", hour="0"), name="agreements_daily", every_minutes=1440)
def agreements_daily() -> int:
    """Every day at 00:10 UTC: signed agreements whose period ended yesterday renewed for
    another period (tacit renewal) or marked expired."""
    changed = agreements_roll_over()
    if changed:
        logger.info("Agreements: %s renewed or expired", changed)
    return changed


@periodic(crontab(minute="30", hour="3", day="1"), name="annuaire_monthly",
          every_minutes=1440)
def annuaire_monthly() -> int:
    """On the 1st of each month at 03:30 UTC, when an Annuaire Santé API key is configured:
    each CRT's directory compared with the FHIR API, the changes left for review (never
    applied without a person)."""
    prepared = annuaire_refresh()
    if prepared:
        logger.info("Annuaire Santé: %s import(s) to review", prepared)
    return prepared
