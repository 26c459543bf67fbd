"""Backups of a Maillage instance: the database and the uploaded documents, in one encrypted file.

``maillage backup --out FILE`` writes, encrypted with ``BACKUP_KEY`` (``core.backup_crypto``), a
tar stream of:

- ``database.dump`` (PostgreSQL: ``pg_dump -Fc``) or ``database.sqlite3`` (SQLite: a copy made
  with SQLite's online backup API);
- ``documents/<path>``: every file under ``MEDIA_ROOT`` (the uploaded documents);
- ``manifest.json`` (last): format, creation time, engine, the migrations applied, every table's
  row count and checksum, every document's path, size and SHA-256, the dump's SHA-256.

The checksums describe exactly what is dumped: on PostgreSQL they are computed in a
``REPEATABLE READ`` transaction whose snapshot ``pg_dump`` shares (``--snapshot``); on SQLite,
on the copy.

``maillage restore FILE`` first decrypts and authenticates the whole file into a private
temporary directory (a wrong key, an altered or a truncated file: refused, nothing touched), then
restores into the database of ``DATABASE_URL``, which must have no table, and into
``MEDIA_ROOT``, which must hold no file, and finally recomputes every count, checksum and
document hash and compares them with the manifest.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from .backup_crypto import (
    NOTHING_RESTORED,
    BackupError,
    DecryptingReader,
    EncryptingWriter,
    parse_key,
)

logger = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
DOCUMENTS = "documents"
PERIODIC_PREFIX = "maillage-"
PERIODIC_SUFFIX = ".sauvegarde"
COPY_BLOCK = 1024 * 1024
DUMP_PART = 8 * 1024 * 1024

# PostgreSQL: the session settings that shape a row's text (``t::text``), fixed so that the
# checksums do not depend on the server's or the role's defaults.
PG_STABLE_OUTPUT = (
    "SET LOCAL TIME ZONE 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
)
# Every row's MD5, summed as two 64-bit halves: the same whatever the rows' order, computed in
# one pass without holding the table in memory.
PG_TABLE_SUM = (
    "SELECT count(*), "
    "coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint), 0)::text || '.' || "
    "coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint), 0)::text "
    "FROM (SELECT md5(t::text) AS h FROM {table} AS t) AS rows"
)


@dataclass
class Summary:
    path: Path
    engine: str
    tables: int
    rows: int
    documents: int
    size: int


# --- Key and settings --------------------------------------------------------------------------


def backup_key() -> bytes:
    return parse_key(getattr(settings, "BACKUP_KEY", ""))


# --- Fingerprints: every table's row count and checksum ----------------------------------------


def pg_fingerprints(cursor) -> dict[str, dict]:
    """Every table of the current schema (not only Django's models). Within a transaction."""
    for statement in PG_STABLE_OUTPUT:
        cursor.execute(statement)
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    tables = [name for (name,) in cursor.fetchall()]
    result = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        cursor.execute(PG_TABLE_SUM.format(table=quoted))
        rows, checksum = cursor.fetchone()
        result[table] = {"rows": rows, "checksum": checksum}
    return result


def sqlite_fingerprints(db: sqlite3.Connection) -> dict[str, dict]:
    """Every table of the file, SQLite's own (``sqlite_sequence``) included."""
    tables = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    result = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        rows, total = 0, 0
        for row in db.execute(f"SELECT * FROM {quoted}"):  # noqa: S608 - a name from the file
            rows += 1
            total += int.from_bytes(hashlib.md5(repr(row).encode(), usedforsecurity=False)
                                    .digest())
        result[table] = {"rows": rows, "checksum": f"{total % (1 << 128):032x}"}
    return result


def _sqlite_migrations(db: sqlite3.Connection) -> list[str]:
    try:
        rows = db.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in rows]
    except sqlite3.OperationalError:
        return []


# --- PostgreSQL: connection settings for pg_dump / pg_restore ----------------------------------


