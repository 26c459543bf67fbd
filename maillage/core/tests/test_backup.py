"""Backups (``maillage backup`` / ``maillage restore``, docs/operations.md "Backups and restore").

The round trip restores, in another process, into a new empty database (SQLite: a new file;
PostgreSQL: a database created for the test) and a new MEDIA_ROOT; the test then computes itself,
on both sides and with its own formula (not the command's), every table's row count and
checksum, and every document's SHA-256. On SQLite the test database is in memory: the backup
copies it with SQLite's online backup API. On PostgreSQL the test is transactional, so that
``pg_dump`` sees what it wrote.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from maillage.beneficiaries.tests.factories import PDF, BeneficiaryFactory, consent, document
from maillage.care.models import LiaisonNote
from maillage.care.tests.factories import message
from maillage.core import backup_crypto
from maillage.core.audit import audit_log
from maillage.core.backup import backup, periodic_backup, unpack
from maillage.core.backup_crypto import BackupError, DecryptingReader, EncryptingWriter, new_key
from maillage.core.tasks import backup_nightly

NAME = "ZYGOMAR"  # the person's birth name: must never be readable in a backup file
NOTE = "Chute dans la salle de bain, hématome au genou gauche"
AUDIT = "core_auditevent"


@pytest.fixture
def key(settings):
    settings.BACKUP_KEY = new_key()
    return settings.BACKUP_KEY


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def health_data(crt_a, users):
    """A person with health data, a care-team note, two uploaded files, audit events."""
    person = BeneficiaryFactory(crt=crt_a, birth_name=NAME, has_key_box=True,
                                key_box_code="4711B")
    consent(person, share_health=True)
    LiaisonNote.objects.create(crt=crt_a, beneficiary=person, author=users["nurse"],
                               category=LiaisonNote.Category.FALL, text=NOTE)
    doc = document(person, title="Compte rendu d'hospitalisation")
    message(person, author=users["nurse"], text="Ordonnance jointe", attachment=True)
    audit_log(actor=users["nurse"], action="beneficiary.viewed", crt=crt_a, obj=person)
    audit_log(actor=users["nurse"], action="note.added", crt=crt_a, obj=person)
    return person, doc


# --- What the test computes itself -------------------------------------------------------------


def sqlite_state(db) -> dict[str, tuple[int, str]]:
    """Every table of a SQLite database (a DB-API connection): row count, SHA-256 of the
    sorted rows."""
    cursor = db.cursor()
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    state = {}
    for (table,) in cursor.fetchall():
        cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the database
        rows = sorted(repr(tuple(row)) for row in cursor.fetchall())
        state[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state


def postgres_state(cursor) -> dict[str, tuple[int, str]]:
    """Every table of the public schema, computed by the server; the sequences' positions."""
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    state = {}
    for (table,) in cursor.fetchall():
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), "  # noqa: S608
            f"'')) FROM \"{table}\" t"
        )
        state[table] = tuple(cursor.fetchone())
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
    state.update({f"sequence {name}": (value, "") for name, value in cursor.fetchall()})
    return state


def files_state(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class Target:
    """A new, empty database (and MEDIA_ROOT) to restore into, on the engine of the tests."""

    def __init__(self, tmp_path: Path):
        self.sqlite = connection.vendor == "sqlite"
        self.media = tmp_path / "restored-media"
        self.var = tmp_path / "var"
        if self.sqlite:
            self.path = tmp_path / "restored.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"maillage_restore_{uuid.uuid4().hex[:12]}"
            s = connection.settings_dict
            self.url = (f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}"
                        f":{s['PORT'] or 5432}/{self.name}")
            self._admin(f'CREATE DATABASE "{self.name}"')

    def _admin(self, sql: str) -> None:
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(dbname="postgres", user=s["USER"], password=s["PASSWORD"] or None,
                             host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432,
                             autocommit=True) as admin:
            admin.execute(sql)

    def drop(self) -> None:
        if not self.sqlite:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self):
        if self.sqlite:
            return closing(sqlite3.connect(self.path))
        import psycopg

        s = connection.settings_dict
        return psycopg.connect(dbname=self.name, user=s["USER"], password=s["PASSWORD"] or None,
                               host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)

    def state(self) -> dict:
        with self.connect() as db:
            return sqlite_state(db) if self.sqlite else postgres_state(db.cursor())

    def tables(self) -> list[str]:
        if self.sqlite and not self.path.exists():
            return []
        with self.connect() as db:
            sql = ("SELECT name FROM sqlite_master WHERE type = 'table'" if self.sqlite else
                   "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return [name for (name,) in db.execute(sql).fetchall()]

    def audit_triggers(self) -> set[str]:
        with self.connect() as db:
            sql = ("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
                   if self.sqlite else
                   "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                   "AND NOT tgisinternal AND tgenabled <> 'D'")
            return {name for (name,) in db.execute(sql, [AUDIT]).fetchall()}

    def update_audit(self) -> str:
        """What the database answers to an UPDATE of the audit trail."""
        with self.connect() as db:
            try:
                db.execute(f"UPDATE {AUDIT} SET action = 'x'")  # noqa: S608
            except Exception as exc:  # noqa: BLE001 - the driver's error, whichever it is
                return str(exc)
            return "accepted"

    def run(self, *args: str, key: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "DATABASE_URL": self.url, "MEDIA_ROOT": str(self.media),
               "BACKUP_KEY": key, "MAILLAGE_VAR_DIR": str(self.var), "MAILLAGE_TESTING": "0"}
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "maillage.cli", *args], env=env, capture_output=True,
            text=True, timeout=180, check=False)


