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
    INDICATOR_DRILLDOWN_VIEWED = (
        "indicator.drilldown_viewed",
        "Consultation des dossiers derrière un indicateur (pilotage)",
    )
    # One per person listed on that page, so that the person's access history shows it.
    INDICATOR_PERSON_VIEWED = (
        "indicator.person_viewed",
        "Personne listée parmi les dossiers derrière un indicateur (pilotage)",
    )
