"""The suite's databases are built from the models (``schema.py``): this proves they have the
schema the migrations build, on the engine of the run."""

import json
import os
import subprocess
import sys

import psycopg
import pytest
from django.db import connection

from maillage.core.tests.schema import SCHEMA_MIGRATIONS, describe, differences


@pytest.fixture
def migrated_url(tmp_path):
    """The URL of an empty database of the run's engine, dropped after the test."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    s = connection.settings_dict
    name = f"{s['NAME']}_migrated"[:63]
    server = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    admin = psycopg.connect(f"{server}/postgres", password=s["PASSWORD"] or None,
                            autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_the_migrations_build_the_schema_the_suite_runs_on(db, migrated_url):
    env = {**os.environ, "DATABASE_URL": migrated_url, "MAILLAGE_TESTING": "1"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "maillage.core.tests.schema"], env=env, capture_output=True,
        text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    migrated = json.loads(done.stdout)
    tested = describe(connection)

    assert differences(migrated, tested) == [], (
        "The test database differs from a migrated one: a migration that changes the schema "
        f"by hand must be listed in SCHEMA_MIGRATIONS ({', '.join(SCHEMA_MIGRATIONS)}).")
    # The comparison covers what matters: the audit trail's guards and the cache table.
    assert {"core_auditevent_no_update", "core_auditevent_no_delete"} <= set(tested["triggers"]) \
        or {"core_auditevent_no_update_delete", "core_auditevent_no_truncate"} <= \
        set(tested["triggers"])
    assert "maillage_cache" in tested["tables"]
    assert tested["rows"]["django_migrations"] >= 90