@pytest.fixture
def target(tmp_path):
    target = Target(tmp_path)
    yield target
    target.drop()


def source_state() -> dict:
    """The test database's state. On SQLite through a plain second connection to the in-memory
    database (Django's converts dates and booleans, a plain one reads what is stored)."""
    if connection.vendor == "sqlite":
        with closing(sqlite3.connect(connection.settings_dict["NAME"], uri=True)) as db:
            return sqlite_state(db)
    with connection.cursor() as cursor:
        return postgres_state(cursor)


def make_backup(path: Path) -> str:
    out = StringIO()
    call_command("backup", out=str(path), stdout=out)
    return out.getvalue()


# --- The round trip ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database_is_identical(
        health_data, key, media, target, tmp_path):
    person, doc = health_data
    file = tmp_path / "maillage.sauvegarde"
    said = make_backup(file)
    assert f"Sauvegarde écrite : {file}" in said
    assert "2 documents" in said

    done = target.run("restore", str(file), key=key)
    assert done.returncode == 0, done.stderr
    assert "Restauration vérifiée" in done.stdout
    assert "2 documents identiques" in done.stdout
    if not target.sqlite:
        assert "maillage db_app_role" in done.stdout

    before, after = source_state(), target.state()
    assert after == before
    assert before["core_auditevent"][0] >= 2
    assert before["beneficiaries_beneficiary"][0] == 1
    assert before["care_liaisonnote"][0] == 1
    restored_files = files_state(target.media)
    assert restored_files == files_state(media)
    assert len(restored_files) == 2
    assert (target.media / doc.file.name).read_bytes() == PDF

    # The audit trail is append-only in the restored database too.
    expected = ({"core_auditevent_no_update", "core_auditevent_no_delete"} if target.sqlite else
                {"core_auditevent_no_update_delete", "core_auditevent_no_truncate"})
    assert target.audit_triggers() == expected
    assert "append-only" in target.update_audit()

    # The restored database is at this code's schema: nothing left to migrate.
    check = target.run("migrate", "--check", key=key)
    assert check.returncode == 0, check.stdout + check.stderr

    # A second restore into the now full database is refused, and changes nothing.
    again = target.run("restore", str(file), key=key)
    assert again.returncode != 0
    assert "La base de destination n'est pas vide" in again.stderr
    assert target.state() == before
    assert files_state(target.media) == restored_files


@pytest.fixture
def app_role(transactional_db):
    """A LOGIN role set up by ``maillage db_app_role`` on the test database; dropped after."""
    import psycopg

    name = f"maillage_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN')
    call_command("db_app_role", name, stdout=StringIO())
    yield name
    s = connection.settings_dict
    with psycopg.connect(dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
                         host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432,
                         autocommit=True) as admin:
        admin.execute(f'DROP OWNED BY "{name}"')
        admin.execute(f'DROP ROLE "{name}"')


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="PostgreSQL only: SQLite has no roles")
@pytest.mark.django_db(transaction=True)
def test_the_application_role_can_make_the_nightly_backup(app_role, health_data, key, tmp_path):
    """The worker runs as the application role: pg_dump must be able to read everything."""
    s = connection.settings_dict
    url = f"postgres://{app_role}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    file = tmp_path / "maillage.sauvegarde"
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(tmp_path / "media"),
           "BACKUP_KEY": key, "MAILLAGE_VAR_DIR": str(tmp_path / "var"),
           "MAILLAGE_TESTING": "0"}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "maillage.cli", "backup", "--out", str(file)], env=env,
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    assert "Sauvegarde écrite" in done.stdout
    manifest = unpack(file, backup_crypto.parse_key(key), tmp_path / "stage")
    assert manifest["tables"]["beneficiaries_beneficiary"]["rows"] == 1
    assert manifest["tables"][AUDIT]["rows"] >= 2


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="PostgreSQL only: the dump streamed in parts")
@pytest.mark.django_db(transaction=True)
def test_a_dump_in_many_parts_restores_whole(health_data, key, target, tmp_path):
    """pg_dump's output goes into the archive in parts (8 MiB in production, 16 KiB here):
    they are joined back in order."""
    file = tmp_path / "maillage.sauvegarde"
    backup(file, part_size=16 * 1024)
    manifest = unpack(file, backup_crypto.parse_key(key), tmp_path / "stage")
    assert manifest["database"]["parts"] > 3

    done = target.run("restore", str(file), key=key)
    assert done.returncode == 0, done.stderr
    assert "Restauration vérifiée" in done.stdout
    assert target.state() == source_state()


