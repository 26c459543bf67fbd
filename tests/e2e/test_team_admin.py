"""Journeys: the coordinator adds a team member, and opens a caregiver's portal access from the
file; the caregiver chooses a password through the link, in her own browser, and sees the
portal. axe-core on every page."""

from playwright.sync_api import expect

from maillage.beneficiaries.models import Caregiver
from maillage.core.models import Membership

from .test_login_journeys import log_in

PASSWORD = "Glycines-en-fleur-2026"



def test_coordinator_adds_a_member_from_the_team_page(demo, open_page):
    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    p.menu_entry("Équipe").click()
    page.wait_for_url("**/equipe/")
    p.check_accessibility()
    page.get_by_role("link", name="Ajouter une personne").click()
    page.wait_for_url("**/equipe/ajouter/")
    p.check_accessibility()
    assert page.get_by_label("Direction / pilotage").count() == 0
    page.locator("#id_last_name").fill("Lemoine")  # "Nom" is also in "Prénom"
    page.get_by_label("Prénom").fill("Karine")
    page.get_by_label("Identifiant de connexion").fill("coordinator")
    page.get_by_label("Infirmier·ère").check()
    page.get_by_role("button", name="Ajouter").click()
    expect(page.get_by_text("Cet identifiant est déjà pris")).to_be_visible()
    p.check_accessibility()
    page.get_by_label("Identifiant de connexion").fill("karine.lemoine")
    page.get_by_role("button", name="Ajouter").click()
    page.wait_for_url("**/equipe/")
    expect(page.get_by_role("heading", name="Lien pour choisir le mot de passe de Karine "
                                            "Lemoine")).to_be_visible()
    p.check_accessibility()
    membership = Membership.objects.get(user__username="karine.lemoine")
    assert list(membership.roles.values_list("role", flat=True)) == ["nurse"]


def test_caregiver_portal_access_from_the_file(demo, open_page):
    caregiver = (Caregiver.objects.filter(crt__name="CRT Anjou Bleu", user__isnull=True)
                 .select_related("beneficiary").order_by("pk").first())
    b = caregiver.beneficiary
    name = f"{caregiver.first_name} {caregiver.last_name}"

    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    p.goto(f"/beneficiaires/{b.public_id}/")
    page.get_by_role("link", name="Accès au portail").click()
    page.wait_for_url(f"**/portail/acces/{b.public_id}/")
    p.check_accessibility()
    page.get_by_role("link", name=f"Créer l'accès pour {name}").click()
    page.wait_for_url("**/creer/")
    p.check_accessibility()
    username = page.get_by_label("Identifiant de connexion").input_value()
    assert username  # suggested from the caregiver's name
    page.get_by_role("button", name="Créer l'accès").click()
    page.wait_for_url(f"**/portail/acces/{b.public_id}/")
    expect(page.get_by_text(f"L'accès au portail de {name} est créé.")).to_be_visible()
    new_link = page.get_by_role("region", name=f"Lien pour choisir le mot de passe de {name}")
    expect(new_link).to_contain_text("expire dans 3 jours")
    p.check_accessibility()
    link = page.locator("#password-link").inner_text().strip()
    assert "/mot-de-passe/definir/" in link

    # The caregiver, in her own browser.
    q = open_page(width=360, height=740)
    mobile = q.page
    mobile.goto(link)
    mobile.wait_for_url("**/choisir/")
    assert mobile.locator("h1").inner_text() == "Choisir votre mot de passe"
    q.check_accessibility()
    mobile.locator("#id_new_password1").fill("court")
    mobile.get_by_label("Nouveau mot de passe (confirmation)").fill("court")
    mobile.get_by_role("button", name="Enregistrer mon mot de passe").click()
    expect(mobile.get_by_text("Ce mot de passe est trop court")).to_be_visible()
    q.check_accessibility()
    mobile.locator("#id_new_password1").fill(PASSWORD)
    mobile.get_by_label("Nouveau mot de passe (confirmation)").fill(PASSWORD)
    mobile.get_by_role("button", name="Enregistrer mon mot de passe").click()
    mobile.wait_for_url("**/connexion/")
    expect(mobile.get_by_text("Votre mot de passe est enregistré")).to_be_visible()
    q.check_accessibility()
    mobile.get_by_label("Identifiant").fill(username)
    mobile.get_by_label("Mot de passe").fill(PASSWORD)
    mobile.get_by_role("button", name="Se connecter").click()
    mobile.wait_for_url(q.base_url + "/")
    assert mobile.locator("h1").inner_text() == f"L'accompagnement de {b.display_name}"
    q.check_accessibility()
    assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The link served once.
    mobile.goto(link)
    assert mobile.locator("h1").inner_text() == "Lien invalide ou expiré"
