"""The access policy of partner agreements (SPEC §4.5), both faces from one condition (agreement
tested in ``tests/test_agreements.py``): an agreement holds no personal data, but financial
terms; coordination, the direction and the secretariat (``agreement.view``) see every agreement
of their CRT; nobody else sees any (partners, the ARS: nothing)."""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import Agreement


def agreements_visible(*, crt, user, roles) -> QuerySet[Agreement]:
    if has_permission(roles, "agreement.view"):
        return Agreement.objects.filter(crt=crt)
    return Agreement.objects.none()


def can_view_agreement(*, user, roles, agreement: Agreement) -> bool:
    return has_permission(roles, "agreement.view")


def can_edit_agreement(*, user, roles, agreement: Agreement) -> bool:
    return has_permission(roles, "agreement.manage")


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rule above as a row for the "Access and audit" page (``maillage access_doc``)."""
    return [("Conventions avec les partenaires", {
        role: "toutes les conventions du CRT" for role in Role
        if has_permission({role}, "agreement.view")
    })]
