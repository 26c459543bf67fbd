"""Pro Santé Connect in a browser: the professional clicks « Se connecter avec Pro Santé
Connect », the local OIDC provider on 127.0.0.1 (``maillage/interop/tests/psc_provider.py``,
standing for the CPS card / e-CPS approval) sends them back logged in; the logout ends the PSC
session too and comes back to the login page; an identity no one invited is turned away in
French. axe-core on each page."""

import copy

import pytest

from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member
from maillage.interop.tests.psc_provider import RPPS, PscProvider
from maillage.settings import psc_form_action


@pytest.fixture
def provider(settings):
    server = PscProvider().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    # What settings.py does when PSC is configured, for this provider's port.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    psc_form_action(policy, server.settings()["PSC_LOGOUT_ENDPOINT"])
    settings.CONTENT_SECURITY_POLICY = policy
    yield server
    server.stop()


def test_login_and_logout_through_pro_sante_connect(transactional_db, provider, open_page):
    crt = CrtFactory(name="CRT des Glycines")
    nurse = UserFactory(username="claire.moreau", first_name="Claire", last_name="Moreau",
                        psc_identifier=RPPS)
    member(nurse, crt, Role.NURSE)
    p = open_page()
    page = p.page
    p.goto("/")
    assert page.locator("h1").inner_text() == "Connexion"
    p.check_accessibility()
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.wait_for_url(p.base_url + "/")
    assert page.get_by_text("Vous êtes connecté·e avec Pro Santé Connect.").is_visible()
    assert "Bonjour Claire" in page.locator("h1").inner_text()
    p.check_accessibility()
    nurse.refresh_from_db()
    assert nurse.psc_sub == provider.identity["sub"]

    p.menu_entry("Se déconnecter", "button", exact=False).click()
    page.wait_for_url(p.base_url + "/connexion/")
    assert page.locator("h1").inner_text() == "Connexion"
    assert len(provider.logouts) == 1
    assert provider.logouts[0]["post_logout_redirect_uri"] == p.base_url + "/connexion/"
    p.check_accessibility()

    # Someone PSC knows but no one invited: back to the login page, told what to do.
    provider.identity["SubjectNameID"] = "810009999999"
    provider.identity["sub"] = "f:personne-inconnue"
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    page.wait_for_url(p.base_url + "/connexion/")
    assert page.get_by_text("Aucun compte Maillage n'est rattaché à votre identité Pro Santé "
                            "Connect").is_visible()
    p.check_accessibility()
