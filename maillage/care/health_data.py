"""Health data of coordination: notebook, alerts, conversations, telehealth, the plan's
problems (core.health_data)."""

from maillage.core.health_data import Registered

HEALTH_DATA = [
    Registered("care.LiaisonNote", ("text",)),
    Registered("care.Alert", ("description", "outcome")),
    Registered("care.Message", ("text",)),
    Registered("care.TelehealthAct", ("reason", "outcome", "notes")),
    Registered("care.Problem", ("description",)),
    Registered("care.GoalStatusChange", ("comment",)),
]
