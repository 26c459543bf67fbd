"""Writes of the interoperability app: API tokens (create shows the secret once, revoke)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.permissions import Perm, has_permission
from maillage.core.selectors import member_roles, team_members

from .models import ApiToken, hash_secret

#: What starts every token (recognisable in logs and by secret scanners).
TOKEN_START = "mlg_"  # noqa: S105 (a visible marker, not a secret)
#: Characters of the token kept, not secret, to recognise it in lists (``mlg_`` + 8).
PREFIX_LENGTH = 12
MAX_DAYS = 730
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    #: The secret, to show once: it is stored only as its SHA-256.
    secret: str


def _check_manager(actor, crt: Crt) -> None:
    """A person acting (not the console, ``actor=None``) manages the CRT's team."""
    if actor is not None and not has_permission(member_roles(user=actor, crt=crt),
                                                Perm.TEAM_MANAGE):
        raise DomainError("Seules la direction et la coordination gèrent les jetons d'API.")


def token_accounts(*, actor, crt: Crt) -> list:
    """The memberships ``actor`` may create a token for on the « Jetons d'API » page: their own
    account only. A token acts with its account's rights (health data included): nobody may
    obtain a credential acting with another person's rights — the principle of
    ``core.services.invite_link_renew``. A partner's software gets a token of the partner's
    account from the administrator's console (``maillage api-token create``), never from a
    colleague's page."""
    return [m for m in team_members(crt=crt) if m.user_id == actor.pk]


@transaction.atomic
def api_token_create(*, actor, crt: Crt, user, name: str, days: int = DEFAULT_DAYS) -> CreatedToken:
    """A token acting as ``user`` (an active member of ``crt``) for ``days`` days.

    From a page (``actor`` set), only for the actor's own account (``token_accounts``); from
    the administrator's console (``actor=None``), for any active member."""
    _check_manager(actor, crt)
    if actor is not None and user.pk != actor.pk:
        raise DomainError("Un jeton agit avec les droits de son compte : vous ne pouvez en créer "
                          "que pour votre propre compte. Pour le logiciel d'un partenaire, "
                          "l'administrateur de Maillage crée le jeton de son compte.",
                          field="user", code="forbidden")
    name = (name or "").strip()
    if not name:
        raise DomainError("Donnez un nom au jeton (le logiciel qui l'utilise).", field="name")
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(f"La durée de validité va de 1 à {MAX_DAYS} jours.", field="days")
    if not member_roles(user=user, crt=crt):
        raise DomainError("Ce compte n'est pas membre actif de ce CRT.", field="user")
    secret = TOKEN_START + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(crt=crt, user=user, name=name[:120], prefix=secret[:PREFIX_LENGTH],
                     key_hash=hash_secret(secret), expires_at=now + timedelta(days=days),
                     created_at=now, created_by=actor)
    token.full_clean()
    token.save()
    audit_log(actor=actor, action="api_token.created", crt=crt, object_type="interop.apitoken",
              object_id=token.prefix, object_label=f"Jeton d'API {token.prefix}…",
              details={"compte": user.username, "jours": days})
    return CreatedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke now; the next request with it answers 401."""
    _check_manager(actor, token.crt)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise DomainError("Ce jeton est déjà révoqué.")
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_log(actor=actor, action="api_token.revoked", crt=token.crt,
              object_type="interop.apitoken", object_id=token.prefix,
              object_label=f"Jeton d'API {token.prefix}…")
    return token
