"""``maillage bench``: server time of the main pages on the loaded data (demo or real).

Runs each page through the whole Django stack (middleware, permissions, templates) with the
test client, as the demo accounts, and prints the median and worst time and the query count.

``--scale N`` compares sizes: it builds (or reuses with ``--reuse``) two databases on the
configured engine — the demo ×1 and ×N (SQLite files under ``var/bench/``, or PostgreSQL
databases ``<name>_bench_x1`` / ``<name>_bench_xN``) — times every page on both and prints
p95 at both sizes, their ratio, the query count, the HTML size (raw and gzip) and whether the
response came gzip-encoded, marking the key pages that miss the targets of SPEC §6. The two
sizes are measured in alternating rounds (``--rounds``, ×1 then ×N, again and again), so that a
machine busier during one part of the run weighs on both sizes alike; the CPU time of the Django
process per request is printed beside the wall time (on SQLite it holds the database's work too,
and other processes on the machine barely change it).

``--load`` runs the Locust scenario (``maillage/core/bench_load/locustfile.py``) against
gunicorn: see :mod:`maillage.core.bench_load.run`.
"""

import gc
import gzip
import math
import statistics
import time
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import resolve

from maillage.core.discovery import app_modules
from maillage.core.plurals import count_label
from maillage.core.preload import freeze_loaded_application

#: Targets of issue 12 for the key pages (SPEC §6).
MAX_RATIO = 1.5
MAX_P95_MS = 150.0
MAX_TEAM_DAY_BYTES = 300 * 1024

#: The key pages, as (account, URL name): the targets apply to them.
KEY_PAGES = {
    ("coordinator", "core:home"): "Accueil coordination",
    ("coordinator", "visits:team_day"): "Journée de l'équipe",
    ("coordinator", "visits:professional_week"): "Semaine des professionnels",
    ("coordinator", "admissions:file_active"): "File active",
    ("coordinator", "admissions:waiting_list"): "Liste d'attente",
    ("coordinator", "beneficiaries:list"): "Liste des personnes",
    ("auditor", "core:audit_list"): "Journal d'audit",
    ("care_aide", "visits:my_day"): "Mes passages",
    ("nurse", "oncall:screen"): "Recherche d'astreinte",
    ("doctor", "beneficiaries:detail"): "Dossier d'une personne",
    ("coordinator", "interop:patient_search _count=20"): "API FHIR : 20 Patients",
    ("doctor", "interop:patient_search _count=20"): "API FHIR : dernière page d'un export",
}


def pages():
    """The pages each app contributes in its ``bench.py``, in INSTALLED_APPS order, as
    ``(username, url, client_headers)``: an app whose pages are no browser's (the API) gives
    ``client_headers(user) -> dict`` in its ``bench.py`` (a bearer token instead of a session,
    None for a session)."""
    for module in app_modules("bench"):
        headers = getattr(module, "client_headers", None)
        for username, url in module.pages():
            yield username, url, headers


def _settings() -> dict:
    """What the apps' ``bench.py`` change for the run (``SETTINGS``: e.g. the API's rate limit,
    which a bench exceeds by design)."""
    changed = {}
    for module in app_modules("bench"):
        changed.update(getattr(module, "SETTINGS", {}))
    return changed


def page_key(username: str, url: str) -> tuple[str, str]:
    """A page's identity across databases (its URL holds public ids that differ): the view,
    and an API page's size (``_count``: pages of 20 and of 100 Patients are two pages)."""
    path, _, query = url.partition("?")
    count = QueryDict(query).get("_count")
    return username, resolve(path).view_name + (f" _count={count}" if count else "")


