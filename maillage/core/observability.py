"""Request ids, structured (JSON) logs and the access log.

Every request gets an id: the reverse proxy's ``X-Request-ID`` when it sent a well-formed one,
a fresh one otherwise. It is answered in the ``X-Request-ID`` header, added to every log record
written while the request runs, and to the access line written when it ends. An operator finds
a user's complaint ("it failed at 10:42", the id shown on the error page) in the logs with it.

What is never logged: health data. The access line carries the path without its query string
(searches type names there), the view's name, the status, the duration and the user's numeric
id. The JSON formatter writes an exception's type and stack (files, lines, functions) but not its
message: database errors quote the values that broke a constraint (a name, a NIR). Code must not
put health data in log messages either; ``conftest.py`` scans the whole test suite's logs for
the demo's names and notes (``docs/operations.md``, "Logs").
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_logger = logging.getLogger("maillage.access")


def current_request_id() -> str:
    """The id of the request being served in this thread ('' outside a request)."""
    return _request_id.get()


def new_request_id(incoming: str | None = None) -> str:
    """The proxy's id when it is well formed (letters, digits, ``.-_``, 8 to 64), else a new one."""
    if incoming and _ACCEPTED_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Outermost middleware: the request id, the latency metric by view and the access line.

    Placed first so that its time covers the whole request and its status is the one the client
    gets (an exception in an inner middleware is already a 500 response here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import metrics

        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = _request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            view = _view_name(request)
            response["X-Request-ID"] = request_id
            metrics.observe_request(view, request.method, response.status_code, duration)
            if view != "metrics":  # a scraper every 15 s would drown the access log
                user = getattr(request, "user", None)
                access_logger.info(
                    "%s %s %s", request.method, request.path, response.status_code,
                    extra={"http": {
                        "method": request.method,
                        "path": request.path,  # never the query string
                        "view": view,
                        "status": response.status_code,
                        "duration_ms": round(duration * 1000, 1),
                        "user_id": getattr(user, "pk", None) if user is not None else None,
                    }},
                )
            return response
        finally:
            _request_id.reset(token)


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "non_resolue"
    return match.view_name or "non_resolue"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


def _stack(exc_info) -> dict:
    kind, _value, tb = exc_info
    frames = traceback.extract_tb(tb)
    return {
        "type": f"{kind.__module__}.{kind.__qualname__}" if kind else "",
        # The message is left out on purpose: see the module's docstring.
        "stack": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-30:]],
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, the
    structured fields passed as ``extra`` (``http``, ``task``, ``event``) and an exception's type
    and stack."""

    STRUCTURED = ("http", "task", "event")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or current_request_id(),
            "process": record.process,
        }
        for key in self.STRUCTURED:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = _stack(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The development format: readable, with the request id, without exception messages
    either (the same rule as JSON, so development shows what production would log)."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatException(self, exc_info) -> str:  # noqa: N802 - logging's API
        described = _stack(exc_info)
        return "\n".join([f"  {described['type']} (message omis)",
                          *(f"    {line}" for line in described["stack"])])

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        # Another handler may have cached the full traceback (message included) on the record.
        saved, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = saved
