"""A database that cannot be reached answers 503 « Service momentanément indisponible » (HTML
page without navigation, or each API's JSON), with ``Retry-After``, logged as one warning and
not as a crash; any other error keeps the 500 page.

The database is made unreachable for real: the default connection is replaced, for the time of
one request, by a connection of the same backend to a place where no database is (a closed port
on PostgreSQL, a file in a missing directory on SQLite). The errors are the driver's own.
The PostgreSQL restart under load is in ``tests/faults/test_postgres_restart.py``."""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.test import Client, RequestFactory

from maillage.core.error_pages import RETRY_AFTER_SECONDS, server_error
from maillage.core.tests.smtp import free_port

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Service momentanément indisponible"


@contextmanager
def database_unreachable(tmp_path):
    real = connections[DEFAULT_DB_ALIAS]
    settings = dict(real.settings_dict)
    if real.vendor == "sqlite":
        settings["NAME"] = str(tmp_path / "missing-directory" / "db.sqlite3")
    else:
        settings.update(HOST="127.0.0.1", PORT=str(free_port()))
    connections[DEFAULT_DB_ALIAS] = real.__class__(settings, DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = real


@pytest.fixture
def browser(users):
    client = Client(raise_request_exception=False)
    client.force_login(users["coordinator"])  # the session is in the database
    return client


def test_a_page_answers_503_in_french_without_navigation_when_the_database_is_down(
        browser, tmp_path, caplog, settings, mailoutbox):
    settings.ADMINS = [("Exploitation", "exploitation@example.fr")]
    with database_unreachable(tmp_path), caplog.at_level(logging.INFO):
        response = browser.get("/")
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/html")
    assert f"<h1 class=\"h3\">{UNAVAILABLE}</h1>" in page
    assert "Réessayez dans un instant" in page
    assert "Se déconnecter" not in page  # no navigation: it needs the database
    # An outage, not a crash: one warning, no error record (mailed to ADMINS) or traceback.
    mine = [r for r in caplog.records if r.name == "maillage.errors"]
    assert [(r.levelname, r.getMessage()) for r in mine] == [
        ("WARNING", "Database unavailable (OperationalError): GET / answered 503")]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert mailoutbox == []  # no crash report to ADMINS
    # The database is back: the same client is served again.
    assert browser.get("/").status_code == 200


def test_a_form_sent_during_the_outage_answers_503(browser, tmp_path):
    with database_unreachable(tmp_path):
        response = browser.post("/mot-de-passe/", {"old_password": "x"})
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()


def test_the_fhir_api_answers_an_operation_outcome(tmp_path):
    client = Client(raise_request_exception=False)
    with database_unreachable(tmp_path):
        response = client.get("/fhir/R4/Patient", HTTP_AUTHORIZATION="Bearer jeton",
                              HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("application/fhir+json")
    issue = json.loads(response.content)["issue"][0]
    assert (issue["severity"], issue["code"]) == ("error", "transient")
    assert issue["details"]["text"].startswith(UNAVAILABLE)


def test_the_offline_api_answers_its_json_error(users, tmp_path):
    client = Client(raise_request_exception=False)
    client.force_login(users["nurse"])
    with database_unreachable(tmp_path):
        response = client.post("/hors-ligne/api/synchro/", "{}",
                               content_type="application/json")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert json.loads(response.content)["error"].startswith(UNAVAILABLE)


def test_a_client_asking_for_json_gets_json(browser, tmp_path):
    with database_unreachable(tmp_path):
        response = browser.get("/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert json.loads(response.content)["error"].startswith(UNAVAILABLE)


def test_another_error_keeps_the_500_page():
    request = RequestFactory().get("/")
    try:
        raise ValueError("un bogue")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
    assert "Une erreur est survenue" in response.content.decode()
    assert "Retry-After" not in response


@contextmanager
def on_session_statement(verb, action):
    """Runs ``action(execute, sql, params, many, context)`` instead of the request's ``verb``
    (SELECT, UPDATE) on the session table (Django's documented ``execute_wrapper``), every
    other statement as is."""
    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(verb) and "django_session" in sql:
            return action(execute, sql, params, many, context)
        return execute(sql, params, many, context)

    with connections[DEFAULT_DB_ALIAS].execute_wrapper(wrapper):
        yield


def test_the_database_lost_while_the_session_is_saved_answers_503_not_400(browser, caplog):
    # The view has run; the connection drops when the session is written after it. Django would
    # answer its English 400 « Bad Request » (an interrupted session).
    def lost(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with on_session_statement("UPDATE", lost), caplog.at_level(logging.WARNING):
        response = browser.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert f"<h1 class=\"h3\">{UNAVAILABLE}</h1>" in response.content.decode()
    assert [r.getMessage() for r in caplog.records if r.name == "maillage.errors"] == [
        "Database unavailable (OperationalError): GET / answered 503"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_session_ended_during_the_request_answers_the_french_400(browser, users):
    # A logout in another tab deletes the session's row once this request has read it: the save
    # that follows the view finds no row. Not an outage: the French « demande interrompue » page.
    def logged_out_elsewhere(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("DELETE FROM django_session")
        return result

    with on_session_statement("SELECT", logged_out_elsewhere):
        response = browser.get("/")
    page = response.content.decode()
    assert response.status_code == 400
    assert '<html lang="fr">' in page
    assert "Votre demande n'a pas pu être traitée" in page
    assert "déconnexion dans un autre onglet" in page
    # Signed out for real: the next page is the anonymous one.
    assert "Se déconnecter" not in browser.get("/").content.decode()
