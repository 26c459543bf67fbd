"""« Mes passages » loads only the columns its cards show (``selectors.MY_DAY_FIELDS``): the
page still shows every card in full, with no query per visit, for a staff member and for a
partner professional."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.care.services import unread_counters_rebuild
from maillage.care.tests.factories import service
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.territory.models import Professional
from maillage.visits.services import local_dt

from .factories import visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["care_aide", "partner"])
def test_every_card_in_full_without_a_query_per_visit(client, crt_a, users, role,
                                                      django_assert_max_num_queries):
    user, roles = users[role], ({Role.PARTNER} if role == "partner" else set())
    files = [shared_file(crt_a, user, roles)]
    for _ in range(5):
        b = shared_file(crt_a)
        if role == "partner":  # the same directory professional in each care team
            CareTeamMember.objects.create(
                crt=crt_a, beneficiary=b, role="Infirmier libéral", start_date=date(2024, 1, 1),
                professional=Professional.objects.get(crt=crt_a, user=user))
        else:
            join_care_team(b, user)
        files.append(b)
    today, toilette = timezone.localdate(), service(crt_a, name="Toilette et lever")
    for hour, b in enumerate(files, start=8):
        visit(b, user, roles, starts_at=local_dt(today, f"{hour:02d}:00"), service=toilette,
              place="home", instructions=f"Consigne {hour}")
    unread_counters_rebuild(crt=crt_a)  # as after the nightly repair: every badge is stored
    client.force_login(user)
    client.get(reverse("visits:my_day"))
    # Session, user, memberships, the day, notifications, unread badge, session refresh (3);
    # +1: her on-call turns, for the night shown with today's visits (``selectors.my_today``).
    with django_assert_max_num_queries(10):
        response = client.get(reverse("visits:my_day"))
    text = visible_text(response)
    for hour, b in enumerate(files, start=8):
        assert f"{hour:02d}:00–{hour:02d}:30 · {b.display_name}" in text
        assert f"Toilette et lever — {b.address}, {b.commune.name}" in text
        assert f"Consignes : Consigne {hour}" in text
