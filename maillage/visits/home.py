"""The home-page panels of the visits: « Mes passages » of the day, and the month's activity
in figures (see ``maillage.core.home``)."""

from datetime import date, timedelta

from django.utils import timezone

from maillage.beneficiaries.access import planning_visible_beneficiaries
from maillage.core.home import FIGURES, LEAD, HomePanel, register_panel
from maillage.core.permissions import has_permission
from maillage.core.roles import HEALTH_PROFESSIONALS, Role
from maillage.core.smallcells import count_cell

from . import selectors, services
from .models import Visit

#: Who works in the field: their home always shows their day, even an empty one.
FIELD_ROLES = HEALTH_PROFESSIONALS | {Role.ACTIVITY_LEADER, Role.PARTNER}
NEXT_SHOWN = 5


def _my_day(*, crt, user, roles):
    """Today's visits of this user (the CRT's staff member or the partner professional), each
    with its trace links when they may trace it; when the day is empty, their next visits.
    Left out for the coordination and the direction on a day without visits of their own."""
    today = timezone.localdate()
    # As « Mes passages » of today shows them: with the night worked (``selectors.my_today``).
    shown = selectors.my_today(crt=crt, user=user, roles=roles)
    visits = shown.visits
    if not visits and not roles & FIELD_ROLES:
        return None
    upcoming = []
    if not visits:
        start, _ = selectors.day_bounds(today + timedelta(days=1))
        upcoming = selectors.my_next(crt=crt, user=user, roles=roles, start=start,
                                     limit=NEXT_SHOWN)
    # A visit's page opens only when the person's planning is visible to this reader.
    people = {v.beneficiary_id for v in visits + upcoming}
    openable = set(planning_visible_beneficiaries(crt=crt, user=user, roles=roles)
                   .filter(pk__in=people).values_list("pk", flat=True)) if people else set()
    # A visit is traced from shortly before its start (« Mes passages » says when).
    now = timezone.now()
    rows = [(v, v.beneficiary_id in openable, v.status == Visit.Status.PLANNED
             and v.beneficiary_id in openable and v.starts_at - services.TRACE_AHEAD <= now
             and services.may_trace(user=user, roles=roles, visit=v)) for v in visits]
    upcoming = [(v, v.beneficiary_id in openable) for v in upcoming]
    row_of = {row[0].pk: row for row in rows}
    parts = [(part.label, [row_of[v.pk] for v in part.visits]) for part in shown.parts]
    return {"rows": rows, "upcoming": upcoming, "parts": parts, "span": shown.span, "day": today,
            "left": sum(1 for v in visits if v.status == Visit.Status.PLANNED)}


def _month(*, crt, user, roles):
    """Visits of the month so far, in figures (no person named). Each visit is about one
    person: for the ARS, which reads aggregates only, a count of 1 to 4 is « < 5 »
    (INDICATORS §5 rule 2, as the indicators count such records); the direction reads the
    counts (rule 7)."""
    today = timezone.localdate()
    start, _ = selectors.day_bounds(date(today.year, today.month, 1))
    end, _ = selectors.day_bounds(today + timedelta(days=1))
    counts = {row["status"]: row["n"] for row in selectors.status_counts(
        crt=crt, start=start, end=end)}
    done = counts.get(Visit.Status.DONE, 0)
    not_done = counts.get(Visit.Status.NOT_DONE, 0)
    cells = None
    if not has_permission(roles, "visit.view"):
        cells = {"done": count_cell(done), "not_done": count_cell(not_done)}
    return {"done": done, "not_done": not_done, "cells": cells, "month": today}


register_panel(HomePanel(
    name="visits.my_day", template="visits/_home/my_day.html", selector=_my_day,
    permission="visit.trace", order=5, area=LEAD))
register_panel(HomePanel(
    name="visits.month", template="visits/_home/month.html", selector=_month,
    roles=frozenset({Role.DIRECTION, Role.ARS}), order=50, area=FIGURES))
