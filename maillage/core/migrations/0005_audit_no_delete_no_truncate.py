"""The audit trail is append-only on both databases (issue 10, finding 11).

0002 refused UPDATE on both and row DELETE on PostgreSQL. This adds:

- SQLite: a trigger refusing DELETE (the ``flush`` command of ``maillage.core`` lifts both
  SQLite triggers inside its own transaction, for the test suite and ``demo --reset``);
- PostgreSQL: a statement-level ``BEFORE TRUNCATE`` trigger (TRUNCATE fires no row trigger).

On PostgreSQL the application runs as a role that owns nothing and holds only SELECT and INSERT
on this table (``maillage db_app_role``), so it can neither drop nor disable these triggers.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;
    """,
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS core_auditevent_no_delete;"]

POSTGRES_FORWARD = [
    # The function of 0002 raises; it serves row and statement triggers alike.
    """
    CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_append_only();
    """,
]
POSTGRES_BACKWARD = ["DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(
                f"No append-only guard for database {schema_editor.connection.vendor!r}."
            )
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0004_notifications")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
