"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions
class AdmissionAction(models.TextChoices):
    REFERRAL_RECEIVED = "referral.received", "Réception d'une demande"
    REFERRAL_VIEWED = "referral.viewed", "Consultation d'une demande"
    REFERRAL_ACCEPTED = "referral.accepted", "Inscription en liste d'attente"
    REFERRAL_DECLINED = "referral.declined", "Refus d'une demande"
    REFERRAL_REDIRECTED = "referral.redirected", "Réorientation d'une demande"
    REFERRAL_NEXT_STEP_SET = "referral.next_step_set", "Prochaine étape d'admission"
    REFERRAL_FILE_LINKED = "referral.file_linked", "Demande reliée au dossier"
    ADMISSION_STEP_RECORDED = "admission_step.recorded", "Étape d'admission"
    CONTRACT_GENERATED = "contract.generated", "Génération du contrat"
    CONTRACT_DOWNLOADED = "contract.downloaded", "Téléchargement du contrat"
    ENROLMENT_OPENED = "enrolment.opened", "Admission dans la file active"
    ENROLMENT_VIEWED = "enrolment.viewed", "Consultation de la file active"
    ENROLMENT_CLOSED = "enrolment.closed", "Sortie définitive"
    SUSPENSION_STARTED = "suspension.started", "Sortie temporaire"
    SUSPENSION_ENDED = "suspension.ended", "Fin de sortie temporaire"
