"""The server-error handler (``handler500``): a database that cannot be reached answers 503
« Service momentanément indisponible » with ``Retry-After``, any other error the 500 page.

Django turns an exception raised anywhere (a view, or any middleware: sessions, authentication,
tenancy) into a response at the layer where it was raised, by calling this handler inside its
``except`` block; so the handler sees the exception (``sys.exc_info()``) wherever it came from.

The pages render without the request: the context processors and the navigation query the
database, which is down. JSON APIs answer in their own format: an app registers a builder for
its URL namespace (``register_unavailable``; core never imports the apps); other clients that
prefer JSON (``Accept``) get ``{"error": "…"}``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve

from .observability import current_request_id

logger = logging.getLogger("maillage.errors")

#: Seconds a client is told to wait before retrying (a database restart takes a few seconds).
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_TEXT = ("Service momentanément indisponible : la base de données ne répond pas. "
                    "Rien n'a été enregistré à moitié ; réessayez dans un instant.")

#: URL namespace → builder of that API's 503 answer (None: the HTML page).
_builders: dict[str, Callable[[HttpRequest, str], HttpResponse | None]] = {}


def register_unavailable(namespace: str,
                         build: Callable[[HttpRequest, str], HttpResponse | None]) -> None:
    """An app's API answers "database unavailable" in its own format (``build(request, text)``;
    ``Retry-After`` is added here)."""
    _builders[namespace] = build


def is_database_unavailable(error: BaseException | None) -> bool:
    """The database cannot be reached, dropped the connection, or failed for a passing reason
    worth a retry (a deadlock, a lock or statement timeout, SQLite's "database is locked"):
    Django wraps the driver's errors in these two classes; a constraint or programming error is
    not one of them."""
    return isinstance(error, OperationalError | InterfaceError)


def _unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    response = None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.namespace in _builders:
        response = _builders[match.namespace](request, UNAVAILABLE_TEXT)
    if response is None and request.get_preferred_type(
            ["text/html", "application/json"]) == "application/json":
        response = JsonResponse({"error": UNAVAILABLE_TEXT}, status=503)
    if response is None:
        response = HttpResponse(loader.get_template("503.html").render(
            {"request_id": current_request_id()}), status=503)
    response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # An outage, not a crash: one warning naming the error's class (its text may quote a query
    # and its parameters), and no "Service Unavailable" error record with the traceback, which
    # Django would mail to ADMINS for every request of the outage.
    # Logged once per request (an outer middleware may meet the same outage on the way out).
    if not getattr(request, "_database_unavailable_logged", False):
        request._database_unavailable_logged = True
        logger.warning("Database unavailable (%s): %s %s answered 503",
                       type(error).__name__, request.method, request.path)
    response._has_been_logged = True  # read by django.utils.log.log_response
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 for a database outage, else Django's 500 page (``500.html``)."""
    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        return _unavailable(request, error)
    # The request's id, to quote to the technical team: the error's log line carries it.
    return HttpResponseServerError(
        loader.get_template("500.html").render({"request_id": current_request_id()}))
