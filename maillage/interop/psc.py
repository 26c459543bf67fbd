"""Pro Santé Connect (PSC): the professionals' OpenID Connect login (docs/psc.md).

mozilla-django-oidc runs the authorization code flow (state, nonce, PKCE, signature of the ID
token and of a JWT userinfo). This module adds what PSC and Maillage need on top:

- the settings come from ``PSC_*`` (``psc_setting`` maps the library's names onto them);
- the ID token must come from the configured issuer, for our client, carry an expiry and
  ``acr`` = ``eidas1`` (the level PSC grants to a CPS card or the e-CPS app);
- the person is found by the RPPS/ADELI number inside ``SubjectNameID`` (idNatPs): PSC never
  creates an account. The number must be one the coordination entered on an account
  (``User.psc_identifier``) or the RPPS of a partner professional of the directory whose
  account is linked (``territory.Professional.user``). The first login links the PSC ``sub``;
  a later login with the same number and another ``sub`` is refused;
- every refusal is a failed login (django-axes counts it, ``auth.login_failed`` is audited) with
  a French message for the login page; nothing raises to a 500.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from maillage.core import audit
from maillage.core.middleware import active_memberships, has_access
from maillage.territory.models import Professional

LOGGER = logging.getLogger(__name__)

#: The authentication level PSC gives for a CPS card or the e-CPS app (asked and checked).
ACR = "eidas1"
#: The scope PSC documents for the professional's identity and practice claims.
SCOPES = "openid scope_all"
#: Where the flow keeps the ID token for the logout at PSC (``id_token_hint``).
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105 - a session key, not a secret

#: mozilla-django-oidc's setting names → ours (``PSC_*``, from the environment).
_MAPPED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "PSC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "PSC_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT": "PSC_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "PSC_JWKS_ENDPOINT",
    "OIDC_RP_CLIENT_ID": "PSC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "PSC_CLIENT_SECRET",
    "OIDC_RP_SIGN_ALGO": "PSC_SIGN_ALGO",
    "OIDC_USE_PKCE": "PSC_USE_PKCE",
    "OIDC_TIMEOUT": "PSC_TIMEOUT",
    "OIDC_TOKEN_USE_BASIC_AUTH": "PSC_TOKEN_AUTH_BASIC",
}
_FIXED = {
    "OIDC_RP_SCOPES": SCOPES,
    "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {"acr_values": ACR},
    "OIDC_USE_NONCE": True,
    "OIDC_STORE_ID_TOKEN": True,
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_CREATE_USER": False,
    "OIDC_RP_IDP_SIGN_KEY": None,
    "OIDC_ALLOW_UNSECURED_JWT": False,
    "OIDC_AUTHENTICATION_CALLBACK_URL": "psc:callback",
    "LOGIN_REDIRECT_URL_FAILURE": "core:login",
}

# What the person reads on the login page (never a technical detail).
NO_ACCOUNT = (
    "Aucun compte Maillage n'est rattaché à votre identité Pro Santé Connect. Si vous "
    "travaillez avec le CRT, demandez à la coordination de vous inviter en indiquant votre "
    "numéro RPPS (ou ADELI), puis reconnectez-vous.")
INACTIVE = ("Ce compte Maillage est désactivé ou votre accès au CRT est terminé. Contactez la "
            "coordination de votre CRT.")
OTHER_IDENTITY = (
    "Ce compte Maillage est déjà rattaché à une autre identité Pro Santé Connect. Contactez la "
    "coordination de votre CRT.")
AMBIGUOUS = ("Votre numéro RPPS ou ADELI correspond à plusieurs comptes Maillage. Contactez la "
             "coordination de votre CRT pour n'en garder qu'un.")
WRONG_LEVEL = (
    "Pro Santé Connect n'a pas confirmé une authentification par carte CPS ou application "
    "e-CPS : la connexion est refusée. Recommencez avec votre carte ou l'application e-CPS.")
EXPIRED = "La réponse de Pro Santé Connect a expiré. Recommencez la connexion."
FAILED = ("La connexion avec Pro Santé Connect n'a pas abouti. Recommencez ou connectez-vous "
          "avec votre identifiant et votre mot de passe.")
NAME_MISMATCH = (
    "Le nom transmis par Pro Santé Connect ne correspond pas à celui du compte Maillage qui porte "
    "ce numéro RPPS ou ADELI : la connexion est refusée. Contactez la coordination de votre CRT "
    "pour vérifier le numéro ou le nom enregistrés.")
REPLAYED = ("Cette connexion Pro Santé Connect a expiré ou a déjà été utilisée. Recommencez "
            "depuis la page de connexion.")


def psc_setting(attr: str, *default):
    """The library's setting ``attr``, read from our ``PSC_*`` settings."""
    if attr in _FIXED:
        return _FIXED[attr]
    name = _MAPPED.get(attr, attr)
    if hasattr(settings, name):
        return getattr(settings, name)
    if default:
        return default[0]
    raise AttributeError(f"Setting {name} is missing")


