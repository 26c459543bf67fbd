"""Who calls the API: the bearer token, its user, CRT and roles (registered with core, which
calls ``authenticate`` before any view marked ``@api``). A refusal is an OperationOutcome."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from maillage.core import audit, ratelimit
from maillage.core.middleware import active_memberships

from .fhir.outcome import FhirError, outcome_response
from .models import ApiToken, hash_secret

#: ``last_used_at`` is written at most once per this interval (not one write per request).
LAST_USED_EVERY = timedelta(minutes=1)
RATE_WINDOW_SECONDS = 60


def _refuse(text: str):
    return outcome_response(FhirError(401, text, code="login"))


def authenticate(request):
    """Set the request's user, membership, CRT and roles from its bearer token (None), or
    answer 401 (missing, unknown, expired, revoked token; access ended) or 429."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return _refuse("Authentification requise : envoyez l'en-tête "
                       "« Authorization: Bearer <jeton> ».")
    now = timezone.now()
    token = (ApiToken.objects.select_related("crt", "user", "created_by")
             .filter(key_hash=hash_secret(secret)).first())
    if token is None or not token.is_usable(now):
        return _refuse("Jeton d'accès inconnu, expiré ou révoqué.")
    membership = next((m for m in active_memberships(token.user)
                       if m.crt_id == token.crt_id), None) if token.user.is_active else None
    if membership is None:
        return _refuse("Le compte de ce jeton n'a plus d'accès actif à ce CRT.")
    limit = settings.FHIR_RATE_LIMIT_PER_MINUTE
    if not ratelimit.allow(f"fhir:{token.pk}", limit=limit, window_seconds=RATE_WINDOW_SECONDS):
        return outcome_response(FhirError(
            429, f"Trop de requêtes pour ce jeton (au plus {limit} par minute) : "
                 "réessayez dans une minute.", headers={"Retry-After": str(RATE_WINDOW_SECONDS)}))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # Bookkeeping, not a domain write: one UPDATE at most per minute and token.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.user = token.user
    request.memberships = [membership]
    request.membership = membership
    request.crt = membership.crt
    request.roles = membership.role_codes
    request.api_token = token
    request.api_authenticated = True
    audit.set_request_context(audit.RequestContext(
        ip_address=audit.client_ip(request),
        user_agent=request.headers.get("user-agent", "")[:200],
        roles=tuple(sorted(request.roles)), crt=request.crt))
    return None
