"""On PostgreSQL, the first-start script of the compose platform (deploy/postgres/init-roles.sh)
creates the two roles as docs/operations.md describes (the other deployment files are checked in
``test_deploy_files.py``, engine-independent)."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

postgres_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="PostgreSQL only: the first-start script creates PostgreSQL roles "
    "(run with DATABASE_URL=postgres://…)",
)


@postgres_only
def test_postgres_first_start_script_creates_the_two_roles():
    import psycopg

    server = settings.DATABASES["default"]
    suffix = uuid.uuid4().hex[:10]
    db, owner, app = f"deploy_{suffix}", f"deploy_owner_{suffix}", f"deploy_app_{suffix}"
    admin = {"host": server["HOST"] or "127.0.0.1", "port": server["PORT"] or 5432,
             "user": server["USER"], "password": server.get("PASSWORD") or None}
    env = {"PATH": os.environ.get("PATH", ""), "PGHOST": str(admin["host"]),
           "PGPORT": str(admin["port"]), "PGUSER": admin["user"],
           "MAILLAGE_DB": db, "MAILLAGE_OWNER_ROLE": owner, "MAILLAGE_APP_ROLE": app,
           "MAILLAGE_OWNER_PASSWORD": uuid.uuid4().hex,
           "MAILLAGE_APP_PASSWORD": uuid.uuid4().hex}
    if admin["password"]:
        env["PGPASSWORD"] = admin["password"]
    try:
        result = subprocess.run(  # noqa: S603
            ["/bin/sh", str(DEPLOY / "postgres" / "init-roles.sh")],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as connection:
            roles = connection.execute(
                "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles"
                " WHERE rolname IN (%s, %s) ORDER BY rolname", [owner, app]).fetchall()
            assert roles == [(app, False, False, False, True), (owner, False, False, False, True)]
            assert connection.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                [db]).fetchone() == (owner,)
        # The owner creates the schema; the application role cannot even connect until
        # `maillage db_app_role` grants it.
        with psycopg.connect(**{**admin, "user": owner}, dbname=db, autocommit=True) as as_owner:
            as_owner.execute("CREATE TABLE probe (id int)")
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(**{**admin, "user": app}, dbname=db).close()
        # Run twice (a volume already initialised is never re-initialised, but by hand): refused.
        again = subprocess.run(  # noqa: S603
            ["/bin/sh", str(DEPLOY / "postgres" / "init-roles.sh")],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert again.returncode != 0 and "already exists" in again.stderr
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            connection.execute(f'DROP ROLE IF EXISTS "{owner}"')
            connection.execute(f'DROP ROLE IF EXISTS "{app}"')
