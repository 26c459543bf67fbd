"""Binary (read only): the file of a DocumentReference, under the same id, permission and
policies (``documentreference.py``'s three sources) — a stored document's bytes, or the DLU's
and the plan's PDF printed on demand by the function their pages call (``oncall.dlu.pdf``,
``care.printing.plan_pdf``). Answered as the raw bytes with their content type, or as a FHIR
Binary resource (base64 ``data``) when the client asks ``Accept: application/fhir+json``.
Audited as the download or print of each screen (``document.downloaded``, ``dlu.printed``,
``care_plan.printed``), on the person's file."""

import base64

from django.http import Http404, HttpResponse

from maillage.beneficiaries.models import Document
from maillage.care.models import CarePlanVersion
from maillage.core.permissions import Perm
from maillage.oncall.models import EmergencyFile

from .documentreference import DOCUMENT_REFERENCE, PDF, audit_reads
from .outcome import fhir_response
from .resource import ResourceType

FHIR_JSON = "application/fhir+json"
#: The audit action of each screen's download or print, reused.
ACTIONS = {Document: "document.downloaded", EmergencyFile: "dlu.printed",
           CarePlanVersion: "care_plan.printed"}


def content(request, obj) -> tuple[bytes, str]:
    """The file's bytes and content type (the caller checked the access)."""
    if isinstance(obj, EmergencyFile):
        from maillage.beneficiaries.access import medical_fields
        from maillage.oncall import dlu

        b = obj.beneficiary
        # Never the key-box code through the API (no one travels with a partner system); of
        # the medical section, what the reader may read (a care aide: not the history).
        built = dlu.build(beneficiary=b, show_key_box=False, medical_fields=medical_fields(
            crt=request.crt, user=request.user, roles=request.roles))
        return dlu.pdf(b, built, crt=request.crt, printed_by=request.user), PDF
    if isinstance(obj, CarePlanVersion):
        from maillage.care import selectors
        from maillage.care.printing import plan_pdf

        b = obj.plan.beneficiary
        version = selectors.version_with_items(beneficiary=b, number=obj.number)
        return plan_pdf(b, version, crt=request.crt), PDF
    try:
        with obj.file.open("rb") as handle:
            return handle.read(), obj.content_type
    except FileNotFoundError as exc:
        raise Http404("Le fichier n'est plus disponible.") from exc


def serialize(obj, base_url: str = "", *, data: bytes = b"", content_type: str = "") -> dict:
    return {
        "resourceType": "Binary",
        "id": str(obj.public_id),
        "meta": {"versionId": str(obj.version), "lastUpdated": obj.updated_at.isoformat()},
        "contentType": content_type,
        "securityContext": {"reference": f"DocumentReference/{obj.public_id}"},
        "data": base64.b64encode(data).decode("ascii"),
    }


def wants_resource(request) -> bool:
    """The client asked for the Binary resource (``Accept: application/fhir+json``), not the
    raw bytes (any other ``Accept``)."""
    accept = request.headers.get("Accept", "")
    return any(part.split(";")[0].strip() == FHIR_JSON for part in accept.split(","))


def read_response(request, obj, base_url: str) -> HttpResponse:
    data, content_type = content(request, obj)
    # Audited once the file is there (a missing file answers 404 unaudited, as the screen).
    audit_reads(lambda o: ACTIONS[type(o)], request, [obj])
    if wants_resource(request):
        return fhir_response(serialize(obj, base_url, data=data, content_type=content_type))
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def on_read(request, objects) -> None:
    """Nothing before the file is read: ``read_response`` audits it."""


BINARY = ResourceType(
    type="Binary",
    permission=Perm.BENEFICIARY_VIEW,
    queryset=DOCUMENT_REFERENCE.queryset,
    sources=DOCUMENT_REFERENCE.sources,
    serialize=serialize,
    on_read=on_read,
    read_response=read_response,
    searchable=False,
    search_params=(),
    documentation=(
        "Le fichier d'un DocumentReference, sous le même identifiant et avec les mêmes droits : "
        "lecture seule (GET Binary/<id>), les octets avec leur type de contenu (PDF du DLU et "
        "du plan imprimé à la demande), ou la ressource Binary (data en base64) avec « Accept: "
        "application/fhir+json ». Tracé comme le téléchargement ou l'impression à l'écran."),
)
