"""The demo, loaded once per test run and restored in a second for each test that needs it.

Loading the demo (scale 1) takes tens of seconds; the browser journeys and a few other tests each
need it committed in the test database. The first such test loads it and takes a snapshot of
every table; the next ones empty the tables and copy the snapshot back:

- SQLite (the test database is in memory): the sqlite3 backup API copies the whole database,
  page by page, to a second in-memory database and back.
- PostgreSQL: ``COPY … TO STDOUT`` of every table into memory, then ``TRUNCATE`` and
  ``COPY … FROM STDIN`` in one transaction (foreign keys are ``DEFERRABLE INITIALLY DEFERRED``,
  so the order of the tables does not matter), and the sequences reset past the restored ids;
  the audit trail's append-only triggers are lifted inside that transaction, as ``flush`` does.

What a test sees is byte for byte the demo a fresh ``load_demo(scale=1)`` gives, loaded at the
time of the first test: the demo clock is the real one, so a run that crosses midnight could see
"yesterday's" demo; the suite does not run that long.
"""

from __future__ import annotations

import sqlite3

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction


class DemoSnapshot:
    def __init__(self) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._tables: dict[str, bytes] | None = None
        self.progress: list[str] = []

    @property
    def taken(self) -> bool:
        return self._sqlite is not None or self._tables is not None

    def restore(self) -> list[str]:
        """Put the demo in the test database (outside any transaction), loading it the first
        time; returns the progress lines of that first load."""
        assert not connection.in_atomic_block, "the demo snapshot needs a transactional test"
        if not self.taken:
            from maillage.core.management.commands.demo import load_demo

            load_demo(scale=1, progress=self.progress.append)
            self._take()
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            self._sqlite.backup(connection.connection)
        else:
            self._restore_postgresql()
        ContentType.objects.clear_cache()
        return self.progress

    def _take(self) -> None:
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            self._sqlite = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(self._sqlite)
            return
        tables = {}
        with connection.cursor() as cursor:
            for table in _tables():
                with cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as copy:
                    tables[table] = b"".join(bytes(chunk) for chunk in copy)
        self._tables = tables

    def _restore_postgresql(self) -> None:
        from maillage.core.management.commands.flush import audit_guard_lifted

        tables = _tables()
        with transaction.atomic(), audit_guard_lifted(connection), connection.cursor() as cursor:
            for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
                cursor.execute(sql)
            for table in tables:
                data = self._tables.get(table)
                if not data:
                    continue
                with cursor.copy(f"COPY {connection.ops.quote_name(table)} FROM STDIN") as copy:
                    copy.write(data)
            models = [m for m in apps.get_models(include_auto_created=True)
                      if m._meta.db_table in set(tables)]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            # The deferred foreign keys are checked now, so that the audit triggers can be
            # enabled again in this transaction (no pending trigger events).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True,
                                                              include_views=False))

