"""Reads of the territory, scoped to a CRT."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from maillage.core.collation import french
from maillage.core.models import Crt
from maillage.core.permissions import has_permission

from . import reference
from .access import agreements_visible, professionals_visible
from .models import Agreement, Commune, Organization, Professional


def communes(*, crt: Crt, volet: str = "", query: str = "") -> QuerySet[Commune]:
    qs = Commune.objects.filter(crt=crt).order_by(french("name"))
    if volet == "1":
        qs = qs.filter(covers_volet1=True)
    elif volet == "2":
        qs = qs.filter(covers_volet2=True)
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(insee_code__startswith=query)
            | Q(postal_code__startswith=query)
        )
    return qs


@dataclass(frozen=True)
class TerritoryFigures:
    communes: int
    volet1: int
    volet2: int
    max_travel_volet2: int | None


def territory_figures(*, crt: Crt) -> TerritoryFigures:
    row = Commune.objects.filter(crt=crt).aggregate(
        total=Count("id"),
        volet1=Count("id", filter=Q(covers_volet1=True)),
        volet2=Count("id", filter=Q(covers_volet2=True)),
        max_travel=Max("travel_minutes", filter=Q(covers_volet2=True)),
    )
    return TerritoryFigures(
        communes=row["total"],
        volet1=row["volet1"],
        volet2=row["volet2"],
        max_travel_volet2=row["max_travel"],
    )


def organizations(*, crt: Crt, query: str = "", kind: str = "") -> QuerySet:
    qs = Organization.objects.filter(crt=crt).select_related("commune").order_by(
        french("name"), "pk")
    if kind:
        qs = qs.filter(kind=kind)
    if query:
        qs = qs.filter(
            Q(name__icontains=query) | Q(city__icontains=query) | Q(finess__startswith=query)
            | Q(commune__name__icontains=query)
        )
    return qs.annotate(professional_count=Count("professionals"))


def professionals(*, crt: Crt, user, roles, query: str = "", profession: str = "") -> QuerySet:
    """The professionals' page: the directory as ``access.professionals_visible`` shows it (the
    API's Practitioner reads the same policy)."""
    qs = (
        professionals_visible(crt=crt, user=user, roles=roles)
        .select_related("organization")
        .order_by(french("last_name"), french("first_name"), "pk")
    )
    if profession:
        qs = qs.filter(profession=profession)
    if query:
        qs = qs.filter(
            Q(last_name__icontains=query) | Q(first_name__icontains=query)
            | Q(rpps__startswith=query) | Q(organization__name__icontains=query)
        )
    return qs


def commune_named(*, crt: Crt, name: str) -> Commune | None:
    """The commune of the territory with this name (as typed on a public form), if any."""
    name = (name or "").strip()
    if not name:
        return None
    return Commune.objects.filter(crt=crt, name__iexact=name).first()


def commune_coordinates(insee_codes, *, crt: Crt | None = None) -> dict[str, tuple[float, float]]:
    """(latitude, longitude) in WGS 84 degrees of each commune of ``insee_codes`` that has a
    position, for maps and travel-time estimates (issue 17: rounds). National reference data
    (``reference.py``); with ``crt``, the position stored for the CRT's own communes (as
    corrected on the commune form) wins. Codes without a position are left out."""
    codes = {str(code).strip().upper() for code in insee_codes if code}
    found = {
        code: (float(ref.latitude), float(ref.longitude))
        for code, ref in reference.lookup_many(codes).items()
        if ref.has_position
    }
    if crt is not None and codes:
        stored = (Commune.objects.filter(crt=crt, insee_code__in=codes, latitude__isnull=False,
                                         longitude__isnull=False)
                  .values_list("insee_code", "latitude", "longitude"))
        found.update({code: (float(lat), float(lon)) for code, lat, lon in stored})
    return found


# --- Partner agreements ----------------------------------------------------------------------

#: Days before the end of an agreement's period when the coordination is reminded.
REMINDER_DAYS = (90, 30)
#: Organisation kinds that intervene daily at home: their agreement must be « home care ».
HOME_CARE_KINDS = (Organization.Kind.SAD, Organization.Kind.SSIAD)
#: How far back a visit by a partner counts as « intervening » (and every visit to come).
VISITS_LOOKBACK_DAYS = 90


def in_force(today: date, prefix: str = "") -> Q:
    """The condition « signed and in force on ``today`` » (a tacitly renewed agreement whose
    end has passed is still in force until the nightly roll-over moves its end)."""
    p = prefix
    return (Q(**{f"{p}status": Agreement.Status.SIGNED, f"{p}starts_on__lte": today})
            & (Q(**{f"{p}ends_on__isnull": True}) | Q(**{f"{p}ends_on__gte": today})
               | Q(**{f"{p}tacit_renewal": True})))


