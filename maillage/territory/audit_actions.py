"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class TerritoryAction(models.TextChoices):
    COMMUNE_CREATED = "commune.created", "Ajout d'une commune"
    COMMUNE_UPDATED = "commune.updated", "Modification d'une commune"
    ORGANIZATION_CREATED = "organization.created", "Ajout d'une structure partenaire"
    ORGANIZATION_UPDATED = "organization.updated", "Modification d'une structure partenaire"
    PROFESSIONAL_CREATED = "professional.created", "Ajout d'un professionnel"
    PROFESSIONAL_UPDATED = "professional.updated", "Modification d'un professionnel"
    AGREEMENT_CREATED = "agreement.created", "Ajout d'une convention"
    AGREEMENT_UPDATED = "agreement.updated", "Modification d'une convention"
    AGREEMENT_RENEWED = "agreement.renewed", "Reconduction tacite d'une convention"
    AGREEMENT_EXPIRED = "agreement.expired", "Convention échue"
    AGREEMENT_DOWNLOADED = "agreement.downloaded", "Téléchargement d'une convention signée"
    ANNUAIRE_PREPARED = "annuaire.prepared", "Lecture d'un fichier de l'Annuaire Santé"
    ANNUAIRE_APPLIED = "annuaire.applied", "Application d'un import de l'Annuaire Santé"
    ANNUAIRE_CANCELLED = "annuaire.cancelled", "Abandon d'un import de l'Annuaire Santé"
