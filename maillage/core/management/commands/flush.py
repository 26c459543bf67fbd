"""Django's ``flush``, able to empty the append-only audit trail, never in production.

The audit table refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE through database triggers.
Emptying the whole database is still needed by the test suite (``TransactionTestCase`` flushes
between tests) and by ``maillage demo --reset``. This command lifts the triggers inside its own
transaction, so they are back (or were never gone) whatever happens:

- SQLite: the triggers are dropped and re-created from their own SQL (``sqlite_master``);
- PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER USER`` then ``ENABLE``, which only the owner of
  the table may do: the application's role (``maillage db_app_role``) cannot.

On PostgreSQL it empties only the tables that hold rows: ``TRUNCATE`` costs about the same for
an empty table as for a full one, and the suite flushes after every test that commits (a few
tables filled out of 250). Tables that reference them are emptied too (``CASCADE``); they are
empty, or they would be in the list.

It refuses to run in production (``MAILLAGE_ENV=production``): there, the trail is kept.
"""

from contextlib import contextmanager

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
        with transaction.atomic(using=database):
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
        if not tables:
            return
        filled = filled_tables(connection, tables)
        if filled:
            connection.ops.execute_sql_flush(connection.ops.sql_flush(
                no_style(), filled, reset_sequences=False, allow_cascade=True))
        if not options.get("inhibit_post_migrate", False):
            emit_post_migrate_signal(options["verbosity"], False, connection.alias)
