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
