"""Why a person stays in a temporary room, and why longer than allowed, is told in free text
that often says what happened to their health or to their caregiver (core.health_data)."""

from maillage.core.health_data import Registered

HEALTH_DATA = [
    Registered("lodging.Stay", ("notes", "over_max_justification", "cancel_reason")),
]
