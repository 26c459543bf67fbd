"""Read a response the way a user reads the page: its visible text."""

import io
import re
from html import unescape
from html.parser import HTMLParser

_SPACES = re.compile(r"[ \t\n\r\f]+")  # not the narrow no-break space of French numbers


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "head"}:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style", "head"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(_SPACES.sub(" ", data).strip())


def visible_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def table_text(response) -> str:
    """Visible text of the rows of the page's first table (not its filters or navigation)."""
    html = response.content.decode()
    start = html.find("<tbody")
    if start == -1:
        return ""
    parser = _Text()
    parser.feed(html[start : html.find("</tbody>", start)])
    return " ".join(parser.parts)


def order_in(text: str, names) -> list[str]:
    """``names`` in the order they first appear in ``text`` (a visible text: each must be
    there)."""
    found = {name: text.find(name) for name in names}
    assert all(at >= 0 for at in found.values()), found
    return sorted(names, key=found.__getitem__)


def field_error(response, name: str) -> str:
    """The error text shown next to the form field ``name`` (the block its widget names in
    aria-describedby), tags removed; empty when none."""
    found = re.search(rf'id="id_{name}_errors"[^>]*>(.*?)</div>', response.content.decode(),
                      re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, its whitespace collapsed (pypdf)."""
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf: bytes) -> set[str]:
    """The fonts a PDF's pages use, by family name without the subset prefix (« DejaVu-Sans »)."""
    from pypdf import PdfReader

    return {str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1]
            for page in PdfReader(io.BytesIO(pdf)).pages
            for font in (page["/Resources"].get("/Font") or {}).values()}


def sqlite_plan(sql: str, params=()) -> list[str]:
    """The steps of SQLite's plan for ``sql`` (``EXPLAIN QUERY PLAN``), in order: which index
    each table is read through, or « SCAN » for the whole table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[-1] for row in cursor.fetchall()]
