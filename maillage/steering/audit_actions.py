"""Audited actions of this app, with the French label the DPO reads.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class SteeringAction(models.TextChoices):
    ALLOCATION_CREATED = "allocation.created", "Dotation annuelle enregistrée"
    ALLOCATION_UPDATED = "allocation.updated", "Dotation annuelle modifiée"
    EXPENSE_CREATED = "expense.created", "Dépense saisie"
    EXPENSE_UPDATED = "expense.updated", "Dépense modifiée"
    ACCOUNT_MAPPING_CREATED = "account_mapping.created", "Correspondance de compte ajoutée"
    ACCOUNT_MAPPING_UPDATED = "account_mapping.updated", "Correspondance de compte modifiée"
    FEC_IMPORTED = "fec.imported", "Import d'un fichier des écritures comptables (FEC)"
    FEC_CANCELLED = "fec.cancelled", "Annulation d'un import FEC (ses dépenses retirées)"
    BUDGET_EXPORTED = "budget.exported", "Export du compte analytique (XLSX)"
    BUDGET_ANNEX_EXPORTED = "budget.annex_exported", (
        "Export d'une annexe budgétaire régionale (Pays de la Loire, Occitanie ; XLSX)")
    INDICATOR_DRILLDOWN_VIEWED = (
        "indicator.drilldown_viewed",
        "Consultation des dossiers derrière un indicateur (pilotage)",
    )
    # One per person listed on that page, so that the person's access history shows it.
    INDICATOR_PERSON_VIEWED = (
        "indicator.person_viewed",
        "Personne listée parmi les dossiers derrière un indicateur (pilotage)",
    )
    REPORT_CREATED = "report.created", "Rapport d'activité créé (brouillon, chiffres calculés)"
    REPORT_REGENERATED = "report.regenerated", "Chiffres d'un rapport d'activité recalculés"
    REPORT_NARRATIVES_UPDATED = "report.narratives_updated", (
        "Textes d'un rapport d'activité modifiés")
    REPORT_SUBMITTED = "report.submitted", "Rapport d'activité transmis (version figée)"
    REPORT_CORRECTED = "report.corrected", "Nouvelle version d'un rapport d'activité transmis"
    REPORT_DOWNLOADED = "report.downloaded", "Rapport d'activité téléchargé (PDF ou XLSX)"
    REPORT_VIEWED = "report.viewed", (
        "Rapport d'activité transmis consulté (ARS, petits effectifs masqués)")
    REPORT_SETTINGS_UPDATED = "report_settings.updated", "Paramètres des rapports modifiés"
