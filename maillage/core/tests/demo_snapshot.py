"""The demo, loaded once per test run and restored in a second for each test that needs it.

Loading the demo (scale 1) takes tens of seconds; the browser journeys and a few other tests each
need it committed in the test database. The first such test loads it and takes a snapshot of
every table; the next ones empty the tables and copy the snapshot back:

- SQLite (the test database is in memory): the sqlite3 backup API copies the whole database,
  page by page, to a second in-memory database and back.
- PostgreSQL: ``COPY … TO STDOUT`` of every table into memory, then ``TRUNCATE`` of the tables
  that hold rows and ``COPY … FROM STDIN`` in one transaction (foreign keys are ``DEFERRABLE
  INITIALLY DEFERRED``, so the order of the tables does not matter), and the sequences reset
  past the restored ids; the audit trail's append-only triggers are lifted inside that
  transaction, as ``flush`` does. A superuser restores with no trigger firing at all, so the
  copied rows' foreign keys are not checked one by one.

When the tests run in several processes (pytest-xdist), the first process that needs the demo
loads it and leaves its snapshot in the run's shared temporary directory (under a file lock);
the others read it there instead of loading the demo again.

What a test sees is byte for byte the demo a fresh ``load_demo(scale=1)`` gives, loaded at the
time of the first test: the demo clock is the real one, so a run that crosses midnight could see
"yesterday's" demo; the suite does not run that long.
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction


class DemoSnapshot:
    def __init__(self, shared_dir: Path | None = None) -> None:
        """``shared_dir``: a directory every test process of the run sees, where the first
        one leaves the snapshot for the others (None: one process, nothing shared)."""
        self._sqlite: sqlite3.Connection | None = None
        self._tables: dict[str, bytes] | None = None
        self.progress: list[str] = []
        self._shared_dir = shared_dir
        self._analyzed = False

    @property
    def taken(self) -> bool:
        return self._sqlite is not None or self._tables is not None

    def restore(self) -> list[str]:
        """Put the demo in the test database (outside any transaction), loading it the first
        time; returns the progress lines of that first load."""
        assert not connection.in_atomic_block, "the demo snapshot needs a transactional test"
        if not self.taken:
            with self._shared() as shared:
                if shared is not None and shared.exists():
                    self._read(shared)
                else:
                    from maillage.core.management.commands.demo import load_demo

                    load_demo(scale=1, progress=self.progress.append)
                    self._take()
                    if shared is not None:
                        self._write(shared)
                    self._analyze_once()
                    ContentType.objects.clear_cache()
                    return self.progress
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            _backup_when_free(self._sqlite, connection.connection)
        else:
            self._restore_postgresql()
            self._analyze_once()
        ContentType.objects.clear_cache()
        return self.progress

    def _analyze_once(self) -> None:
        """PostgreSQL: gather the planner's statistics on the demo once per test process, as
        autovacuum does in production after a bulk load. Without them the planner takes the
        freshly copied tables for empty and nests loops over every row (a drill-down of the
        indicators took minutes). The statistics outlive the ``TRUNCATE`` between tests."""
        if connection.vendor != "postgresql" or self._analyzed:
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self._analyzed = True

    @contextmanager
    def _shared(self):
        """The run's shared snapshot file, held under an exclusive lock (None if not shared):
        a process that finds it missing loads the demo and writes it before letting go."""
        if self._shared_dir is None:
            yield None
            return
        self._shared_dir.mkdir(parents=True, exist_ok=True)
        with open(self._shared_dir / "demo.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield self._shared_dir / f"demo-{connection.vendor}"
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, path: Path) -> None:
        partial = path.with_suffix(".partial")
        if self._sqlite is not None:
            target = sqlite3.connect(partial)
            self._sqlite.backup(target)
            target.close()
        else:  # a directory of COPY outputs, one file per table
            partial.mkdir()
            for table, data in self._tables.items():
                (partial / table).write_bytes(data)
        path.with_suffix(".progress").write_text(json.dumps(self.progress), encoding="utf-8")
        partial.rename(path)

    def _read(self, path: Path) -> None:
        self.progress[:] = json.loads(path.with_suffix(".progress").read_text(encoding="utf-8"))
        if connection.vendor == "sqlite":
            source = sqlite3.connect(path)
            self._sqlite = sqlite3.connect(":memory:", check_same_thread=False)
            source.backup(self._sqlite)
            source.close()
        else:
            self._tables = {table.name: table.read_bytes() for table in path.iterdir()}

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
        from maillage.core.management.commands.flush import (
            audit_guard_lifted,
            empty_filled_tables,
            may_skip_triggers,
        )

        tables = _tables()
        with transaction.atomic(), audit_guard_lifted(connection), connection.cursor() as cursor:
            # Only the tables that hold rows (after a flush: the content types and permissions).
            empty_filled_tables(connection, tables)
            if may_skip_triggers(cursor):
                # No trigger fires for the rows copied back, so their foreign keys are not
                # checked one row at a time (0.8 of the 1.6 s of a restore). They come from one
                # consistent copy of a committed database; the constraints stay in force for
                # what the test writes next. Otherwise the deferred checks run at the end.
                cursor.execute("SET LOCAL session_replication_role = replica")
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


def _backup_when_free(source: sqlite3.Connection, target: sqlite3.Connection,
                      wait: float = 10.0) -> None:
    """Copy ``source`` over ``target``, waiting while ``target`` is in use. The live server of
    the browser journeys shares the test's in-memory connection (Django's arrangement for
    SQLite), and a request of the previous test's page may still be reading when the next test
    restores the demo: SQLite then refuses the backup (« destination database is in use »)
    until that statement ends."""
    deadline = time.monotonic() + wait
    while True:
        try:
            source.backup(target)
            return
        except sqlite3.OperationalError as error:
            if "in use" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True,
                                                              include_views=False))

