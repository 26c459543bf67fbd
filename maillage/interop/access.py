"""Who may see the API tokens (the one policy of ``ApiToken``): the CRT's tokens, for the roles
that manage the team (direction, coordination). The secret itself is never readable: only its
SHA-256 is stored."""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission

from .models import ApiToken


def tokens_visible(*, crt, roles) -> QuerySet[ApiToken]:
    if not has_permission(roles, "team.manage"):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(crt=crt)
