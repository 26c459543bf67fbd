"""Pro Santé Connect login through a local OpenID Connect provider (``psc_provider``): a real
HTTP server on 127.0.0.1 with signed JWTs, never the network, never a mock of our code."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.core.tests.factories import member
from maillage.core.tests.helpers import visible_text
from maillage.interop import psc
from maillage.territory.tests.factories import ProfessionalFactory

from .psc_provider import RPPS, PscProvider


@pytest.fixture(scope="session")
def psc_server():
    server = PscProvider().start()
    yield server
    server.stop()


@pytest.fixture
def provider(psc_server, settings):
    psc_server.reset()
    for name, value in psc_server.settings().items():
        setattr(settings, name, value)
    return psc_server


@pytest.fixture
def nurse(crt_a, make_user):
    """A team member whose RPPS the coordination entered."""
    return make_user(crt_a, Role.NURSE, username="claire.moreau", first_name="Claire",
                     last_name="Moreau", psc_identifier=RPPS)


def start(client, next_url: str = "") -> str:
    """Click « Se connecter avec Pro Santé Connect », let the provider approve: the URL PSC
    sends the browser back to."""
    url = reverse("psc:login") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302
    approved = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert approved.status_code == 302
    back = urlsplit(approved.headers["Location"])
    assert back.path == reverse("psc:callback")
    return f"{back.path}?{back.query}"


def psc_login(client, next_url: str = ""):
    return client.get(start(client, next_url), follow=True)


def logged_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_button_shows_only_when_configured(client, db, settings):
    settings.PSC_ENABLED = False
    page = visible_text(client.get(reverse("core:login")))
    assert "Pro Santé Connect" not in page
    assert client.get(reverse("psc:login")).status_code == 404
    settings.PSC_ENABLED = True
    page = visible_text(client.get(reverse("core:login")))
    assert "Se connecter avec Pro Santé Connect" in page


def test_success_links_the_identity_and_opens_the_home_page(client, provider, nurse, crt_a):
    response = psc_login(client)
    assert response.status_code == 200
    text = visible_text(response)
    assert "Vous êtes connecté·e avec Pro Santé Connect." in text and "CRT A" in text
    assert logged_in_user(client) == nurse
    # What PSC asks for: its scope and the eIDAS substantial level, with state, nonce, PKCE.
    asked = provider.authorize_requests[-1]
    assert asked["scope"] == "openid scope_all" and asked["acr_values"] == "eidas1"
    assert asked["state"] and asked["nonce"] and asked["code_challenge_method"] == "S256"
    assert provider.token_requests[-1]["code_verifier"]
    nurse.refresh_from_db()
    assert nurse.psc_sub == provider.identity["sub"] and nurse.psc_linked_at
    linked = AuditEvent.objects.get(action="auth.psc_linked")
    assert (linked.actor, linked.crt, linked.details) == (nurse, crt_a, {"rpps_adeli": RPPS})
    login = AuditEvent.objects.get(action="auth.login")
    assert login.actor == nurse and login.details == {"méthode": "Pro Santé Connect"}
    # The next login finds the linked account again, without linking twice.
    client.logout()
    assert logged_in_user(Client()) is None
    psc_login(client)
    assert logged_in_user(client) == nurse
    assert AuditEvent.objects.filter(action="auth.psc_linked").count() == 1


def test_someone_of_two_crts_chooses_one_as_after_a_password_login(client, provider, nurse,
                                                                    crt_b):
    member(nurse, crt_b, Role.COORDINATOR)
    response = psc_login(client)
    assert response.redirect_chain[-1][0] == reverse("core:crt_choose")
    text = visible_text(response)
    assert "CRT A" in text and "CRT B" in text


def test_client_secret_by_http_basic(client, provider, nurse, settings):
    settings.PSC_TOKEN_AUTH_BASIC = True
    psc_login(client)
    assert logged_in_user(client) == nurse
    assert "client_secret" not in provider.token_requests[-1]


def test_next_page_is_kept(client, provider, nurse):
    response = psc_login(client, next_url=reverse("core:notifications"))
    assert response.redirect_chain[-1][0] == reverse("core:notifications")


def test_unknown_rpps_never_creates_an_account(client, provider, crt_a, make_user):
    make_user(crt_a, Role.NURSE, username="sans.rpps")
    accounts = get_user_model().objects.count()
    response = psc_login(client)
    assert response.request["PATH_INFO"] == reverse("core:login")
    assert "Aucun compte Maillage n'est rattaché à votre identité Pro Santé Connect" in (
        visible_text(response))
    assert "demandez à la coordination de vous inviter" in visible_text(response)
    assert logged_in_user(client) is None
    assert get_user_model().objects.count() == accounts
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.details == {"méthode": "Pro Santé Connect",
                              "motif": "aucun compte pour ce numéro", "rpps_adeli": RPPS}
    # django-axes counts it like a wrong password.
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_an_idnatps_with_neither_rpps_nor_adeli_finds_nobody(client, provider, nurse):
    provider.identity["SubjectNameID"] = "3" + "750712184/123456"
    response = psc_login(client)
    assert "Aucun compte Maillage" in visible_text(response)
    assert logged_in_user(client) is None


def test_adeli_number(client, provider, crt_a, make_user):
    person = make_user(crt_a, Role.CARE_AIDE, psc_identifier="751234567",
                       last_name="Moreau-Lefèvre")
    provider.identity["SubjectNameID"] = "0751234567"
    psc_login(client)
    assert logged_in_user(client) == person


def test_wrong_acr_is_refused(client, provider, nurse):
    provider.acr = "eidas0"
    response = psc_login(client)
    assert "n'a pas confirmé une authentification par carte CPS" in visible_text(response)
    assert logged_in_user(client) is None
    nurse.refresh_from_db()
    assert nurse.psc_sub == ""
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.details["motif"] == "niveau d'authentification « eidas0 » au lieu de « eidas1 »"


def test_expired_id_token_is_refused(client, provider, nurse):
    provider.id_token_lifetime = -120
    response = psc_login(client)
    assert "La réponse de Pro Santé Connect a expiré" in visible_text(response)
    assert logged_in_user(client) is None


def test_forged_signature_is_refused(client, provider, nurse):
    provider.signing_key = provider.forged_key()
    response = psc_login(client)
    assert response.status_code == 200
    assert "La connexion avec Pro Santé Connect n'a pas abouti" in visible_text(response)
    assert logged_in_user(client) is None


def test_id_token_of_another_issuer_is_refused(client, provider, nurse, settings):
    settings.PSC_ISSUER = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"
    response = psc_login(client)
    assert "n'a pas abouti" in visible_text(response)
    assert logged_in_user(client) is None


def test_replayed_state_is_refused_in_french(client, provider, nurse):
    back = start(client)
    client.get(back)
    assert logged_in_user(client) == nurse
    # The same return again (its state was used): refused; the session in place stays (a
    # link with a made-up state must not log anyone out).
    logins = AuditEvent.objects.filter(action="auth.login").count()
    response = client.get(back, follow=True)
    assert response.status_code == 200
    assert "a expiré ou a déjà été utilisée" in visible_text(response)
    assert logged_in_user(client) == nurse
    assert AuditEvent.objects.filter(action="auth.login").count() == logins
    # In another browser (the state belongs to no session there): the same.
    other = Client()
    response = other.get(back, follow=True)
    assert "a expiré ou a déjà été utilisée" in visible_text(response)
    assert logged_in_user(other) is None
    assert AuditEvent.objects.filter(action="auth.login_failed",
                                     details__motif="état (state) inconnu ou déjà utilisé"
                                     ).count() == 2


def test_a_made_up_return_logs_nobody_out(client, provider, nurse):
    client.force_login(nurse)
    for query in ({"code": "x", "state": "invente"}, {"error": "access_denied"}):
        response = client.get(reverse("psc:callback"), query, follow=True)
        assert response.status_code == 200
        assert "a expiré ou a déjà été utilisée" in visible_text(response)
        assert logged_in_user(client) == nurse


def test_provider_error_comes_back_in_french(client, provider, nurse):
    client.get(reverse("psc:login"))
    state = next(iter(client.session["oidc_states"]))
    response = client.get(reverse("psc:callback"), {"error": "access_denied", "state": state},
                          follow=True)
    assert "a été annulée ou refusée" in visible_text(response)
    assert logged_in_user(client) is None


def test_userinfo_as_signed_jwt(client, provider, nurse):
    provider.userinfo_as_jwt = True
    psc_login(client)
    assert logged_in_user(client) == nurse


def test_userinfo_jwt_with_a_forged_signature_is_refused(client, provider, nurse):
    provider.userinfo_as_jwt = True
    provider.userinfo_signing_key = provider.forged_key()
    response = psc_login(client)
    assert "n'a pas abouti" in visible_text(response)
    assert logged_in_user(client) is None


def test_deactivated_membership_or_account_is_refused(client, provider, nurse, crt_a):
    Membership.objects.filter(user=nurse).update(is_active=False)
    response = psc_login(client)
    assert "Ce compte Maillage est désactivé ou votre accès au CRT est terminé" in (
        visible_text(response))
    assert logged_in_user(client) is None
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.object_id == str(nurse.public_id)
    # A membership left with no role opens nothing either.
    Membership.objects.filter(user=nurse).update(is_active=True)
    Membership.objects.get(user=nurse).roles.all().delete()
    assert "Ce compte Maillage est désactivé" in visible_text(psc_login(client))
    assert logged_in_user(client) is None
    Membership.objects.get(user=nurse).roles.create(role=Role.NURSE)
    get_user_model().objects.filter(pk=nurse.pk).update(is_active=False)
    response = psc_login(client)
    assert "Ce compte Maillage est désactivé" in visible_text(response)
    assert logged_in_user(client) is None


def test_a_colleague_cannot_link_their_card_to_someone_elses_account(client, provider,
                                                                    crt_a, make_user):
    """The number on the account is the coordinator's own RPPS, the account is a nurse's: the
    coordinator's card (their name) does not open it."""
    nurse = make_user(crt_a, Role.NURSE, last_name="Lemoine", psc_identifier=RPPS)
    response = psc_login(client)
    assert "Le nom transmis par Pro Santé Connect ne correspond pas" in visible_text(response)
    assert logged_in_user(client) is None
    nurse.refresh_from_db()
    assert nurse.psc_sub == ""
    # The practice name counts as well as the civil name.
    provider.identity["SubjectRefPro"]["exercices"][0]["nomDexercice"] = "LEMOINE"
    psc_login(client)
    assert logged_in_user(client) == nurse


