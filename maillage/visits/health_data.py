"""The report of a home visit is health data (core.health_data)."""

from maillage.core.health_data import Registered

HEALTH_DATA = [
    Registered("visits.Visit", ("report",)),
    # Why an action of the plan was not done (« refus, douleur au lever »): clinical free text.
    Registered("visits.VisitTask", ("reason",)),
]
