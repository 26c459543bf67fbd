"""Reads of the rounds pages: the CRT's recent proposals, and what a proposal's tables show
(the visits through the visits' own policy, the carers named)."""

from django.contrib.auth import get_user_model

from maillage.visits.selectors import visible_visits

from .models import Proposal


def recent_proposals(*, crt, limit: int = 10) -> list[Proposal]:
    return list(Proposal.objects.filter(crt=crt).select_related("created_by")[:limit])


def proposal_people(*, proposal: Proposal, user, roles) -> tuple[dict, dict]:
    """The proposal's visits this user may see (by id) and its carers (by id): two queries."""
    ids = [int(k) for k in proposal.result["versions"]]
    visits = {v.pk: v for v in visible_visits(crt=proposal.crt, user=user, roles=roles)
              .filter(pk__in=ids).select_related("beneficiary__commune")}
    carers = {u.pk: u for u in get_user_model().objects.filter(
        pk__in=[r["worker"] for r in proposal.result["routes"]])}
    return visits, carers
