"""PostgreSQL restarted while requests run: a throwaway PostgreSQL cluster (initdb, its own port
and socket directory) holds a copy of the test database (a CRT, its team, a person); gunicorn
(2 workers) serves it to threads that read the person's file and write liaison notes (a service
writing the note, its read mark and its audit event in one transaction) in a loop. The database
is stopped (``pg_ctl stop -m fast``: the sessions in flight are cut), kept down until readers
and writers have each met the outage, and started again.

Proves: during the outage every answer is the French 503 page with ``Retry-After`` (never a 500
nor a dropped connection); after the restart the same gunicorn workers serve again (no restart
of the application); every note answered as saved is in the database once, and no note is
half-saved (each has its read mark and its audit event)."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.tests.processes import Gunicorn, wait_for
from maillage.core.tests.smtp import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _tool(name: str) -> str | None:
    return shutil.which(name) or (str(PG_BIN / name) if (PG_BIN / name).exists() else None)


def _can_run_postgres() -> bool:
    """initdb refuses root: as root, the server runs as the ``postgres`` system user."""
    if os.geteuid() != 0:
        return True
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return shutil.which("runuser") is not None


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="PostgreSQL only: restarts a PostgreSQL server (run with "
                              "DATABASE_URL=postgres://…)"),
    pytest.mark.skipif(not (_tool("initdb") and _tool("pg_ctl") and shutil.which("pg_dump")
                            and shutil.which("psql")),
                       reason="initdb, pg_ctl, pg_dump and psql are needed to run a throwaway "
                              "PostgreSQL server"),
    pytest.mark.skipif(not _can_run_postgres(),
                       reason="running as root without a 'postgres' system user (and runuser) "
                              "to start a throwaway PostgreSQL server"),
]

UNAVAILABLE = "Service momentanément indisponible"


class Cluster:
    """A throwaway PostgreSQL server: data and socket in a temporary directory, a free port,
    trust authentication for ``postgres`` on 127.0.0.1. Run as the ``postgres`` system user
    when we are root (initdb refuses root)."""

    def __init__(self):
        # In /tmp: the postgres user must reach it, and a socket path is at most 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="maillage-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(_tool("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        self.start()

    def start(self) -> None:
        self.pg_ctl("start", "-o", f"-p {self.port} -k {self.root} "
                                   "-c listen_addresses=127.0.0.1 -c fsync=off")

    def _run(self, *argv: str) -> None:
        done = subprocess.run([*self.as_user, *argv], capture_output=True,  # noqa: S603
                              text=True, timeout=60)
        if done.returncode:
            raise AssertionError(f"{' '.join(argv)}: {done.stdout}{done.stderr}{self.log()}")

    def pg_ctl(self, action: str, *options: str) -> None:
        self._run(_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-w", "-t", "30", *options, action)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text() if path.exists() else ""

    def close(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def copy_test_database(cluster: Cluster, name: str) -> None:
    """The test database (migrated, with this test's rows) into a new database of ``cluster``."""
    s = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": s["PASSWORD"] or ""}
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dump = subprocess.run(  # noqa: S603
        [shutil.which("pg_dump"), "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432),
         "-U", s["USER"], "--no-owner", "--no-acl", s["NAME"]],
        check=True, capture_output=True, env=env, timeout=60).stdout
    subprocess.run(  # noqa: S603
        [shutil.which("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", cluster.url(name)],
        input=dump, check=True, capture_output=True, timeout=60)


@dataclass
class Outcome:
    kind: str  # "read" or "write"
    started: float
    ended: float
    status: int | None  # None: the connection was cut
    retry_after: str | None = None
    body: str = ""
    text: str = ""  # the note sent (writes)


@dataclass
class Browser:
    """A signed-in user's browser, sending one request after another until told to stop."""

    port: int
    cookie: str
    csrf: str
    kind: str
    path: str
    outcomes: list[Outcome] = field(default_factory=list)

    def request(self, n: int) -> Outcome:
        headers = {"Cookie": self.cookie}
        body, text = None, ""
        if self.kind == "write":
            text = f"Transmission {self.csrf[:6]}-{n}"
            body = urlencode({"csrfmiddlewaretoken": self.csrf, "category": "general",
                              "visibility": "team", "text": text})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            client.request("POST" if body else "GET", self.path, body, headers)
            response = client.getresponse()
            content = response.read().decode()
        except (OSError, http.client.HTTPException):
            return Outcome(self.kind, started, time.monotonic(), None, text=text)
        finally:
            client.close()
        return Outcome(self.kind, started, time.monotonic(), response.status,
                       response.getheader("Retry-After"), content, text)

    def run(self, stop: threading.Event) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            self.outcomes.append(self.request(n))
            time.sleep(0.05)


def _signed_in(user, page: str) -> tuple[str, str]:
    client = Client()
    client.force_login(user)
    assert client.get(page).status_code == 200  # sets the CSRF cookie
    session, csrf = client.cookies["sessionid"].value, client.cookies["csrftoken"].value
    return f"sessionid={session}; csrftoken={csrf}", csrf


def _probe(port: int, path: str) -> tuple[int, str, str | None]:
    """(status, "status" field, "database" field) of a health endpoint."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:  # noqa: S310
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    data = json.loads(body)
    return status, data["status"], data.get("database")


def _ok(outcome: Outcome) -> bool:
    return outcome.status == (302 if outcome.kind == "write" else 200)


def test_postgres_restarted_under_requests_answers_503_then_recovers_without_half_saved_notes(
        tmp_path, crt_a, users):
    nurse, coordinator = users["nurse"], users["coordinator"]
    person = shared_file(crt_a, nurse)
    notes_page = reverse("care:notes", args=[person.public_id])
    file_page = reverse("beneficiaries:detail", args=[person.public_id])
    sessions = [("write", nurse, notes_page), ("write", nurse, notes_page),
                ("read", coordinator, file_page), ("read", nurse, file_page)]
    signed_in = [(kind, *_signed_in(user, path), path) for kind, user, path in sessions]

    cluster = Cluster()
    server = None
    try:
        copy_test_database(cluster, "maillage")
        server = Gunicorn(tmp_path, cluster.url("maillage"), workers=2)
        workers = server.workers()
        browsers = [Browser(server.port, cookie, csrf, kind, path)
                    for kind, cookie, csrf, path in signed_in]
        stop = threading.Event()
        threads = [threading.Thread(target=b.run, args=(stop,)) for b in browsers]
        for thread in threads:
            thread.start()
        try:
            def successes(since: float = 0) -> bool:
                return all(any(_ok(o) and o.started > since for o in b.outcomes)
                           for b in browsers)

            wait_for(successes, 20, "every browser served before the restart")
            cluster.pg_ctl("stop", "-m", "fast")
            down_at = time.monotonic()

            def met_the_outage(kind: str) -> bool:
                return any(o.kind == kind and o.status == 503 and o.started > down_at
                           for b in browsers for o in b.outcomes)

            wait_for(lambda: met_the_outage("read") and met_the_outage("write"), 15,
                     "a read and a write during the outage")
            # Readiness says so; liveness does not (restarting the workers would not help).
            assert _probe(server.port, "/readyz") == (503, "indisponible", "erreur")
            assert _probe(server.port, "/healthz")[:2] == (200, "ok")
            cluster.start()
            up_at = time.monotonic()
            wait_for(lambda: successes(up_at), 20, "every browser served after the restart")
            wait_for(lambda: _probe(server.port, "/readyz") == (200, "ok", "ok"), 10,
                     "ready again, without a restart")
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        # The same processes served before, during and after: nothing was restarted.
        assert server.process.poll() is None and server.workers() == workers

        with psycopg.connect(cluster.url("maillage")) as db:
            notes = db.execute(
                "select n.public_id::text, n.text, "
                "(select count(*) from care_liaisonnoteread r where r.note_id = n.id "
                " and r.user_id = n.author_id), "
                "(select count(*) from core_auditevent e where e.action = 'note.added' "
                " and e.object_id = n.public_id::text) "
                "from care_liaisonnote n").fetchall()
    finally:
        if server is not None:
            server.stop()
        server_log = cluster.log()
        cluster.close()

    outcomes = [o for b in browsers for o in b.outcomes]
    # Every answer was a success or the French 503 page with Retry-After: no 500, no cut.
    odd = [(o.kind, o.status, o.body[:300]) for o in outcomes
           if not _ok(o) and not (o.status == 503 and o.retry_after == "30"
                                  and f"<h1 class=\"h3\">{UNAVAILABLE}</h1>" in o.body)]
    assert odd == [], server.logs()[-3000:] + server_log[-2000:]
    assert any(o.status == 503 for o in outcomes)
    # Every note answered as saved is there, once; none twice; none half-saved.
    texts = [text for _, text, _, _ in notes]
    saved = {o.text for o in outcomes if o.kind == "write" and _ok(o)}
    assert saved and saved <= set(texts)
    assert len(texts) == len(set(texts))
    assert set(texts) <= {o.text for o in outcomes if o.kind == "write"}
    assert [(read, audited) for _, _, read, audited in notes] == [(1, 1)] * len(notes)
    # The outage is in the application's JSON log, once per request met, with the request's
    # id; no note's text is anywhere in what the server logged.
    records = server.app_logs()
    outage = [r for r in records if r["logger"] == "maillage.errors"]
    assert outage and all(r["request_id"] and r["level"] == "WARNING" for r in outage)
    logged = json.dumps(records, ensure_ascii=False) + server.logs()
    assert [o.text for o in outcomes if o.text and o.text in logged] == []
