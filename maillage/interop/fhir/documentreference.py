"""DocumentReference (base R4: FR Core has no DocumentReference profile), three models under
one type (``resource.Source``):

- the documents stored in a person's file (``beneficiaries.Document``) — uploads, and the
  accompaniment contract, filed there when it is generated — through
  ``beneficiaries.access.documents_visible`` (medical documents with the health face, the
  others with the identity face, as the download page);
- the person's DLU (``oncall.EmergencyFile``), through ``oncall.access.emergency_files_visible``
  (the DLU pages' rule: care team or a valid break-the-glass access);
- the versions of the personalised plan (``care.CarePlanVersion``), through
  ``care.access.care_plans_visible`` (the plan's pages).

The attachment's ``url`` is the file through the API, ``<base>/Binary/<id>`` (``binary.py``):
the stored file, or the DLU's and the plan's PDF printed on demand from live data. Each read is
audited like a screen read (a DLU read under break-the-glass as an emergency access).

Not served (docs/api.md): ``admissions.Contract``, whose PDF is the contract Document."""

from django.db.models import IntegerField, Value
from django.db.models.functions import Coalesce

from maillage.beneficiaries.access import documents_visible
from maillage.beneficiaries.models import Document
from maillage.care.access import care_plans_visible
from maillage.care.models import CarePlanVersion
from maillage.core.audit import audit_log_many
from maillage.core.permissions import Perm
from maillage.oncall.access import break_glasses, emergency_files_visible
from maillage.oncall.models import EmergencyFile

from .resource import ResourceType, Source, token_details
from .search import LOCAL_SYSTEM, SearchParam, date_q, last_updated, reference_q

LOINC = "http://loinc.org"
#: The CI-SIS DLU volet's document code (INTEROP.md §9: « Dossier de liaison d'urgence »).
DLU_CODE = "74207-2"
#: LOINC « Plan of care note » (C-CDA Care Plan Document Type value set).
PLAN_CODE, PLAN_DISPLAY = "18776-5", "Plan of care note"
PDF = "application/pdf"
HEALTH = [{"text": "Donnée de santé"}]


def binary_url(obj, base_url: str) -> str:
    """The file of a DocumentReference through the API: ``<base>/Binary/<its id>``."""
    return f"{base_url}Binary/{obj.public_id}"


def _meta(obj) -> dict:
    return {"versionId": str(obj.version), "lastUpdated": obj.updated_at.isoformat()}


def beneficiary_of(obj):
    """The person whose file holds ``obj`` (any of the three models)."""
    if isinstance(obj, CarePlanVersion):
        return obj.plan.beneficiary
    return obj.beneficiary


def serialize_document(doc: Document, base_url: str = "") -> dict:
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
            "url": binary_url(doc, base_url),
            "size": doc.size,
            "title": doc.title,
            "creation": doc.document_date.isoformat(),
        }}],
    }
    if doc.created_by_id:
        resource["author"] = [{"display": doc.created_by.get_full_name()
                               or doc.created_by.username}]
    return resource


def serialize_dlu(ef: EmergencyFile, base_url: str = "") -> dict:
    """The DLU: its PDF is printed on demand from the live file (``oncall.dlu``)."""
    return {
        "resourceType": "DocumentReference",
        "id": str(ef.public_id),
        "meta": _meta(ef),
        "status": "current",
        "docStatus": "final" if ef.reviewed_at else "preliminary",
        "type": {"coding": [{"system": LOINC, "code": DLU_CODE}],
                 "text": "Dossier de liaison d'urgence (DLU)"},
        "category": HEALTH,
        "subject": {"reference": f"Patient/{ef.beneficiary.public_id}"},
        "date": ef.updated_at.isoformat(),
        "content": [{"attachment": {
            "contentType": PDF, "url": binary_url(ef, base_url),
            "title": "Dossier de liaison d'urgence (DLU-domicile)"}}],
    }