def agreements_in_force_during(*, crt: Crt, start: date, end: date) -> QuerySet[Agreement]:
    """Agreements in force on at least one day of [``start``, ``end``] (indicator T-04):
    signed (since expired or terminated, or not), begun by ``end``, not ended nor terminated
    before ``start`` (a tacitly renewed one goes on). Aggregated use only (no personal
    data)."""
    signed = [Agreement.Status.SIGNED, Agreement.Status.EXPIRED, Agreement.Status.TERMINATED]
    return (Agreement.objects.filter(crt=crt, status__in=signed, starts_on__lte=end)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start)
                    | Q(tacit_renewal=True, status=Agreement.Status.SIGNED))
            .filter(Q(terminated_on__isnull=True) | Q(terminated_on__gte=start)))


def agreements(*, crt: Crt, user, roles, status: str = "", subject: str = "",
               query: str = "") -> QuerySet[Agreement]:
    qs = agreements_visible(crt=crt, user=user, roles=roles).order_by(
        "status", "ends_on", "title").prefetch_related("organizations")
    if status:
        qs = qs.filter(status=status)
    if subject:
        qs = qs.filter(subject=subject)
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(organizations__name__icontains=query)
                       ).distinct()
    return qs


@dataclass(frozen=True)
class Reminder:
    agreement: Agreement
    days_left: int

    @property
    def urgent(self) -> bool:
        """Within the last 30 days (else within 90)."""
        return self.days_left <= REMINDER_DAYS[1]


def agreement_reminders(*, crt: Crt, user, roles, today: date | None = None) -> list[Reminder]:
    """Signed agreements whose current period ends within 90 days (30: urgent), soonest
    first: to renew or, when tacitly renewed, to denounce in time."""
    today = today or timezone.localdate()
    rows = (agreements_visible(crt=crt, user=user, roles=roles)
            .filter(status=Agreement.Status.SIGNED, ends_on__gte=today,
                    ends_on__lte=today + timedelta(days=REMINDER_DAYS[0]))
            .order_by("ends_on", "title").prefetch_related("organizations"))
    return [Reminder(a, (a.ends_on - today).days) for a in rows]


def partners_without_agreement(*, crt: Crt, user, roles,
                               today: date | None = None) -> QuerySet[Organization]:
    """Organisations whose professionals are in the care team of a volet 2 beneficiary (an
    open admission) or carry out visits (the last 90 days and to come), and that have no
    agreement in force; for home-care services (SAD, SSIAD), no « daily home-care
    intervention » agreement in force. One query."""
    if not has_permission(roles, "agreement.view"):
        return Organization.objects.none()
    today = today or timezone.localdate()
    care_team_member = apps.get_model("beneficiaries", "CareTeamMember")
    visit = apps.get_model("visits", "Visit")
    # For each organisation, its professionals (the professional's organisation index), then
    # for each of them an ``EXISTS`` through the professional's own index: a care-team
    # membership (a care team names only professionals of its own CRT: ``care_team_add``), a
    # visit since a moment (``visit_pro_time``; not ``starts_at__date``, a function of the
    # column that no index serves). Asked the other way (the memberships or the visits whose
    # professional is in the organisation), SQLite read every membership of the CRT and
    # PostgreSQL every visit since the moment, for each organisation: the page grew with the
    # people (SQLite 10 → 24 ms, PostgreSQL 49 → 122 ms from the demo ×1 to ×10).
    since = timezone.make_aware(datetime.combine(
        today - timedelta(days=VISITS_LOOKBACK_DAYS), time.min))
    in_care_team = care_team_member.objects.filter(
        professional=OuterRef("pk"), start_date__lte=today,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).filter(
        beneficiary__enrolments__ended_on__isnull=True)
    visiting = visit.objects.filter(
        crt=crt, professional=OuterRef("pk"), starts_at__gte=since,
    ).exclude(status="cancelled")
    professionals = Professional.objects.filter(organization=OuterRef("pk"))
    agreement = Agreement.objects.filter(in_force(today), crt=crt, organizations=OuterRef("pk"))
    home_care = agreement.filter(subject=Agreement.Subject.HOME_CARE)
    return (
        Organization.objects.filter(crt=crt)
        .annotate(in_care_team=Exists(professionals.filter(Exists(in_care_team))),
                  visiting=Exists(professionals.filter(Exists(visiting))),
                  has_agreement=Exists(agreement), has_home_care=Exists(home_care))
        .filter(Q(in_care_team=True) | Q(visiting=True))
        .filter(Q(kind__in=HOME_CARE_KINDS, has_home_care=False)
                | (~Q(kind__in=HOME_CARE_KINDS) & Q(has_agreement=False)))
        .order_by(french("name"))
    )
