"""What the attendance sheet prints besides the participants: the satisfaction questionnaire's
link as a QR code.

**Hook for the satisfaction questionnaire** (app ``surveys``, wired by the lead):
``SATISFACTION_LINK`` is ``None`` until that app sets it to a function ``(session) -> str |
None`` giving the public URL of the session's questionnaire. When it gives one, the sheet prints
the QR code (inline SVG, made with ``segno``: the PDF renderer fetches nothing) and the URL."""

from collections.abc import Callable

#: ``(session) -> absolute URL or None``; set by the questionnaire app.
SATISFACTION_LINK: Callable | None = None


def satisfaction_context(session) -> dict:
    """``satisfaction_url`` and ``satisfaction_qr_svg`` for ``outreach/sheet_pdf.html``."""
    url = SATISFACTION_LINK(session) if SATISFACTION_LINK is not None else None
    if not url:
        return {"satisfaction_url": None, "satisfaction_qr_svg": None}
    import segno
    from django.utils.safestring import mark_safe

    svg = segno.make(url, error="m").svg_inline(scale=3, omitsize=False)
    return {"satisfaction_url": url, "satisfaction_qr_svg": mark_safe(svg)}  # noqa: S308
