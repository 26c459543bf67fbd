"""Audited actions of the offline day (``core.audit``)."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class OfflineAction(models.TextChoices):
    DEVICE_REGISTERED = "offline.device_registered", "Appareil hors ligne enregistré"
    DEVICE_ERASED = "offline.device_erased", "Appareil hors ligne effacé"
    DAY_DOWNLOADED = "offline.day_downloaded", "Journée chargée sur un téléphone (lecture)"
    ACTION_SYNCED = "offline.action_synced", "Saisie hors ligne synchronisée"
    ACTION_REJECTED = "offline.action_rejected", "Saisie hors ligne non appliquée (conflit)"
