"""Team lists and pickers in the order a French reader expects (``core.collation.french``):
« Éluard » among the E's, not after « Zola » as bytes would have it."""

import pytest
from django.urls import reverse

from maillage.core.roles import Role
from maillage.core.tests.helpers import order_in, visible_text
from maillage.territory.tests.factories import ProfessionalFactory

NAMES = [("Émile", "Durand"), ("Élise", "éluard"), ("Edmond", "Emery"), ("Aude", "Zola")]
SHOWN = ["Émile Durand", "Élise éluard", "Edmond Emery", "Aude Zola"]


@pytest.fixture
def team(crt_a, make_user):
    return [make_user(crt_a, Role.NURSE, first_name=first, last_name=last)
            for first, last in reversed(NAMES)]


def test_the_team_page_lists_members_in_the_order_of_names(client, users, team):
    client.force_login(users["coordinator"])
    text = visible_text(client.get(reverse("core:team")))
    assert order_in(text, SHOWN) == SHOWN


def test_the_rota_pickers_offer_names_in_french_order(client, users, team, crt_a):
    for first, last in reversed(NAMES):
        ProfessionalFactory(crt=crt_a, first_name=first, last_name=last)
    client.force_login(users["coordinator"])
    pick = reverse("oncall:shift_pick")
    staff = visible_text(client.get(pick, {"champ": "staff", "staff_q": "e"}))
    assert order_in(staff, SHOWN) == SHOWN
    pros = visible_text(client.get(pick, {"champ": "professional", "professional_q": "e"}))
    assert order_in(pros, SHOWN) == SHOWN