def _libpq_env(settings_dict: dict) -> dict[str, str]:
    """pg_dump / pg_restore's environment for the database of ``settings_dict``: libpq's own
    variables, so that the password never appears on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    options = settings_dict.get("OPTIONS") or {}
    pairs = {
        "PGDATABASE": settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGPASSFILE": options.get("passfile"),
        "PGSERVICE": options.get("service"),
    }
    env.update({k: str(v) for k, v in pairs.items() if v not in (None, "")})
    return env


_NO_CLIENT = ("{tool} est introuvable : installez les outils clients de PostgreSQL (même version "
              "majeure que le serveur, ou plus récente).")


def _failed(what: str, stderr: str) -> str:
    return f"{what} a échoué : " + " / ".join(stderr.strip().splitlines()[-5:])


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(_NO_CLIENT.format(tool=command[0])) from exc
    if done.returncode != 0:
        raise BackupError(_failed(what, done.stderr))


def _fresh_connection(alias: str):
    """A new connection to the same database, apart from Django's (which may be inside a
    transaction)."""
    connection = connections[alias]
    return type(connection)(copy.deepcopy(connection.settings_dict), alias)


# --- Backup ------------------------------------------------------------------------------------


def _dump_postgresql(alias: str, tar: tarfile.TarFile,
                     part_size: int) -> tuple[dict, dict, list[str]]:
    """``pg_dump``'s output streamed into ``tar`` in parts of ``part_size`` bytes (no plain copy
    on disk, memory flat); the checksums in the same snapshot."""
    wrapper = _fresh_connection(alias)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            database = _stream_pg_dump(tar, snapshot, _libpq_env(wrapper.settings_dict),
                                       part_size)
            tables = pg_fingerprints(cursor)
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
            migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
            cursor.execute("COMMIT")
    finally:
        wrapper.close()
    return database, tables, migrations


def _stream_pg_dump(tar: tarfile.TarFile, snapshot: str, env: dict[str, str],
                    part_size: int) -> dict:
    digest, size, parts = hashlib.sha256(), 0, 0
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(  # noqa: S603
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}"],  # noqa: S607
                env=env, stdout=subprocess.PIPE, stderr=errors)
        except FileNotFoundError as exc:
            raise BackupError(_NO_CLIENT.format(tool="pg_dump")) from exc
        try:
            while piece := process.stdout.read(part_size):
                info = tarfile.TarInfo(f"{PG_DUMP}.{parts:05d}")
                info.size, info.mode = len(piece), 0o600
                tar.addfile(info, _BytesReader(piece))
                digest.update(piece)
                size += len(piece)
                parts += 1
        finally:
            process.stdout.close()  # pg_dump stops if the archive could not take its output
            returncode = process.wait()
        if returncode != 0:
            errors.seek(0)
            raise BackupError(_failed("pg_dump", errors.read().decode(errors="replace")))
    return {"member": PG_DUMP, "parts": parts, "size": size, "sha256": digest.hexdigest()}


def _copy_sqlite(alias: str, target: Path) -> tuple[dict, list[str]]:
    connection = connections[alias]
    if connection.in_atomic_block:
        # SQLite's backup would wait forever for this connection's own write lock.
        raise BackupError("Une sauvegarde ne se lance pas dans une transaction en cours.")
    connection.ensure_connection()
    copy_db = sqlite3.connect(target)
    try:
        connection.connection.backup(copy_db)
        copy_db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        return sqlite_fingerprints(copy_db), _sqlite_migrations(copy_db)
    finally:
        copy_db.close()


class _HashingReader:
    def __init__(self, raw):
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, name: str) -> dict:
    with source.open("rb") as raw:
        info = tarfile.TarInfo(name)
        info.size = os.fstat(raw.fileno()).st_size
        info.mode = 0o600
        reader = _HashingReader(raw)
        tar.addfile(info, reader)
    return {"size": info.size, "sha256": reader.sha256.hexdigest()}


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def _open_exclusive(path: Path):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def backup(out: Path | str, *, using: str = DEFAULT_DB_ALIAS,
           part_size: int = DUMP_PART) -> Summary:
    """Write the encrypted backup to ``out`` (refused if it exists). Written beside it under a
    ``.partial`` name first, renamed when complete. ``part_size``: the PostgreSQL dump goes
    into the archive in parts of that many bytes."""
    key = backup_key()
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} existe déjà : choisissez un autre nom de fichier.")
    if not out.parent.is_dir():
        raise BackupError(f"Le dossier {out.parent} n'existe pas.")
    engine = connections[using].vendor
    if engine not in ("postgresql", "sqlite"):
        raise BackupError(f"Base {engine!r} non prise en charge.")
    partial = out.with_name(out.name + ".partial")
    media_root = Path(settings.MEDIA_ROOT)
    if out.parent.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(f"Les sauvegardes ne vont pas dans le dossier des documents "
                          f"({media_root}, MEDIA_ROOT) : choisissez un autre dossier.")
    try:
        with _open_exclusive(partial) as raw:
            writer = EncryptingWriter(raw, key)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                if engine == "postgresql":
                    database, tables, migrations = _dump_postgresql(using, tar, part_size)
                else:
                    with tempfile.TemporaryDirectory(prefix="maillage-sauvegarde-") as work:
                        copied = Path(work, SQLITE_COPY)
                        tables, migrations = _copy_sqlite(using, copied)
                        database = {"member": SQLITE_COPY,
                                    **_add_file(tar, copied, SQLITE_COPY)}
                documents = {}
                for path in _media_files(media_root):
                    relative = path.relative_to(media_root).as_posix()
                    try:
                        documents[relative] = _add_file(tar, path,
                                                        f"{DOCUMENTS}/{relative}")
                    except FileNotFoundError:
                        continue  # deleted since the listing (retention purge): not kept
                manifest = {
                    "format": FORMAT,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "engine": engine,
                    "migrations": migrations,
                    "database": database,
                    "tables": tables,
                    "documents": documents,
                }
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, _BytesReader(data))
            writer.finish()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Sauvegarde impossible : {exc.strerror or exc} "
                          f"({exc.filename or out}).") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Summary(path=out, engine=engine, tables=len(tables),
                   rows=sum(t["rows"] for t in tables.values()), documents=len(documents),
                   size=out.stat().st_size)


class _BytesReader:
    def __init__(self, data: bytes):
        self._data, self._offset = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._offset + size
        piece = self._data[self._offset:end]
        self._offset += len(piece)
        return piece


# --- Restore -----------------------------------------------------------------------------------


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(p in ("", ".", "..") for p in path.parts):
        raise BackupError(f"Sauvegarde invalide : nom de fichier refusé ({name!r}). "
                          f"{NOTHING_RESTORED}")
    return path


def unpack(source: Path, key: bytes, stage: Path) -> dict:
    """Decrypt and authenticate the whole backup into ``stage``; return its manifest after
    checking every staged file against it."""
    stage.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        raw = source.open("rb")
    except OSError as exc:
        raise BackupError(f"Impossible de lire {source} : {exc.strerror}.") from exc
    with raw:
        reader = DecryptingReader(raw, key)
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                parts = 0
                for member in tar:
                    path = _safe_member(member.name)
                    if not member.isfile():
                        raise BackupError(f"Sauvegarde invalide : {member.name!r} n'est pas un "
                                          f"fichier. {NOTHING_RESTORED}")
                    if member.name == f"{PG_DUMP}.{parts:05d}":
                        # The dump's parts, in order, joined back into one file.
                        target, parts = stage / PG_DUMP, parts + 1
                        out = target.open("ab") if parts > 1 else _open_exclusive(target)
                    else:
                        target = stage.joinpath(*path.parts)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        out = _open_exclusive(target)
                    with tar.extractfile(member) as data, out:
                        shutil.copyfileobj(data, out, COPY_BLOCK)
        except tarfile.TarError as exc:
            raise BackupError(f"Sauvegarde invalide (archive illisible : {exc}). "
                              f"{NOTHING_RESTORED}") from exc
        except OSError as exc:
            raise BackupError(
                f"Impossible de décompresser la sauvegarde dans le dossier temporaire "
                f"({exc.strerror or exc}) : il faut autant de place libre que la taille de la "
                f"sauvegarde (variable TMPDIR pour en choisir un autre). {NOTHING_RESTORED}"
            ) from exc
        reader.read_to_end()
    manifest_path = stage / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"Sauvegarde invalide : pas de manifeste. {NOTHING_RESTORED}")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Format de sauvegarde inconnu ({manifest.get('format')!r}). "
                          f"{NOTHING_RESTORED}")
    expected = {f"{DOCUMENTS}/{p}": d for p, d in manifest["documents"].items()}
    expected[manifest["database"]["member"]] = manifest["database"]
    staged = {p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()}
    staged.discard(MANIFEST)
    if staged != set(expected):
        raise BackupError(f"Sauvegarde incohérente : les fichiers ne sont pas ceux du manifeste. "
                          f"{NOTHING_RESTORED}")
    for name, described in expected.items():
        if _sha256(stage / name) != described["sha256"]:
            raise BackupError(f"Sauvegarde incohérente : {name} ne correspond pas au manifeste. "
                              f"{NOTHING_RESTORED}")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _known_migrations(alias: str) -> set[str]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def _sqlite_path(alias: str) -> Path:
    name = str(connections[alias].settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError("La restauration SQLite a besoin d'un fichier de base (DATABASE_URL "
                          f"sqlite:///chemin) et non d'une base en mémoire. {NOTHING_RESTORED}")
    return Path(name)


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        db.close()


def target_tables(alias: str) -> list[str]:
    connection = connections[alias]
    if connection.vendor == "sqlite":
        return _sqlite_tables(_sqlite_path(alias))
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def _check_targets(alias: str, media_root: Path) -> None:
    tables = target_tables(alias)
    if tables:
        raise BackupError(
            f"La base de destination n'est pas vide ({len(tables)} tables) : la restauration se "
            "fait dans une base neuve, sans aucune table (PostgreSQL : createdb ; SQLite : un "
            f"fichier qui n'existe pas encore). {NOTHING_RESTORED}"
        )
    if _media_files(media_root):
        raise BackupError(
            f"Le dossier des documents {media_root} (MEDIA_ROOT) contient déjà des fichiers : "
            f"la restauration se fait dans un dossier vide. {NOTHING_RESTORED}"
        )


def _restore_postgresql(alias: str, dump: Path) -> dict:
    connection = connections[alias]
    connection.close()
    try:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={connection.settings_dict['NAME']}",
              str(dump)], _libpq_env(connection.settings_dict), "pg_restore")
    except BackupError as exc:
        # One transaction: the database is as it was (empty).
        raise BackupError(f"{exc.message} {NOTHING_RESTORED}") from exc
    wrapper = _fresh_connection(alias)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            fingerprints = pg_fingerprints(cursor)
            cursor.execute("COMMIT")
    finally:
        wrapper.close()
    return fingerprints


def _restore_sqlite(alias: str, copy_path: Path) -> dict:
    connections[alias].close()
    target = _sqlite_path(alias)
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (target, *(Path(f"{target}{s}") for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)  # an empty database (checked): nothing is lost
    incoming = target.with_name(target.name + ".restauration")
    shutil.copyfile(copy_path, incoming)
    os.chmod(incoming, 0o600)
    os.replace(incoming, target)
    db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        return sqlite_fingerprints(db)
    finally:
        db.close()


def _restore_documents(stage: Path, media_root: Path, manifest: dict) -> dict[str, str]:
    restored = {}
    for relative in manifest["documents"]:
        target = media_root.joinpath(*PurePosixPath(relative).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(stage / DOCUMENTS / relative, target)
        os.chmod(target, 0o600)
    for path in _media_files(media_root):
        restored[path.relative_to(media_root).as_posix()] = _sha256(path)
    return restored


@dataclass
class RestoreReport:
    engine: str
    created_at: str
    tables: int
    rows: int
    documents: int


def restore(source: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> RestoreReport:
    """Restore the backup ``source`` into the (empty) database ``using`` and the (empty)
    MEDIA_ROOT, then verify everything against the manifest."""
    key = backup_key()
    source = Path(source)
    engine = connections[using].vendor
    media_root = Path(settings.MEDIA_ROOT)
    _check_targets(using, media_root)
    with tempfile.TemporaryDirectory(prefix="maillage-restauration-") as work:
        stage = Path(work)
        os.chmod(stage, 0o700)
        manifest = unpack(source, key, stage)
        if manifest["engine"] != engine:
            raise BackupError(
                f"Cette sauvegarde est une base {manifest['engine']} : elle se restaure dans une "
                f"base du même type, pas dans {engine}. {NOTHING_RESTORED}"
            )
        unknown = sorted(set(manifest["migrations"]) - _known_migrations(using))
        if unknown:
            raise BackupError(
                "Cette sauvegarde vient d'une version plus récente de Maillage (migrations "
                f"inconnues : {', '.join(unknown[:5])}) : installez cette version d'abord. "
                f"{NOTHING_RESTORED}"
            )
        _check_targets(using, media_root)
        dump = stage / manifest["database"]["member"]
        if engine == "postgresql":
            tables = _restore_postgresql(using, dump)
        else:
            tables = _restore_sqlite(using, dump)
        documents = _restore_documents(stage, media_root, manifest)
    problems = _differences(manifest, tables, documents)
    if problems:
        raise BackupError(
            "Restauration NON vérifiée : la base ou les documents restaurés diffèrent de la "
            f"sauvegarde ({'; '.join(problems[:10])}). Ne mettez pas cette base en service ; "
            "supprimez-la et recommencez dans une base neuve."
        )
    return RestoreReport(engine=engine, created_at=manifest["created_at"], tables=len(tables),
                         rows=sum(t["rows"] for t in tables.values()),
                         documents=len(documents))


def _differences(manifest: dict, tables: dict, documents: dict[str, str]) -> list[str]:
    problems = []
    expected = manifest["tables"]
    for name in sorted(set(expected) | set(tables)):
        if name not in tables:
            problems.append(f"table {name} absente")
        elif name not in expected:
            problems.append(f"table {name} en trop")
        elif tables[name]["rows"] != expected[name]["rows"]:
            problems.append(f"table {name} : {tables[name]['rows']} lignes au lieu de "
                            f"{expected[name]['rows']}")
        elif tables[name]["checksum"] != expected[name]["checksum"]:
            problems.append(f"table {name} : contenu différent")
    wanted = {p: d["sha256"] for p, d in manifest["documents"].items()}
    for path in sorted(set(wanted) | set(documents)):
        if wanted.get(path) != documents.get(path):
            problems.append(f"document {path} différent ou absent")
    return problems


# --- Periodic backups --------------------------------------------------------------------------


def periodic_name(now: datetime) -> str:
    return f"{PERIODIC_PREFIX}{now.astimezone(UTC):%Y%m%d-%H%M%S}{PERIODIC_SUFFIX}"


def periodic_backup(*, now: datetime | None = None) -> Summary | None:
    """Into ``BACKUP_DIR`` (nothing when it is empty): a new backup named
    ``maillage-AAAAMMJJ-HHMMSS.sauvegarde`` (UTC), then only the ``BACKUP_KEEP`` newest kept."""
    directory = getattr(settings, "BACKUP_DIR", "")
    if not directory:
        return None
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    summary = backup(directory / periodic_name(now or datetime.now(UTC)))
    prune(directory, keep=settings.BACKUP_KEEP)
    return summary


def prune(directory: Path, *, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest periodic backups (by name: the name is the time), and
    the leftovers of interrupted ones. Other files are left alone."""
    ours = sorted(p for p in directory.iterdir() if p.is_file()
                  and p.name.startswith(PERIODIC_PREFIX) and p.name.endswith(PERIODIC_SUFFIX))
    doomed = ours[:-keep] if keep > 0 else []
    doomed += [p for p in directory.iterdir() if p.is_file()
               and p.name.startswith(PERIODIC_PREFIX)
               and p.name.endswith(PERIODIC_SUFFIX + ".partial")]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
