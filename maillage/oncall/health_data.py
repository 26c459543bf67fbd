"""Clinical content of on-call calls and of the emergency file (core.health_data)."""

from maillage.core.health_data import Registered

HEALTH_DATA = [
    Registered("oncall.Call", ("assessment", "advice", "actions", "outcome_notes", "follow_up")),
    Registered("oncall.EmergencyFile", ("important_info",)),
]
