"""Django's ``flush``, able to empty the append-only audit trail, never in production.

The audit table refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE through database triggers.
Emptying the whole database is still needed by the test suite (``TransactionTestCase`` flushes
between tests) and by ``maillage demo --reset``. This command lifts the triggers inside its own
transaction, so they are back (or were never gone) whatever happens:

- SQLite: the triggers are dropped and re-created from their own SQL (``sqlite_master``);
- PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER USER`` then ``ENABLE``, which only the owner of
  the table may do: the application's role (``maillage db_app_role``) cannot.

It refuses to run in production (``MAILLAGE_ENV=production``): there, the trail is kept.
"""

from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
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
        with transaction.atomic(using=database):
            with audit_guard_lifted(connections[database]):
                super().handle(**options)
