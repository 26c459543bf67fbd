"""The home-page panels of coordination: open alerts, plans due for review
(see ``maillage.core.home``)."""

from maillage.beneficiaries.access import liaison_visible_beneficiaries
from maillage.core.home import HomePanel, register_panel
from maillage.core.navigation import register_badge
from maillage.core.roles import Role
from maillage.core.services import on_membership_changed

from . import selectors, services

ALERTS_SHOWN = 10
REVIEWS_SHOWN = 10


def _open_alerts(*, crt, user, roles):
    """The open alerts of the people whose liaison (notebook and alerts) this reader may see,
    newest first; the others are only counted (the direction: counts, no clinical text)."""
    every = selectors.open_alerts(crt=crt)
    visible = every.filter(
        beneficiary__in=liaison_visible_beneficiaries(crt=crt, user=user, roles=roles))
    rows = list(visible[:ALERTS_SHOWN + 1])
    hidden = 0 if rows else every.count()
    return {"alerts": rows[:ALERTS_SHOWN], "more": len(rows) > ALERTS_SHOWN, "hidden": hidden}


def plans_to_review(*, crt):
    """``selectors.reviews_due`` as a queryset, to bound or paginate: the plans in force due
    for review within ``REVIEW_NOTICE_DAYS`` or overdue, the most urgent first (index
    ``crt, status, next_review_on``)."""
    from datetime import timedelta

    from django.utils import timezone

    limit = timezone.localdate() + timedelta(days=selectors.REVIEW_NOTICE_DAYS)
    return (selectors.plans_in_force(crt=crt).filter(next_review_on__lte=limit)
            .select_related("plan__beneficiary", "referent").order_by("next_review_on", "pk"))


def _reviews_due(*, crt, user, roles):
    """The first plans to review, each row carrying the count of them all (a window
    function): one query, whatever the number of plans."""
    from django.db.models import Count, Window

    versions = list(plans_to_review(crt=crt).annotate(total=Window(Count("pk")))[:REVIEWS_SHOWN])
    return {"versions": versions, "total": versions[0].total if versions else 0}


register_panel(HomePanel(
    name="care.open_alerts", template="care/_home/open_alerts.html", selector=_open_alerts,
    permission="alert.manage", order=10))
register_panel(HomePanel(
    name="care.reviews_due", template="care/_home/reviews_due.html", selector=_reviews_due,
    roles=frozenset({Role.COORDINATOR, Role.DIRECTION}), permission="plan.view", order=30))

# The unread messages, on the « Messages » entry of the navigation: the stored counter.
register_badge("care:conversations", selectors.unread_badge)
# A member's roles or access changed: their counter follows (core.services).
on_membership_changed(services.unread_counters_for_user)
