"""Journeys: the coordinator and the auditor log in and use their pages; axe-core on each."""

from playwright.sync_api import expect

from maillage.core.demo import DEMO_PASSWORD
from maillage.core.models import AuditEvent
from maillage.territory.models import Commune

_login_page_checked = []


def log_in(p, username):
    p.goto("/")
    assert p.page.locator("h1").inner_text() == "Connexion"
    if not _login_page_checked:  # the same page for every journey: axe once per process
        p.check_accessibility()
        _login_page_checked.append(True)
    p.page.get_by_label("Identifiant").fill(username)
    p.page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    p.page.get_by_role("button", name="Se connecter").click()
    p.page.wait_for_url(p.base_url + "/")


def test_coordinator_journey(demo, open_page):
    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    assert "Bonjour Claire" in page.locator("h1").inner_text()
    assert page.get_by_text("Chiffres clés du CRT").is_visible()
    assert page.get_by_role("link", name="Journal d'audit").count() == 0
    p.check_accessibility()

    # The main menu, its « Territoire » menu (the home's territory card links there too).
    p.menu_entry("Communes").click()
    page.wait_for_url("**/territoire/communes/")
    p.check_accessibility()
    # Live search (htmx) narrows the list.
    page.get_by_label("Commune, code INSEE ou code postal").fill("Candé")
    expect(page.locator("#communes tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Modifier Candé").click()
    page.wait_for_url("**/modifier/")
    p.check_accessibility()
    page.get_by_label("Temps de trajet depuis le site (minutes)").fill("999")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Le temps de trajet ne peut pas dépasser 240 minutes.").is_visible()
    p.check_accessibility()
    page.get_by_label("Temps de trajet depuis le site (minutes)").fill("21")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/territoire/communes/")
    assert page.get_by_text("La commune « Candé » a été mise à jour.").is_visible()
    assert Commune.objects.get(name="Candé", crt__name="CRT Anjou Bleu").travel_minutes == 21

    p.menu_entry("Se déconnecter", "button", exact=False).click()  # in « Mon compte »
    page.wait_for_url("**/connexion/")


def test_auditor_journey_on_a_phone(demo, open_page):
    p = open_page(width=360, height=740)
    log_in(p, "auditor")
    page = p.page
    assert page.get_by_role("heading", name="Journal d'audit").is_visible()
    p.check_accessibility()
    # The menu collapses at 360 px: open it, then go to the journal.
    page.get_by_role("button", name="Ouvrir le menu").click()
    page.get_by_role("link", name="Journal d'audit").click()
    page.wait_for_url("**/audit/")
    p.check_accessibility()
    # Actions read as French labels, not codes.
    assert page.locator("tbody").get_by_text("Connexion", exact=True).first.is_visible()
    assert page.locator("tbody").get_by_text("auth.login", exact=True).count() == 0
    page.get_by_label("Action").select_option("auth.login")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url("**/audit/?*")
    assert page.get_by_text("1 événement").is_visible()
    p.check_accessibility()
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter en CSV").click()
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert content.splitlines()[0].startswith("Date;Auteur;Rôles;Action")
    assert AuditEvent.objects.filter(action="audit.exported").count() == 1
    # No horizontal scroll at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
