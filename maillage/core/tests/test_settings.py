"""Production settings: refuse to start without a secret, `check --deploy` clean, HSTS."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run(code: str, **env) -> subprocess.CompletedProcess:
    dropped = {"SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "FIELD_ENCRYPTION_KEY"}
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment.update({"DJANGO_SETTINGS_MODULE": "maillage.settings", **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=120,
    )


PROD = {
    "MAILLAGE_ENV": "production",
    "SECRET_KEY": "k" * 20 + "a-long-and-random-production-secret-3f9c1e7b5d2a",
    "ALLOWED_HOSTS": "crt.example.fr",
    "FIELD_ENCRYPTION_KEY": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
}


def test_production_refuses_to_start_without_secret_key():
    result = run("import django; django.setup()", MAILLAGE_ENV="production",
                 ALLOWED_HOSTS="crt.example.fr", FIELD_ENCRYPTION_KEY=PROD["FIELD_ENCRYPTION_KEY"])
    assert result.returncode != 0
    assert "SECRET_KEY is required in production" in result.stderr


def test_production_refuses_to_start_without_field_encryption_key(tmp_path):
    env = {k: v for k, v in PROD.items() if k != "FIELD_ENCRYPTION_KEY"}
    result = run("import django; django.setup()", MAILLAGE_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is required in production" in result.stderr


def test_production_refuses_to_start_with_debug(tmp_path):
    result = run("import django; django.setup()", MAILLAGE_VAR_DIR=str(tmp_path), DEBUG="true",
                 **PROD)
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


@pytest.mark.parametrize("key", [
    "changeme",  # short
    "x" * 60,  # long but one character
    "django-insecure-" + "9f3c1e7b5d2a8f6e4c0b" * 3,  # Django's startproject default
])
def test_production_refuses_a_weak_secret_key(tmp_path, key):
    result = run("import django; django.setup()", MAILLAGE_VAR_DIR=str(tmp_path),
                 **{**PROD, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak for production" in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run(
        "from django.core.management import execute_from_command_line;"
        "execute_from_command_line(['maillage', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PROD,
        MAILLAGE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_security_settings(tmp_path):
    result = run(
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_SSL_REDIRECT, s.DEBUG, s.PASSWORD_HASHERS[0].rsplit('.', 1)[-1])",
        **PROD,
        MAILLAGE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "True", "31536000", "True", "False", "Argon2PasswordHasher"
    ]


def test_demo_secret_key_is_generated_once(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.SECRET_KEY)"
    )
    first = run(code, MAILLAGE_VAR_DIR=str(tmp_path))
    second = run(code, MAILLAGE_VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").read_text().strip() == first.stdout.strip()


def test_production_probes_are_answered_over_plain_http_and_pages_redirected(tmp_path):
    """The container engine and Prometheus talk HTTP to the instance inside the platform's
    network: /healthz is answered there, a page still goes to HTTPS."""
    result = run(
        "import django; django.setup(); from django.test import Client; c = Client();"
        "print(c.get('/healthz', HTTP_HOST='crt.example.fr').status_code,"
        " c.get('/connexion/', HTTP_HOST='crt.example.fr').status_code,"
        " c.get('/connexion/', HTTP_HOST='crt.example.fr')['Location'])",
        **PROD,
        MAILLAGE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "301", "https://crt.example.fr/connexion/"]