def enabled() -> bool:
    return bool(getattr(settings, "PSC_ENABLED", False))


def professional_number(id_nat_ps: str) -> str | None:
    """The RPPS (11 digits) or ADELI (9 digits) number inside a PSC idNatPs, else None.

    idNatPs is « 8 » + RPPS for professionals in the RPPS and « 0 » + ADELI for those still
    known by their ADELI number; other prefixes (staff known by their structure) name nobody
    that Maillage could have invited by number."""
    value = (id_nat_ps or "").strip()
    if not value.isdigit():
        return None
    if len(value) == 12 and value[0] == "8":
        return value[1:]
    if len(value) == 10 and value[0] == "0":
        return value[1:]
    return None


class PscRefusedError(Exception):
    """A PSC login refused for a reason the person is told (``message``)."""

    def __init__(self, message: str, *, reason: str, user=None, number: str = ""):
        super().__init__(message)
        self.message, self.reason, self.user, self.number = message, reason, user, number


def _refuse(request, exc: PscRefusedError) -> None:
    """Leave the refusal on the request: the callback view shows the message, the failed-login
    audit (``maillage.core.signals``) names the method, the reason and the account if known."""
    request.psc_failure = exc.message
    details = {"méthode": "Pro Santé Connect", "motif": exc.reason}
    if exc.number:
        details["rpps_adeli"] = exc.number
    request.login_audit_details = details
    request.login_failure_subject = exc.user


def _candidates(number: str) -> set:
    users = set(get_user_model().objects.filter(psc_identifier=number))
    if len(number) == 11:
        # A partner professional of the directory, whose account the coordination linked.
        users |= {p.user for p in Professional.objects.filter(
            rpps=number, is_active=True, user__isnull=False).select_related("user")}
    return users


#: Particles that two different names may share (« Le Goff », « Le Gall »): never a match alone.
_PARTICLES = {"de", "du", "des", "del", "della", "le", "la", "les", "van", "von", "der", "di",
              "da", "dos", "el", "al", "ben", "mac", "mc", "saint", "sainte", "st", "ste"}


def _name_words(value) -> set[str]:
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode()
    return {word for word in re.split(r"[^a-z]+", text.casefold())
            if len(word) > 1 and word not in _PARTICLES}


def psc_family_names(claims: dict) -> set[str]:
    """The words of the person's family names in the PSC claims (civil and practice names)."""
    words = _name_words(claims.get("family_name"))
    ref = claims.get("SubjectRefPro")
    for practice in (ref.get("exercices") or []) if isinstance(ref, dict) else []:
        if isinstance(practice, dict):
            words |= _name_words(practice.get("nomDexercice"))
    return words


