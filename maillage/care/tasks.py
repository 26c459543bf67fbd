"""Coordination's periodic tasks (discovered by ``huey.contrib.djhuey``): plan review
reminders. ``plans_tick`` runs the same once."""

from huey import crontab

from maillage.core.queue import periodic

from .services import careplan_review_reminders


@periodic(crontab(minute="0", hour="5"), name="plans_review_reminders", every_minutes=1440)
def plans_review_reminders() -> int:
    """Every day at 05:00 UTC: the referent and the coordination of each plan whose review has
    come (once per review date)."""
    return careplan_review_reminders()