def serialize_plan(version: CarePlanVersion, base_url: str = "") -> dict:
    """A version of the personalised plan (its content is the CarePlan resource)."""
    validated = version.status == CarePlanVersion.Status.VALIDATED
    return {
        "resourceType": "DocumentReference",
        "id": str(version.public_id),
        "meta": _meta(version),
        "status": "current",
        "docStatus": "final" if validated else "preliminary",
        "type": {"coding": [{"system": LOINC, "code": PLAN_CODE, "display": PLAN_DISPLAY}],
                 "text": "Plan personnalisé de coordination en santé"},
        "category": [{"text": "Plan d'accompagnement"}],
        "subject": {"reference": f"Patient/{version.plan.beneficiary.public_id}"},
        "date": version.doc_date.isoformat(),
        "context": {"related": [{"reference": f"CarePlan/{version.public_id}"}]},
        "content": [{"attachment": {
            "contentType": PDF, "url": binary_url(version, base_url),
            "title": f"Plan personnalisé, version {version.number}"
                     + ("" if validated else " (brouillon)")}}],
    }


def serialize(obj, base_url: str = "") -> dict:
    if isinstance(obj, EmergencyFile):
        return serialize_dlu(obj, base_url)
    if isinstance(obj, CarePlanVersion):
        return serialize_plan(obj, base_url)
    return serialize_document(obj, base_url)


def dlu_queryset(request):
    """The DLUs this requester may read now (``emergency_files_visible``)."""
    return (emergency_files_visible(crt=request.crt, user=request.user, roles=request.roles)
            .select_related("beneficiary"))


def plan_queryset(request):
    """The plan versions this requester may read (``care_plans_visible``); ``doc_date``: when
    it was validated, else created."""
    return (care_plans_visible(crt=request.crt, user=request.user, roles=request.roles)
            .select_related("plan__beneficiary")
            .annotate(doc_date=Coalesce("validated_at", "created_at")))


def emergency_glasses(request, objects) -> dict:
    """The break-the-glass access each DLU of ``objects`` is read under (person pk → glass):
    the on-call app's rule (``oncall.access.break_glasses``)."""
    dlus = [o for o in objects if isinstance(o, EmergencyFile)]
    if not dlus:
        return {}
    return break_glasses(crt=request.crt, user=request.user, roles=request.roles,
                         beneficiaries=[o.beneficiary for o in dlus])


def audit_reads(action_of, request, objects) -> None:
    """One event per object on the person's file (« qui a consulté mon dossier »), in one
    insert, naming the token; a DLU read under break-the-glass is an emergency access with
    its stated reason. ``action_of(obj)``: the action."""
    glasses = emergency_glasses(request, objects)
    token = token_details(request)
    events = []
    for o in objects:
        glass = glasses.get(o.beneficiary_id) if isinstance(o, EmergencyFile) else None
        events.append({"action": action_of(o), "crt": request.crt, "obj": o,
                       "beneficiary": beneficiary_of(o), "reason": glass.reason if glass else "",
                       "emergency": glass is not None, "details": token})
    audit_log_many(actor=request.user, events=events)


def on_read(request, objects) -> None:
    audit_reads(lambda o: "fhir.documentreference_read", request, objects)


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
    on_read=on_read,
    documentation=(
        "Documents rangés dans le dossier de la personne (dont le contrat d'accompagnement) : "
        "documents médicaux pour les professionnels de santé du cercle de soins, les autres "
        "selon l'identité (mêmes règles que la page du dossier, consentement compris) ; le DLU "
        "(LOINC 74207-2 ; mêmes règles que la page du DLU : cercle de soins ou accès en "
        "urgence) ; les versions du plan personnalisé (LOINC 18776-5 ; mêmes règles que la "
        "page du plan). content.attachment.url : le fichier par l'API, Binary/<id> (même "
        "jeton ; le DLU et le plan en PDF imprimé à la demande)."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id>.",
                    reference_q("beneficiary", "patient"),
                    "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        SearchParam("date", "date",
                    "Date et heure du document : dépôt d'un document rangé, dernière mise à "
                    "jour du DLU, validation (sinon création) d'une version du plan (préfixes "
                    "eq, ne, lt, gt, le, ge).",
                    date_q("created_at", "date", is_datetime=True),
                    "http://hl7.org/fhir/SearchParameter/DocumentReference-date"),
        last_updated(),
    ),
    sources=(
        Source(dlu_queryset, {
            "patient": reference_q("beneficiary", "patient"),
            "date": date_q("updated_at", "date", is_datetime=True),
            "_lastUpdated": date_q("updated_at", "_lastUpdated", is_datetime=True)}),
        Source(plan_queryset, {
            "patient": reference_q("plan__beneficiary", "patient"),
            "date": date_q("doc_date", "date", is_datetime=True),
            "_lastUpdated": date_q("updated_at", "_lastUpdated", is_datetime=True)}),
    ),
)
