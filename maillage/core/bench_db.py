"""The benchmark databases of ``maillage bench --scale``: one per demo size, on the engine of
``DATABASE_URL`` (SQLite files under ``var/bench/``, PostgreSQL databases ``<name>_bench_xN``),
built once and reused with ``--reuse``."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections


def bench_name(scale: int, settings_dict: dict | None = None) -> str:
    """The database NAME of the ×``scale`` benchmark demo for the configured engine."""
    settings_dict = settings_dict or settings.DATABASES["default"]
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return str(Path(settings.VAR_DIR) / "bench" / f"maillage_x{scale}.sqlite3")
    if engine.endswith("postgresql"):
        return f"{settings_dict['NAME']}_bench_x{scale}"
    raise CommandError(f"Moteur non pris en charge par le banc : {engine}.")


def _exists(conn, name: str) -> bool:
    if conn.vendor == "sqlite":
        return Path(name).exists()
    with conn._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _recreate(conn, name: str) -> None:
    if conn.vendor == "sqlite":
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    quoted = conn.ops.quote_name(name)
    with conn._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
        cursor.execute(f"CREATE DATABASE {quoted}")


@contextmanager
def use_database(name: str) -> Iterator[None]:
    """Point the default connection at database ``name`` for the block."""
    conn = connections["default"]
    original = conn.settings_dict["NAME"]
    conn.close()
    conn.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict["NAME"] = original
        ContentType.objects.clear_cache()


@contextmanager
def bench_database(scale: int, *, reuse: bool, out, quiet: bool = False) -> Iterator[str]:
    """The default connection on the ×``scale`` demo database, (re)built unless ``reuse`` and
    already loaded. Yields the database's name. ``quiet``: a database already prepared in this
    run (migrated, loaded): no migration, no message."""
    from maillage.core.management.commands.demo import DEMO_MARKER_CRT, load_demo
    from maillage.core.models import Crt

    conn = connections["default"]
    name = bench_name(scale, conn.settings_dict)
    if not (reuse and _exists(conn, name)):
        _recreate(conn, name)
    with use_database(name):
        if quiet:
            yield name
            return
        call_command("migrate", interactive=False, verbosity=0)
        if not Crt.objects.filter(name=DEMO_MARKER_CRT).exists():
            out.write(f"Chargement de la démonstration ×{scale} dans {name}…")
            started, cpu = time.monotonic(), time.process_time()
            load_demo(scale=scale, progress=lambda line: out.write(f"  {line}"))
            # The CPU time of this process too: on a shared machine the wall time says little.
            out.write(f"Démonstration ×{scale} chargée en {time.monotonic() - started:.0f} s "
                      f"(CPU du processus Django : {time.process_time() - cpu:.0f} s).")
            if conn.vendor == "postgresql":
                # Planner statistics and the visibility map now, as autovacuum would later:
                # measuring a freshly loaded database without them once gave a visits query of
                # minutes, and index-only scans (the file active's stored months) read the heap
                # until the table is vacuumed.
                with conn.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
        else:
            out.write(f"Démonstration ×{scale} réutilisée ({name}).")
        yield name
