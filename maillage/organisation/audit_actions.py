"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class OrganisationAction(models.TextChoices):
    POSITION_CREATED = "position.created", "Ajout d'un poste de l'équipe"
    POSITION_UPDATED = "position.updated", "Modification d'un poste de l'équipe"
    MEETING_CREATED = "meeting.created", "Ajout d'une réunion de gouvernance"
    MEETING_UPDATED = "meeting.updated", "Modification d'une réunion de gouvernance"
    MEETING_MINUTES_DOWNLOADED = (
        "meeting.minutes_downloaded", "Téléchargement du compte rendu d'une réunion")
    DECISION_CREATED = "decision.created", "Décision de réunion enregistrée"
    DECISION_UPDATED = "decision.updated", "Décision de réunion modifiée"
    DECISION_DONE = "decision.done", "Décision de réunion réalisée"
