"""QR codes of the answer links (``segno``, pure Python), as inline SVG for pages and PDFs."""

import io

import segno
from django.urls import reverse


def qr_svg(url: str, *, scale: int = 4, label: str = "") -> str:
    """The QR code of ``url`` as an ``<svg>`` element (no XML declaration), to put inline in an
    HTML page or a WeasyPrint document. ``label``: its accessible name (default: the link)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgclass="qr", lineclass=None,
        title=None)
    svg = buffer.getvalue().decode()
    name = (label or f"QR code du lien {url}").replace("&", "&amp;").replace('"', "&quot;") \
        .replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{name}" ', 1)


def answer_path(code: str) -> str:
    return reverse("surveys:answer", kwargs={"code": code})


def answer_url(request, code: str) -> str:
    """The absolute link a respondent follows for ``code`` (printed under its QR code)."""
    return request.build_absolute_uri(answer_path(code))
