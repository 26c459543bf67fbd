"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class PortalAction(models.TextChoices):
    PORTAL_VIEWED = "portal.viewed", "Consultation du portail (bénéficiaire ou aidant)"
    PORTAL_NOTE_POSTED = "portal.note_posted", "Message d'un aidant à l'équipe"
    PORTAL_ACCESS_LOG_VIEWED = (
        "portal.access_log_viewed",
        "Consultation par la personne de la liste des accès à son dossier (portail)",
    )
    PORTAL_ACCESS_VIEWED = (
        "portal_access.viewed",
        "Consultation des accès au portail d'une personne",
    )
    PORTAL_ACCESS_CREATED = "portal_access.created", "Accès au portail créé"
    PORTAL_ACCESS_LINKED = "portal_access.linked", "Compte du portail existant relié au dossier"
    PORTAL_ACCESS_REMOVED = "portal_access.removed", "Accès au portail retiré"
