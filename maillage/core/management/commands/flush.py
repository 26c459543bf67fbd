"""Django's ``flush``, able to empty the append-only audit trail, never in production.

The audit table refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE through database triggers.
Emptying the whole database is still needed by the test suite (``TransactionTestCase`` flushes
between tests) and by ``maillage demo --reset``. This command lifts the triggers inside its own
transaction, so they are back (or were never gone) whatever happens:

- SQLite: the triggers are dropped and re-created from their own SQL (``sqlite_master``);
- PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER USER`` then ``ENABLE``, which only the owner of
  the table may do: the application's role (``maillage db_app_role``) cannot.

On PostgreSQL it empties only the tables that hold rows: ``TRUNCATE`` costs about the same for
an empty table as for a full one (about 10 ms each: new files for the table and its indexes),
and the suite flushes after every test that commits (a few tables filled out of 112, the 87 of
the demo after a browser journey). Tables that reference them are emptied too (``CASCADE``);
they are empty, or they would be in the list. For a superuser (tests, development), the small
tables are emptied by ``DELETE`` with no trigger firing (``session_replication_role =
replica``: no foreign-key check per row, since every filled table goes), and only the tables
past ``TRUNCATE_FROM_BYTES`` on disk are truncated, which also gives back the space the dead
rows of a small table have taken once it passes that size: 0.05 s instead of 0.8 s after the
demo.

On SQLite, a flush without prompt runs with the foreign-key checks off (every table is emptied).

It refuses to run in production (``MAILLAGE_ENV=production``): there, the trail is kept.
"""

from contextlib import contextmanager, nullcontext

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connections, transaction

from maillage.core.models import AuditEvent


@contextmanager
def audit_guard_lifted(connection):
    """Within the caller's transaction: the audit table's triggers are off, then on again."""
    table = AuditEvent._meta.db_table
    if table not in connection.introspection.table_names():
        yield
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [table],
            )
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
            yield
            for _, sql in triggers:
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            quoted = connection.ops.quote_name(table)
            try:
                cursor.execute(f"ALTER TABLE {quoted} DISABLE TRIGGER USER")
            except DatabaseError as exc:
                raise CommandError(
                    "Le journal d'audit ne peut être vidé que par le propriétaire de la base "
                    f"(rôle des migrations) : {exc}"
                ) from exc
            yield
            cursor.execute(f"ALTER TABLE {quoted} ENABLE TRIGGER USER")
        else:
            yield


#: PostgreSQL, superuser: a filled table whose main file is at least this size is truncated, a
#: smaller one emptied by ``DELETE``.
TRUNCATE_FROM_BYTES = 1 << 20


def may_skip_triggers(cursor) -> bool:
    """PostgreSQL: the current role may set ``session_replication_role`` (a superuser)."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(cursor.fetchone()[0])


def empty_filled_tables(connection, tables: list[str]) -> None:
    """PostgreSQL, within the caller's transaction with the audit guard lifted: those of
    ``tables`` that hold rows emptied (see the module's docstring), no sequence reset."""
    filled = filled_tables(connection, tables)
    if not filled:
        return
    with connection.cursor() as cursor:
        if may_skip_triggers(cursor):
            cursor.execute(
                "SELECT name FROM unnest(%s::text[]) AS name"
                " WHERE pg_relation_size(quote_ident(name)::regclass) >= %s",
                [filled, TRUNCATE_FROM_BYTES])
            large = {name for (name,) in cursor.fetchall()}
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in filled:
                if table not in large:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
            cursor.execute("SET LOCAL session_replication_role = origin")
            filled = [table for table in filled if table in large]
    if filled:
        connection.ops.execute_sql_flush(connection.ops.sql_flush(
            no_style(), filled, reset_sequences=False, allow_cascade=True))


def filled_tables(connection, tables: list[str]) -> list[str]:
    """Those of ``tables`` that hold at least one row (one statement)."""
    if not tables:
        return []
    quote = connection.ops.quote_name
    exists = "SELECT %s WHERE EXISTS (SELECT 1 FROM {})"  # names from the catalogue, quoted
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(exists.format(quote(table)) for table in tables),
                       tables)
        return [name for (name,) in cursor.fetchall()]


class Command(flush.Command):
    help = (
        "Vide toutes les tables, journal d'audit compris (tests, démonstration). "
        "Refusé en production."
    )

    def handle(self, **options):
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "flush est refusé en production : le journal d'audit ne peut pas être effacé."
            )
        database = options["database"]
        connection = connections[database]
        # SQLite: every table is emptied, so no foreign key can be left dangling; without the
        # check of each deleted row's children, emptying the demo takes 0.03 s instead of 0.27.
        # (Only outside a transaction: inside one, SQLite ignores the pragma.)
        unchecked = connection.constraint_checks_disabled() \
            if connection.vendor == "sqlite" and not options["interactive"] else nullcontext()
        with unchecked, transaction.atomic(using=database):
            with audit_guard_lifted(connection):
                if connection.vendor == "postgresql" and not options["interactive"] \
                        and not options.get("reset_sequences", True):
                    self._flush_filled_tables(connection, options)
                else:
                    super().handle(**options)

    def _flush_filled_tables(self, connection, options) -> None:
        """Django's flush without prompt or sequence reset, on the tables that hold rows."""
        tables = connection.introspection.django_table_names(only_existing=True,
                                                              include_views=False)
        empty_filled_tables(connection, tables)
        if not options.get("inhibit_post_migrate", False):
            emit_post_migrate_signal(options["verbosity"], False, connection.alias)
