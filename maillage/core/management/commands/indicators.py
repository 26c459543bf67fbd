"""``maillage indicators --crt FINESS --from YYYY-MM-DD --to YYYY-MM-DD --format json|csv|xlsx``:
every registered indicator of a CRT for a period (``maillage.core.indicators``), printed or
written to ``--out``.

JSON: an object keyed by indicator code, each with its value, unit, count, previous period's
value, breakdowns (rows label → value) and extra figures. CSV (``;``, for French spreadsheets):
one line per value, breakdown row and extra figure (for an amount, a row's sum then its count
of records). XLSX (written to ``--out`` only): the CSV's
lines on a sheet « Indicateurs », values as numbers, and a sheet « Définitions » (code, name,
definition, unit, version). Aggregates only: no person is named, so nothing is audited.
"""

import io
import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from maillage.core import indicators
from maillage.core.csvexport import SafeCsvWriter
from maillage.core.indicators import Period, Result
from maillage.core.models import Crt

FORMATS = ("json", "csv", "xlsx")

CSV_HEADER = ("code", "indicateur", "unité", "période", "ventilation", "catégorie", "valeur",
              "période précédente", "valeur de la période précédente")


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Date invalide pour {option} : « {value} » (format attendu "
                           "AAAA-MM-JJ, par exemple 2026-01-31).") from None


def as_json(results: dict[str, Result]) -> str:
    return json.dumps({code: r.as_dict() for code, r in results.items()}, ensure_ascii=False,
                      indent=2)


def csv_rows(results: dict[str, Result]):
    for code, r in results.items():
        name, unit, period = r.indicator.name, r.unit, r.period.label
        yield (code, name, unit, period, "", "", r.value,
               r.previous_period.label if r.previous_period else None, r.previous_value)
        for b in r.breakdowns:
            for row in b.rows:
                if row.amount is None:
                    yield code, name, unit, period, b.label, row.label, row.value, None, None
                else:  # an amount: the row's sum, then the records behind it
                    yield code, name, unit, period, b.label, row.label, row.amount, None, None
                    yield (code, name, "enregistrements", period, b.label,
                           f"{row.label} — nombre d'enregistrements", row.value, None, None)
        for e in r.extras:
            yield code, name, e.unit, period, "Complément", e.label, e.value, None, None


def _cell(sheet, row: int, column: int, value) -> None:
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: never read as a formula


def write_xlsx(results: dict[str, Result], path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Indicateurs"
    for r, line in enumerate((CSV_HEADER, *csv_rows(results)), start=1):
        for c, value in enumerate(line, start=1):
            _cell(sheet, r, c, "" if value is None and r == 1 else value)
    definitions = book.create_sheet("Définitions")
    for r, line in enumerate(
            (("code", "indicateur", "définition", "unité", "version"),
             *((code, res.indicator.name, res.indicator.definition, res.indicator.unit,
                res.indicator.version) for code, res in results.items())), start=1):
        for c, value in enumerate(line, start=1):
            _cell(definitions, r, c, value)
    for ws in (sheet, definitions):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    sheet.column_dimensions["B"].width = 60
    definitions.column_dimensions["B"].width = 60
    definitions.column_dimensions["C"].width = 100
    book.save(path)


def as_csv(results: dict[str, Result]) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(results))
    return out.getvalue()


class Command(BaseCommand):
    help = "Calcule tous les indicateurs d'un CRT pour une période (JSON, CSV ou XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("--crt", required=True, metavar="FINESS",
                            help="FINESS du CRT (9 caractères).")
        parser.add_argument("--from", required=True, dest="start", metavar="AAAA-MM-JJ",
                            help="Premier jour de la période.")
        parser.add_argument("--to", required=True, dest="end", metavar="AAAA-MM-JJ",
                            help="Dernier jour de la période (inclus).")
        parser.add_argument("--format", default="json", choices=FORMATS,
                            help="json (par défaut), csv ou xlsx (avec --out).")
        parser.add_argument("--out", default="", metavar="FICHIER",
                            help="Écrire dans ce fichier plutôt qu'à l'écran.")

    def handle(self, *args, crt: str, start: str, end: str, format: str, out: str, **options):
        if format == "xlsx" and not out:
            raise CommandError("Le format xlsx s'écrit dans un fichier : indiquez-le avec "
                               "--out (par exemple --out indicateurs.xlsx).")
        first, last = _date(start, "--from"), _date(end, "--to")
        try:
            period = Period.between(first, last)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        found = Crt.objects.filter(finess=crt.strip()).first()
        if found is None:
            raise CommandError(f"Aucun CRT n'a le FINESS « {crt} ».")
        results = indicators.compute_all(crt=found, period=period)
        if format == "xlsx":
            try:
                write_xlsx(results, out)
            except OSError as exc:
                raise CommandError(f"Impossible d'écrire le fichier « {out} » : "
                                   f"{exc.strerror}.") from None
            self.stdout.write(f"{len(results)} indicateurs de {found.name} ({period.label}) "
                              f"écrits dans {out}.")
            return
        text = as_json(results) if format == "json" else as_csv(results)
        if not out:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
            return
        try:
            with open(out, "w", encoding="utf-8-sig" if format == "csv" else "utf-8",
                      newline="") as file:
                file.write(text)
        except OSError as exc:
            raise CommandError(f"Impossible d'écrire le fichier « {out} » : "
                               f"{exc.strerror}.") from None
        self.stdout.write(f"{len(results)} indicateurs de {found.name} ({period.label}) "
                          f"écrits dans {out}.")
