"""Audited actions of volet 1, with the French label the DPO and the person read (discovered by
``maillage.core``: ``audit_log`` refuses an action that no app declared)."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class OutreachAction(models.TextChoices):
    ACTION_CREATED = "support_action.created", "Création d'une action du volet 1"
    ACTION_UPDATED = "support_action.updated", "Modification d'une action du volet 1"
    SESSION_CREATED = "session.created", "Création d'une séance du volet 1"
    SESSION_RECORDED = "session.recorded", "Enregistrement d'une séance déjà tenue"
    SESSION_UPDATED = "session.updated", "Modification d'une séance du volet 1"
    SESSION_VIEWED = "session.viewed", "Consultation des inscrits à une séance du volet 1"
    SHEET_PRINTED = "session.sheet_printed", "Impression d'une feuille d'émargement"
    ATTENDEE_CREATED = "attendee.created", "Création d'une fiche de participant (volet 1)"
    ATTENDEE_UPDATED = "attendee.updated", "Modification d'une fiche de participant (volet 1)"
    ATTENDEE_MERGED = ("attendee.merged",
                       "Fusion de deux fiches de participant (volet 1) : fiche conservée")
    ATTENDEE_MERGED_AWAY = ("attendee.merged_away",
                            "Fusion de deux fiches de participant (volet 1) : fiche supprimée")
    ATTENDEE_JOINED_FILE = (
        "attendee.joined_file",
        "Rattachement d'une fiche de participant (volet 1) au dossier du volet 2 de la personne")
    ATTENDEE_JOINED_AWAY = (
        "attendee.joined_away",
        "Rattachement d'une fiche de participant (volet 1) à un dossier du volet 2 : fiche "
        "supprimée")
    PARTICIPATION_CREATED = "participation.created", "Inscription à une séance du volet 1"
    BENEFICIARY_LINKED = (
        "participation.beneficiary_linked",
        "Inscription d'un bénéficiaire du volet 2 à une séance du volet 1")
    CAREGIVER_LINKED = (
        "participation.caregiver_linked",
        "Inscription d'un aidant d'un bénéficiaire du volet 2 à une séance du volet 1")
    PARTICIPATION_UPDATED = "participation.updated", "Présence à une séance du volet 1"
    TRANSPORT_RECORDED = "participation.transport", "Transport organisé pour une séance"
