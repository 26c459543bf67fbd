"""Names in the order a French reader expects, accents and case aside: « Écouflant » and
« écuillé » among the E's, not after « Villevêque » (SQLite compares bytes; see
``maillage.core.collation``)."""

import re

import pytest
from django.urls import reverse

from maillage.core.tests.helpers import order_in, table_text

from .factories import CommuneFactory, OrganizationFactory, ProfessionalFactory

#: The order a reader expects.
EXPECTED = ["Angers", "Écouflant", "écuillé", "Villevêque"]


@pytest.fixture
def communes(crt_a):
    # Created out of order: the database's order, not the insertion's, is what is checked.
    for name in ("Villevêque", "écuillé", "Angers", "Écouflant"):
        CommuneFactory(crt=crt_a, name=name)


def test_the_communes_page_lists_accented_names_with_the_others(client, users, communes):
    client.force_login(users["coordinator"])
    shown = table_text(client.get(reverse("territory:commune_list")))
    assert order_in(shown, EXPECTED) == EXPECTED


def test_the_commune_picker_of_a_partner_structure_offers_them_in_order(client, users,
                                                                        communes):
    client.force_login(users["coordinator"])
    html = client.get(reverse("territory:organization_create")).content.decode()
    select = re.search(r'<select name="commune".*?</select>', html, re.S).group(0)
    options = [re.sub(r"\s+\(\d+\)$", "", text.strip())
               for text in re.findall(r"<option[^>]*>([^<]*)</option>", select)]
    assert [o for o in options if o in EXPECTED] == EXPECTED


def test_the_map_table_lists_them_in_order(client, users, communes):
    client.force_login(users["coordinator"])
    shown = table_text(client.get(reverse("territory:map")))
    assert order_in(shown, EXPECTED) == EXPECTED
    data = client.get(reverse("territory:map_data")).json()
    assert [c["name"] for c in data["communes"] if c["name"] in EXPECTED] == EXPECTED


def test_partner_structures_and_professionals_in_order(client, users, crt_a):
    """The directory's two lists: « Équipe mobile » among the E's, « Écuyer » before « Martin »."""
    for name in ("SSIAD du Segréen", "équipe de soins palliatifs", "Aide à domicile Anjou",
                 "Équipe mobile gériatrique"):
        OrganizationFactory(crt=crt_a, name=name)
    for last_name in ("Martin", "écuyer", "Durand", "Éluard"):
        ProfessionalFactory(crt=crt_a, last_name=last_name)
    client.force_login(users["coordinator"])
    structures = ["Aide à domicile Anjou", "équipe de soins palliatifs",
                  "Équipe mobile gériatrique", "SSIAD du Segréen"]
    shown = table_text(client.get(reverse("territory:organization_list")))
    assert order_in(shown, structures) == structures
    people = ["Durand", "écuyer", "Éluard", "Martin"]
    shown = table_text(client.get(reverse("territory:professional_list")))
    assert order_in(shown, people) == people
