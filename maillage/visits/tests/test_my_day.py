"""« Mes passages »: the selector without the OR-join gives the same visits as the OR-join."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.visits import selectors
from maillage.visits.models import Visit
from maillage.visits.services import local_dt

from .factories import visit

TODAY = timezone.localdate()


def _reference(*, crt, user, roles, day):
    """The former query: the OR-join of ``mine``."""
    start, end = selectors.day_bounds(day)
    return list(selectors.visible_visits(crt=crt, user=user, roles=roles)
                .filter(selectors.mine(user), starts_at__gte=start, starts_at__lt=end)
                .exclude(status=Visit.Status.CANCELLED).order_by("starts_at"))


@time_machine.travel(local_dt(TODAY, "12:00"), tick=False)  # the day alone: no night shown
def test_my_day_is_the_union_of_my_staff_and_professional_visits(crt_a, crt_b, users, client):
    aide, partner, nurse = users["care_aide"], users["partner"], users["nurse"]
    b = shared_file(crt_a, aide)
    join_care_team(b, partner, roles=(Role.PARTNER,))
    join_care_team(b, nurse)
    other = shared_file(crt_a, nurse)
    mine_late = visit(b, aide, starts_at=local_dt(TODAY, "18:00"))
    mine_early = visit(b, aide, starts_at=local_dt(TODAY, "07:30"))
    visit(b, aide, starts_at=local_dt(TODAY, "09:00"), status=Visit.Status.CANCELLED)
    visit(b, aide, starts_at=local_dt(TODAY + timedelta(days=1), "00:10"))
    visit(b, aide, starts_at=local_dt(TODAY - timedelta(days=1), "23:50"))
    visit(other, nurse, starts_at=local_dt(TODAY, "10:00"))
    as_pro = visit(b, partner, (Role.PARTNER,), starts_at=local_dt(TODAY, "12:00"))
    visit(b, partner, (Role.PARTNER,), starts_at=local_dt(TODAY, "13:00"),
          status=Visit.Status.CANCELLED)

    for user, expected in [(aide, [mine_early, mine_late]), (partner, [as_pro]),
                           (nurse, None)]:
        roles = frozenset(user.memberships.get(crt=crt_a).roles.values_list("role", flat=True))
        got = selectors.my_day(crt=crt_a, user=user, roles=roles, day=TODAY)
        assert got == _reference(crt=crt_a, user=user, roles=roles, day=TODAY)
        if expected is not None:
            assert got == expected
        # Related rows come with the visits: the page asks nothing more per visit.
        with CaptureQueriesContext(connection) as queries:
            for v in got:
                _ = (v.beneficiary.commune, v.staff, v.professional, v.service)
        assert len(queries) == 0
    assert [v.staff for v in selectors.my_day(crt=crt_a, user=aide, roles=frozenset(
        {Role.CARE_AIDE}), day=TODAY)] == [aide, aide]

    client.force_login(aide)
    page = visible_text(client.get(reverse("visits:my_day")))
    assert "2 passages, 2 à tracer" in page
    client.force_login(partner)
    page = visible_text(client.get(reverse("visits:my_day")))
    assert "1 passage, 1 à tracer" in page


def test_sql_has_no_or_join(crt_a, users):
    aide = users["care_aide"]
    with CaptureQueriesContext(connection) as queries:
        selectors.my_day(crt=crt_a, user=aide, roles=frozenset({Role.CARE_AIDE}), day=TODAY)
    sql = next(q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]).upper()
    # The OR-join of ``mine`` (staff OR professional's user) is gone.
    assert not re.search(r'"STAFF_ID" = \S+ OR', sql)
    assert not re.search(r'OR "TERRITORY_PROFESSIONAL"."USER_ID"', sql)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
@time_machine.travel(local_dt(TODAY, "12:00"), tick=False)
def test_the_visits_are_read_by_their_keys_not_through_the_crts_day(crt_a, users):
    """Once her visits are known, they are read by their keys and put in order here: sorted by
    the database, SQLite read them through the CRT's time index, every visit of the CRT (the
    page grew with the CRT)."""
    aide = users["care_aide"]
    b = shared_file(crt_a, aide)
    late = visit(b, aide, starts_at=local_dt(TODAY, "18:00"))
    early = visit(b, aide, starts_at=local_dt(TODAY, "07:30"))
    with CaptureQueriesContext(connection) as queries:
        got = selectors.my_day(crt=crt_a, user=aide, roles=frozenset({Role.CARE_AIDE}),
                               day=TODAY)
    assert got == [early, late]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + queries.captured_queries[-1]["sql"])
        plan = " ".join(row[-1] for row in cursor.fetchall())
    assert "visit_crt_time" not in plan and "rowid=?" in plan
