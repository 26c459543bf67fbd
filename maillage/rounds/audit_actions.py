"""Audited actions of this app, with the French label the DPO and the person read."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class RoundsAction(models.TextChoices):
    PROPOSAL_REQUESTED = "rounds.requested", "Demande d'optimisation des tournées"
    PROPOSAL_APPLIED = "rounds.applied", "Application d'une proposition de tournées"
    CARER_HOURS_SAVED = "rounds.carer_hours", "Horaires d'un·e intervenant·e pour les tournées"
