"""Who may see the API tokens (the one policy of ``ApiToken``): the CRT's tokens, for the roles
that manage the team (direction, coordination). The secret itself is never readable: only its
SHA-256 is stored."""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission

from .models import ApiToken, RorOffer


def tokens_visible(*, crt, roles) -> QuerySet[ApiToken]:
    if not has_permission(roles, "team.manage"):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(crt=crt)


def ror_offers_visible(*, crt, roles) -> QuerySet[RorOffer]:
    """The CRT's offer as described for the ROR (``HealthcareService``): what the CRT makes
    known of itself to the regional directory — no personal data. Read by the roles that read
    the directory (``directory.view``: the CRT team), as on the CRT page and in the API."""
    if not has_permission(roles, "directory.view"):
        return RorOffer.objects.none()
    return RorOffer.objects.filter(crt=crt).offered()
