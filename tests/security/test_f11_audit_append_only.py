"""Finding 11: the audit trail could be deleted on SQLite (no trigger), and on PostgreSQL the
application's database role could TRUNCATE it or disable its trigger.

Now: triggers refuse UPDATE and DELETE on both databases and TRUNCATE on PostgreSQL, and the
application runs as a role (``maillage db_app_role``) that may only read and append the trail and
owns nothing.
"""

import uuid

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from maillage.core.audit import audit_log
from maillage.core.management.commands import flush as flush_command
from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member

TABLE = AuditEvent._meta.db_table

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: database roles and TRUNCATE do not exist on SQLite "
    "(run with DATABASE_URL=postgres://…)",
)


@pytest.fixture
def event(crt_a, users):
    return audit_log(actor=users["nurse"], action="beneficiary.viewed", crt=crt_a)


def raw(sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_update_of_an_audit_row_fails(event):
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.action == "beneficiary.viewed"


def test_raw_delete_of_an_audit_row_fails(event):
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@postgres_only
def test_truncate_fails_even_for_the_owner(event):
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks of this test's rows
    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"TRUNCATE {TABLE}")
    with pytest.raises(DatabaseError, match="append-only"):
        raw("TRUNCATE core_crt CASCADE")  # reaches the trail through its foreign key
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_guards_are_in_place(db):
    """A table rebuild (SQLite ``ALTER``) drops triggers silently: this catches it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE]
            )
            expected = {"core_auditevent_no_update", "core_auditevent_no_delete"}
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'",
                [TABLE],
            )
            expected = {"core_auditevent_no_update_delete", "core_auditevent_no_truncate"}
        assert {name for (name,) in cursor.fetchall()} == expected


def test_flush_is_refused_in_production(event, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refusé en production"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_db_app_role_has_nothing_to_do_on_sqlite(capsys):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the command grants (tested below)")
    call_command("db_app_role", "maillage_app")
    assert "SQLite : rien à faire" in capsys.readouterr().out


# --- PostgreSQL: the application's role --------------------------------------------------------


@pytest.fixture
def app_role(transactional_db):
    """A LOGIN role with a unique name, as an administrator would create it; dropped after."""
    import psycopg

    name = f"maillage_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN')
    yield name
    admin = psycopg.connect(**_conninfo(), autocommit=True)
    try:
        admin.execute(f'REASSIGN OWNED BY "{name}" TO CURRENT_USER')
        admin.execute(f'DROP OWNED BY "{name}"')
        admin.execute(f'DROP ROLE "{name}"')
    finally:
        admin.close()


def _conninfo(**override) -> dict:
    db = connection.settings_dict
    info = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "password": db["PASSWORD"] or None,
    }
    info.update(override)
    return {k: v for k, v in info.items() if v is not None}


@postgres_only
def test_application_role_reads_and_appends_only(app_role, crt_a, users, capsys):
    import psycopg
    from psycopg import errors

    from maillage.territory.tests.factories import CommuneFactory

    commune = CommuneFactory(crt=crt_a, name="Candé")
    kept = audit_log(actor=users["nurse"], action="beneficiary.viewed", crt=crt_a)

    call_command("db_app_role", app_role)
    assert f"Droits du rôle « {app_role} » à jour" in capsys.readouterr().out
    call_command("db_app_role", app_role)  # idempotent

    # The role logs in with its own name, no password (trust, as in CI).
    app = psycopg.connect(**_conninfo(user=app_role, password=None), autocommit=True)
    try:
        assert app.execute("SELECT current_user").fetchone()[0] == app_role
        public_id = uuid.uuid4()
        app.execute(
            "INSERT INTO core_auditevent (public_id, occurred_at, crt_id, actor_label, roles, "
            "action, object_type, object_id, object_label, user_agent, reason, "
            "is_emergency_access, details) VALUES (%s, now(), %s, '', '', "
            "'beneficiary.viewed', '', '', '', '', '', false, '{}')",
            [public_id, crt_a.pk],
        )
        count = app.execute("SELECT count(*) FROM core_auditevent WHERE crt_id = %s", [crt_a.pk])
        assert count.fetchone()[0] >= 2

        refused = [
            ("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [kept.pk]),
            ("DELETE FROM core_auditevent WHERE id = %s", [kept.pk]),
            f"TRUNCATE {TABLE}",
            f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL",
            f"ALTER TABLE {TABLE} DISABLE TRIGGER core_auditevent_no_update_delete",
            f"DROP TRIGGER core_auditevent_no_update_delete ON {TABLE}",
            f"DROP TRIGGER core_auditevent_no_truncate ON {TABLE}",
            f"ALTER TABLE {TABLE} OWNER TO CURRENT_USER",
            f"DROP TABLE {TABLE}",
            f"CREATE TABLE {app_role}_own (id int)",
            "SET session_replication_role = replica",
        ]
        for statement in refused:
            sql_text, params = statement if isinstance(statement, tuple) else (statement, None)
            with pytest.raises(errors.InsufficientPrivilege):
                app.execute(sql_text, params)

        # A domain table: written as usual.
        app.execute("UPDATE territory_commune SET name = 'Candé-sur-Erdre' WHERE id = %s",
                    [commune.pk])
        app.execute("DELETE FROM territory_commune WHERE id = %s", [commune.pk])
    finally:
        app.close()

    assert AuditEvent.objects.filter(public_id=public_id).exists()
    kept_again = AuditEvent.objects.get(pk=kept.pk)
    assert kept_again.action == "beneficiary.viewed"
    assert not type(commune).objects.filter(pk=commune.pk).exists()
    # The owner's flush (tests, demo reset) still empties everything, trail included.
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()


@postgres_only
def test_db_app_role_refuses_unknown_superuser_and_owner_roles(db):
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("db_app_role", f"nobody_{uuid.uuid4().hex[:8]}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="propriétaire|superutilisateur"):
        call_command("db_app_role", owner)


@pytest.mark.parametrize("truncate_from", [flush_command.TRUNCATE_FROM_BYTES, 0],
                         ids=["small-tables-deleted", "every-table-truncated"])
def test_the_suites_flush_empties_every_table_and_puts_the_guards_back(transactional_db,
                                                                       truncate_from,
                                                                       monkeypatch):
    """The flush between committed tests (no sequence reset; on PostgreSQL only the tables that
    hold rows are emptied, by DELETE without triggers for a superuser's small tables, else by
    TRUNCATE with the tables that reference them): nothing is left, the content types are
    back, and the foreign keys and the audit trail's guards are in force again."""
    monkeypatch.setattr(flush_command, "TRUNCATE_FROM_BYTES", truncate_from)
    crt = CrtFactory(name="CRT vidé")
    user = UserFactory(username="vide")
    member(user, crt, Role.COORDINATOR)
    audit_log(actor=user, action="beneficiary.viewed", crt=crt)
    assert AuditEvent.objects.exists()

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)

    left = {model._meta.db_table: model._default_manager.count()
            for model in apps.get_models() if model._meta.managed and not model._meta.proxy}
    refilled = {ContentType._meta.db_table, Permission._meta.db_table}
    assert {table: count for table, count in left.items()
            if count and table not in refilled} == {}
    assert left[ContentType._meta.db_table] > 100  # post_migrate made them again
    event = audit_log(actor=None, action="beneficiary.viewed")
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":  # the flush's setting ended with its transaction
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone()[0] == "origin"
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user_id=10**9, crt=CrtFactory(name="CRT après le vidage"))
