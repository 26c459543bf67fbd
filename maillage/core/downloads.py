"""Serving a stored file (document, message attachment, contract): always as an attachment,
under a safe name whose extension matches the checked type, never sniffed, never cached."""

import re
import unicodedata

from django.http import FileResponse, Http404

EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def safe_filename(name: str, content_type: str, *, default: str = "document") -> str:
    """``name`` reduced to letters, digits, spaces and ``. - _ ( )``, ending with the
    extension of ``content_type`` (the type checked at upload, not the name given)."""
    name = unicodedata.normalize("NFKC", name or "")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = "".join(c if (c.isalnum() or c in " -_()") else " " for c in stem)
    stem = re.sub(r"\s+", " ", stem).strip(" .-_")[:100] or default
    return stem + EXTENSIONS.get(content_type, "")


def file_download(handle, *, content_type: str, filename: str) -> FileResponse:
    response = FileResponse(handle, content_type=content_type, as_attachment=True,
                            filename=safe_filename(filename, content_type))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Opened anyway (typed URL, old browser): no script, no plugin, no network.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def open_stored(field_file, *, missing: str = "Aucun document."):
    """The stored file open for reading, or 404 with ``missing`` (nothing stored) or « Le
    fichier n'est plus disponible. » (stored, then lost from the disk)."""
    if not field_file:
        raise Http404(missing)
    try:
        return field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Le fichier n'est plus disponible.") from exc
