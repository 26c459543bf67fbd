"""People in the order a French reader expects, accents and case aside: « ÉLUARD » among the
E's, not after « ZOLA » (SQLite compares bytes; see ``maillage.core.collation``)."""

import pytest
from django.urls import reverse

from maillage.beneficiaries.models import Beneficiary
from maillage.core.collation import french
from maillage.core.tests.helpers import order_in, table_text, visible_text

from .factories import BeneficiaryFactory, join_care_team


def test_the_helper_orders_birth_names_the_same_way(crt_a):
    for name in ("ZOLA", "éluard", "Dupont", "ÉLUARD", "EMERY"):
        BeneficiaryFactory(crt=crt_a, birth_name=name)
    names = list(Beneficiary.objects.filter(crt=crt_a).order_by(french("birth_name"))
                 .values_list("birth_name", flat=True))
    # Accents and case only part names otherwise equal (one order on every database: both
    # spellings of « Éluard » are next to each other, before « Emery »).
    assert names[0] == "Dupont" and names[-2:] == ["EMERY", "ZOLA"]
    assert set(names[1:3]) == {"ÉLUARD", "éluard"}
    reverse_order = list(Beneficiary.objects.filter(crt=crt_a)
                         .order_by(french("birth_name").desc())
                         .values_list("birth_name", flat=True))
    assert reverse_order == names[::-1]


@pytest.fixture
def people(crt_a):
    return [BeneficiaryFactory(crt=crt_a, birth_name=name, first_names=first, first_name=first)
            for name, first in (("ZOLA", "Émile"), ("ÉLUARD", "Émile"), ("DURAND", "Élise"),
                                ("DURAND", "Edmond"))]


PEOPLE = ["DURAND Edmond", "DURAND Élise", "ÉLUARD Émile", "ZOLA Émile"]


def test_the_people_list_is_in_the_order_of_names(client, users, people):
    client.force_login(users["coordinator"])
    shown = table_text(client.get(reverse("beneficiaries:list")))
    assert order_in(shown, PEOPLE) == PEOPLE


def test_the_home_panel_lists_the_people_in_the_order_of_names(client, users, people):
    for person in people:
        join_care_team(person, users["nurse"])
    client.force_login(users["nurse"])
    shown = visible_text(client.get(reverse("core:home")))
    assert order_in(shown, PEOPLE) == PEOPLE
