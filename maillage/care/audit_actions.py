"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class CareAction(models.TextChoices):
    DOMAINS_INSTALLED = "domains.installed", "Installation des domaines d'intervention"
    SERVICE_CREATED = "service.created", "Ajout d'une prestation"
    SERVICE_UPDATED = "service.updated", "Modification d'une prestation"
    BASKET_ADDED = "basket.added", "Ajout d'une prestation au panier"
    BASKET_ENDED = "basket.ended", "Arrêt d'une prestation du panier"
    CARE_PLAN_VIEWED = "care_plan.viewed", "Consultation du plan personnalisé"
    CARE_PLAN_VERSION_STARTED = (
        "care_plan.version_started",
        "Nouvelle version du plan personnalisé",
    )
    CARE_PLAN_UPDATED = "care_plan.updated", "Modification du plan personnalisé"
    CARE_PLAN_VALIDATED = "care_plan.validated", "Validation du plan personnalisé"
    CARE_PLAN_REVIEW_REQUESTED = (
        "care_plan.review_requested",
        "Demande de révision du plan personnalisé",
    )
    CARE_PLAN_GOAL_STATUS_CHANGED = (
        "care_plan.goal_status_changed",
        "Changement d'état d'un objectif du plan personnalisé",
    )
    CARE_PLAN_REVIEW_VIEWED = (
        "care_plan.review_viewed",
        "Consultation du bilan de révision du plan personnalisé",
    )
    CARE_PLAN_COMPARED = "care_plan.compared", "Comparaison de versions du plan"
    CARE_PLAN_PRINTED = "care_plan.printed", "Impression du plan personnalisé"
    NOTE_ADDED = "note.added", "Transmission au cahier de liaison"
    NOTES_VIEWED = "notes.viewed", "Consultation du cahier de liaison"
    ALERT_RAISED = "alert.raised", "Alerte signalée"
    ALERT_ACKNOWLEDGED = "alert.acknowledged", "Alerte prise en charge"
    ALERT_RESOLVED = "alert.resolved", "Alerte résolue"
    ALERT_CORRECTED = "alert.corrected", "Alerte mise à jour après correction de sa mesure"
    ALERTS_VIEWED = "alerts.viewed", "Consultation des alertes"
    CONVERSATION_OPENED = "conversation.opened", "Ouverture du fil des professionnels de santé"
    CONVERSATION_VIEWED = "conversation.viewed", "Lecture d'une conversation"
    MESSAGE_POSTED = "message.posted", "Message dans une conversation"
    MESSAGE_ATTACHMENT_DOWNLOADED = (
        "message.attachment_downloaded",
        "Téléchargement d'une pièce jointe de conversation",
    )
    TELEHEALTH_RECORDED = "telehealth.recorded", "Acte de télésanté enregistré"
    PRESCRIPTION_REQUESTED = (
        "prescription.requested",
        "Demande de prescription envoyée au médecin traitant (MSSanté)",
    )
    PRESCRIPTION_REMINDED = "prescription.reminded", "Relance d'une demande de prescription"
    PRESCRIPTION_ANSWERED = (
        "prescription.answered",
        "Réponse du médecin à une demande de prescription jointe au dossier",
    )
    PRESCRIPTION_CANCELLED = "prescription.cancelled", "Annulation d'une demande de prescription"
    PRESCRIPTIONS_VIEWED = "prescriptions.viewed", "Consultation des demandes de prescription"
    TELEHEALTH_VIEWED = "telehealth.viewed", "Consultation des actes de télésanté"
    TELEHEALTH_OVERVIEW_VIEWED = (
        "telehealth.overview_viewed",
        "Consultation des chiffres de télésanté du CRT",
    )
    TELEHEALTH_PERSON_VIEWED = (
        "telehealth.person_viewed",
        "Consultation des actes de télésanté d'une personne âgée du territoire (volet 1)",
    )
    TELEHEALTH_TERRITORY_VIEWED = (
        "telehealth.territory_viewed",
        "Consultation de la liste des actes de télésanté des personnes du territoire",
    )
