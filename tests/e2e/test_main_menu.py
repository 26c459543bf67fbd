"""The main navigation of the coordination (the role with the most entries) on a 1366×768 desk
screen: two lines at most (drop-down menus « Volet 2 », « Volet 1 », « Territoire »,
« Pilotage » and « Mon compte »), every entry still reachable, by mouse and by keyboard; folded
on a phone."""

from django.urls import reverse
from playwright.sync_api import expect

from .test_login_journeys import log_in

#: The coordinator's entries before the drop-down menus (one link each on up to four lines).
COORDINATOR_ENTRIES = [
    "core:home", "beneficiaries:list", "admissions:file_active", "admissions:waiting_list",
    "visits:my_day", "visits:team_day", "care:conversations", "oncall:screen", "oncall:rota",
    "care:open_alerts", "care:catalogue", "care:telehealth_overview", "lodging:rooms",
    "outreach:actions", "outreach:sessions", "surveys:home", "territory:commune_list",
    "territory:map", "territory:organization_list", "core:team", "territory:agreement_list",
    "organisation:position_list", "organisation:meeting_list", "steering:budget",
    "steering:dashboard", "steering:report_list", "core:outbox", "api_tokens:list",
    "oncall:break_glass_list", "core:notifications", "core:password_change",
]
NAV = "nav[aria-label='Navigation principale']"
SHOWN_LINKS = f"""() => [...document.querySelectorAll("{NAV} a[href^='/']")]
    .filter(a => a.checkVisibility()).map(a => a.getAttribute('href'))"""


def test_the_coordinators_menu_fits_two_lines_at_1366_px(demo, open_page):
    p = open_page(width=1366, height=768)
    log_in(p, "coordinator")
    page = p.page
    nav = page.get_by_role("navigation", name="Navigation principale")
    link = nav.get_by_role("link", name="Accueil", exact=True).bounding_box()
    # The navbar's own padding (.5rem above and below) and two lines of links, no more.
    assert nav.bounding_box()["height"] <= 2 * link["height"] + 16

    # Every entry the coordinator had is on the screen, or in one of the menus once open.
    reached = set(page.evaluate(SHOWN_LINKS))
    toggles = nav.locator(".dropdown-toggle")
    assert toggles.count() == 5
    for n in range(toggles.count()):
        toggles.nth(n).click()
        expect(toggles.nth(n)).to_have_attribute("aria-expanded", "true")
        if n == 0:
            p.check_accessibility()  # a menu open
        reached |= set(page.evaluate(SHOWN_LINKS))
        page.keyboard.press("Escape")
        expect(toggles.nth(n)).to_have_attribute("aria-expanded", "false")
    expected = {reverse(name) for name in COORDINATOR_ENTRIES}
    assert expected - reached == set()
    nav.get_by_role("button", name="Mon compte").click()
    expect(nav.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.keyboard.press("Escape")

    # By keyboard: « Pilotage » opens with Enter, the arrows walk its entries, Escape closes
    # it and gives the focus back; Enter on an entry opens its page, the menu says where.
    pilotage = nav.get_by_role("button", name="Pilotage")
    pilotage.focus()
    page.keyboard.press("Enter")
    expect(pilotage).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(nav.get_by_role("link", name="Équipe", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(pilotage).to_be_focused()
    expect(pilotage).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    for _ in range(5):  # Équipe, Postes et ETP, Gouvernance, Budget, Indicateurs
        page.keyboard.press("ArrowDown")
    expect(nav.get_by_role("link", name="Indicateurs", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**" + reverse("steering:dashboard"))
    pilotage = nav.get_by_role("button", name="Pilotage (page actuelle)")
    expect(pilotage).to_have_class("nav-link dropdown-toggle active")
    pilotage.click()
    expect(nav.get_by_role("link", name="Indicateurs", exact=True)).to_have_attribute(
        "aria-current", "page")
    p.check_accessibility()


def test_on_a_phone_the_menus_open_inside_the_folded_menu(demo, open_page):
    p = open_page(width=360, height=740)
    log_in(p, "coordinator")
    page = p.page
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("button", name="Volet 2")).to_be_hidden()
    nav.get_by_role("button", name="Ouvrir le menu").click()
    nav.get_by_role("button", name="Territoire").click()
    p.check_accessibility()
    nav.get_by_role("link", name="Carte du territoire").click()
    page.wait_for_url("**" + reverse("territory:map"))
    p.menu_entry("Mot de passe").click()
    page.wait_for_url("**" + reverse("core:password_change"))
