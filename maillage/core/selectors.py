"""Reads of the core app, always scoped to a CRT."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from maillage.core.collation import french

from .models import AuditEvent, Crt, Membership, MembershipRole
from .roles import CRT_TEAM, PORTAL, TEAM_MEMBER_ROLES, Role

#: The volet 2 forfait per beneficiary per month (SPEC §1).
FORFAIT_MONTHLY = Decimal("900.00")


def audit_events(*, crt: Crt) -> QuerySet[AuditEvent]:
    """Events of ``crt`` (authentication events are written once per CRT of the user)."""
    return AuditEvent.objects.filter(crt=crt).select_related("actor")


def audit_actors(*, crt: Crt):
    """The members of ``crt`` (a semi-join on the memberships: no DISTINCT over the users)."""
    return (
        get_user_model()
        .objects.filter(pk__in=Membership.objects.filter(crt=crt).values("user_id"))
        .order_by(french("last_name"), french("first_name"), "username")
    )


AUDIT_PAGE_SIZE = 50


def audit_page(events: QuerySet[AuditEvent], *, crt: Crt, before=None, after=None,
               size: int = AUDIT_PAGE_SIZE) -> tuple[list[AuditEvent], bool, bool]:
    """One page of ``events``, newest first, by keyset on ``(occurred_at, id)``: the page older
    than the event ``before`` (a public id), or newer than ``after``, or the newest page.

    Returns ``(events, has_newer, has_older)``. No COUNT, no OFFSET: every page costs the same
    whatever the size of the journal (the indexes start with the CRT, then the time and the id).
    An unknown cursor gives the newest page."""
    cursor_id = before or after
    cursor = None
    if cursor_id:
        cursor = (AuditEvent.objects.filter(crt=crt, public_id=cursor_id)
                  .values_list("occurred_at", "id").first())
    if cursor is None:
        rows = list(events.order_by("-occurred_at", "-id")[:size + 1])
        return rows[:size], False, len(rows) > size
    at, pk = cursor
    if before:
        rows = list(events.filter(occurred_at__lte=at).exclude(occurred_at=at, id__gte=pk)
                    .order_by("-occurred_at", "-id")[:size + 1])
        return rows[:size], True, len(rows) > size
    rows = list(events.filter(occurred_at__gte=at).exclude(occurred_at=at, id__lte=pk)
                .order_by("occurred_at", "id")[:size + 1])
    has_newer = len(rows) > size
    return list(reversed(rows[:size])), has_newer, True


def audit_actions(*, crt: Crt) -> list[str]:
    return list(
        AuditEvent.objects.filter(crt=crt)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def team_memberships(*, crt: Crt) -> QuerySet[Membership]:
    """Memberships of ``crt`` managed from the team page: everyone but the portal-only
    accounts (beneficiaries and caregivers, whose access follows the file)."""
    non_portal = MembershipRole.objects.filter(membership=OuterRef("pk")).exclude(
        role__in=[str(r) for r in PORTAL])
    any_role = MembershipRole.objects.filter(membership=OuterRef("pk"))
    return (
        Membership.objects.filter(crt=crt)
        .filter(Exists(non_portal) | ~Exists(any_role))
        .select_related("user", "crt")
    )


def team_member_users(*, crt: Crt) -> QuerySet:
    """The CRT's team members (``roles.TEAM_MEMBER_ROLES``): active users with an active
    membership holding a care or coordination role. Every picker of "a member of the team"
    starts here, and so do the services that check a chosen person."""
    return (
        get_user_model().objects.filter(
            is_active=True,
            pk__in=MembershipRole.objects.filter(
                membership__crt=crt, membership__is_active=True,
                role__in=[str(r) for r in TEAM_MEMBER_ROLES],
            ).values("membership__user"),
        )
        .order_by(french("last_name"), french("first_name"), "username")
    )


def member_roles(*, user, crt: Crt) -> frozenset[str]:
    """The roles ``user`` holds in ``crt`` now (none when the access ended): what services
    check when they act for someone, whoever calls them."""
    if user is None or not getattr(user, "is_active", False):
        return frozenset()
    return members_roles(crt=crt, user_ids=[user.pk]).get(user.pk, frozenset())


def members_roles(*, crt, user_ids) -> dict[int, frozenset[str]]:
    """``{user pk: roles}`` in ``crt`` now, for several users in one query (active memberships
    of active accounts; users without any are absent): as the tenancy middleware gives them to
    a request."""
    roles: dict[int, set[str]] = {}
    for user_id, role in MembershipRole.objects.filter(
        membership__crt=crt, membership__is_active=True,
        membership__user__in=list(user_ids), membership__user__is_active=True,
    ).values_list("membership__user", "role"):
        roles.setdefault(user_id, set()).add(role)
    return {pk: frozenset(r) for pk, r in roles.items()}


def is_team_member(user, crt: Crt) -> bool:
    return user is not None and team_member_users(crt=crt).filter(pk=user.pk).exists()


def team_members(*, crt: Crt, active: bool = True) -> list[Membership]:
    """Team-page members, each with ``role_codes``; active ones, or those whose access ended."""
    memberships = list(
        team_memberships(crt=crt)
        .filter(is_active=active)
        .prefetch_related("roles")
        .order_by(french("user__last_name"), french("user__first_name"), "user__username")
    )
    for m in memberships:
        m.role_codes = frozenset(r.role for r in m.roles.all())
    return memberships


def username_suggestion(*, first_name: str, last_name: str) -> str:
    """A free username for a new account: ``prenom.nom`` without accents, then ``prenom.nom2``…
    (one query)."""
    parts = [slugify(first_name or ""), slugify(last_name or "")]
    base = ".".join(p for p in parts if p)[:140] or "compte"
    taken = {u.lower() for u in get_user_model().objects.filter(username__istartswith=base)
             .values_list("username", flat=True)}
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


@dataclass(frozen=True)
class TeamFigures:
    members: int
    by_role: list[tuple[str, int]]


def team_figures(*, crt: Crt) -> TeamFigures:
    rows = (
        MembershipRole.objects.filter(membership__crt=crt, membership__is_active=True)
        .values("role")
        .annotate(n=Count("membership", distinct=True))
    )
    counts = {r["role"]: r["n"] for r in rows}
    members = (
        Membership.objects.filter(
            crt=crt, is_active=True, roles__role__in=[str(r) for r in CRT_TEAM]
        )
        .distinct()
        .count()
    )
    return TeamFigures(
        members=members,
        by_role=[
            (role.label, counts[role.value])
            for role in Role
            if role in CRT_TEAM and counts.get(role.value)
        ],
    )


@dataclass(frozen=True)
class BudgetFigures:
    allocation: Decimal
    volet2_at_target: Decimal
    volet1_remainder: Decimal
    target: int


def budget_figures(*, crt: Crt) -> BudgetFigures:
    """At the file-active target, the volet 2 forfaits and what remains for volet 1 (SPEC §1)."""
    volet2 = FORFAIT_MONTHLY * 12 * crt.file_active_target
    return BudgetFigures(
        allocation=crt.annual_allocation,
        volet2_at_target=volet2,
        volet1_remainder=max(crt.annual_allocation - volet2, Decimal("0")),
        target=crt.file_active_target,
    )


@dataclass(frozen=True)
class AuditFigures:
    last_24h: int
    failed_logins_7d: int
    lockouts_7d: int
    emergency_accesses_30d: int


def audit_figures(*, crt: Crt) -> AuditFigures:
    now = timezone.now()
    row = AuditEvent.objects.filter(crt=crt, occurred_at__gte=now - timedelta(days=30)).aggregate(
        last_24h=Count("id", filter=Q(occurred_at__gte=now - timedelta(hours=24))),
        failed=Count(
            "id",
            filter=Q(action="auth.login_failed", occurred_at__gte=now - timedelta(days=7)),
        ),
        lockouts=Count(
            "id", filter=Q(action="auth.locked_out", occurred_at__gte=now - timedelta(days=7))
        ),
        emergency=Count("id", filter=Q(is_emergency_access=True)),
    )
    return AuditFigures(
        last_24h=row["last_24h"],
        failed_logins_7d=row["failed"],
        lockouts_7d=row["lockouts"],
        emergency_accesses_30d=row["emergency"],
    )


def readiness() -> dict[str, str]:
    """Whether the database, the cache and the task queue answer: ``"ok"`` or ``"erreur"``
    for each (``/readyz``). Each check is independent: one down does not hide the others."""
    import logging

    from django.core.cache import cache
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    def database():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def cache_():
        cache.set("maillage:readyz", "1", timeout=30)
        if cache.get("maillage:readyz") != "1":
            raise RuntimeError("cache: la valeur écrite n'est pas relue")

    def queue():
        HUEY.pending_count()

    states = {}
    for name, check in (("database", database), ("cache", cache_), ("queue", queue)):
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            logging.getLogger(__name__).warning("Readiness: %s unreachable", name, exc_info=True)
            states[name] = "erreur"
        else:
            states[name] = "ok"
    return states
