"""People in the order a French reader expects, accents and case aside: « ÉLUARD » among the
E's, not after « ZOLA » (SQLite compares bytes; see ``maillage.core.collation``)."""

import pytest
from django.apps import apps
from django.urls import reverse

from maillage.beneficiaries.models import Beneficiary
from maillage.care.models import Domain
from maillage.core.collation import french
from maillage.core.models import Region
from maillage.core.tests.factories import CrtFactory
from maillage.core.tests.helpers import order_in, table_text, visible_text
from maillage.lodging.tests.factories import room

from .factories import BeneficiaryFactory, CaregiverFactory, join_care_team


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
    """Four people, and a fifth shown by her used name: « TESSIER Suzanne (née AUBERT) » is
    among the T's, by the name every list shows, not among the A's."""
    return [BeneficiaryFactory(crt=crt_a, birth_name=name, first_names=first, first_name=first)
            for name, first in (("ZOLA", "Émile"), ("ÉLUARD", "Émile"), ("DURAND", "Élise"),
                                ("DURAND", "Edmond"))] + [
        BeneficiaryFactory(crt=crt_a, birth_name="AUBERT", used_name="TESSIER",
                           first_names="Suzanne", first_name="Suzanne")]


PEOPLE = ["DURAND Edmond", "DURAND Élise", "ÉLUARD Émile", "TESSIER Suzanne", "ZOLA Émile"]


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


def test_a_files_caregivers_are_in_the_order_of_names(client, users, crt_a):
    """The file lists the caregivers in the models' default order (no ``order_by`` of its
    own): the main caregiver first, then the others by name, « Éluard » among the E's."""
    person = BeneficiaryFactory(crt=crt_a)
    for last, first, main in (("Zola", "Anne", False), ("Éluard", "Paul", False),
                              ("Durand", "Marc", False), ("Vidal", "Rose", True),
                              ("Eymard", "Alice", False)):
        CaregiverFactory(crt=crt_a, beneficiary=person, last_name=last, first_name=first,
                         is_main=main)
    client.force_login(users["coordinator"])
    shown = visible_text(client.get(reverse("beneficiaries:detail", args=[person.public_id])))
    expected = ["Rose Vidal", "Marc Durand", "Paul Éluard", "Alice Eymard", "Anne Zola"]
    assert order_in(shown, expected) == expected


NAMES = ("Zinnia", "Érable", "Acacia", "Escalier")
MAKE = {
    "core.Region": lambda i, name, crt: Region.objects.create(code=f"8{i}", name=name),
    "core.Crt": lambda i, name, crt: CrtFactory(name=name),
    "care.Domain": lambda i, name, crt: Domain.objects.create(crt=crt, code=f"d{i}", name=name),
    "lodging.Room": lambda i, name, crt: room(crt, name=name),
}


@pytest.mark.parametrize("model", MAKE)
def test_models_named_by_a_name_are_in_french_order_by_default(model, crt_a):
    """Where a list gives no order of its own, the model's names still come in the French
    order (``Meta.ordering`` by ``core.collation.french``)."""
    for i, name in enumerate(NAMES):
        MAKE[model](i, name, crt_a)
    found = [name for name in apps.get_model(model).objects.values_list("name", flat=True)
             if name in NAMES]
    assert found == ["Acacia", "Érable", "Escalier", "Zinnia"]
