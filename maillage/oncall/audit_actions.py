"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class OncallAction(models.TextChoices):
    DLU_VIEWED = "dlu.viewed", "Consultation du DLU (dossier de liaison d'urgence)"
    DLU_PRINTED = "dlu.printed", "Impression du DLU"
    DLU_UPDATED = "dlu.updated", "Mise à jour du DLU"
    DLU_REVIEWED = "dlu.reviewed", "Revue annuelle du DLU"
    DLU_TRANSFER_SHEET_PRINTED = (
        "dlu.transfer_sheet_printed",
        "Impression de la fiche de liaison aller (urgences)",
    )
    DLU_CDA_DOWNLOADED = "dlu.cda_downloaded", "Téléchargement du DLU (document CDA)"
    DLU_TRANSFER_SHEET_CDA_DOWNLOADED = (
        "dlu.transfer_sheet_cda_downloaded",
        "Téléchargement de la fiche de liaison aller (document CDA)",
    )
    DLU_CDA_EXPORTED = "dlu.cda_exported", "Export des DLU en documents CDA (ligne de commande)"
    ONCALL_ARRANGEMENT_CREATED = (
        "oncall_arrangement.created",
        "Organisation de l'astreinte décrite",
    )
    ONCALL_ARRANGEMENT_UPDATED = (
        "oncall_arrangement.updated",
        "Organisation de l'astreinte modifiée",
    )
    ONCALL_CONTACT_ADDED = "oncall_contact.added", "Recours d'astreinte ajouté"
    ONCALL_CONTACT_REMOVED = "oncall_contact.removed", "Recours d'astreinte retiré"
    ONCALL_CONTACT_UPDATED = "oncall_contact.updated", "Recours d'astreinte modifié"
    ONCALL_SHIFT_ADDED = "oncall_shift.added", "Tours d'astreinte ajoutés"
    ONCALL_SHIFT_REMOVED = "oncall_shift.removed", "Tour d'astreinte retiré"
    ONCALL_CALL_CREATED = "oncall_call.created", "Appel d'astreinte enregistré"
    ONCALL_CALL_UPDATED = "oncall_call.updated", "Appel d'astreinte complété"
    ONCALL_CALL_ESCALATED = "oncall_call.escalated", "Recours pendant un appel d'astreinte"
    ONCALL_CALL_CLOSED = "oncall_call.closed", "Appel d'astreinte clos"
    ONCALL_CALL_VIEWED = "oncall_call.viewed", "Consultation d'un appel d'astreinte"
    ONCALL_CALL_HISTORY_VIEWED = (
        "oncall_call.history_viewed",
        "Consultation des appels antérieurs d'une personne (nouvel appel d'astreinte)",
    )
    ONCALL_SEARCHED = "oncall.searched", "Recherche sur l'écran d'astreinte"
    ONCALL_PERSON_VIEWED = "oncall.person_viewed", "Consultation de la fiche d'urgence (astreinte)"
    ONCALL_BREAK_GLASS = "oncall.break_glass", "Accès en urgence (bris de glace)"
    ONCALL_BREAK_GLASS_REVIEWED = "oncall.break_glass_reviewed", "Accès en urgence examiné"
