"""Login, logout, password change, lockout, CSRF, sessions — in French, never a 500."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from maillage.core.models import AuditEvent

from .helpers import visible_text

PASSWORD = "mot-de-passe-test-1"


def login(client, username, password=PASSWORD, **extra):
    return client.post(
        reverse("core:login"), {"username": username, "password": password}, **extra
    )


def test_login_page_is_french(client, db):
    text = visible_text(client.get(reverse("core:login")))
    assert "Connexion" in text and "Identifiant" in text and "Mot de passe" in text


def test_login_success_goes_home_and_is_audited(client, users, crt_a):
    response = login(client, "coordinator", REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    home = visible_text(client.get(reverse("core:home")))
    assert "CRT A" in home
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.crt, event.ip_address) == (
        users["coordinator"], crt_a, "198.51.100.4"
    )


def test_wrong_password_gets_a_french_message(client, users, crt_a):
    response = login(client, "coordinator", "mauvais")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in visible_text(response)
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.crt == crt_a and failed.details == {"identifiant": "coordinator"}


def test_unknown_user_gets_the_same_message(client, db):
    response = login(client, "personne", "mauvais")
    assert "Identifiant ou mot de passe incorrect." in visible_text(response)


def test_lockout_after_repeated_failures(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "nurse", "mauvais").status_code == 200
    response = login(client, "nurse", "mauvais")
    assert response.status_code == 429
    assert "Compte bloqué temporairement" in visible_text(response)
    # Even the right password is refused while locked.
    response = login(client, "nurse")
    assert response.status_code == 429
    assert not client.get(reverse("core:home")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_logout_needs_post_and_ends_the_session(client, users):
    client.force_login(users["nurse"])
    assert client.get(reverse("core:logout")).status_code == 405
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=users["nurse"]).exists()


def test_password_change(client, users):
    client.force_login(users["nurse"])
    bad = client.post(
        reverse("core:password_change"),
        {"old_password": "faux", "new_password1": "court", "new_password2": "autre"},
    )
    assert bad.status_code == 200
    text = visible_text(bad)
    assert "Votre ancien mot de passe est incorrect" in text
    ok = client.post(
        reverse("core:password_change"),
        {"old_password": PASSWORD, "new_password1": "Hortensias-2026!",
         "new_password2": "Hortensias-2026!"},
    )
    assert ok.status_code == 302
    assert "Mot de passe modifié" in visible_text(client.get(ok["Location"]))
    users["nurse"].refresh_from_db()
    assert users["nurse"].check_password("Hortensias-2026!")


def test_missing_csrf_is_refused_in_french(users):
    client = Client(enforce_csrf_checks=True)
    response = login(client, "coordinator")
    assert response.status_code == 403
    assert "Le formulaire a expiré" in visible_text(response)
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_csp_header_forbids_inline_script(client, users):
    for url in (reverse("core:login"), reverse("healthz")):
        csp = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "default-src 'self'" in csp
    client.force_login(users["coordinator"])
    page = client.get(reverse("core:home"))
    assert "Content-Security-Policy" in page
    html = page.content.decode()
    assert "<script>" not in html and "onclick=" not in html and "style=" not in html


def test_session_expires_after_inactivity(client, users):
    """The session ends 30 minutes after its last write; a signed-in user's requests push the
    expiry back, with at most one write a minute."""
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from maillage.core.middleware import SESSION_REFRESHED_KEY

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(users["coordinator"])
    key = client.session.session_key
    home = reverse("core:home")

    assert client.get(home).status_code == 200
    first = Session.objects.get(pk=key).expire_date
    now = timezone.now()
    assert now + timedelta(minutes=29) < first <= now + timedelta(minutes=30)

    # Within the minute: the session is not written again.
    assert client.get(home).status_code == 200
    assert Session.objects.get(pk=key).expire_date == first

    # A minute later, the next request pushes the expiry back.
    store = SessionStore(session_key=key)
    store[SESSION_REFRESHED_KEY] -= 61
    store.save()
    earlier = first - timedelta(minutes=5)
    Session.objects.filter(pk=key).update(expire_date=earlier)
    assert client.get(home).status_code == 200
    assert Session.objects.get(pk=key).expire_date > first

    # Past its expiry, the session is gone: back to the login page.
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_password_hasher_is_argon2_outside_tests():
    # Tests put a fast hasher first; every other setting runs Argon2 first.
    assert settings.PASSWORD_HASHERS[1] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize("url", ["/nulle-part/", "/territoire/communes/123/modifier/"])
def test_unknown_pages_are_french_404(client, users, url):
    client.force_login(users["coordinator"])
    response = client.get(url)
    assert response.status_code == 404
    assert "Page introuvable" in visible_text(response)


def test_healthz(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}  # the process only: readiness is /readyz