def p95(times: list[float]) -> float:
    """The 95th percentile, nearest rank (the worst time below 20 runs)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Measure:
    username: str
    url: str
    median_ms: float
    p95_ms: float
    worst_ms: float
    queries: int
    html_bytes: int
    gzip_bytes: int
    gzip_encoded: bool
    #: The HTTP status when not 200 (the page is then reported, not timed).
    status: int = 200
    #: Every timed run: wall and CPU time of this process (ms).
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)

    @property
    def cpu_p95_ms(self) -> float:
        return p95(self.cpu_times) if self.cpu_times else 0.0

    def merged(self, other: "Measure") -> "Measure":
        """The same page measured in two rounds: the runs of both."""
        if other.status != 200 or self.status != 200:
            return self if self.status != 200 else other
        times, cpu = self.times + other.times, self.cpu_times + other.cpu_times
        return replace(other, times=times, cpu_times=cpu, median_ms=statistics.median(times),
                       p95_ms=p95(times), worst_ms=max(times),
                       queries=max(self.queries, other.queries))


def _client(user, host: str, client_headers) -> Client:
    """A browser's session, or the headers an app's ``bench.py`` gives (the API's token)."""
    extra = client_headers(user) if client_headers else {}
    client = Client(HTTP_HOST=host, HTTP_ACCEPT_ENCODING="gzip", raise_request_exception=False,
                    **extra)
    if not client_headers:
        client.force_login(user)
    return client


def measure_pages(runs: int, only: str = "") -> dict[tuple[str, str], Measure]:
    """Time every bench page (those whose view name contains ``only``) on the current database,
    ``runs`` times each after a warm-up, asking for gzip as a browser does. The loaded
    application is frozen out of the collector's full passes first, as in a web worker
    (``maillage.core.preload``): otherwise one run in forty paid a full pass over this
    process's objects (100 ms), a p95 that said nothing of the page."""
    freeze_loaded_application()
    try:
        with override_settings(**_settings()):
            return _measure_pages(runs, only)
    finally:
        gc.unfreeze()


def _measure_pages(runs: int, only: str) -> dict[tuple[str, str], Measure]:
    users = get_user_model().objects
    if not users.filter(username="coordinator").exists():
        raise CommandError("Chargez d'abord la démonstration : uv run maillage demo --no-serve")
    host = next((h for h in settings.ALLOWED_HOSTS if h not in {"*", ""}), "localhost")
    clients: dict[tuple, Client] = {}
    results = {}
    for username, url, client_headers in pages():
        key = page_key(username, url)
        if only not in key[1]:
            continue
        client = clients.get((username, client_headers))
        if client is None:
            client = clients[username, client_headers] = _client(
                users.get(username=username), host, client_headers)
        warm_up = client.get(url)
        if warm_up.status_code != 200:
            # A broken page is reported on its line; the others are still measured.
            results[key] = Measure(username, url, 0, 0, 0, 0, 0, 0, False,
                                   status=warm_up.status_code)
            continue
        times, cpu_times = [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                start, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                cpu_times.append((time.process_time() - cpu) * 1000)
        body = b"".join(response) if response.streaming else response.content
        encoded = response.get("Content-Encoding") == "gzip"
        html = gzip.decompress(body) if encoded else body
        results[key] = Measure(
            username=username, url=url, median_ms=statistics.median(times),
            p95_ms=p95(times), worst_ms=max(times), queries=len(queries),
            html_bytes=len(html), gzip_bytes=len(body) if encoded else len(gzip.compress(html)),
            gzip_encoded=encoded, times=times, cpu_times=cpu_times)
    return results


def misses(key, small: Measure | None, large: Measure) -> list[str]:
    """The targets a key page misses at the larger size (French, for the table)."""
    if large.status != 200 or (small is not None and small.status != 200):
        return [f"statut {small.status if small and small.status != 200 else large.status}"]
    if key not in KEY_PAGES:
        return []
    missed = []
    if small is not None and small.p95_ms > 0 and large.p95_ms / small.p95_ms > MAX_RATIO:
        missed.append(f"ratio > {MAX_RATIO}")
    if large.p95_ms > MAX_P95_MS:
        missed.append(f"p95 > {MAX_P95_MS:.0f} ms")
    if key[1] == "visits:team_day" and large.html_bytes > MAX_TEAM_DAY_BYTES:
        missed.append("HTML > 300 Ko")
    if not large.gzip_encoded:
        missed.append("pas de gzip")
    return missed


def _kb(n: int) -> str:
    return f"{n / 1024:.0f} Ko"


class Command(BaseCommand):
    help = "Mesure le temps serveur des pages principales (données de démonstration chargées)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument(
            "--rounds", type=int, default=4,
            help="Avec --scale : mesurer ×1 et ×N en N tours alternés (les --runs partagés).")
        parser.add_argument(
            "--scale", type=int, default=None,
            help="Compare la démonstration ×1 et ×N dans deux bases de banc dédiées.")
        parser.add_argument(
            "--reuse", action="store_true",
            help="Réutiliser les bases de banc déjà chargées (sinon elles sont recréées).")
        parser.add_argument(
            "--load", action="store_true",
            help="Scénario de charge Locust (gunicorn 4 workers) au lieu des temps serveur.")
        parser.add_argument(
            "--only", default="",
            help="Seulement les pages dont le nom de vue contient ce texte (ex. « interop: »).")
        parser.add_argument("--users", type=int, default=100, help="Utilisateurs Locust.")
        parser.add_argument("--seconds", type=int, default=60, help="Durée du tir Locust.")
        parser.add_argument("--workers", type=int, default=4, help="Workers gunicorn.")

    def handle(self, *args, runs, rounds, scale, reuse, load, users, seconds, workers, only,
               **options):
        if runs < 1:
            raise CommandError("--runs doit être au moins 1.")
        if scale is not None and not 1 <= rounds <= runs:
            raise CommandError("--rounds doit être entre 1 et --runs.")
        if load:
            from maillage.core.bench_load.run import run_load

            run_load(self.stdout, scale=scale, reuse=reuse, users=users, seconds=seconds,
                     workers=workers)
            return
        if scale is None:
            self._single(runs, only)
            return
        if scale < 2:
            raise CommandError("--scale doit être au moins 2 (comparé à ×1).")
        self._compare(runs, scale, reuse, rounds, only)

    def _single(self, runs: int, only: str) -> None:
        self.stdout.write(f"{'page':55} {'médiane':>8} {'p95':>8} {'requêtes':>9} {'HTML':>8}")
        for m in measure_pages(runs, only).values():
            if m.status != 200:
                self.stdout.write(f"{m.username + ' ' + m.url:55} statut {m.status}")
                continue
            self.stdout.write(
                f"{m.username + ' ' + m.url:55} {m.median_ms:7.1f}ms {m.p95_ms:7.1f}ms "
                f"{m.queries:9d} {_kb(m.html_bytes):>8}")

    def _compare(self, runs: int, scale: int, reuse: bool, rounds: int, only: str) -> None:
        from maillage.core.bench_db import bench_database

        for size in (1, scale):  # both loaded (or found) first
            with bench_database(size, reuse=reuse, out=self.stdout):
                pass
        measured: dict[int, dict] = {1: {}, scale: {}}
        for done in range(rounds):
            share = runs // rounds + (done < runs % rounds)
            for size in (1, scale):
                with bench_database(size, reuse=True, out=self.stdout, quiet=True) as label:
                    self.stdout.write(f"Tour {done + 1}/{rounds} : pages ×{size} ({label}, "
                                      f"{share} passages)…")
                    for key, m in measure_pages(share, only).items():
                        seen = measured[size].get(key)
                        measured[size][key] = seen.merged(m) if seen else m
        small, large = measured[1], measured[scale]
        engine = connection.vendor
        self.stdout.write(
            f"\nBanc {engine}, démonstration ×1 et ×{scale}, {runs} passages par page en "
            f"{rounds} tours alternés (★ : page clé, cibles : ratio ≤ 1,5, p95 ×N ≤ 150 ms, "
            "journée ≤ 300 Ko, gzip ; « CPU » : p95 du temps processeur du processus Django)\n")
        header = (f"  {'page':58} {'p95 ×1':>8} {f'p95 ×{scale}':>9} {'ratio':>6} "
                  f"{'CPU ×1':>7} {f'CPU ×{scale}':>7} {'ratio':>6} "
                  f"{'requêtes':>9} {'HTML':>8} {'gzip':>7} {'gzip ?':>6}  écarts")
        self.stdout.write(header)
        failed = 0
        for key, m in large.items():
            s = small.get(key)
            label = KEY_PAGES.get(key, f"{m.username} {m.url.split('?')[0]}")
            star = "★" if key in KEY_PAGES else " "
            missed = misses(key, s, m)
            failed += bool(missed)
            ratio = f"{m.p95_ms / s.p95_ms:6.2f}" if s and s.p95_ms and m.p95_ms else f"{'—':>6}"
            cpu_ratio = (f"{m.cpu_p95_ms / s.cpu_p95_ms:6.2f}" if s and s.cpu_p95_ms
                         and m.cpu_p95_ms else f"{'—':>6}")
            queries = f"{s.queries}→{m.queries}" if s and s.queries != m.queries else str(
                m.queries)
            self.stdout.write(
                f"{star} {label[:58]:58} "
                f"{(f'{s.p95_ms:.1f}' if s else '—'):>8} {m.p95_ms:9.1f} {ratio} "
                f"{(f'{s.cpu_p95_ms:.1f}' if s else '—'):>7} {m.cpu_p95_ms:7.1f} {cpu_ratio} "
                f"{queries:>9} {_kb(m.html_bytes):>8} {_kb(m.gzip_bytes):>7} "
                f"{'oui' if m.gzip_encoded else 'non':>6}  "
                + (self.style.ERROR("✗ " + ", ".join(missed)) if missed else ""))
        missing = [label for key, label in KEY_PAGES.items()
                   if key not in large and only in key[1]]
        if missing:
            self.stdout.write(self.style.WARNING(
                "Pages clés absentes des bench.py : " + ", ".join(missing)))
        verdict = (self.style.SUCCESS("Toutes les pages clés tiennent les cibles.") if not failed
                   else self.style.ERROR(f"{count_label(failed, 'page')} hors cible ou en erreur."))
        self.stdout.write(verdict)
