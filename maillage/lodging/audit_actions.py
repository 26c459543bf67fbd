"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class LodgingAction(models.TextChoices):
    ROOM_CREATED = "room.created", "Ajout d'une chambre temporaire"
    ROOM_UPDATED = "room.updated", "Modification d'une chambre temporaire"
    LODGING_SETTINGS_UPDATED = (
        "lodging_settings.updated",
        "Durée de conservation de la place modifiée",
    )
    STAY_CREATED = "stay.created", "Séjour en chambre temporaire prévu"
    STAY_UPDATED = "stay.updated", "Séjour en chambre temporaire modifié"
    STAY_STARTED = "stay.started", "Arrivée en chambre temporaire"
    STAY_ENDED = "stay.ended", "Départ de la chambre temporaire"
    STAY_CANCELLED = "stay.cancelled", "Séjour en chambre temporaire annulé"
    STAY_VIEWED = "stay.viewed", "Consultation d'un séjour en chambre temporaire"
    STAY_FORM_OPENED = "stay.form_opened", "Ouverture du formulaire d'un séjour (lecture)"
    STAYS_VIEWED = "stays.viewed", "Consultation des séjours en chambre temporaire d'une personne"
