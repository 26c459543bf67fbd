"""``maillage bench --load``: gunicorn (N workers, PostgreSQL) under the Locust scenario of
``locustfile.py``, run headless in its own process; prints throughput, p95 and errors per page
and the throughput of « Mes passages » as a share of the bare health check."""

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from django.core.management.base import CommandError
from django.db import connections

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("gunicorn s'est arrêté au démarrage (voir sa sortie ci-dessus).")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise CommandError("gunicorn ne répond pas sur /healthz.")


def _database_url(name: str | None) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if name is None:
        return url
    return urlsplit(url)._replace(path="/" + name).geturl()


def read_stats(path: Path) -> list[dict]:
    """Locust's ``*_stats.csv``: one row per page, then the « Aggregated » line."""
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def report(rows: list[dict], seconds: float, out) -> None:
    """The French table of a Locust run: per page, requests, throughput, p95, errors."""
    out.write(f"\n  {'page':36} {'requêtes':>9} {'req/s':>7} {'médiane':>8} {'p95':>7} "
              f"{'erreurs':>8}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "total"
        out.write(f"  {name[:36]:36} {int(row['Request Count']):9d} "
                  f"{float(row['Requests/s']):7.1f} {row['50%']:>6}ms {row['95%']:>5}ms "
                  f"{int(row['Failure Count']):8d}")


def capacity_share(health: list[dict], my_day: list[dict], out) -> None:
    """« Mes passages » capacity as a share of the bare health check's, both measured alone by
    clients without pause on the same server."""
    def rate(rows, name):
        row = next((r for r in rows if r["Name"] == name), None)
        return float(row["Requests/s"]) if row else 0.0

    page, ceiling = rate(my_day, "mes passages"), rate(health, "healthz")
    if ceiling:
        out.write(f"\n  Capacité, clients sans pause : « Mes passages » {page:.1f} req/s, "
                  f"{100 * page / ceiling:.1f} % du simple contrôle de santé "
                  f"({ceiling:.1f} req/s).")


#: The roles' journeys (``locustfile.py``); the capacity classes run alone.
MIX = ["Coordinator", "CareAide", "Nurse", "Auditor", "Doctor"]


def _locust(locust: str, host: str, tmp: Path, prefix: str, classes: list[str], users: int,
            seconds: int, out) -> list[dict]:
    """One headless Locust run of these user classes; its per-page statistics."""
    log = tmp / f"{prefix}.log"
    with log.open("w") as log_file:
        # Stats are reset once every user is spawned (the logins are not counted).
        subprocess.run(  # noqa: S603
            [locust, "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
             "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "-H", host,
             "--csv", str(tmp / prefix), "--reset-stats", "--only-summary", *classes],
            check=False, stdout=log_file, stderr=subprocess.STDOUT)
    stats = tmp / f"{prefix}_stats.csv"
    if not stats.exists():
        raise CommandError("Locust n'a pas produit de statistiques :\n"
                           + log.read_text()[-3000:])
    failures = tmp / f"{prefix}_failures.csv"
    if failures.exists() and len(failures.read_text().splitlines()) > 1:
        out.write(f"\nErreurs (Locust, {prefix}) :\n" + failures.read_text())
    return read_stats(stats)


def run_load(out, *, scale: int | None, reuse: bool, users: int, seconds: int,
             workers: int) -> None:
    conn = connections["default"]
    if conn.vendor != "postgresql":
        raise CommandError("Le scénario de charge se lance sur PostgreSQL (DATABASE_URL=postgres://…).")
    locust = shutil.which("locust") or str(Path(sys.executable).with_name("locust"))
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    name = None
    if scale is not None:
        from maillage.core.bench_db import bench_database

        with bench_database(scale, reuse=reuse, out=out) as name:
            pass
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": _database_url(name),
           "DJANGO_SETTINGS_MODULE": "maillage.settings"}
    out.write(f"gunicorn {workers} workers sur {host} ({name or conn.settings_dict['NAME']})…")
    server = subprocess.Popen(  # noqa: S603
        # The settings of ``maillage serve`` (its workers freeze the loaded application).
        [gunicorn, "maillage.wsgi", "--config", "python:maillage.core.gunicorn_conf",
         "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"], env=env)
    try:
        _wait_healthy(host, server)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            out.write("Capacité : 10 clients sans pause, 15 s sur le contrôle de santé, puis "
                      "15 s sur « Mes passages »…")
            health = _locust(locust, host, tmp, "health", ["Health"], 10, 15, out)
            my_day = _locust(locust, host, tmp, "myday", ["MyDaySaturation"], 10, 15, out)
            out.write(f"Locust : {users} utilisateurs, {seconds} s…")
            rows = _locust(locust, host, tmp, "load", MIX, users, seconds, out)
        report(rows, seconds, out)
        capacity_share(health, my_day, out)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
