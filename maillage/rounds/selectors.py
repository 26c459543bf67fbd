"""Reads of the rounds pages: the CRT's recent proposals, what a proposal's tables show (the
visits through the visits' own policy, the carers named), the carers and their hours."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404

from maillage.core.collation import french
from maillage.core.selectors import team_member_users
from maillage.territory.models import Commune
from maillage.visits.selectors import visible_visits

from .models import CarerHours, Proposal


def recent_proposals(*, crt, limit: int = 10) -> list[Proposal]:
    return list(Proposal.objects.filter(crt=crt).select_related("created_by")[:limit])


def proposal_people(*, proposal: Proposal, user, roles) -> tuple[dict, dict]:
    """The proposal's visits this user may see (by id) and its carers (by id): two queries."""
    ids = [int(k) for k in proposal.result["versions"]]
    visits = {v.pk: v for v in visible_visits(crt=proposal.crt, user=user, roles=roles)
              .filter(pk__in=ids).select_related("beneficiary__commune", "staff", "service",
                                                    "professional__organization")}
    carers = {u.pk: u for u in get_user_model().objects.filter(
        pk__in=[r["worker"] for r in proposal.result["routes"]]
        + [int(k) for k in proposal.result.get("rests", {})])}
    return visits, carers


def carers(*, crt):
    """The CRT's active members of staff who visit at home (a profession of ``PROFESSIONS``),
    by name."""
    from .day import PROFESSIONS

    return team_member_users(crt=crt).filter(
        memberships__crt=crt, memberships__roles__role__in=[str(p) for p in PROFESSIONS]
    ).distinct().order_by(french("last_name"), french("first_name"), "username")


def carer(*, crt, public_id):
    """One carer of :func:`carers`; 404 for anyone else (another CRT's, a secretary)."""
    return get_object_or_404(carers(crt=crt), public_id=public_id)


def hours_by_carer(*, crt) -> dict[int, list[CarerHours]]:
    """Each carer's hours, Monday first (one query)."""
    hours: dict[int, list[CarerHours]] = {}
    for h in CarerHours.objects.filter(crt=crt).select_related("home_commune"):
        hours.setdefault(h.user_id, []).append(h)
    return hours


def carer_hours(*, crt, user) -> dict[int, CarerHours]:
    return {h.weekday: h for h in CarerHours.objects.filter(crt=crt, user=user)
            .select_related("home_commune")}


def home_communes(*, crt):
    """Where a carer may live, for the rounds: the territory's communes with a position."""
    return Commune.objects.filter(crt=crt, latitude__isnull=False,
                                  longitude__isnull=False).order_by(french("name"))
