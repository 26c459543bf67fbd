"""The regional view's tables as CSV and XLSX: the same suppressed cells as the pages (a hidden
cell is its text, « < 5 » or « s », never its number), numbers as numbers otherwise."""

import re
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from maillage.core.csvexport import csv_safe, csv_streaming_response
from maillage.core.smallcells import LEGEND, Cell

BOLD = Font(bold=True)


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Any]]


def value(item: Any) -> Any:
    return item.export if isinstance(item, Cell) else item


def csv_response(filename: str, heading: list[str], sheets: list[Sheet]):
    """One CSV: the heading lines (region, period, legend), then each table under its title."""
    def rows():
        for line in heading[1:]:
            yield [line]
        yield [LEGEND]
        for sheet in sheets:
            yield []
            yield [sheet.title]
            yield sheet.header
            for row in sheet.rows:
                yield [value(v) for v in row]

    return csv_streaming_response(filename=f"{filename}.csv", header=[heading[0]], rows=rows())


def xlsx_response(filename: str, heading: list[str], sheets: list[Sheet]) -> HttpResponse:
    """One workbook, a sheet per table, the heading and the legend on top of each."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet_title(sheet.title))
        for line in [*heading, LEGEND]:
            ws.append([csv_safe(line)])
        ws["A1"].font = BOLD
        ws.append([])
        ws.append([csv_safe(h) for h in sheet.header])
        for cell in ws[ws.max_row]:
            cell.font = BOLD
        for row in sheet.rows:
            ws.append([_xlsx(value(v)) for v in row])
        ws.column_dimensions["A"].width = 50
    out = BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def sheet_title(title: str) -> str:
    """A title a workbook accepts: none of ``[]:*?/\\``, at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:31].strip() or "Feuille"


def _xlsx(item: Any) -> Any:
    """Text is always text (never a formula); numbers stay numbers."""
    if isinstance(item, str):
        return csv_safe(item)
    return item
