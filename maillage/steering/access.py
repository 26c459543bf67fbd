"""The access policy of the budget, both faces from one condition (agreement tested in
``tests/test_views.py``).

- The budget (allocations, expenses, account mapping, FEC imports): those holding
  ``budget.view`` (the direction, who owns it, and the coordination, who reads it), every row
  of their CRT; kept (typed, imported, edited) by the direction only (``budget.manage``).
  No personal data, no health data: the writes and the exports are audited, the reads are
  not.
- The indicators (the dashboard, ``dashboard.py``): their figures, aggregates, to those holding
  ``indicator.view``; the records behind a figure are not this module's: each goes through
  its own app's policy (``Indicator.visible``), and their read is audited."""

from django.db.models import QuerySet

from maillage.core.permissions import has_permission
from maillage.core.roles import Role

from .models import AccountMapping, Allocation, Expense, FecImport


def _visible(model, crt, roles) -> QuerySet:
    if has_permission(roles, "budget.view"):
        return model.objects.filter(crt=crt)
    return model.objects.none()


def allocations_visible(*, crt, user, roles) -> QuerySet[Allocation]:
    return _visible(Allocation, crt, roles)


def expenses_visible(*, crt, user, roles) -> QuerySet[Expense]:
    return _visible(Expense, crt, roles)


def mappings_visible(*, crt, user, roles) -> QuerySet[AccountMapping]:
    return _visible(AccountMapping, crt, roles)


def fec_imports_visible(*, crt, user, roles) -> QuerySet[FecImport]:
    return _visible(FecImport, crt, roles)


def can_view_budget(*, user, roles, obj=None) -> bool:
    """The object face, for an allocation, an expense, a mapping or an import of the user's
    CRT."""
    return has_permission(roles, "budget.view")


def can_manage_budget(*, user, roles, obj=None) -> bool:
    return has_permission(roles, "budget.manage")


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows for the "Access and audit" page (``maillage access_doc``)."""
    rows = {}
    for role in Role:
        if has_permission({role}, "budget.manage"):
            rows[role] = ("tout le budget du CRT ; saisit les dépenses, la dotation, les "
                          "correspondances de comptes et importe les FEC")
        elif has_permission({role}, "budget.view"):
            rows[role] = "tout le budget du CRT, en lecture (et l'export du compte analytique)"
    figures = {role: ("les chiffres de tous les indicateurs du CRT et leurs ventilations ; "
                      "derrière un chiffre, les seuls dossiers que la règle d'accès de chaque "
                      "dossier lui ouvre (consultation tracée, par page et par personne)")
               for role in Role if has_permission({role}, "indicator.view")}
    return [("Budget : dotations, dépenses, imports FEC", rows),
            ("Indicateurs : chiffres et dossiers derrière un chiffre", figures)]