def test_an_account_linked_to_another_identity_is_refused(client, provider, nurse):
    get_user_model().objects.filter(pk=nurse.pk).update(psc_sub="f:autre-identite")
    response = psc_login(client)
    assert "déjà rattaché à une autre identité Pro Santé Connect" in visible_text(response)
    assert logged_in_user(client) is None


def test_partner_professional_of_the_directory(client, provider, crt_a, make_user):
    account = make_user(crt_a, Role.PARTNER, username="dr.moreau", last_name="Moreau")
    ProfessionalFactory(crt=crt_a, rpps=RPPS, user=account)
    ProfessionalFactory(crt=crt_a, rpps="10009999999")  # no account: never a login
    psc_login(client)
    assert logged_in_user(client) == account
    account.refresh_from_db()
    assert account.psc_identifier == RPPS and account.psc_sub


def test_a_directory_entry_without_account_opens_nothing(client, provider, crt_a):
    ProfessionalFactory(crt=crt_a, rpps=RPPS)
    response = psc_login(client)
    assert "Aucun compte Maillage" in visible_text(response)
    assert logged_in_user(client) is None


def test_repeated_failures_lock_out(client, provider, crt_a):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        psc_login(client)
    response = client.get(start(client))
    assert response.status_code == 429
    assert "Compte bloqué temporairement" in visible_text(response)


