"""Write the audit trail (``AuditEvent``): every write and every read of health data.

Services call ``audit_log`` inside their transaction. The request context (IP address, browser,
roles, CRT) is captured once per request by ``CurrentCrtMiddleware`` into a context variable, so
services only pass the actor and what happened.
"""

import contextvars
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from .models import AuditEvent, Crt


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    roles: tuple[str, ...] = field(default_factory=tuple)
    crt: Crt | None = None


_request_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "maillage_audit_request_context", default=None
)


def set_request_context(ctx: RequestContext | None) -> contextvars.Token:
    return _request_context.set(ctx)


def reset_request_context(token: contextvars.Token) -> None:
    _request_context.reset(token)


def client_ip(request) -> str | None:
    # The proxy count is configured for django-axes; reuse its resolution of the client address.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def audit_log(
    *,
    actor,
    action: str,
    crt: Crt | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    beneficiary: Any = None,
    reason: str = "",
    emergency: bool = False,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event. ``obj`` (any model with ``public_id``) fills the object fields."""
    ctx = _request_context.get() or RequestContext()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", "") or obj.pk)
        object_label = object_label or str(obj)[:200]
    if crt is None:
        crt = getattr(obj, "crt", None) if obj is not None else None
        crt = crt or ctx.crt
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        occurred_at=timezone.now(),
        crt=crt,
        actor=actor_obj,
        actor_label=(
            f"{actor_obj.get_full_name() or actor_obj.username} ({actor_obj.username})"
            if actor_obj
            else ""
        )[:200],
        roles=",".join(ctx.roles)[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        beneficiary_public_id=getattr(beneficiary, "public_id", None),
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent[:300],
        reason=reason,
        is_emergency_access=emergency,
        details=details or {},
    )


#: What each action means, for pages and exports read by people (the DPO, the beneficiary).
ACTION_LABELS = {
    "auth.login": "Connexion",
    "portal.viewed": "Consultation du portail (bénéficiaire ou aidant)",
    "portal.note_posted": "Message d'un aidant à l'équipe",
    "auth.logout": "Déconnexion",
    "auth.login_failed": "Échec de connexion",
    "auth.locked_out": "Compte bloqué",
    "auth.password_changed": "Changement de mot de passe",
    "auth.password_set": "Mot de passe choisi avec un lien",
    "crt.switched": "Changement de CRT",
    "member.invited": "Ajout d'une personne (compte créé)",
    "member.roles_updated": "Modification des rôles d'une personne",
    "member.deactivated": "Fin de l'accès d'une personne au CRT",
    "member.reactivated": "Rétablissement de l'accès d'une personne au CRT",
    "member.link_renewed": "Nouveau lien pour choisir le mot de passe",
    "member.direction_granted": "Rôle de direction donné (commande d'installation)",
    "portal_access.viewed": "Consultation des accès au portail d'une personne",
    "portal_access.created": "Accès au portail créé",
    "portal_access.linked": "Compte du portail existant relié au dossier",
    "portal_access.removed": "Accès au portail retiré",
    "audit.exported": "Export du journal d'audit",
    "beneficiary.created": "Ouverture du dossier",
    "beneficiary.viewed": "Consultation du dossier",
    "beneficiary.medical_viewed": "Consultation du volet médical",
    "beneficiary.identity_updated": "Modification de l'identité",
    "beneficiary.situation_updated": "Modification de la situation",
    "beneficiary.medical_updated": "Modification du volet médical",
    "beneficiary.access_log_viewed": "Consultation de la liste des accès",
    "retention.purged": "Suppression des données de santé (durée de conservation de 20 ans échue)",
    "caregiver.created": "Ajout d'un aidant",
    "caregiver.updated": "Modification d'un aidant",
    "care_team.member_added": "Ajout au cercle de soins",
    "care_team.member_ended": "Fin de participation au cercle de soins",
    "consent.recorded": "Recueil d'un consentement",
    "consent.withdrawn": "Retrait d'un consentement",
    "aggir.recorded": "Évaluation AGGIR",
    "icope.recorded": "Repérage ICOPE",
    "evaluation.recorded": "Évaluation",
    "document.added": "Dépôt d'un document",
    "document.downloaded": "Téléchargement d'un document",
    "referral.received": "Réception d'une demande",
    "referral.viewed": "Consultation d'une demande",
    "referral.accepted": "Inscription en liste d'attente",
    "referral.declined": "Refus d'une demande",
    "referral.redirected": "Réorientation d'une demande",
    "referral.next_step_set": "Prochaine étape d'admission",
    "referral.file_linked": "Demande reliée au dossier",
    "admission_step.recorded": "Étape d'admission",
    "contract.generated": "Génération du contrat",
    "contract.downloaded": "Téléchargement du contrat",
    "enrolment.opened": "Admission dans la file active",
    "enrolment.viewed": "Consultation de la file active",
    "enrolment.closed": "Sortie définitive",
    "suspension.started": "Sortie temporaire",
    "suspension.ended": "Fin de sortie temporaire",
    "commune.created": "Ajout d'une commune",
    "commune.updated": "Modification d'une commune",
    "organization.created": "Ajout d'une structure partenaire",
    "organization.updated": "Modification d'une structure partenaire",
    "professional.created": "Ajout d'un professionnel",
    "professional.updated": "Modification d'un professionnel",
    "domains.installed": "Installation des domaines d'intervention",
    "service.created": "Ajout d'une prestation",
    "service.updated": "Modification d'une prestation",
    "basket.added": "Ajout d'une prestation au panier",
    "basket.ended": "Arrêt d'une prestation du panier",
    "care_plan.viewed": "Consultation du plan personnalisé",
    "care_plan.version_started": "Nouvelle version du plan personnalisé",
    "care_plan.updated": "Modification du plan personnalisé",
    "care_plan.validated": "Validation du plan personnalisé",
    "care_plan.compared": "Comparaison de versions du plan",
    "care_plan.printed": "Impression du plan personnalisé",
    "note.added": "Transmission au cahier de liaison",
    "notes.viewed": "Consultation du cahier de liaison",
    "alert.raised": "Alerte signalée",
    "alert.acknowledged": "Alerte prise en charge",
    "alert.resolved": "Alerte résolue",
    "alerts.viewed": "Consultation des alertes",
    "conversation.opened": "Ouverture du fil des professionnels de santé",
    "conversation.viewed": "Lecture d'une conversation",
    "message.posted": "Message dans une conversation",
    "message.attachment_downloaded": "Téléchargement d'une pièce jointe de conversation",
    "telehealth.recorded": "Acte de télésanté enregistré",
    "telehealth.viewed": "Consultation des actes de télésanté",
    "telehealth.overview_viewed": "Consultation des chiffres de télésanté du CRT",
    "visit.created": "Passage planifié",
    "visit.updated": "Passage modifié",
    "visit.cancelled": "Passage annulé",
    "visit.viewed": "Consultation d'un passage",
    "visit.done": "Passage tracé : réalisé",
    "visit.not_done": "Passage tracé : non réalisé",
    "visits.viewed": "Consultation du planning des passages",
    "visit_series.created": "Série de passages planifiée",
    "visit_series.updated": "Série de passages modifiée",
    "visit_series.split": "Série de passages modifiée à partir d'une date",
    "visit_series.ended": "Série de passages arrêtée",
    "calendar_token.created": "Adresse d'agenda iCalendar créée",
    "calendar_token.revoked": "Adresse d'agenda iCalendar révoquée",
    "room.created": "Ajout d'une chambre temporaire",
    "room.updated": "Modification d'une chambre temporaire",
    "lodging_settings.updated": "Durée de conservation de la place modifiée",
    "stay.created": "Séjour en chambre temporaire prévu",
    "stay.updated": "Séjour en chambre temporaire modifié",
    "stay.started": "Arrivée en chambre temporaire",
    "stay.ended": "Départ de la chambre temporaire",
    "stay.cancelled": "Séjour en chambre temporaire annulé",
    "stay.viewed": "Consultation d'un séjour en chambre temporaire",
    "stays.viewed": "Consultation des séjours en chambre temporaire d'une personne",
    "dlu.viewed": "Consultation du DLU (dossier de liaison d'urgence)",
    "dlu.printed": "Impression du DLU",
    "dlu.updated": "Mise à jour du DLU",
    "dlu.reviewed": "Revue annuelle du DLU",
    "dlu.transfer_sheet_printed": "Impression de la fiche de liaison aller (urgences)",
    "oncall_arrangement.created": "Organisation de l'astreinte décrite",
    "oncall_arrangement.updated": "Organisation de l'astreinte modifiée",
    "oncall_contact.added": "Recours d'astreinte ajouté",
    "oncall_contact.removed": "Recours d'astreinte retiré",
    "oncall_shift.added": "Tours d'astreinte ajoutés",
    "oncall_shift.removed": "Tour d'astreinte retiré",
    "oncall_call.created": "Appel d'astreinte enregistré",
    "oncall_call.updated": "Appel d'astreinte complété",
    "oncall_call.escalated": "Recours pendant un appel d'astreinte",
    "oncall_call.closed": "Appel d'astreinte clos",
    "oncall_call.viewed": "Consultation d'un appel d'astreinte",
    "oncall.searched": "Recherche sur l'écran d'astreinte",
    "oncall.person_viewed": "Consultation de la fiche d'urgence (astreinte)",
    "oncall.break_glass": "Accès en urgence (bris de glace)",
    "oncall.break_glass_reviewed": "Accès en urgence examiné",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
