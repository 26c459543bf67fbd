"""The plans to review: the home page shows the first ones and counts the others, the whole
list is a paginated page for the coordination and the direction."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.care.home import REVIEWS_SHOWN
from maillage.care.selectors import reviews_due
from maillage.core.tests.helpers import table_text, visible_text

from .factories import plan_version

TODAY = timezone.localdate()


def _due(crt, count, user):
    for i in range(count):
        b = BeneficiaryFactory(crt=crt, birth_name=f"REVUE{i:02d}")
        plan_version(b, status="validated", next_review_on=TODAY - timedelta(days=60 - i),
                     referent=user)


def test_home_shows_the_first_plans_and_links_to_all(client, users, crt_a,
                                                     django_assert_max_num_queries):
    _due(crt_a, 55, users["nurse"])
    client.force_login(users["coordinator"])
    text = visible_text(client.get(reverse("core:home")))
    assert "REVUE00" in text and f"REVUE{REVIEWS_SHOWN - 1:02d}" in text
    assert f"REVUE{REVIEWS_SHOWN:02d}" not in text
    assert "55 plans à réviser en tout : voir tout" in text
    url = reverse("care:reviews_due")
    # 11: the « Messages » badge of a user without a stored counter yet is its rule (+1).
    with django_assert_max_num_queries(11):
        first = client.get(url)
    assert "55 plans en vigueur à réviser" in visible_text(first)
    rows = table_text(first)
    assert "REVUE00" in rows and "REVUE49" in rows and "REVUE50" not in rows
    assert "en retard depuis le" in rows
    second = table_text(client.get(url, {"page": 2}))
    assert "REVUE50" in second and "REVUE54" in second and "REVUE49" not in second
    assert len(reviews_due(crt=crt_a)) == 55


def test_few_plans_no_link(client, users, crt_a):
    _due(crt_a, 2, users["nurse"])
    client.force_login(users["coordinator"])
    text = visible_text(client.get(reverse("core:home")))
    assert "REVUE01" in text and "voir tout" not in text


def test_forbidden_role_other_crt_and_people_not_visible(client, users, user_b, crt_a):
    _due(crt_a, 3, users["nurse"])
    url = reverse("care:reviews_due")
    client.force_login(users["auditor"])
    assert client.get(url).status_code == 403
    client.force_login(users["direction"])
    assert "REVUE00" in table_text(client.get(url))
    # A partner outside every care team sees no one's plan.
    client.force_login(users["partner"])
    partner = client.get(url)
    assert partner.status_code == 200 and "REVUE" not in visible_text(partner)
    client.force_login(user_b)
    other = client.get(url)
    assert other.status_code == 200 and "REVUE" not in visible_text(other)
