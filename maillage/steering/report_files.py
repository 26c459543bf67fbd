"""The files of an activity report: the PDF (WeasyPrint through ``core.pdf``: title page, table
of contents with page numbers, one part per section) and the workbook (openpyxl: one sheet per
section plus « Définitions »; numbers as numbers, totals as SUM formulas, text never a
formula). Both render ``reports.layout``: the same numbers as the page, masked by the
small-cell pass (a hidden figure is its text, « < 5 » or « s »; a total over a hidden cell is
the pass's, not a SUM)."""

import hashlib
from io import BytesIO
from typing import Any

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from maillage.core.csvexport import csv_safe

from . import reports
from .models import ReportKind

BOLD = Font(bold=True)
EUR = '#,##0.00 "€"'
TITLE = Font(bold=True, size=14)


def title_of(kind: str) -> str:
    return ReportKind(kind).label


def file_name(snapshot: dict, number: int | None, extension: str) -> str:
    kind = "rapport-annuel" if snapshot["kind"] == ReportKind.ANNUAL else "bilan-semestriel"
    suffix = f"-v{number}" if number else ""
    return (f"{kind}-{snapshot['identity']['finess']}-{snapshot['period']['start']}_"
            f"{snapshot['period']['end']}{suffix}.{extension}")


def _pdf_html(snapshot: dict, narratives: dict, *, number: int | None, status: str,
              submitted_at, printed_at) -> str:
    snapshot = reports.shown(snapshot)
    return render_to_string("steering/reports/report_pdf.html", {
        "s": snapshot, "sections": reports.layout(snapshot, narratives),
        "title": title_of(snapshot["kind"]), "number": number, "status": status,
        "submitted_at": submitted_at, "printed_at": printed_at,
        "definitions": reports.definitions(snapshot),
    })


def render_pdf(snapshot: dict, narratives: dict, *, number: int | None = None,
               status: str = "", submitted_at=None) -> bytes:
    from maillage.core.pdf import render_pdf as html_to_pdf  # WeasyPrint on first use only

    return html_to_pdf(_pdf_html(snapshot, narratives, number=number, status=status,
                                 submitted_at=submitted_at, printed_at=timezone.localtime()))


def report_pdf(report) -> bytes:
    """The PDF of one version of a report, rendered now."""
    return render_pdf(report.snapshot, report.narratives, number=report.number,
                      status=report.get_status_display().lower(),
                      submitted_at=report.submitted_at)


#: How long the PDF of a version not kept (a draft) is served again while its content stays
#: the same: its cover's « Imprimé le » is the time it was rendered, at most this old.
DRAFT_PDF_SECONDS = 24 * 3600


def _draft_key(report) -> str:
    """The shared cache's key of a draft's PDF: a digest of its document without the print
    date (``draft_pdf``)."""
    content = _pdf_html(report.snapshot, report.narratives, number=report.number,
                        status=report.get_status_display().lower(),
                        submitted_at=report.submitted_at, printed_at=None)
    return f"steering:report-pdf:{report.public_id}:{hashlib.sha256(content.encode()).hexdigest()}"


def ready_pdf(report) -> bytes | None:
    """The PDF of ``report`` if it is already made: a submitted version's kept file, or a
    draft's from the shared cache while its document reads the same (``draft_pdf``). None
    when it has to be rendered (``prepare_pdf``)."""
    from django.core.cache import cache

    from maillage.core.downloads import open_stored

    if keeps_pdf(report):
        if not report.pdf:
            return None
        with open_stored(report.pdf) as handle:
            return handle.read()
    return cache.get(_draft_key(report))


#: How long a rendering asked for is taken as under way: the pages that wait for it ask for
#: no other one before (a worker that died mid-rendering is replaced after this).
PENDING_SECONDS = 120


def pending_key(pk: int) -> str:
    return f"steering:report-pdf-pending:{pk}"


def prepare_pdf(report) -> None:
    """Have the task queue render the PDF of ``report`` (WeasyPrint takes seconds for a year's
    report: never inside a web request), once while a rendering is under way."""
    from django.core.cache import cache

    from .tasks import report_pdf_prepare

    if cache.add(pending_key(report.pk), True, timeout=PENDING_SECONDS):
        report_pdf_prepare(report.pk)


def draft_pdf(report) -> bytes:
    """The PDF of a version whose file is not kept (a draft, a version stored before the
    small-cell pass): rendered by the task queue when first asked for (``prepare_pdf``), then
    the same file while the document would read the same. WeasyPrint takes seconds for a
    year's report (about 50 pages), the figures a few milliseconds: the key is a digest of the
    document's HTML without its print date, so new figures (« Recalculer »), texts, a
    submission or a new template make a new file, and nothing else does. Kept in the shared
    cache (aggregates, masked as shown)."""
    from django.core.cache import cache

    key = _draft_key(report)
    pdf = cache.get(key)
    if pdf is None:
        pdf = report_pdf(report)
        cache.set(key, pdf, timeout=DRAFT_PDF_SECONDS)
    return pdf


