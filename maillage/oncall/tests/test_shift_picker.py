"""The rota's shift form finds who is on call by name (search-as-you-type): the page never
lists the whole team or directory; the fragment endpoint is bounded and guarded like the form;
a typed name works without JavaScript."""

import pytest
from django.urls import reverse

from maillage.core.pickers import PICKER_LIMIT
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.oncall.models import Shift
from maillage.territory.tests.factories import ProfessionalFactory


@pytest.fixture
def many(crt_a, make_user):
    team = [make_user(crt_a, Role.NURSE, first_name="Léa", last_name=f"Kervellazq{i:02d}")
            for i in range(25)]
    pros = [ProfessionalFactory(crt=crt_a, first_name="Hugo", last_name=f"Tanguyxw{i:02d}")
            for i in range(25)]
    return team, pros


def shift_data(**fields):
    return {"preset": "night", "first_day": "2026-12-14", "days": "1", "duty": "answer",
            **fields}


def test_form_lists_nobody_until_a_name_is_typed(client, users, many):
    client.force_login(users["coordinator"])
    page = client.get(reverse("oncall:shift_add"))
    assert page.status_code == 200
    text = visible_text(page)
    assert "Kervellazq" not in text and "Tanguyxw" not in text
    assert f'hx-get="{reverse("oncall:shift_pick")}"' in page.content.decode()


def test_endpoint_allowed_bounded_forbidden_and_other_crt(client, users, many, user_b):
    pick = reverse("oncall:shift_pick")
    client.force_login(users["coordinator"])  # oncall.rota.manage
    response = client.get(pick, {"champ": "staff", "staff_q": "kervellazq"})
    assert response.status_code == 200
    assert response.content.decode().count('name="staff"') == PICKER_LIMIT + 1
    pros = client.get(pick, {"champ": "professional", "professional_q": "tanguyxw03"})
    assert "Hugo Tanguyxw03" in visible_text(pros)
    assert client.get(pick, {"champ": "duty", "duty_q": "a"}).status_code == 400
    client.force_login(users["nurse"])  # no oncall.rota.manage
    assert client.get(pick, {"staff_q": "kervellazq"}).status_code == 403
    # Another CRT's coordinator finds nobody of CRT A.
    client.force_login(user_b)
    response = client.get(pick, {"champ": "staff", "staff_q": "kervellazq"})
    assert response.status_code == 200
    assert "Kervellazq" not in visible_text(response)


def test_round_trip_chosen_and_typed(client, users, many):
    team, pros = many
    client.force_login(users["coordinator"])
    add = reverse("oncall:shift_add")
    response = client.post(add, shift_data(staff=team[5].public_id, notes="choisi"))
    assert response.status_code == 302
    assert Shift.objects.get(notes="choisi").staff == team[5]
    # Without JavaScript: a typed name that matches one professional.
    response = client.post(add, shift_data(professional_q="Hugo Tanguyxw17", notes="tapé"))
    assert response.status_code == 302
    assert Shift.objects.get(notes="tapé").professional == pros[17]
    # Several match: said next to the field, the matches offered, nothing saved.
    response = client.post(add, shift_data(staff_q="Kervellazq", notes="plusieurs"))
    assert response.status_code == 400
    text = visible_text(response)
    assert "Plusieurs personnes correspondent : choisissez dans la liste." in text
    assert response.content.decode().count('type="radio" name="staff"') == PICKER_LIMIT + 1
    # Nobody matches.
    response = client.post(add, shift_data(staff_q="Zzyzx", notes="personne"))
    assert response.status_code == 400
    assert "Personne ne correspond à « Zzyzx »" in visible_text(response)
    assert not Shift.objects.filter(notes__in=["plusieurs", "personne"]).exists()
