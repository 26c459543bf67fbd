"""``maillage report annual --crt FINESS --year YYYY --out DIR`` and
``maillage report half_year --crt FINESS --year YYYY --half 1|2 --out DIR``: write the PDF and
the XLSX of a freshly computed report.

The report is computed from the records at that moment and **not stored**: the stored versions
(drafts, submitted, corrections) are made on the reports' pages, where the director writes the
texts and submits. A file written here carries no version and empty texts. Aggregates only: no
person is named; nothing is audited (as ``maillage indicators``), the command being run by
whoever operates the server, not by a user of a CRT."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from maillage.core.models import Crt
from maillage.steering import report_files, reports
from maillage.steering.models import ReportKind


class Command(BaseCommand):
    help = "Écrit le PDF et le XLSX du rapport d'activité annuel ou du bilan semestriel d'un CRT."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k.value for k in ReportKind],
                            help="annual (rapport annuel) ou half_year (bilan semestriel)")
        parser.add_argument("--crt", required=True, help="numéro FINESS du CRT")
        parser.add_argument("--year", required=True, help="année, par exemple 2026")
        parser.add_argument("--half", help="semestre du bilan : 1 ou 2")
        parser.add_argument("--out", required=True, help="dossier où écrire les fichiers")

    def handle(self, *args, kind, crt, year, half, out, **options):
        try:
            year = int(year)
        except ValueError:
            raise CommandError(f"Année invalide : « {year} » (par exemple 2026).") from None
        if not 2020 <= year <= 2100:
            raise CommandError("Indiquez une année entre 2020 et 2100.")
        if kind == ReportKind.HALF_YEAR:
            if half not in ("1", "2"):
                raise CommandError("Un bilan semestriel demande --half 1 ou --half 2.")
            half = int(half)
        elif half is not None:
            raise CommandError("--half ne s'emploie qu'avec half_year.")
        found = Crt.objects.filter(finess=crt).first()
        if found is None:
            raise CommandError(f"Aucun CRT de numéro FINESS « {crt} ».")
        try:
            period = reports.report_period(crt=found, kind=kind, year=year, half=half)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if period.start > timezone.localdate():
            raise CommandError("Cette période n'a pas commencé.")
        directory = Path(out)
        if not directory.is_dir():
            raise CommandError(f"Le dossier « {out} » n'existe pas.")
        snapshot = reports.build_snapshot(crt=found, kind=kind, start=period.start,
                                          end=period.end)
        written = []
        for extension, render in (("pdf", report_files.render_pdf),
                                  ("xlsx", report_files.render_xlsx)):
            path = directory / report_files.file_name(snapshot, None, extension)
            try:
                path.write_bytes(render(snapshot, {}))
            except OSError as error:
                raise CommandError(f"Impossible d'écrire « {path} » : "
                                   f"{error.strerror or error}.") from None
            written.append(path)
        for path in written:
            self.stdout.write(str(path))
