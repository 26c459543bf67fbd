"""The access policy of the budget, both faces from one condition (agreement tested in
``tests/test_views.py``).

- The budget (allocations, expenses, account mapping, FEC imports): those holding
  ``budget.view`` (the direction, who owns it, and the coordination, who reads it), every row
  of their CRT; kept (typed, imported, edited) by the direction only (``budget.manage``).
  No personal data, no health data: the writes and the exports are audited, the reads are
  not.
- The indicators (the dashboard, ``dashboard.py``): their figures, aggregates, to those holding
  ``indicator.view``; the records behind a figure are not this module's: each goes through
  its own app's policy (``Indicator.visible``), and their read is audited.
- The activity reports (and their settings): those holding ``report.view``. With
  ``report.drafts`` (the direction and the coordination), every report of their CRT, every
  version, drafts included; generated, written, submitted and corrected by the direction
  (``report.manage``). Without it (the ARS), the versions transmitted, never a draft: a
  CRT-level ``ars`` those of its CRT (on the CRT's pages, and in the regional view, which it
  opens for that CRT alone), a region's agent those of the active CRTs of their region
  (``reports_received`` over ``regional.access.crts_visible``, the regional view's pages;
  another region's, or another CRT's, answer 404). Aggregates with small counts of people
  masked (``report_smallcells``) and the director's texts, no person. The writes and the
  downloads are audited; the page reads of the ARS too (``report.viewed``, the report and its
  version, as every read of the ARS is), not those of the CRT's team."""

from django.db.models import QuerySet

from maillage.core.access import REGION_ROLE
from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.regional.access import crts_visible

from .models import AccountMapping, ActivityReport, Allocation, Expense, FecImport


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


def _transmitted_only(roles) -> bool:
    return not has_permission(roles, "report.drafts")


def reports_visible(*, crt, user, roles) -> QuerySet[ActivityReport]:
    """The reports of ``crt`` its member reads: all, or the transmitted ones (the ARS)."""
    if not has_permission(roles, "report.view"):
        return ActivityReport.objects.none()
    reports = ActivityReport.objects.filter(crt=crt)
    if _transmitted_only(roles):
        reports = reports.filter(status=ActivityReport.Status.SUBMITTED)
    return reports


def reports_received(*, user, region) -> QuerySet[ActivityReport]:
    """The reports the ARS reads in the regional view of ``region``: the versions transmitted
    by the CRTs it shows them (``regional.access.crts_visible``: all its active CRTs for the
    region's agent, its own for a CRT-level ``ars``, none for another region)."""
    roles = {REGION_ROLE}
    if not has_permission(roles, "report.view") or not _transmitted_only(roles):
        return ActivityReport.objects.none()
    return ActivityReport.objects.filter(crt__in=crts_visible(user=user, region=region),
                                         status=ActivityReport.Status.SUBMITTED)


def can_view_report(*, user, roles, obj=None) -> bool:
    """The object face, for a report of the user's CRT (or of their region, with the regional
    role)."""
    if not has_permission(roles, "report.view"):
        return False
    return obj is None or not _transmitted_only(roles) or not obj.is_draft


def report_reads_audited(*, roles) -> bool:
    """Whether a page read of a report is audited: the ARS's (every read of the ARS is), not
    the CRT team's (aggregates, their own figures)."""
    return _transmitted_only(roles)


def can_manage_report(*, user, roles, obj=None) -> bool:
    return has_permission(roles, "report.manage")


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
    reports = {}
    for role in Role:
        if has_permission({role}, "report.manage"):
            reports[role] = ("tous les rapports du CRT et leurs versions ; les crée, recalcule "
                             "leurs chiffres, écrit leurs textes, les transmet et les corrige")
        elif has_permission({role}, "report.drafts"):
            reports[role] = ("tous les rapports du CRT et leurs versions, en lecture et en "
                             "PDF / XLSX")
        elif has_permission({role}, "report.view"):
            reports[role] = ("les versions transmises (jamais un brouillon), en lecture et en "
                             "PDF / XLSX, petits effectifs masqués : celles de son CRT ; agent "
                             "rattaché à une région, celles des CRT de la région (consultations "
                             "tracées)")
    return [("Budget : dotations, dépenses, imports FEC", rows),
            ("Indicateurs : chiffres et dossiers derrière un chiffre", figures),
            ("Rapports d'activité et bilans semestriels", reports)]
