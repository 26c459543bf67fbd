"""Every error of the API is an ``OperationOutcome`` (French ``details.text``), and the
decorator that turns refusals raised anywhere below a view into one."""

import json
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse

from maillage.core.errors import DomainError

FHIR_JSON = "application/fhir+json; charset=utf-8"

#: HTTP status → the ``issue.code`` (IssueType) an error of that status carries by default.
ISSUE_CODES = {
    400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
    409: "conflict", 410: "deleted", 412: "conflict", 415: "not-supported", 422: "processing",
    429: "throttled", 500: "exception", 503: "transient",
}


class FhirError(Exception):
    """An error to answer as an OperationOutcome: ``status``, French ``text``, issue ``code``."""

    def __init__(self, status: int, text: str, *, code: str | None = None,
                 headers: dict | None = None, expression: str | None = None,
                 more: list[tuple[str | None, str]] | None = None):
        super().__init__(text)
        self.status = status
        self.text = text
        self.code = code or ISSUE_CODES.get(status, "processing")
        self.headers = headers or {}
        #: The element at fault (FHIRPath, e.g. ``Observation.valueQuantity.value``).
        self.expression = expression
        #: Further issues of the same answer: (expression, French text).
        self.more = more or []


def fhir_response(resource: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, ensure_ascii=False), status=status,
                            content_type=FHIR_JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def operation_outcome(text: str, *, code: str = "processing", severity: str = "error") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "details": {"text": text}}],
    }


def outcome_response(error: FhirError) -> HttpResponse:
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="maillage-fhir"')
    body = operation_outcome(error.text, code=error.code)
    if error.expression:
        body["issue"][0]["expression"] = [error.expression]
    for expression, text in error.more:
        body["issue"].append({"severity": "error", "code": error.code, "details": {"text": text},
                              **({"expression": [expression]} if expression else {})})
    return fhir_response(body, error.status, headers)


READS = ("GET", "HEAD")


def outcomes(view: Callable | None = None, *, methods: tuple[str, ...] = READS) -> Callable:
    """Outermost decorator of every API view: refusals become OperationOutcomes; only
    ``methods`` are served (GET and HEAD unless the view takes writes)."""
    if view is None:
        return lambda v: outcomes(v, methods=methods)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            if request.method not in methods:
                allowed = ", ".join(m for m in methods if m != "HEAD")
                served = ("seules les lectures (GET) le sont" if methods == READS
                          else f"acceptées : {allowed}")
                raise FhirError(405, f"Opération {request.method} non prise en charge sur "
                                     f"cette adresse : {served}.", headers={"Allow": allowed})
            return view(request, *args, **kwargs)
        except FhirError as error:
            return outcome_response(error)
        except PermissionDenied as denied:
            return outcome_response(FhirError(
                403, str(denied) or "Votre rôle ne permet pas d'accéder à cette ressource."))
        except Http404:
            return outcome_response(FhirError(
                404, "Aucune ressource ne correspond à cet identifiant, ou vous n'y avez pas "
                     "accès."))
        except DomainError as error:
            return outcome_response(FhirError(400, error.message))

    return wrapped