@transaction.atomic
def match_user(*, number: str, sub: str, names: set[str] | None = None):
    """The account a PSC identity opens (linking it at its first login), or ``PscRefusedError``.

    ``names``: the words of the family names PSC gives. At the first login they must share a
    word with the account's last name: whoever typed the number (a colleague) cannot link their
    own card to someone else's account. Without names in the claims, the number alone links."""
    found = _candidates(number)
    if not found:
        raise PscRefusedError(NO_ACCOUNT, reason="aucun compte pour ce numéro", number=number)
    if len(found) > 1:
        raise PscRefusedError(AMBIGUOUS, reason="plusieurs comptes pour ce numéro", number=number)
    user = get_user_model().objects.select_for_update().get(pk=next(iter(found)).pk)
    if not user.is_active or not has_access(user):
        raise PscRefusedError(INACTIVE, reason="compte ou accès désactivé", user=user,
                              number=number)
    if user.psc_sub and user.psc_sub != sub:
        raise PscRefusedError(
            OTHER_IDENTITY, reason="autre identité Pro Santé Connect déjà rattachée à ce compte",
            user=user, number=number)
    if user.psc_sub:
        return user
    if names and _name_words(user.last_name) and not names & _name_words(user.last_name):
        raise PscRefusedError(NAME_MISMATCH, reason="nom différent de celui du compte",
                              user=user, number=number)
    if get_user_model().objects.filter(psc_sub=sub).exclude(pk=user.pk).exists():
        raise PscRefusedError(
            OTHER_IDENTITY, reason="identité Pro Santé Connect déjà rattachée à un autre compte",
            user=user, number=number)
    user.psc_sub = sub
    user.psc_linked_at = timezone.now()
    if not user.psc_identifier:
        user.psc_identifier = number
    try:
        with transaction.atomic():
            user.save(update_fields=["psc_sub", "psc_linked_at", "psc_identifier"])
    except IntegrityError as exc:  # the same identity linked at the same moment elsewhere
        raise PscRefusedError(OTHER_IDENTITY, reason="identité déjà rattachée", user=user,
                              number=number) from exc
    crts = [m.crt for m in active_memberships(user)] or [None]
    for crt in crts:
        audit.audit_log(actor=user, action="auth.psc_linked", crt=crt, obj=user,
                        object_label=user.username, details={"rpps_adeli": number})
    return user


class PscBackend(OIDCAuthenticationBackend):
    """Authenticates only the PSC callback (the one caller passing ``nonce``)."""

    get_settings = staticmethod(psc_setting)

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        try:
            user = super().authenticate(request, **kwargs)
            if user is None and not hasattr(request, "psc_failure"):
                _refuse(request, PscRefusedError(
                    FAILED, reason="réponse de Pro Santé Connect invalide"))
            return user
        except PscRefusedError as exc:
            _refuse(request, exc)
        except jwt.ExpiredSignatureError:
            _refuse(request, PscRefusedError(EXPIRED, reason="jeton expiré"))
        except (SuspiciousOperation, jwt.InvalidTokenError, requests.RequestException,
                ValueError, KeyError, TypeError) as exc:
            LOGGER.warning("Pro Santé Connect login failed: %s", exc)
            _refuse(request, PscRefusedError(
                FAILED, reason="réponse de Pro Santé Connect invalide"))
        return None

    def _check_id_token(self, payload: dict) -> None:
        if payload.get("iss") != settings.PSC_ISSUER:
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audience = [audience] if isinstance(audience, str) else (audience or [])
        if self.OIDC_RP_CLIENT_ID not in audience:
            raise SuspiciousOperation("ID token for another client")
        if "exp" not in payload or not payload.get("sub"):
            raise SuspiciousOperation("ID token without expiry or subject")
        if payload.get("acr") != ACR:
            raise PscRefusedError(WRONG_LEVEL, reason=(
                f"niveau d'authentification « {str(payload.get('acr'))[:40]} » au lieu de "
                f"« {ACR} »"))

    def get_or_create_user(self, access_token, id_token, payload):
        self._check_id_token(payload)
        claims = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload["sub"]:
            raise SuspiciousOperation("Userinfo for another subject")
        id_nat_ps = str(claims.get("SubjectNameID") or payload.get("SubjectNameID") or "")
        number = professional_number(id_nat_ps)
        if number is None:
            raise PscRefusedError(NO_ACCOUNT, reason="identifiant national sans RPPS ni ADELI")
        user = match_user(number=number, sub=str(payload["sub"]),
                          names=psc_family_names(claims))
        self.request.login_audit_details = {"méthode": "Pro Santé Connect"}
        return user


def logout_url(request) -> str | None:
    """Where Maillage's logout sends a person logged in with PSC: PSC's end-session endpoint,
    which comes back to our login page (``OIDC_OP_LOGOUT_URL_METHOD``). None otherwise."""
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    endpoint = getattr(settings, "PSC_LOGOUT_ENDPOINT", "")
    if not id_token or not endpoint or not enabled():
        return None
    back = request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL))
    return f"{endpoint}?{urlencode({'id_token_hint': id_token, 'post_logout_redirect_uri': back})}"
