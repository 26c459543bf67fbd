"""The DLUs to establish, complete or revalidate: the home panel shows the ten most urgent and
links to the whole list, a page computed and paginated by the database, for the roles that see
the panel (``dlu.reviews``)."""

import re

from django.urls import reverse

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, join_care_team
from maillage.core.tests.helpers import visible_text
from maillage.oncall.home import DLU_SHOWN

LIST = reverse("oncall:dlu_reviews")


def without_dlu(crt, count):
    people = []
    for i in range(count):
        b = BeneficiaryFactory(crt=crt, birth_name=f"SANSDLU{i:02d}", first_name="Odette")
        consent(b, share_health=True)
        enrolment(b)
        people.append(b)
    return people


def home_panel(client) -> str:
    html = client.get(reverse("core:home")).content.decode()
    return re.search(r'id="dlu-revues".*?</section>', html, re.S).group(0)


def test_the_panel_links_to_every_dlu_to_review_page_by_page(client, users, crt_a,
                                                            django_assert_max_num_queries):
    people = without_dlu(crt_a, 55)
    join_care_team(people[0], users["doctor"], ("doctor",))
    client.force_login(users["coordinator"])
    panel = home_panel(client)
    assert f"SANSDLU{DLU_SHOWN - 1:02d}" in panel and f"SANSDLU{DLU_SHOWN:02d}" not in panel
    assert "Et d'autres : les dix plus urgents sont affichés." in panel
    assert re.search(rf'<a href="{LIST}">Voir tous les DLU à revoir</a>', panel)
    # Session, user, memberships, badges, the count, the page, who may open which DLU…:
    # the same whatever the number of people.
    with django_assert_max_num_queries(8):
        first = client.get(LIST)
    text = visible_text(first)
    assert "55 personnes de la file active dont le DLU est à établir" in text
    assert "SANSDLU00 Odette — DLU à établir" in text
    assert "SANSDLU49" in text and "SANSDLU50" not in text
    assert "Page 1 sur 2" in text
    second = visible_text(client.get(LIST, {"page": 2}))
    assert "SANSDLU50" in second and "SANSDLU54" in second and "SANSDLU49" not in second
    # The coordinator outside the care team: each row leads to the file, not to a refusal.
    file_url = reverse("beneficiaries:detail", kwargs={"public_id": people[0].public_id})
    assert f'href="{file_url}"' in first.content.decode()
    # The doctor of the first person's care team opens that DLU from the list.
    client.force_login(users["doctor"])
    html = client.get(LIST).content.decode()
    dlu_url = reverse("oncall:dlu", kwargs={"public_id": people[0].public_id})
    assert f'href="{dlu_url}">SANSDLU00 Odette</a>' in html


def test_few_dlus_no_link(client, users, crt_a):
    without_dlu(crt_a, 2)
    client.force_login(users["coordinator"])
    panel = home_panel(client)
    assert "SANSDLU01" in panel and LIST not in panel


def test_the_panel_roles_only_and_each_crt_its_own(client, users, user_b, crt_a):
    without_dlu(crt_a, 3)
    for role in ("nurse", "admin_staff", "partner"):
        client.force_login(users[role])
        assert client.get(LIST).status_code == 403, role
        assert "dlu-revues" not in client.get(reverse("core:home")).content.decode(), role
    client.force_login(users["direction"])
    assert "SANSDLU00" in visible_text(client.get(LIST))
    client.force_login(user_b)
    other = client.get(LIST)
    assert other.status_code == 200 and "SANSDLU" not in visible_text(other)
