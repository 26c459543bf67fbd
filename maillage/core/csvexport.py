"""CSV exports: one writer for all of them, safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets (``=HYPERLINK(…)``, ``=cmd|…``): anything typed by a user
(a name from the anonymous public referral form, for one) must never start a formula in an
export. Following OWASP ("CSV Injection"), such cells are prefixed with a single quote, which the
spreadsheet shows as text and the reader can still see.

Every CSV export goes through ``csv_streaming_response`` (or at least ``csv_safe`` /
``SafeCsvWriter``); a test walks the project and fails on a ``csv.writer`` used elsewhere.
"""

import csv
import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

#: First characters that make a spreadsheet evaluate a cell.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """The value as it may be written in a CSV cell.

    Text starting with a dangerous character gets a leading ``'``. Real numbers (``int``,
    ``float``, ``Decimal``) stay numbers: a negative amount is not a formula. ``None`` becomes an
    empty cell, booleans ``oui``/``non``, dates ``dd/mm/yyyy`` (datetimes in the current time
    zone, ``dd/mm/yyyy HH:MM:SS``); anything else is written as its text, neutralised too.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


def csv_number(value: Any) -> Any:
    """A cell of a CSV file for French spreadsheets (``;`` between cells): a number with a
    decimal part is written with a decimal comma (« 21,08 »; « 21.08 » would be read as a
    date), without the trailing zeros of a computation beyond the cents; anything else as
    it is."""
    if isinstance(value, bool) or not isinstance(value, float | Decimal):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return ""
        if value.as_tuple().exponent < -2:
            value = value.normalize()
        text = format(value, "f")
    else:
        if not math.isfinite(value):
            return ""
        text = repr(value)
    return text.replace(".", ",")


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming responses."""

    def write(self, value: str) -> str:
        return value


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_safe`` (French Excel's ``;``)."""

    def __init__(self, file=None, *, delimiter: str = ";"):
        self._writer = csv.writer(file if file is not None else _Echo(), delimiter=delimiter)
        self._comma = delimiter == ";"

    def writerow(self, row: Iterable[Any]):
        cells = [csv_safe(value) for value in row]
        if self._comma:  # French Excel: decimal comma (a ``,``-separated file keeps the dot)
            cells = [csv_number(cell) for cell in cells]
        return self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_streaming_response(
    *, filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]], delimiter: str = ";"
) -> StreamingHttpResponse:
    """A downloadable CSV (UTF-8 with BOM, for Excel), streamed row by row, every cell safe."""
    writer = SafeCsvWriter(delimiter=delimiter)

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
