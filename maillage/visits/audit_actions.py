"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class VisitAction(models.TextChoices):
    VISIT_CREATED = "visit.created", "Passage planifié"
    VISIT_UPDATED = "visit.updated", "Passage modifié"
    VISIT_CANCELLED = "visit.cancelled", "Passage annulé"
    VISIT_VIEWED = "visit.viewed", "Consultation d'un passage"
    VISIT_FORM_OPENED = "visit.form_opened", "Ouverture du formulaire d'un passage (lecture)"
    VISIT_STARTED = "visit.started", "Passage : arrivée notée"
    VISIT_DONE = "visit.done", "Passage tracé : réalisé"
    VISIT_NOT_DONE = "visit.not_done", "Passage tracé : non réalisé"
    VISITS_VIEWED = "visits.viewed", "Consultation du planning des passages"
    VISIT_SERIES_CREATED = "visit_series.created", "Série de passages planifiée"
    VISIT_SERIES_UPDATED = "visit_series.updated", "Série de passages modifiée"
    VISIT_SERIES_SPLIT = "visit_series.split", "Série de passages modifiée à partir d'une date"
    VISIT_SERIES_ENDED = "visit_series.ended", "Série de passages arrêtée"
    CALENDAR_TOKEN_CREATED = "calendar_token.created", "Adresse d'agenda iCalendar créée"
    CALENDAR_TOKEN_REVOKED = "calendar_token.revoked", "Adresse d'agenda iCalendar révoquée"
