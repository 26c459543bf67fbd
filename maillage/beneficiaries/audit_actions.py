"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions, register_person_lookup


@register_actions
class BeneficiaryAction(models.TextChoices):
    BENEFICIARY_CREATED = "beneficiary.created", "Ouverture du dossier"
    BENEFICIARY_VIEWED = "beneficiary.viewed", "Consultation du dossier"
    BENEFICIARY_MEDICAL_VIEWED = "beneficiary.medical_viewed", "Consultation du volet médical"
    BENEFICIARY_FORM_OPENED = (
        "beneficiary.form_opened",
        "Ouverture d'un formulaire du dossier (lecture des valeurs actuelles)",
    )
    BENEFICIARY_IDENTITY_UPDATED = "beneficiary.identity_updated", "Modification de l'identité"
    BENEFICIARY_SITUATION_UPDATED = "beneficiary.situation_updated", "Modification de la situation"
    BENEFICIARY_MEDICAL_UPDATED = "beneficiary.medical_updated", "Modification du volet médical"
    BENEFICIARY_ACCESS_LOG_VIEWED = (
        "beneficiary.access_log_viewed",
        "Consultation de la liste des accès",
    )
    RETENTION_PURGED = (
        "retention.purged",
        "Suppression des données de santé (durée de conservation de 20 ans échue)",
    )
    CAREGIVER_CREATED = "caregiver.created", "Ajout d'un aidant"
    CAREGIVER_UPDATED = "caregiver.updated", "Modification d'un aidant"
    CARE_TEAM_MEMBER_ADDED = "care_team.member_added", "Ajout au cercle de soins"
    CARE_TEAM_MEMBER_ENDED = "care_team.member_ended", "Fin de participation au cercle de soins"
    CONSENT_RECORDED = "consent.recorded", "Recueil d'un consentement"
    CONSENT_WITHDRAWN = "consent.withdrawn", "Retrait d'un consentement"
    AGGIR_RECORDED = "aggir.recorded", "Évaluation AGGIR"
    ICOPE_RECORDED = "icope.recorded", "Repérage ICOPE"
    EVALUATION_RECORDED = "evaluation.recorded", "Évaluation"
    VITAL_SIGN_RECORDED = "vital_sign.recorded", "Enregistrement d'une constante"
    VITAL_SIGN_UPDATED = "vital_sign.updated", "Correction d'une constante"
    VITAL_SIGN_RETRACTED = "vital_sign.retracted", "Retrait d'une constante saisie par erreur"
    VITAL_THRESHOLDS_SET = (
        "vital_thresholds.set", "Modification des seuils d'alerte des constantes")
    VITAL_SERIES_VIEWED = (
        "beneficiary.vital_series_viewed", "Consultation des courbes de constantes")
    DOCUMENT_ADDED = "document.added", "Dépôt d'un document"
    DOCUMENT_DOWNLOADED = "document.downloaded", "Téléchargement d'un document"
    BENEFICIARY_ACCESS_REPORT_PRINTED = (
        "beneficiary.access_report_printed",
        "Impression du relevé des accès au dossier (droit d'accès)",
    )


def _history_url(public_id) -> str:
    from django.urls import reverse

    return reverse("beneficiaries:access_history", args=[public_id])


def _register_person_lookup() -> None:
    from . import selectors

    register_person_lookup(search=selectors.audit_person_ids,
                           names=selectors.audit_person_names, history_url=_history_url)


# The audit list finds and names the persons its events are about through this app.
_register_person_lookup()
