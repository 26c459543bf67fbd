"""The demo snapshot (``demo_snapshot.py``) gives the demo back whole after a flush, and the
database's guards are in force afterwards: foreign keys checked (PostgreSQL restores as a
superuser with no trigger firing) and the audit trail append-only."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from maillage.beneficiaries.models import Beneficiary
from maillage.core.models import AuditEvent
from maillage.visits.models import Visit


def _demo():
    return {
        "people": sorted(Beneficiary.objects.values_list("pk", "crt_id", "birth_name")),
        "visits": Visit.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_a_restore_gives_the_demo_back_whole_with_its_guards(transactional_db, demo_snapshot):
    demo_snapshot.restore()
    loaded = _demo()
    assert loaded["people"] and loaded["visits"] and loaded["audit"]
    call_command("flush", interactive=False, verbosity=0)
    assert Beneficiary.objects.count() == 0

    demo_snapshot.restore()
    assert _demo() == loaded
    if connection.vendor == "postgresql":  # the restore's setting ended with its transaction
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone()[0] == "origin"
    visit = Visit.objects.order_by("pk").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(beneficiary_id=10**9)
    event = AuditEvent.objects.order_by("pk").first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:  # raw SQL: the model refuses before the database
        cursor.execute("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [event.pk])


@pytest.mark.engine_independent  # plain sqlite3, whatever the test database
def test_the_sqlite_restore_waits_for_a_statement_still_reading(tmp_path):
    """A request of the previous test's page, still reading through the live server's shared
    connection, does not fail the next test's restore: the backup waits for it to end."""
    import sqlite3
    import threading

    from maillage.core.tests.demo_snapshot import _backup_when_free

    target = sqlite3.connect(tmp_path / "test.sqlite3", check_same_thread=False)
    target.execute("CREATE TABLE t (x)")
    target.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    target.commit()
    source = sqlite3.connect(":memory:")
    source.execute("CREATE TABLE t (x)")
    source.execute("INSERT INTO t VALUES ('demo')")
    source.commit()
    reading = target.execute("SELECT x FROM t")
    reading.fetchone()  # a statement left open, as by a request in flight
    with pytest.raises(sqlite3.OperationalError, match="in use"):
        source.backup(target)

    threading.Timer(0.3, reading.fetchall).start()  # the request ends a moment later
    _backup_when_free(source, target)
    assert target.execute("SELECT x FROM t").fetchall() == [("demo",)]
    with pytest.raises(sqlite3.OperationalError, match="in use"):  # still reported in the end
        reading = target.execute("SELECT x FROM t UNION ALL SELECT 1")
        reading.fetchone()
        _backup_when_free(source, target, wait=0.2)
