"""The one way the app turns HTML into PDF (DLU, fiche aller, care plan, contract…).

WeasyPrint fetches what a document refers to (stylesheets, images, fonts by URL). Left to its
default fetcher, a value that escaped its context (a name printed in CSS, say) could make the
server fetch any URL: an internal service, a cloud metadata endpoint, ``file:///etc/...``. Here
it only gets the app's own static files, read from disk through Django's staticfiles finders
(or ``STATIC_ROOT``); everything else — network, ``file://``, ``data:``, media — is refused.
Templates refer to static files with ``{% static %}``; relative URLs resolve against
``PDF_BASE_URL``, a reserved host that is never contacted."""

import logging
import mimetypes
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

#: Base URL of the documents: ``.invalid`` is reserved (RFC 2606), nothing is ever sent there.
PDF_BASE_URL = "https://maillage.invalid/"


class ResourceRefusedError(ValueError):
    """A document referred to something other than the app's static files."""


def _static_prefix() -> str:
    return urljoin(PDF_BASE_URL, settings.STATIC_URL or "/static/")


def _static_file(relative: str) -> Path | None:
    """The file of static path ``relative``, or None (traversal and odd names refused)."""
    parts = PurePosixPath(relative).parts
    if (not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative
            or any(p in ("..", ".") for p in parts)):
        return None
    found = finders.find(relative)  # the finders refuse paths leaving their folders
    if found:
        path = Path(found)
        return path if path.is_file() else None
    if settings.STATIC_ROOT:
        root = Path(settings.STATIC_ROOT).resolve()
        path = (root / relative).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path
    return None


class StaticOnlyURLFetcher(URLFetcher):
    """Serves the app's static files; refuses every other URL without any network access."""

    def __init__(self, **kwargs):
        super().__init__(allowed_protocols=(), allow_redirects=False, **kwargs)

    def fetch(self, url, headers=None):
        prefix = _static_prefix()
        split = urlsplit(url)
        if url.startswith(prefix) and not split.query and not split.fragment:
            relative = unquote(split.path[len(urlsplit(prefix).path):])
            path = _static_file(relative)
            if path is not None:
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body=path.read_bytes(),
                                          headers={"Content-Type": content_type})
        logger.warning("PDF rendering: resource refused (%s)", url[:200])
        raise ResourceRefusedError(f"Ressource refusée dans un document PDF : {url[:200]}")


#: The page's own font: the margin boxes (running footers « page 2 / 5 ») inherit from the page,
#: not from the body, and fell back to a serif font. A document's template may set another.
_PAGE_FONT = '@page { font-family: "DejaVu Sans", sans-serif; }'


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html``. Only the app's static files can be pulled in."""
    return HTML(string=html, base_url=base_url or PDF_BASE_URL,
                url_fetcher=StaticOnlyURLFetcher()).write_pdf(
        stylesheets=[CSS(string=_PAGE_FONT)])
