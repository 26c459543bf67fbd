"""One's own visits read through one's own indexes: the home panel's next visits, the partner's
week and the calendar feed cost what the user's visits cost, not what the CRT's do (the OR-join
of ``mine`` walked every visit of the CRT in the range, or every coming one)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, join_care_team, shared_file
from maillage.core.roles import Role
from maillage.core.tests.helpers import sqlite_plan, visible_text
from maillage.visits import selectors
from maillage.visits.ical import feed
from maillage.visits.models import Visit
from maillage.visits.services import local_dt

from .factories import visit

TODAY = timezone.localdate()
TOMORROW = TODAY + timedelta(days=1)


def _roles(user, crt):
    return frozenset(user.memberships.get(crt=crt).roles.values_list("role", flat=True))


def _reference(*, crt, user, roles, start, limit):
    """The former query: the OR-join of ``mine``, in time order, cut at ``limit``."""
    return list(selectors.visible_visits(crt=crt, user=user, roles=roles)
                .filter(selectors.mine(user), starts_at__gte=start,
                        status=Visit.Status.PLANNED).order_by("starts_at", "pk")[:limit])


@pytest.fixture
def coming(crt_a, users):
    """Tomorrow's visits of a care aide and of a partner (as the directory's professional),
    with visits they may not see (a person out of their care team), cancelled or already
    traced ones, and another professional's."""
    aide, partner, nurse = users["care_aide"], users["partner"], users["nurse"]
    b = shared_file(crt_a, aide)
    join_care_team(b, partner, roles=(Role.PARTNER,))
    hidden = BeneficiaryFactory(crt=crt_a)  # nobody's care team: seen by no partner
    other = shared_file(crt_a, nurse)
    made = {"aide": [], "partner": []}
    for hour in (8, 10, 12, 14, 16, 18, 20):
        made["aide"].append(visit(b, aide, starts_at=local_dt(TOMORROW, f"{hour:02d}:00")))
    visit(b, aide, starts_at=local_dt(TOMORROW, "07:00"), status=Visit.Status.CANCELLED)
    visit(b, aide, starts_at=local_dt(TOMORROW, "07:30"), status=Visit.Status.DONE)
    visit(other, nurse, starts_at=local_dt(TOMORROW, "06:00"))
    visit(hidden, partner, (Role.PARTNER,), starts_at=local_dt(TOMORROW, "06:30"))
    for hour in (9, 11):
        made["partner"].append(visit(b, partner, (Role.PARTNER,),
                                     starts_at=local_dt(TOMORROW, f"{hour:02d}:00")))
    return made


def test_the_next_visits_are_those_of_the_or_join(crt_a, users, coming):
    start, _ = selectors.day_bounds(TOMORROW)
    for name, limit in (("care_aide", 5), ("partner", 5), ("nurse", 5), ("care_aide", 20)):
        user = users[name]
        roles = _roles(user, crt_a)
        got = selectors.my_next(crt=crt_a, user=user, roles=roles, start=start, limit=limit)
        assert got == _reference(crt=crt_a, user=user, roles=roles, start=start, limit=limit)
    aide = selectors.my_next(crt=crt_a, user=users["care_aide"],
                             roles=_roles(users["care_aide"], crt_a), start=start, limit=5)
    assert aide == coming["aide"][:5]
    # The partner's visit at a person out of their care team is not among theirs to see.
    partner = selectors.my_next(crt=crt_a, user=users["partner"],
                                roles=_roles(users["partner"], crt_a), start=start, limit=5)
    assert partner == coming["partner"]


@time_machine.travel(local_dt(TODAY, "05:00"), tick=False)
def test_the_home_panel_of_an_empty_day_lists_the_next_visits(client, users, coming):
    client.force_login(users["partner"])
    page = visible_text(client.get(reverse("core:home")))
    assert "09:00" in page and "11:00" in page
    assert "06:30" not in page  # the visit at a person they may not see


#: How SQLite reads every visit of a CRT: its time index, its tenant index, or the whole table.
CRT_WIDE = ("visit_crt_time", "visits_visit_crt_id", "SCAN visits_visit")


def _crt_wide(plans: list[str]) -> list[str]:
    return [plan for plan in plans if any(way in plan for way in CRT_WIDE)]


def _plans(queries) -> list[str]:
    """SQLite's plan of each query that reads visits, its steps on one line."""
    return [" ".join(sqlite_plan(query["sql"])) for query in queries.captured_queries
            if "visits_visit" in query["sql"]
            and not query["sql"].startswith(("INSERT", "UPDATE"))]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
@time_machine.travel(local_dt(TODAY, "05:00"), tick=False)
def test_no_read_walks_the_crts_visits(client, crt_a, users, coming):
    """Each query finds the user's visits through their own index (as staff, as the
    directory's professional) or by key; none reads the CRT's visits, whose number grows with
    the CRT."""
    partner = users["partner"]
    client.force_login(partner)
    for url in (reverse("core:home"), reverse("visits:professional_week") + "?semaine="
                + TOMORROW.isoformat()):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        plans = _plans(queries)
        assert plans and not _crt_wide(plans), (url, plans)
    assert "11:00" in visible_text(response)  # the week shows the partner's visits
    with CaptureQueriesContext(connection) as queries:
        body = feed(crt=crt_a, user=partner, base_url="http://testserver")
    assert body.count(b"BEGIN:VEVENT") == 2
    plans = _plans(queries)
    assert plans and not _crt_wide(plans), plans
