"""``maillage bench_report --scale N``: the annual activity report of one CRT-year at the demo
×1 and ×N (issue 14: under 1 s at ×10). A benchmark, not a test.

On the benchmark databases of ``maillage bench --scale`` (built, or found with ``--reuse``), for
« CRT Anjou Bleu » and the last closed calendar year, it times ``--runs`` times each:

- the figures: ``reports.build_snapshot`` (every indicator with its breakdowns, the team, the
  agreements, governance, rooms, satisfaction and budget), what « Créer » and « Recalculer »
  compute; median, worst and query count;
- the report's page as the director opens it (the stored snapshot laid out);
- the XLSX, and the PDF once per size (WeasyPrint's layout depends on the report's length, not
  on the number of people).

The databases are read, never written: the snapshot is computed, not saved.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from maillage.core.models import Crt

TARGET_S = 1.0


def _timed(runs: int, call) -> tuple[list[float], int, object]:
    times, queries, result = [], 0, None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            result = call()
            times.append(time.perf_counter() - start)
        queries = len(captured)
    return times, queries, result


class Command(BaseCommand):
    help = "Mesure le calcul du rapport annuel d'un CRT (démonstration ×1 et ×N)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=10, help="Taille comparée (×10).")
        parser.add_argument("--runs", type=int, default=3, help="Mesures par étape (3).")
        parser.add_argument("--reuse", action="store_true",
                            help="Réutiliser les bases de banc déjà chargées.")
        parser.add_argument("--no-pdf", action="store_true", help="Ne pas mesurer le PDF.")

    def handle(self, *args, scale, runs, reuse, no_pdf, **options):
        from maillage.core.bench_db import bench_database
        from maillage.core.management.commands.demo import DEMO_MARKER_CRT

        if scale < 2 or runs < 1:
            raise CommandError("--scale doit être au moins 2 et --runs au moins 1.")
        year = timezone.localdate().year - 1
        lines = []
        for size in (1, scale):
            with bench_database(size, reuse=reuse, out=self.stdout):
                crt = Crt.objects.get(name=DEMO_MARKER_CRT)
                lines.append((size, self._measure(crt, year, runs, pdf=not no_pdf)))
        self.stdout.write(f"\nRapport annuel {year} de « {DEMO_MARKER_CRT} », {connection.vendor}"
                          f", {runs} mesures par étape (médiane / pire, requêtes)\n")
        self.stdout.write(f"  {'étape':34} " + " ".join(f"{f'×{s}':>24}" for s, _ in lines))
        for step in lines[0][1]:
            cells = []
            for _, measured in lines:
                times, queries = measured[step]
                cells.append(f"{statistics.median(times):7.2f} s / {max(times):5.2f} s "
                             f"{queries:4d} r" if queries is not None else
                             f"{statistics.median(times):7.2f} s / {max(times):5.2f} s      ")
            self.stdout.write(f"  {step:34} " + " ".join(f"{c:>24}" for c in cells))
        worst = max(lines[-1][1]["Chiffres (build_snapshot)"][0])
        verdict = (self.style.SUCCESS if worst < TARGET_S else self.style.ERROR)(
            f"Chiffres du rapport à ×{scale} : {worst:.2f} s au pire (cible < {TARGET_S:.0f} s).")
        self.stdout.write(verdict)

    def _measure(self, crt, year: int, runs: int, *, pdf: bool) -> dict:
        from datetime import date

        from maillage.steering import report_files, reports
        from maillage.steering.models import ReportKind

        start, end = date(year, 1, 1), date(year, 12, 31)
        measured = {}
        times, queries, snapshot = _timed(runs, lambda: reports.build_snapshot(
            crt=crt, kind=ReportKind.ANNUAL, start=start, end=end))
        measured["Chiffres (build_snapshot)"] = (times, queries)
        times, _, _ = _timed(runs, lambda: reports.layout(snapshot, {}))
        measured["Mise en page (sections, tableaux)"] = (times, None)
        times, _, _ = _timed(runs, lambda: report_files.render_xlsx(
            snapshot, {}, number=1, status="brouillon"))
        measured["XLSX"] = (times, None)
        if pdf:
            times, _, _ = _timed(1, lambda: report_files.render_pdf(
                snapshot, {}, number=1, status="brouillon"))
            measured["PDF (WeasyPrint, une fois)"] = (times, None)
        return measured
