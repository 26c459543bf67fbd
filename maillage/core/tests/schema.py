"""The test database's schema, built from the models instead of replaying the migrations.

Replaying the migrations on an empty database costs each test process about 14 s of CPU before
its first test (Django renders the migration state of every related model at each operation, and
every model here is related to the CRT and the user). The suite instead creates the tables from
the models, as pytest-django's ``--no-migrations`` does (Django's ``run_syncdb``), in about a
second, then ``complete_test_schema``:

- runs the migrations whose operations make schema that the models do not describe
  (``SCHEMA_MIGRATIONS``: the audit trail's append-only triggers, the cache table), and gives
  one column of Django's ``auth`` the type its migrations give it on PostgreSQL;
- records every migration as applied, as ``migrate`` does, so that ``migrate --check`` on this
  database, or on a copy of it (backups), finds nothing to do;
- puts back the migration settings pytest-django replaced, for the tests that migrate.

``test_schema.py`` proves that the result is the schema the migrations build: it migrates a fresh
database for real, in another process, and compares the two with ``describe`` (tables, columns,
constraints, indexes, triggers, functions and the rows the migrations write). A migration that
adds schema by hand (``RunSQL``/``RunPython``) must be added to ``SCHEMA_MIGRATIONS``; that test
says so when it is forgotten.

``MAILLAGE_TEST_MIGRATIONS=1`` replays the migrations instead, as before.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys

SCHEMA_MIGRATIONS = [
    "maillage.core.migrations.0002_audit_append_only",
    "maillage.core.migrations.0005_audit_no_delete_no_truncate",
    "maillage.core.migrations.0006_database_cache_table",
]


def replay_migrations() -> bool:
    return os.environ.get("MAILLAGE_TEST_MIGRATIONS") == "1"


def complete_test_schema(connection) -> None:
    """After ``setup_databases`` without migrations: the schema the migrations add by hand,
    every migration recorded as applied, and the migration settings back."""
    from django.apps import apps
    from django.conf import global_settings, settings
    from django.core.management.commands import migrate
    from django.db import migrations
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    # pytest-django replaced both for the whole process (``_disable_migrations``).
    settings_module = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    settings.MIGRATION_MODULES = getattr(settings_module, "MIGRATION_MODULES",
                                         global_settings.MIGRATION_MODULES)
    while migrate.Command.__name__ == "MigrateSilentCommand":
        migrate.Command = migrate.Command.__bases__[0]

    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    applied = recorder.applied_migrations()
    if applied:  # a database kept from an earlier run (``--reuse-db``): completed then
        return

    with connection.schema_editor() as editor:
        for name in SCHEMA_MIGRATIONS:
            for operation in importlib.import_module(name).Migration.operations:
                if isinstance(operation, migrations.RunPython):
                    operation.code(apps, editor)
                elif isinstance(operation, migrations.RunSQL):
                    operation._run_sql(editor, operation.sql)
                else:
                    raise TypeError(f"{name}: {operation!r} is not RunPython or RunSQL")

    if connection.vendor == "postgresql":
        # Django's own difference: the id of auth's group-permission table is an integer when
        # built from the model (auth's ``default_auto_field``) but a bigint when auth's
        # migrations build it (its auto-created through model takes the project's
        # ``DEFAULT_AUTO_FIELD``). The migrated type, as in production.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE auth_group_permissions ALTER COLUMN id TYPE bigint")

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    recorder.migration_qs.bulk_create(
        recorder.Migration(app=app, name=name) for app, name in sorted(loader.graph.nodes))


# SQLite names some constraints by their position in the CREATE TABLE statement, which depends
# on the order the columns were added in; the other names are the schema's own.
POSITIONAL = re.compile(r"^(fk_\d+|__primary__|__unnamed_constraint_\d+__|sqlite_autoindex_.*)$")


def describe(connection) -> dict:
    """The schema of ``connection``'s database, comparable from one database to another of the
    same engine: every table's columns and constraints (indexes included), the triggers and
    functions, and the number of rows of every table that has some."""
    introspection = connection.introspection
    tables: dict[str, dict] = {}
    rows: dict[str, int] = {}
    with connection.cursor() as cursor:
        for info in introspection.get_table_list(cursor):
            if info.type != "t":
                continue
            columns = {
                field.name: {key: value for key, value in field._asdict().items()
                             if key != "name"}
                for field in introspection.get_table_description(cursor, info.name)
            }
            constraints = sorted(
                json.dumps({**details, "name": None if POSITIONAL.match(name) else name},
                           sort_keys=True, default=str)
                for name, details in introspection.get_constraints(cursor, info.name).items()
            )
            tables[info.name] = {"columns": columns, "constraints": constraints}
            # A name from the catalogue, quoted.
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(info.name)}")  # noqa: S608
            count = cursor.fetchone()[0]
            if count:
                rows[info.name] = count
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = {name: " ".join(sql.split()) for name, sql in cursor.fetchall()}
            functions: dict[str, str] = {}
        else:
            cursor.execute("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                           "WHERE NOT tgisinternal")
            triggers = dict(cursor.fetchall())
            cursor.execute("SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n "
                           "ON n.oid = p.pronamespace WHERE n.nspname = current_schema()")
            functions = {name: " ".join(source.split()) for name, source in cursor.fetchall()}
    return json.loads(json.dumps({"tables": tables, "triggers": triggers,
                                  "functions": functions, "rows": rows}, default=str))


def differences(reference: dict, tested: dict) -> list[str]:
    """Where ``tested`` differs from ``reference``, one line per difference (empty: the same
    schema)."""
    lines = []
    for table in sorted(set(reference["tables"]) | set(tested["tables"])):
        ref, got = reference["tables"].get(table), tested["tables"].get(table)
        if ref is None or got is None:
            lines.append(f"table {table}: only in the {'test' if ref is None else 'migrated'} "
                         "database")
            continue
        for column in sorted(set(ref["columns"]) | set(got["columns"])):
            if ref["columns"].get(column) != got["columns"].get(column):
                lines.append(f"column {table}.{column}: migrated {ref['columns'].get(column)}"
                             f" / test {got['columns'].get(column)}")
        for constraint in sorted(set(ref["constraints"]) ^ set(got["constraints"])):
            side = "migrated" if constraint in ref["constraints"] else "test"
            lines.append(f"constraint of {table} only in the {side} database: {constraint}")
    for kind in ("triggers", "functions"):
        for name in sorted(set(reference[kind]) | set(tested[kind])):
            if reference[kind].get(name) != tested[kind].get(name):
                lines.append(f"{kind[:-1]} {name}: migrated {reference[kind].get(name)!r} / "
                             f"test {tested[kind].get(name)!r}")
    # The rows the migrations write (migration records, content types, permissions…) must be
    # there; the tables they leave empty may hold what earlier tests left (the cache).
    for table, count in sorted(reference["rows"].items()):
        if tested["rows"].get(table) != count:
            lines.append(f"rows of {table}: migrated {count} / test {tested['rows'].get(table)}")
    return lines


def main() -> None:
    """In a fresh process on an empty database (``DATABASE_URL``): migrate for real, then print
    ``describe`` as JSON on stdout."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    sys.stdout.write(json.dumps(describe(connection)))


if __name__ == "__main__":
    main()
