"""The birthplace is chosen by typing a commune name: the combobox proposes places, the
keyboard picks one, the INSEE code is filled in and saved. axe-core on the open list."""

import pytest
from playwright.sync_api import expect

from maillage.beneficiaries.models import Beneficiary
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member
from maillage.territory.tests.factories import CommuneFactory


@pytest.fixture
def coordinator(transactional_db):
    crt = CrtFactory(name="CRT Anjou Bleu")
    CommuneFactory(crt=crt, insee_code="49054", postal_code="49440", name="Candé")
    user = UserFactory(username="idec")
    member(user, crt, Role.COORDINATOR)
    return user


def log_in(p):
    p.goto("/")
    p.page.get_by_label("Identifiant").fill("idec")
    p.page.get_by_label("Mot de passe").fill("mot-de-passe-test-1")
    p.page.get_by_role("button", name="Se connecter").click()
    p.page.wait_for_url(p.base_url + "/")


def test_a_former_commune_is_picked_with_the_keyboard(coordinator, open_page):
    p = open_page()
    log_in(p)
    page = p.page
    p.goto("/beneficiaires/nouveau/")
    page.locator("#id_birth_name").fill("Rousselot")
    page.locator("#id_first_names").fill("Albertine")
    page.locator("#id_first_name").fill("Albertine")
    page.locator("#id_birth_date").fill("1935-03-08")
    page.locator("#id_sex").select_option("F")

    search = page.get_by_role("combobox", name="Lieu de naissance (commune ou pays)")
    search.press_sequentially("segre", delay=30)
    listbox = page.get_by_role("listbox", name="Lieux de naissance proposés")
    expect(listbox).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text("Segré")
    expect(first).to_contain_text("commune déléguée de Segré-en-Anjou Bleu")
    p.check_accessibility()

    search.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    search.press("Enter")  # chooses, does not submit
    expect(listbox).to_be_hidden()
    expect(search).to_have_value("Segré")
    expect(page.locator("#id_birth_place_code")).to_have_value("49331")
    expect(page.locator("#id_birth_place_code_help")).to_contain_text("49331 : Segré")

    page.locator("#id_address").fill("4 rue des Forges")
    page.locator("#id_commune").select_option(label="Candé (49440)")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    expect(page.locator("h1")).to_have_text("ROUSSELOT Albertine")
    expect(page.get_by_text("Segré, Maine-et-Loire (49) — code INSEE 49331")).to_be_visible()
    assert Beneficiary.objects.get().birth_place_code == "49331"
    p.check_accessibility()
