"""The plan's action form finds who carries out the action by name (search-as-you-type): the
plan page never lists the whole team or directory; the fragment endpoint is bounded and guarded
like the plan; a typed name works without JavaScript."""

import pytest
from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import PlannedAction
from maillage.care.tests import factories as f
from maillage.core.pickers import PICKER_LIMIT
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.territory.tests.factories import ProfessionalFactory


@pytest.fixture
def b(crt_a, users):
    f.domain(crt_a)
    b = shared_file(crt_a, users["coordinator"])
    f.plan_version(b)
    return b


@pytest.fixture
def many(crt_a, make_user):
    # Surnames no generated name can be (the fixtures' users have random French names: a
    # coordinator named « Tanguy » once made the page show the name it must not).
    team = [make_user(crt_a, Role.CARE_AIDE, first_name="Léa", last_name=f"Kervellazq{i:02d}")
            for i in range(25)]
    pros = [ProfessionalFactory(crt=crt_a, first_name="Hugo", last_name=f"Tanguyxw{i:02d}")
            for i in range(25)]
    return team, pros


def url(name, b, **kwargs):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id, **kwargs})


def test_plan_page_lists_nobody_until_a_name_is_typed(client, users, b, many):
    client.force_login(users["coordinator"])
    page = client.get(url("plan_version", b, number=1))
    assert page.status_code == 200
    text = visible_text(page)
    assert "Kervellazq" not in text and "Tanguyxw" not in text
    assert f'hx-get="{url("plan_pick", b)}"' in page.content.decode()


def test_endpoint_allowed_bounded_forbidden_and_other_crt(client, users, b, many, user_b,
                                                          crt_b):
    client.force_login(users["coordinator"])  # plan.edit, every person's plan
    response = client.get(url("plan_pick", b), {"champ": "staff", "staff_q": "kervellazq"})
    assert response.status_code == 200
    assert response.content.decode().count('name="staff"') == PICKER_LIMIT + 1
    pros = client.get(url("plan_pick", b), {"champ": "professional",
                                            "professional_q": "tanguyxw03"})
    assert "Hugo Tanguyxw03" in visible_text(pros)
    client.force_login(users["care_aide"])  # no plan.edit
    assert client.get(url("plan_pick", b), {"staff_q": "a"}).status_code == 403
    client.force_login(user_b)
    assert client.get(url("plan_pick", b), {"staff_q": "a"}).status_code == 404
    client.force_login(users["coordinator"])
    assert client.get(url("plan_pick", shared_file(crt_b)), {"staff_q": "a"}).status_code == 404


def test_round_trip_chosen_and_typed(client, users, b, many, crt_a):
    team, pros = many
    domain = f.domain(crt_a)
    client.force_login(users["coordinator"])
    add = url("plan_add_item", b, number=1, kind="action")
    response = client.post(add, {"domain": domain.public_id, "description": "Passage du soir",
                                 "staff": team[5].public_id})
    assert response.status_code == 302
    assert PlannedAction.objects.get(description="Passage du soir").staff == team[5]
    # Without JavaScript: a typed name that matches one professional.
    response = client.post(add, {"domain": domain.public_id, "description": "Kiné",
                                 "professional_q": "Hugo Tanguyxw17"})
    assert response.status_code == 302
    assert PlannedAction.objects.get(description="Kiné").professional == pros[17]
    # Several match: said next to the field, the matches offered, nothing saved.
    response = client.post(add, {"domain": domain.public_id, "description": "Toilette",
                                 "staff_q": "Kervellazq"})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Plusieurs personnes correspondent : choisissez dans la liste." in text
    assert response.content.decode().count('type="radio" name="staff"') == PICKER_LIMIT + 1
    assert not PlannedAction.objects.filter(description="Toilette").exists()
