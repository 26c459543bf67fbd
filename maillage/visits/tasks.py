"""The visits' periodic tasks (discovered by ``huey.contrib.djhuey``; ``maillage worker`` runs
them): missed-visit alerts and the series' horizons. ``visits_tick`` runs the same once."""

from huey import crontab

from maillage.core.queue import periodic

from .services import check_missed, extend_series


@periodic(crontab(minute="*/5"), name="visits_missed", every_minutes=5)
def visits_missed() -> int:
    """Every 5 minutes: a « passage non réalisé » alert for each visit not traced in time."""
    return len(check_missed())


@periodic(crontab(minute="*/5"), name="visits_series_extend", every_minutes=5)
def visits_series_extend() -> int:
    """Every 5 minutes: the open series whose horizon moved create their coming visits (the
    others are not read: see ``extend_series``)."""
    return extend_series()
