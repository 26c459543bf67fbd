"""The access policy of temporary-room stays (SPEC §4.4), with both faces from one condition
(agreement tested in ``tests/test_views.py``): the team that follows the file active
(``lodging.view``) sees every stay of its CRT — beneficiaries, and people who are not (e.g.
whose caregiver is hospitalised); nobody else sees any."""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import Stay


def stays_visible(*, crt, user, roles) -> QuerySet[Stay]:
    if has_permission(roles, "lodging.view"):
        return Stay.objects.filter(crt=crt)
    return Stay.objects.none()


def can_view_stay(*, user, roles, stay: Stay) -> bool:
    return has_permission(roles, "lodging.view")


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rule above as a row for the "Access and audit" page (``maillage access_doc``)."""
    return [("Séjours en chambre temporaire", {
        role: "tous les séjours du CRT" for role in Role if has_permission({role}, "lodging.view")
    })]
