"""Health checks, Prometheus metrics, request ids and JSON logs without health data.

In-process tests first (the test client), then a real ``maillage serve`` (gunicorn, two workers)
scraped from outside: the counters of both workers add up, every line on its standard error is
JSON, every answer carries its request id."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import include, path, reverse
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage, SqliteStorage
from prometheus_client.parser import text_string_to_metric_families

from maillage.core.access import public
from maillage.core.models import OutboxMessage
from maillage.core.observability import JsonFormatter, TextFormatter
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.core.tests.log_scan_plugin import needles, scan
from maillage.core.tests.smtp import free_port


@HUEY.task(name="tests.observability_broken_task")
def broken_task():
    raise ValueError("Odette HAMON : chute dans la salle de bain")


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get(reverse("metrics"), **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# ---- health ----------------------------------------------------------------------------------

def test_healthz_is_the_process_alone(client, db):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_when_everything_answers(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "queue": "ok"}


def test_readyz_fails_while_the_queue_and_the_cache_are_unreachable_then_recovers(
        client, db, monkeypatch):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    monkeypatch.setattr(HUEY, "storage", RedisStorage("maillage-test", url=dead))
    with override_settings(CACHES={"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}}):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "indisponible", "database": "ok", "cache": "erreur",
                               "queue": "erreur"}
    monkeypatch.undo()
    assert client.get("/readyz").status_code == 200  # back without restarting anything


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="the in-memory SQLite test database cannot be taken away and "
                           "brought back; tests/faults restarts a real PostgreSQL")
def test_readyz_fails_while_the_database_is_unreachable_then_recovers(client):
    settings_dict = connection.settings_dict
    port = settings_dict["PORT"]
    connection.close()
    settings_dict["PORT"] = str(free_port())  # the server "is gone": connections are refused
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "erreur"
        assert response.json()["status"] == "indisponible"
        assert client.get("/healthz").status_code == 200  # the process itself is alive
    finally:
        connection.close()
        settings_dict["PORT"] = port
    response = client.get("/readyz")
    assert (response.status_code, response.json()["database"]) == (200, "ok")


# ---- metrics ---------------------------------------------------------------------------------

def test_metrics_count_requests_logins_outbox_queue_and_failed_tasks(
        client, crt_a, make_user, tmp_path, monkeypatch):
    before = scrape(client)
    for _ in range(2):
        assert client.get(reverse("core:login")).status_code == 200
    make_user(crt_a, Role.NURSE, username="julien")
    response = client.post(reverse("core:login"),
                           {"username": "julien", "password": "pas le bon"})
    assert response.status_code == 200  # the form again, with its error
    broken_task()  # run at once in the tests: fails
    OutboxMessage.objects.bulk_create([
        OutboxMessage(crt=crt_a, to=f"p{i}@example.fr", subject="s", body="b", state=state)
        for i, state in enumerate(["pending", "pending", "failed", "sent"])])
    monkeypatch.setattr(HUEY, "storage",
                        SqliteStorage("maillage-test", filename=str(tmp_path / "q.sqlite3")))
    for i in range(3):
        HUEY.storage.enqueue(f"task {i}".encode())

    after = scrape(client)
    login = {"view": "core:login", "method": "GET", "status": "200"}
    assert value(after, "maillage_http_requests_total", **login) \
        - value(before, "maillage_http_requests_total", **login) == 2
    histogram = {"view": "core:login", "method": "GET"}
    assert value(after, "maillage_http_request_duration_seconds_count", **histogram) \
        - value(before, "maillage_http_request_duration_seconds_count", **histogram) == 2
    post = {"view": "core:login", "method": "POST", "status": "200"}
    assert value(after, "maillage_http_requests_total", **post) \
        - value(before, "maillage_http_requests_total", **post) == 1
    assert value(after, "maillage_logins_failed_total") \
        - value(before, "maillage_logins_failed_total") == 1
    task = {"task": "tests.observability_broken_task"}
    assert value(after, "maillage_tasks_failed_total", **task) \
        - value(before, "maillage_tasks_failed_total", **task) == 1
    assert value(after, "maillage_task_queue_pending") == 3
    assert value(after, "maillage_outbox_messages", state="pending") == 2
    assert value(after, "maillage_outbox_messages", state="failed") == 1
    assert value(after, "maillage_outbox_messages", state="sending") == 0
    assert ("maillage_outbox_oldest_pending_age_seconds", ()) in after
    assert value(after, "maillage_outbox_oldest_pending_age_seconds") >= 0


def test_metrics_need_the_token_or_the_machine_itself(client, db, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404
    settings.METRICS_TOKEN = "jeton-de-supervision-0123456789"
    assert client.get("/metrics").status_code == 404  # loopback is not enough with a token
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer autre-chose").status_code == 404
    scrape(client, REMOTE_ADDR="10.1.2.3",
           HTTP_AUTHORIZATION="Bearer jeton-de-supervision-0123456789")


# ---- request ids and logs --------------------------------------------------------------------

def test_every_answer_carries_a_request_id_and_keeps_the_proxys(client, db):
    generated = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-7f3a9c2e")["X-Request-ID"] \
        == "proxy-7f3a9c2e"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


def test_the_access_line_is_json_with_the_request_id_and_without_the_query_string(
        client_for, caplog):
    client = client_for("coordinator")
    with caplog.at_level(logging.INFO, logger="maillage.access"):
        response = client.get(reverse("beneficiaries:list"), {"q": "Hamon"})
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "maillage.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["http"]["path"] == reverse("beneficiaries:list")
    assert line["http"]["view"] == "beneficiaries:list"
    assert line["http"]["status"] == 200 and line["http"]["method"] == "GET"
    assert str(line["http"]["user_id"]) == client.session["_auth_user_id"]
    assert "Hamon" not in json.dumps(line)


@public
def _broken_view(request):
    raise ValueError("Odette HAMON, chambre 12 : chute")


urlpatterns = [path("panne/", _broken_view, name="broken"), path("", include("maillage.urls"))]
handler500 = "maillage.core.error_pages.server_error"


@pytest.mark.urls(__name__)
def test_a_crash_shows_its_reference_which_the_log_line_carries_without_the_message(db, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        response = client.get("/panne/")
    assert response.status_code == 500
    page = visible_text(response)
    assert "Une erreur est survenue" in page
    assert f"Référence à donner à l'équipe technique : {response['X-Request-ID']}" in page
    [error] = [r for r in caplog.records if r.name == "django.request"]
    line = json.loads(JsonFormatter().format(error))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["exception"]["type"] == "builtins.ValueError"
    assert "HAMON" not in json.dumps(line, ensure_ascii=False)


def _failing_record() -> logging.LogRecord:
    try:
        raise ValueError("duplicate key value (nir)=(2 45 02 49 007 012 34) Jeanne HAMON")
    except ValueError:
        import sys as _sys

        return logging.LogRecord("maillage.test", logging.ERROR, __file__, 1,
                                 "Échec de l'import", None, _sys.exc_info())


def test_an_exception_is_logged_with_its_type_and_stack_never_its_message():
    record = _failing_record()
    logging.Formatter().format(record)  # another handler caches the whole traceback first
    line = json.loads(JsonFormatter().format(record))
    assert line["exception"]["type"] == "builtins.ValueError"
    assert any("test_observability.py" in frame for frame in line["exception"]["stack"])
    assert line["message"] == "Échec de l'import" and line["level"] == "ERROR"
    text = TextFormatter().format(record)
    for output in (json.dumps(line, ensure_ascii=False), text):
        assert "HAMON" not in output and "45 02 49" not in output
    assert "builtins.ValueError (message omis)" in text


def test_the_suite_log_scan_finds_a_name_or_a_note():
    words = needles()
    assert "Hamon" in words and "Rougeur au talon droit, protection posée, à surveiller." in words
    lines = [
        json.dumps({"message": "GET /beneficiaires/12/ 200"}),
        json.dumps({"message": "Envoi à Mme Ménard"}),  # escaped as \u00e9 in the file
        json.dumps({"message": "Rougeur au talon droit, protection posée, à surveiller."}),
        "texte brut : M. GASNIER",
        json.dumps({"message": "harmonisation des hamons"}),  # not a whole word, not the case
    ]
    assert [(n, word) for n, word, _ in scan(lines, words)] == [
        (2, "Ménard"), (3, "Rougeur au talon droit, protection posée, à surveiller."),
        (4, "GASNIER")]


# ---- a real server ---------------------------------------------------------------------------

def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db(transaction=True)
def test_a_served_instance_adds_up_its_workers_metrics_and_logs_json(tmp_path):
    from maillage.core.tests.processes import SharedDatabase

    shared = SharedDatabase(tmp_path)
    shared.push()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": shared.url(), "MAILLAGE_TESTING": "1",
           "METRICS_DIR": str(tmp_path / "metrics"), "LOG_FORMAT": "json",
           "HUEY_FILE": str(tmp_path / "huey.sqlite3"), "HUEY_IMMEDIATE": "0"}
    stderr = open(tmp_path / "stderr.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "maillage.cli", "serve", "--sans-worker", "--workers", "2",
         "--bind", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn not up"
            time.sleep(0.3)
        # Requests in parallel until both workers have served some (their pids in the log).
        sent, pids = 1, set()
        ids = []
        answers: list = []
        while len(pids) < 2 and sent < 400:
            answers.clear()
            threads = [threading.Thread(target=lambda: answers.append(_get(base + "/readyz")))
                       for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [a[0] for a in answers] == [200] * 8
            ids += [a[1]["X-Request-ID"] for a in answers]
            sent += 8
            pids = {line["process"] for line in _json_lines(tmp_path / "stderr.log")
                    if line.get("http", {}).get("view") == "readyz"}
        assert len(pids) == 2, "both workers served"
        status, _, body = _get(base + "/metrics")
        assert status == 200
        samples = parse(body.decode())
        assert value(samples, "maillage_http_requests_total",
                     view="readyz", method="GET", status="200") == sent - 1
        assert value(samples, "maillage_http_requests_total",
                     view="healthz", method="GET", status="200") >= 1
        assert ("maillage_outbox_messages", (("state", "pending"),)) in samples
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        stderr.close()
    lines = _json_lines(tmp_path / "stderr.log")  # every line is JSON (asserted there)
    access = [line for line in lines if line["logger"] == "maillage.access"]
    assert {line["request_id"] for line in access} >= set(ids)
    assert any(line["logger"].startswith("gunicorn") for line in lines)
    # Each worker froze its loaded application (``gunicorn_conf.post_worker_init``).
    frozen = [line["message"] for line in lines if line["logger"] == "gunicorn.error"
              and "objects of the loaded application frozen" in line["message"]]
    assert {m.split(":")[0] for m in frozen} == {f"Worker {pid}" for pid in pids}
    assert all(int(m.split(": ")[1].split()[0]) > 50_000 for m in frozen)


def _json_lines(path) -> list[dict]:
    lines = []
    for raw in path.read_text().splitlines():
        if raw.strip():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                raise AssertionError(f"not a JSON log line: {raw!r}") from None
    return lines
