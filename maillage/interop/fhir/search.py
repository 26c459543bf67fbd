"""Search parameters shared by every resource: parsing (token, string, date), ``_count`` and the
paging cursor. Every refusal is a 400 naming the parameter."""

import base64
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from .outcome import FhirError

DEFAULT_COUNT = 20
MAX_COUNT = 100
#: The opaque paging parameter of ``next`` links (keyset paging: the page after a given id).
CURSOR = "_cursor"
#: The system of the local identifiers (``urn:uuid:<public id>``), on every resource.
LOCAL_SYSTEM = "urn:ietf:rfc:3986"
#: The condition nothing matches.
NOTHING = Q(pk__in=[])
#: Parameters that shape the result, not the match.
RESULT_PARAMS = ("_count", CURSOR)


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR SearchParamType: token, string, date, number
    documentation: str
    #: ``(value) -> Q`` on the resource's queryset (None for result parameters).
    to_q: Callable[[str], Q] | None = None
    #: For the CapabilityStatement: the HL7 definition of a standard parameter.
    definition: str = ""


def _bad(name: str, text: str) -> FhirError:
    return FhirError(400, f"Paramètre « {name} » : {text}", code="invalid")


# --- date ----------------------------------------------------------------------------------
_PREFIXES = ("eq", "ne", "lt", "gt", "le", "ge")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


def _date_range(name: str, text: str) -> tuple[date | datetime, date | datetime]:
    """The half-open interval a FHIR date of any precision stands for."""
    match = _DATE.match(text)
    if match:
        year, month, day = match.groups()
        try:
            if day:
                start = date(int(year), int(month), int(day))
                return start, start + timedelta(days=1)
            if month:
                start = date(int(year), int(month), 1)
                end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
                return start, end
            return date(int(year), 1, 1), date(int(year) + 1, 1, 1)
        except (ValueError, OverflowError):
            raise _bad(name, f"la date « {text} » n'existe pas.") from None
    if _DATETIME.match(text):
        step = timedelta(seconds=1) if text.count(":") >= 2 else timedelta(minutes=1)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return moment, moment + step
        except (ValueError, OverflowError):
            raise _bad(name, f"la date et heure « {text} » n'existe pas.") from None
    raise _bad(name, f"« {text} » n'est pas une date FHIR (AAAA, AAAA-MM, AAAA-MM-JJ ou "
                     "AAAA-MM-JJThh:mm:ss+hh:mm), précédée au besoin de eq, ne, lt, gt, le, ge.")


def date_q(field: str, name: str, *, is_datetime: bool = False) -> Callable[[str], Q]:
    """A date parameter on ``field`` (a DateField, or a DateTimeField when ``is_datetime``)."""

    def bound(value: date | datetime, *, end: bool = False):
        if is_datetime and not isinstance(value, datetime):
            return timezone.make_aware(datetime.combine(value, time.min))
        return value

    def to_q(value: str) -> Q:
        prefix = value[:2] if value[:2] in _PREFIXES else "eq"
        text = value[2:] if value[:2] in _PREFIXES else value
        start, end = _date_range(name, text)
        if not is_datetime and isinstance(start, datetime):
            raise _bad(name, "une date sans heure est attendue (AAAA, AAAA-MM ou AAAA-MM-JJ).")
        start, end = bound(start), bound(end)
        inside = Q(**{f"{field}__gte": start, f"{field}__lt": end})
        return {
            "eq": inside, "ne": ~inside,
            "lt": Q(**{f"{field}__lt": start}), "le": Q(**{f"{field}__lt": end}),
            "gt": Q(**{f"{field}__gte": end}), "ge": Q(**{f"{field}__gte": start}),
        }[prefix]

    return to_q


# --- token ---------------------------------------------------------------------------------
def split_token(value: str) -> tuple[str | None, str]:
    """``system|value`` → (system, value); ``|value`` → ("", value); ``value`` → (None, value)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def local_id_q(code: str) -> Q | None:
    """``urn:uuid:<id>`` or ``<id>``: the row of that public id; None when it is no UUID."""
    try:
        return Q(public_id=uuid.UUID(code.removeprefix("urn:uuid:")))
    except ValueError:
        return None


def any_of(conditions) -> Q:
    """The conditions or'ed (an identifier matched by any of its systems); NOTHING if none."""
    found = [q for q in conditions if q is not None]
    if not found:
        return NOTHING
    q = found[0]
    for other in found[1:]:
        q |= other
    return q


# --- result parameters ---------------------------------------------------------------------
def parse_count(values: list[str]) -> int:
    if not values:
        return DEFAULT_COUNT
    try:
        count = int(values[-1])
    except ValueError:
        raise _bad("_count", "un nombre entier est attendu.") from None
    if count < 1:
        raise _bad("_count", "au moins 1.")
    return min(count, MAX_COUNT)


def encode_cursor(public_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(public_id.bytes).decode().rstrip("=")


def decode_cursor(values: list[str]) -> uuid.UUID | None:
    if not values:
        return None
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(values[-1] + "=" * (-len(values[-1]) % 4)))
    except (ValueError, TypeError):
        raise _bad(CURSOR, "curseur de page invalide : suivez le lien « next » tel quel.") \
            from None


# --- reference -----------------------------------------------------------------------------
def reference_q(field: str, name: str, resource_type: str = "Patient") -> Callable[[str], Q]:
    """A reference parameter (``patient=Patient/<id>``, ``<id>`` or a full URL ending so) on
    ``field``, the foreign key to the model whose ``public_id`` is the resource id."""

    def to_q(value: str) -> Q:
        text = value.rstrip("/")
        if "/" in text:
            kind, _, text = text.rpartition("/")
            if kind.rsplit("/", 1)[-1] != resource_type:
                raise _bad(name, f"une référence « {resource_type}/<id> » est attendue.")
        try:
            public_id = uuid.UUID(text)
        except ValueError:
            raise _bad(name, f"« {value} » n'est pas l'identifiant d'une ressource "
                             f"{resource_type}.") from None
        return Q(**{f"{field}__public_id": public_id})

    return to_q


def last_updated(field: str = "updated_at") -> SearchParam:
    """``_lastUpdated`` on ``field`` (the row's ``updated_at`` unless the resource is built from
    several): the partners' incremental synchronisation."""
    return SearchParam("_lastUpdated", "date",
                       "Date de dernière modification (préfixes eq, ne, lt, gt, le, ge).",
                       date_q(field, "_lastUpdated", is_datetime=True),
                       "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated")
