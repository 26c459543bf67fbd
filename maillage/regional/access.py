"""The access policy of the regional view (issue 14 §5; INDICATORS §5).

- An ARS agent belongs to a **region** (``core.RegionMembership``), not to a CRT: the pages
  under ``/ars/<code INSEE>/`` (``core.access.require_region("regional.view")``) show every
  active CRT of that region, and nothing of another region (404). Someone of a CRT of the
  region without the region's membership is refused (403). The ``ars`` role held in a CRT (an
  ARS agent who follows one CRT) opens the same pages for that CRT only: its region's pages
  show that CRT's column and nothing of the region's other CRTs (the survey results are not
  its either: satisfaction reaches the ARS as indicators, here).
- What those pages show: aggregates only — the registered indicators per CRT, one breakdown at
  a time, their extra figures, the budget's amounts — with the small-cell rule (counts of 1 to
  4 people « < 5 », secondary suppression « s », rates and means over fewer than 5 people
  hidden, communes under 5 grouped); never a list, a record, an identifier or free text. And
  the activity reports the region's CRTs transmitted, as sent (their figures under the same
  rule, the director's texts written for the ARS), whose policy is the reports' own
  (``steering.access.reports_received``, from ``crts_visible`` below): never a draft.
- Every page and export writes one audit event per CRT shown (``regional.viewed`` /
  ``regional.exported``), with the period, indicator, breakdown or year: no figure, no person;
  a report's page or file one event in its CRT's trail (``report.viewed`` /
  ``report.downloaded``).
"""

from django.db.models import QuerySet

from maillage.core.models import Crt, Region
from maillage.core.permissions import has_permission
from maillage.core.roles import Role


def regions_visible(*, user) -> QuerySet[Region]:
    """The regions ``user`` belongs to: those of their active region memberships."""
    return Region.objects.filter(memberships__user=user, memberships__is_active=True)


def crts_visible(*, user, region: Region) -> QuerySet[Crt]:
    """The CRTs whose aggregates ``user`` reads in ``region``: all its active CRTs when the
    user belongs to the region; otherwise those of its active CRTs where the user holds the
    ``ars`` role in an active membership (none for anyone else)."""
    crts = Crt.objects.filter(region=region, is_active=True)
    if regions_visible(user=user).filter(pk=region.pk).exists():
        return crts
    return crts.filter(memberships__user=user, memberships__is_active=True,
                       memberships__roles__role=Role.ARS)


def access_doc() -> list[tuple[str, dict[str, str]]]:
    """The rules above as rows of the "Access and audit" page (``maillage access_doc``)."""
    return [("Vue régionale (ARS) : indicateurs et budget de chaque CRT de la région", {
        role: ("agent rattaché à une région : chiffres agrégés de tous ses CRT, nombres de "
               "1 à 4 personnes masqués (« < 5 ») et secret secondaire, aucune liste ni "
               "dossier, et les rapports d'activité que ces CRT ont transmis (mêmes "
               "masquages) ; un rôle ARS dans un CRT ouvre les mêmes pages pour ce CRT seul")
        for role in Role if has_permission({role}, "regional.view")})]