def test_logout_ends_the_psc_session_too(client, provider, nurse):
    psc_login(client)
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        provider.settings()["PSC_LOGOUT_ENDPOINT"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["post_logout_redirect_uri"] == "http://testserver" + reverse("core:login")
    assert query["id_token_hint"].count(".") == 2
    assert logged_in_user(client) is None
    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.headers["Location"] == query["post_logout_redirect_uri"]
    assert provider.logouts[-1]["id_token_hint"] == query["id_token_hint"]


def test_password_logout_stays_local(client, provider, nurse):
    client.force_login(nurse)
    response = client.post(reverse("core:logout"))
    assert response["Location"] == reverse("core:login")


def test_family_names():
    assert psc.psc_family_names({"family_name": "LE GOFF-HÉLIÈS"}) == {"goff", "helies"}
    assert psc.psc_family_names({"SubjectRefPro": "x"}) == set()


@pytest.mark.parametrize(("id_nat_ps", "number"), [
    ("810001234567", "10001234567"), ("0751234567", "751234567"), ("10001234567", None),
    ("3750712184/123456", None), ("", None), ("8100012345ab", None)])
def test_professional_number(id_nat_ps, number):
    assert psc.professional_number(id_nat_ps) == number


def _settings_with(**env) -> dict:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json; from django.conf import settings as s; print(json.dumps({"
            "'enabled': s.PSC_ENABLED, 'issuer': s.PSC_ISSUER, 'token': s.PSC_TOKEN_ENDPOINT, "
            "'form_action': [str(x) for x in "
            "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']]}))")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PSC_")}
    environment.update({"DJANGO_SETTINGS_MODULE": "maillage.settings", **env})
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[3],
        env=environment, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def test_settings_from_the_environment():
    off = _settings_with()
    assert off["enabled"] is False and off["form_action"] == ["'self'"]
    assert off["issuer"] == "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet"
    on = _settings_with(PSC_CLIENT_ID="maillage-crt",
                        PSC_ISSUER="https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet")
    assert on["enabled"] is True
    assert on["token"] == ("https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet/protocol/"
                           "openid-connect/token")
    assert on["form_action"] == ["'self'", "https://auth.esw.esante.gouv.fr"]
    assert _settings_with(PSC_CLIENT_ID="x", PSC_ENABLED="false")["enabled"] is False


def test_the_test_identity_carries_a_valid_rpps():
    """The local provider's professional has an RPPS with its check digit, as the team page
    requires of the number it records (``validate_rpps``)."""
    from maillage.core.validators import validate_rpps

    from .psc_provider import RPPS

    validate_rpps(RPPS)
