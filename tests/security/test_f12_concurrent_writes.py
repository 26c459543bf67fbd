"""Finding 12: "database is locked" 500s on SQLite under concurrent writes; PostgreSQL
connections without health checks; login rate limit counted per worker (local-memory cache).

The concurrency test runs against a real SQLite file in a separate process
(``f12_concurrent_writer``): the suite's in-memory database has neither WAL nor lock waits.
Before the fix (deferred transactions), 49 of the 50 threads failed with "database is locked".
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from maillage.core.ratelimit import allow

ROOT = Path(__file__).resolve().parents[2]
sqlite_suite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite file concurrency: run once, in the SQLite pass of the suite",
)


def run_worker(var_dir: Path, *args: str, timeout: int = 150) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    env.update({"MAILLAGE_VAR_DIR": str(var_dir), "MAILLAGE_ENV": "demo",
                "DJANGO_SETTINGS_MODULE": "maillage.settings"})
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tests.security.f12_concurrent_writer", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def file_database(tmp_path_factory, django_db_setup, django_db_blocker):
    """A fresh SQLite file, migrated, then written by 50 threads at once (one process). The
    file is a copy of the suite's empty test database, migrated already (migrating again in
    the worker would cost a quarter of a minute)."""
    import sqlite3

    var_dir = tmp_path_factory.mktemp("f12")
    with django_db_blocker.unblock():
        connection.ensure_connection()
        target = sqlite3.connect(var_dir / "maillage.sqlite3")
        connection.connection.backup(target)
        target.close()
    return var_dir, run_worker(var_dir, "--threads", "50", "--skip-migrate")


@sqlite_suite_only
def test_fifty_concurrent_writers_on_a_sqlite_file_all_succeed(file_database):
    _, result = file_database
    assert result["journal_mode"] == "wal"
    assert result["errors"] == 0, result["first_errors"]
    assert result["communes"] == 50
    assert result["renamed"] == 50
    assert result["audit_events"] == 100  # one per creation, one per update


@sqlite_suite_only
def test_rate_limit_and_lockout_are_shared_between_server_processes(file_database):
    """Two processes, like two gunicorn workers: the 6th hit of the limiter (limit 5) and the
    5th failed login (AXES_FAILURE_LIMIT) are refused whichever process receives them."""
    var_dir, _ = file_database
    first = run_worker(var_dir, "--skip-migrate", "--limits", "3")
    second = run_worker(var_dir, "--skip-migrate", "--limits", "3")
    assert first["allowed"] == [True, True, True]
    assert second["allowed"] == [True, True, False]
    assert first["login_statuses"] == [200, 200, 200]
    assert second["login_statuses"][0] == 200
    assert second["login_statuses"][-1] == 429


def test_default_cache_is_the_database_cache(db):
    if os.environ.get("CACHE_URL"):
        pytest.skip("CACHE_URL is set: the cache is the one it names")
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    # Two cache connections (two workers have one each) see the same counter.
    first, second = caches.create_connection("default"), caches.create_connection("default")
    for _ in range(3):
        assert allow("f12:shared", limit=4, window_seconds=60)
    assert first.get("ratelimit:f12:shared") == 3
    assert second.incr("ratelimit:f12:shared") == 4
    assert not allow("f12:shared", limit=4, window_seconds=60)
    with connection.cursor() as cursor:  # the table of migration core/0006
        cursor.execute("SELECT count(*) FROM maillage_cache WHERE cache_key LIKE %s",
                       ["%ratelimit:f12:shared"])
        assert cursor.fetchone()[0] == 1


def test_postgresql_connections_are_health_checked():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the SQLite suite checks it in a subprocess below)")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] > 0


def settings_of(**env) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "db = s.DATABASES['default'];"
        "print(json.dumps({'health': db.get('CONN_HEALTH_CHECKS'), 'age': db.get('CONN_MAX_AGE'),"
        " 'options': db.get('OPTIONS', {}), 'cache': s.CACHES['default'],"
        " 'axes': s.AXES_HANDLER}))"
    )
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "CACHE_URL", "SECRET_KEY"}}
    environment.update({"DJANGO_SETTINGS_MODULE": "maillage.settings", **env})
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_runtime_settings_of_both_databases_and_caches(tmp_path):
    postgres = settings_of(MAILLAGE_VAR_DIR=str(tmp_path),
                           DATABASE_URL="postgres://app@db.example:5432/maillage")
    assert postgres["health"] is True and postgres["age"] == 60
    assert postgres["cache"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert postgres["axes"] == "axes.handlers.database.AxesDatabaseHandler"

    sqlite = settings_of(MAILLAGE_VAR_DIR=str(tmp_path))
    assert sqlite["options"]["transaction_mode"] == "IMMEDIATE"
    assert sqlite["options"]["timeout"] >= 5
    assert "journal_mode=WAL" in sqlite["options"]["init_command"]

    redis = settings_of(MAILLAGE_VAR_DIR=str(tmp_path), CACHE_URL="redis://127.0.0.1:6379/1")
    assert redis["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["cache"]["LOCATION"] == "redis://127.0.0.1:6379/1"
