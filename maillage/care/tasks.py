"""Coordination's periodic tasks (discovered by ``huey.contrib.djhuey``): plan review
reminders. ``plans_tick`` runs the same once."""

from huey import crontab

from maillage.core.queue import periodic

from .services import careplan_review_reminders, unread_counters_rebuild
from .services.prescriptions import prescription_reminders


@periodic(crontab(minute="0", hour="5"), name="plans_review_reminders", every_minutes=1440)
def plans_review_reminders() -> int:
    """Every day at 05:00 UTC: the referent and the coordination of each plan whose review has
    come (once per review date)."""
    return careplan_review_reminders()


@periodic(crontab(minute="5", hour="23"), name="unread_counters_repair", every_minutes=1440)
def unread_counters_repair() -> int:
    """Every day at 23:05 UTC (just after midnight in Paris, when care-team memberships start
    and end): every unread-messages counter of every CRT recomputed from the rule. It repairs
    what the services do not catch at once (``services.unread``): care-team memberships that
    start or end on a later day, directory professionals linked to an account, accounts
    deactivated as a whole, files erased by the retention purge, and a recompute that raced a
    new message. Returns how many counters were written."""
    from maillage.core.models import Crt

    return sum(unread_counters_rebuild(crt=crt) for crt in Crt.objects.all())


@periodic(crontab(minute="30", hour="6"), name="prescription_reminders", every_minutes=1440)
def prescription_requests_remind() -> int:
    """Every day at 06:30 UTC: the prescription requests left unanswered for
    ``PRESCRIPTION_REMINDER_DAYS`` days are sent again to the GP (``services.prescriptions``)."""
    return prescription_reminders()
