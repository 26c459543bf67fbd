"""Other processes on the test database: task-queue consumers (``test_worker.py``) and gunicorn
(the fault tests in ``tests/faults/``).

On SQLite the test database is in memory: it is copied to a file the processes use, then copied
back for the assertions; on PostgreSQL they use the test database itself (the tests are
transactional, so what they wrote is committed)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from maillage.core.tests.smtp import free_port


class SharedDatabase:
    """The test database as seen by other processes."""

    def __init__(self, tmp_path):
        self.sqlite = connection.vendor == "sqlite"
        self.path = tmp_path / "db.sqlite3"

    def url(self) -> str:
        if self.sqlite:
            return f"sqlite:///{self.path}"
        s = connection.settings_dict
        return (f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:"
                f"{s['PORT'] or 5432}/{s['NAME']}")

    def push(self) -> None:
        if self.sqlite:
            connection.ensure_connection()
            target = sqlite3.connect(self.path)
            connection.connection.backup(target)
            target.close()

    def pull(self) -> None:
        if self.sqlite:
            source = sqlite3.connect(self.path, timeout=20)
            source.backup(connection.connection)
            source.close()

    def rows(self, sql: str, *params) -> list[tuple]:
        """What the other processes see now."""
        if self.sqlite:
            with sqlite3.connect(self.path, timeout=20) as db:
                return db.execute(sql, params).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall()


def wait_for(predicate, timeout: float, what: str):
    """Poll ``predicate`` until it returns a true value (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


def child_pids(pid: int) -> set[int]:
    """The live children of a process (from /proc: Linux only)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (command) state ppid …": the command may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            children.add(int(entry.name))
    return children


class Gunicorn:
    """``gunicorn maillage.wsgi`` with ``workers`` processes on ``database_url``; its access log
    names the worker (pid) that answered each request."""

    def __init__(self, tmp_path: Path, database_url: str, *, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp_path / "gunicorn-access.log"
        self.error_log = tmp_path / "gunicorn-error.log"
        self.app_log = tmp_path / "gunicorn-app.log"  # the application's JSON lines (stderr)
        self._app_log_file = self.app_log.open("w")  # closed by stop()
        env = {**os.environ, "DATABASE_URL": database_url,
               "DJANGO_SETTINGS_MODULE": "maillage.settings", "MAILLAGE_TESTING": "0",
               # The same keys as this process: its sessions and encrypted fields are read.
               "SECRET_KEY": settings.SECRET_KEY,
               "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
               "HUEY_IMMEDIATE": "0", "HUEY_NAME": f"maillage-test-{self.port}",
               "HUEY_FILE": str(tmp_path / "huey.sqlite3")}
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "maillage.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--timeout", "30", "--graceful-timeout", "5",
             "--access-logfile", str(self.access_log),
             "--access-logformat", 'pid=%(p)s "%(r)s" %(s)s',
             "--error-logfile", str(self.error_log)],
            env=env, stdout=self._app_log_file, stderr=subprocess.STDOUT)
        self.wait_ready(workers)

    def logs(self) -> str:
        return self.error_log.read_text() if self.error_log.exists() else ""

    def app_logs(self) -> list[dict]:
        """The application's log records (JSON lines on its standard error)."""
        lines = self.app_log.read_text().splitlines() if self.app_log.exists() else []
        return [json.loads(line) for line in lines if line.startswith("{")]

    def workers(self) -> set[int]:
        return child_pids(self.process.pid)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:  # noqa: S310
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def wait_ready(self, workers: int) -> None:
        def ready():
            if self.process.poll() is not None:
                raise AssertionError("gunicorn stopped:\n" + self.logs())
            return len(self.workers()) == workers and self.healthy()

        try:
            wait_for(ready, 60, "gunicorn to answer /healthz")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.logs()}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._app_log_file.close()
