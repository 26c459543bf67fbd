"""The report of a home visit is health data (core.health_data)."""

from maillage.core.health_data import Registered

HEALTH_DATA = [
    Registered("visits.Visit", ("report",)),
]
