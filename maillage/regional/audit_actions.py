"""Audited actions of the regional view, with the French label the DPO reads.

Each ARS read is written once per CRT of the region it showed (``core.audit.audit_log_for_crts``),
with the page's parameters (period, indicator, breakdown, format): never a person, never a
figure."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class RegionalAction(models.TextChoices):
    REGIONAL_VIEWED = "regional.viewed", "Consultation de la vue régionale (ARS, chiffres agrégés)"
    REGIONAL_EXPORTED = "regional.exported", "Export de la vue régionale (ARS, chiffres agrégés)"
