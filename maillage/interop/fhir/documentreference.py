"""DocumentReference (base R4: FR Core has no DocumentReference profile): the documents stored
in a person's file (``beneficiaries.Document``) — uploads, and the accompaniment contract, which
is filed there when it is generated. The attachment's ``url`` is the file's download route (the
same page as the file's « Documents », behind a signed-in session). Read through
``beneficiaries.access.documents_visible`` (medical documents with the health face, the others
with the identity face, as the download page), audited like a screen read.

Not served (docs/api.md): the DLU and the plan's PDF, printed on demand from live data (the plan
is the CarePlan resource), and ``admissions.Contract``, whose PDF is the contract Document."""

from django.db.models import IntegerField, Value
from django.urls import reverse

from maillage.beneficiaries.access import documents_visible
from maillage.beneficiaries.models import Document
from maillage.core.permissions import Perm

from .resource import ResourceType, audited_reads
from .search import SearchParam, date_q, last_updated, reference_q

LOCAL_SYSTEM = "urn:ietf:rfc:3986"


def _site(base_url: str) -> str:
    """``https://host`` from the API's base URL (``https://host/fhir/R4/``)."""
    return base_url.split("/fhir/R4/", 1)[0]


def serialize(doc: Document, base_url: str = "") -> dict:
    url = reverse("beneficiaries:document_download", kwargs={
        "public_id": doc.beneficiary.public_id, "item_id": doc.public_id})
    resource = {
        "resourceType": "DocumentReference",
        "id": str(doc.public_id),
        "meta": {"versionId": str(doc.version), "lastUpdated": doc.updated_at.isoformat()},
        "masterIdentifier": {"system": LOCAL_SYSTEM, "value": f"urn:uuid:{doc.public_id}"},
        "status": "current",
        "type": {"text": doc.get_category_display()},
        "category": [{"text": "Donnée de santé" if doc.is_health_data
                      else "Document administratif ou social"}],
        "subject": {"reference": f"Patient/{doc.beneficiary.public_id}"},
        "date": doc.created_at.isoformat(),
        "content": [{"attachment": {
            "contentType": doc.content_type,
            "url": _site(base_url) + url,
            "size": doc.size,
            "title": doc.title,
            "creation": doc.document_date.isoformat(),
        }}],
    }
    if doc.created_by_id:
        resource["author"] = [{"display": doc.created_by.get_full_name()
                               or doc.created_by.username}]
    return resource


def queryset(request):
    """The documents this requester may read (``documents_visible``). A document is never
    edited (a new one is filed): its version, for the ETag, is always 1."""
    return (documents_visible(crt=request.crt, user=request.user, roles=request.roles)
            .select_related("beneficiary", "created_by")
            .annotate(version=Value(1, output_field=IntegerField())))


DOCUMENT_REFERENCE = ResourceType(
    type="DocumentReference",
    permission=Perm.BENEFICIARY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.documentreference_read"),
    documentation=(
        "Documents rangés dans le dossier de la personne (dont le contrat d'accompagnement) : "
        "documents médicaux pour les professionnels de santé du cercle de soins, les autres "
        "selon l'identité (mêmes règles que la page du dossier, consentement compris). "
        "content.attachment.url : l'adresse de téléchargement de l'application (session "
        "connectée). Le DLU et le PDF du plan, imprimés à la demande, ne sont pas servis ; le "
        "plan l'est en CarePlan."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id>.",
                    reference_q("beneficiary", "patient"),
                    "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        SearchParam("date", "date",
                    "Date et heure du dépôt du document (préfixes eq, ne, lt, gt, le, ge).",
                    date_q("created_at", "date", is_datetime=True),
                    "http://hl7.org/fhir/SearchParameter/DocumentReference-date"),
        last_updated(),
    ),
)