def keeps_pdf(report) -> bool:
    """Whether the PDF of ``report`` is kept once made: a submitted version whose snapshot has
    the small-cell pass (one stored before it is masked when shown: its PDF, kept or not, is
    rendered at each download, masked)."""
    return not report.is_draft and report.snapshot.get("schema", 1) >= reports.SCHEMA


def store_pdf(report) -> bool:
    """Render and keep the PDF of a submitted version, once: a version that has its file keeps
    it. Returns whether this call stored it (when two workers race, the first file written
    wins and the other is removed)."""
    from .models import ActivityReport

    if not keeps_pdf(report) or report.pdf:
        return False
    report.pdf.save("rapport.pdf", ContentFile(report_pdf(report)), save=False)
    stored = ActivityReport.objects.filter(
        pk=report.pk, status=ActivityReport.Status.SUBMITTED, pdf="").update(
        pdf=report.pdf.name)
    if not stored:
        report.pdf.storage.delete(report.pdf.name)
        report.refresh_from_db(fields=["pdf"])
    return bool(stored)


def _cell(ws, row: int, column: int, value: Any):
    """Numbers stay numbers; text is neutralised (``csv_safe``) and typed as text."""
    if isinstance(value, str):
        value = csv_safe(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(c for c in title if c not in '[]:*?/\\')[:28].strip()
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} ({n})", n + 1
    used.add(name)
    return name


def _write_table(ws, row: int, table: reports.Table) -> int:
    """Write ``table`` from ``row``; return the next free row."""
    _cell(ws, row, 1, table.title).font = BOLD
    row += 1
    for c, heading in enumerate(table.columns, start=1):
        _cell(ws, row, c, heading).font = BOLD
    row += 1
    first = row
    for values, money in table.rows_with_money:
        for c, value in enumerate(values, start=1):
            if table.row_total and c - 1 == table.row_total[0]:
                refs = "+".join(f"{get_column_letter(s + 1)}{row}" for s in table.row_total[1])
                ws.cell(row=row, column=c, value=f"={refs}")
            else:
                _cell(ws, row, c, value)
            if c - 1 in money:
                ws.cell(row=row, column=c).number_format = EUR
        row += 1
    if table.sum_columns and table.rows:
        _cell(ws, row, 1, "Total").font = BOLD
        for c in table.sum_columns:
            letter = get_column_letter(c + 1)
            if table.summable(c):
                total = ws.cell(row=row, column=c + 1,
                                value=f"=SUM({letter}{first}:{letter}{row - 1})")
            else:
                total = _cell(ws, row, c + 1, table.total[c])
            total.font = BOLD
            if c in table.money:
                total.number_format = EUR
        row += 1
    if table.note:
        _cell(ws, row, 1, table.note).alignment = Alignment(wrap_text=False)
        row += 1
    return row + 1


def render_xlsx(snapshot: dict, narratives: dict, *, number: int | None = None,
                status: str = "") -> bytes:
    snapshot = reports.shown(snapshot)
    book = Workbook()
    used: set[str] = set()
    first = True
    for section in reports.layout(snapshot, narratives):
        ws = book.active if first else book.create_sheet()
        first = False
        ws.title = _sheet_title(section.sheet_name, used)
        _cell(ws, 1, 1, section.title).font = TITLE
        header = (f"{title_of(snapshot['kind'])} — {snapshot['identity']['name']} — "
                  f"{snapshot['period']['label']}")
        if number:
            header += f" — version {number}" + (f" ({status})" if status else "")
        _cell(ws, 2, 1, header)
        _cell(ws, 3, 1, snapshot["small_cells"])
        row = 5
        if section.intro:
            _cell(ws, row, 1, section.intro)
            row += 2
        for table in section.tables:
            row = _write_table(ws, row, table)
        for narrative, text in section.narratives:
            _cell(ws, row, 1, narrative.title).font = BOLD
            _cell(ws, row + 1, 1, text or "(non renseigné)").alignment = Alignment(
                wrap_text=True, vertical="top")
            row += 3
        ws.column_dimensions["A"].width = 60
        for letter in "BCDEFGH":
            ws.column_dimensions[letter].width = 18
    ws = book.create_sheet(_sheet_title("Définitions", used))
    for c, heading in enumerate(["Code", "Indicateur", "Définition", "Unité", "Version"],
                                start=1):
        _cell(ws, 1, c, heading).font = BOLD
    for r, values in enumerate(reports.definitions(snapshot), start=2):
        for c, value in enumerate(values, start=1):
            _cell(ws, r, c, value)
    _cell(ws, len(snapshot["indicators"]) + 3, 1, snapshot["small_cells"])
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 50
    ws.column_dimensions["C"].width = 100
    out = BytesIO()
    book.save(out)
    return out.getvalue()
