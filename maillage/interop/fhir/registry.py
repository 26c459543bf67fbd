"""The resource types the API serves. The URLconf, the views and the CapabilityStatement are
all built from ``RESOURCES``: a type, interaction or parameter exists in all three or none."""

from django.utils import timezone

from .appointment import APPOINTMENT
from .careplan import CAREPLAN
from .documentreference import DOCUMENT_REFERENCE
from .encounter import ENCOUNTER
from .organization import ORGANIZATION
from .patient import PATIENT
from .resource import ResourceType
from .search import DEFAULT_COUNT, MAX_COUNT, SearchParam

RESOURCES: dict[str, ResourceType] = {rt.type: rt for rt in (
    PATIENT, ORGANIZATION,
    CAREPLAN, ENCOUNTER, APPOINTMENT, DOCUMENT_REFERENCE,
)}

INTERACTIONS = ("read", "search-type")
#: Result parameters every search accepts (listed with the search parameters).
COUNT = SearchParam("_count", "number",
                    f"Nombre de résultats par page (défaut {DEFAULT_COUNT}, au plus {MAX_COUNT}) ; "
                    "les pages suivantes par le lien « next ».")


def capability_statement(base_url: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": "Maillage",
        "kind": "instance",
        "software": {"name": "Maillage"},
        "implementation": {"description": "API FHIR R4 de Maillage", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Lecture seule. Profils FR Core. Erreurs : OperationOutcome.",
            "security": {
                "cors": False,
                "description": "Jeton porteur (en-tête « Authorization: Bearer <jeton> ») lié "
                               "à un compte membre du CRT, créé par la coordination ; "
                               "mêmes droits, consentements et traçabilité que les écrans.",
            },
            "resource": [{
                "type": rt.type,
                "supportedProfile": list(rt.profiles),
                "documentation": rt.documentation,
                "interaction": [{"code": code} for code in INTERACTIONS],
                "searchParam": [
                    {"name": p.name, "type": p.type, "documentation": p.documentation,
                     **({"definition": p.definition} if p.definition else {})}
                    for p in (*rt.search_params, COUNT)
                ],
            } for rt in RESOURCES.values()],
        }],
    }
