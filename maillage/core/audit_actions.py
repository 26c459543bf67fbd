"""Audited actions of this app, with the French label the DPO and the person read.

Discovered by ``maillage.core`` at start-up (``autodiscover_modules("audit_actions")``);
``audit_log`` refuses an action that no app declared."""

from django.db import models

from maillage.core.audit import register_actions


@register_actions(group="Comptes, accès et audit")
class CoreAction(models.TextChoices):
    AUTH_LOGIN = "auth.login", "Connexion"
    AUTH_LOGOUT = "auth.logout", "Déconnexion"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Échec de connexion"
    AUTH_LOCKED_OUT = "auth.locked_out", "Compte bloqué"
    AUTH_PASSWORD_CHANGED = "auth.password_changed", "Changement de mot de passe"
    AUTH_PASSWORD_SET = "auth.password_set", "Mot de passe choisi avec un lien"
    AUTH_PSC_LINKED = "auth.psc_linked", "Identité Pro Santé Connect rattachée au compte"
    CRT_SWITCHED = "crt.switched", "Changement de CRT"
    CRT_SETTINGS_UPDATED = "crt.settings_updated", "Modification des paramètres du CRT"
    MEMBER_INVITED = "member.invited", "Ajout d'une personne (compte créé)"
    MEMBER_ROLES_UPDATED = "member.roles_updated", "Modification des rôles d'une personne"
    MEMBER_DEACTIVATED = "member.deactivated", "Fin de l'accès d'une personne au CRT"
    MEMBER_REACTIVATED = "member.reactivated", "Rétablissement de l'accès d'une personne au CRT"
    MEMBER_LINK_RENEWED = "member.link_renewed", "Nouveau lien pour choisir le mot de passe"
    MEMBER_DIRECTION_GRANTED = (
        "member.direction_granted",
        "Rôle de direction donné (commande d'installation)",
    )
    AUDIT_EXPORTED = "audit.exported", "Export du journal d'audit"
    OUTBOX_RETRIED = "outbox.retried", "Nouvel essai d'envoi d'un message sortant"