# --- Refusals ----------------------------------------------------------------------------------


def tamper(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case, expected", [
    ("wrong key", "Clé de sauvegarde incorrecte"),
    ("tampered", "Sauvegarde altérée"),
    ("truncated", "Sauvegarde tronquée"),
    ("media not empty", "contient déjà des fichiers"),
])
def test_a_backup_that_cannot_be_trusted_restores_nothing(
        case, expected, health_data, key, target, tmp_path):
    file = tmp_path / "maillage.sauvegarde"
    make_backup(file)
    restore_key = key
    if case == "wrong key":
        restore_key = new_key()
    elif case == "tampered":
        tamper(file)
    elif case == "truncated":
        truncate(file)
    else:
        (target.media / "ancien").mkdir(parents=True)
        (target.media / "ancien" / "note.txt").write_text("déjà là")

    done = target.run("restore", str(file), key=restore_key)

    assert done.returncode != 0
    assert expected in done.stderr
    assert "Rien n'a été restauré" in done.stderr
    assert "Traceback" not in done.stderr
    assert target.tables() == []
    left = files_state(target.media) if target.media.exists() else {}
    assert left == ({"ancien/note.txt": hashlib.sha256("déjà là".encode()).hexdigest()}
                    if case == "media not empty" else {})


@pytest.mark.django_db(transaction=True)
def test_restore_into_the_database_in_use_is_refused(health_data, key, tmp_path):
    file = tmp_path / "maillage.sauvegarde"
    make_backup(file)
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(file))
    assert "Rien n'a été restauré" in refused.value.args[0]


@pytest.mark.django_db(transaction=True)
def test_the_backup_file_is_encrypted(health_data, key, tmp_path):
    file = tmp_path / "maillage.sauvegarde"
    make_backup(file)
    data = file.read_bytes()
    assert data.startswith(b"MAILLAGE\x01")
    for clear in (NAME.encode(), NOTE.encode(), "hématome".encode(), b"%PDF-",
                  b"SQLite format 3", b"PGDMP", b"manifest.json", b"beneficiaries_"):
        assert clear not in data
    assert oct(file.stat().st_mode & 0o777) == "0o600"


def test_backup_refuses_to_overwrite_a_file(db, key, tmp_path):
    file = tmp_path / "maillage.sauvegarde"
    file.write_bytes(b"une autre sauvegarde")
    with pytest.raises(CommandError, match="existe déjà"):
        make_backup(file)
    assert file.read_bytes() == b"une autre sauvegarde"


def test_backup_refuses_to_go_into_the_documents_folder(db, key, media):
    media.mkdir(parents=True)
    with pytest.raises(CommandError, match="ne vont pas dans le dossier des documents"):
        make_backup(media / "maillage.sauvegarde")
    assert list(media.iterdir()) == []


@pytest.mark.parametrize("value, expected", [
    ("", "BACKUP_KEY n'est pas défini"),
    ("trop-courte", "BACKUP_KEY est invalide"),
    ("!" * 44, "BACKUP_KEY est invalide"),
])
def test_a_missing_or_invalid_key_is_refused(db, settings, tmp_path, value, expected):
    settings.BACKUP_KEY = value
    with pytest.raises(CommandError, match=expected):
        make_backup(tmp_path / "maillage.sauvegarde")
    assert list(tmp_path.iterdir()) == []


def test_new_key_is_printed_and_usable():
    first, second = StringIO(), StringIO()
    call_command("backup", nouvelle_cle=True, stdout=first)
    call_command("backup", nouvelle_cle=True, stdout=second)
    key = first.getvalue().splitlines()[0]
    assert len(backup_crypto.parse_key(key)) == 32
    assert key != second.getvalue().splitlines()[0]
    assert "ailleurs que les sauvegardes" in first.getvalue()


# --- The encrypted stream ----------------------------------------------------------------------


def encrypt(data: bytes, key: bytes) -> bytes:
    import io

    raw = io.BytesIO()
    writer = EncryptingWriter(raw, key)
    for start in range(0, len(data), 70_000):
        writer.write(data[start:start + 70_000])
    writer.finish()
    return raw.getvalue()


def decrypt(blob: bytes, key: bytes) -> bytes:
    import io

    reader = DecryptingReader(io.BytesIO(blob), key)
    data = reader.read()
    reader.read_to_end()
    return data


def chunks(blob: bytes) -> list[bytes]:
    """The encrypted chunks of ``blob``, each with its length prefix."""
    out, offset = [], backup_crypto.HEADER_BYTES
    while offset < len(blob):
        size = int.from_bytes(blob[offset:offset + 4], "big") & ~backup_crypto.LAST
        out.append(blob[offset:offset + 4 + size])
        offset += 4 + size
    return out


class TestStream:
    key = os.urandom(32)
    data = os.urandom(2 * backup_crypto.CHUNK + 12_345)

    def test_round_trip_over_several_chunks(self):
        blob = encrypt(self.data, self.key)
        assert len(chunks(blob)) == 3
        assert decrypt(blob, self.key) == self.data
        assert decrypt(encrypt(b"", self.key), self.key) == b""

    def test_the_same_data_twice_gives_different_files(self):
        assert encrypt(b"abc", self.key) != encrypt(b"abc", self.key)

    def test_wrong_key(self):
        with pytest.raises(BackupError, match="Clé de sauvegarde incorrecte"):
            decrypt(encrypt(self.data, self.key), os.urandom(32))

    def test_every_kind_of_change_is_refused(self):
        blob = encrypt(self.data, self.key)
        header, parts = blob[:backup_crypto.HEADER_BYTES], chunks(blob)
        altered = {
            "one bit of a chunk": blob[:-50] + bytes([blob[-50] ^ 1]) + blob[-49:],
            "chunks swapped": header + parts[1] + parts[0] + parts[2],
            "a chunk repeated": header + parts[0] + parts[0] + parts[1] + parts[2],
            "something appended": blob + b"\x00",
            "last-chunk flag moved": header + parts[0]
            + bytes([parts[1][0] | 0x80]) + parts[1][1:],
        }
        for what, changed in altered.items():
            with pytest.raises(BackupError, match="Sauvegarde altérée"):
                decrypt(changed, self.key)
                pytest.fail(what)

    def test_a_file_cut_anywhere_is_refused(self):
        blob = encrypt(self.data, self.key)
        parts = chunks(blob)
        boundary = backup_crypto.HEADER_BYTES + len(parts[0]) + len(parts[1])
        for cut in (boundary, boundary - 1, backup_crypto.HEADER_BYTES,
                    backup_crypto.HEADER_BYTES + 3, len(blob) - 1):
            with pytest.raises(BackupError, match="tronquée"):
                decrypt(blob[:cut], self.key)

    def test_not_a_backup(self):
        with pytest.raises(BackupError, match="pas une sauvegarde Maillage"):
            decrypt(b"SQLite format 3\x00" + b"\x00" * 100, self.key)


# --- Nightly backups ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_nightly_backups_keep_the_newest(health_data, key, settings, tmp_path):
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    (folder / "lisez-moi.txt").write_text("autre chose")
    (folder / "maillage-20260101-023000.sauvegarde.partial").write_bytes(b"interrompue")
    settings.BACKUP_DIR, settings.BACKUP_KEEP = str(folder), 3
    start = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    for night in range(5):
        periodic_backup(now=start + timedelta(days=night))

    assert sorted(p.name for p in folder.iterdir()) == [
        "lisez-moi.txt",
        "maillage-20261203-023000.sauvegarde",
        "maillage-20261204-023000.sauvegarde",
        "maillage-20261205-023000.sauvegarde",
    ]
    manifest = unpack(folder / "maillage-20261205-023000.sauvegarde",
                      backup_crypto.parse_key(key), tmp_path / "stage")
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["beneficiaries_beneficiary"]["rows"] == 1
    assert len(manifest["documents"]) == 2


def test_nightly_task_does_nothing_without_a_folder(db, key, settings):
    settings.BACKUP_DIR = ""
    assert backup_nightly.call_local() is None


def test_nightly_task_failure_is_logged_and_raised(db, settings, tmp_path, caplog):
    settings.BACKUP_DIR, settings.BACKUP_KEY = str(tmp_path / "sauvegardes"), ""
    with caplog.at_level(logging.ERROR, logger="maillage.core.tasks"), \
            pytest.raises(BackupError):
        backup_nightly.call_local()
    assert "Nightly backup" in caplog.text
    assert "BACKUP_KEY n'est pas défini" in caplog.text
    assert list((tmp_path / "sauvegardes").iterdir()) == []
