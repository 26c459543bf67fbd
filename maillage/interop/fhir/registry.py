"""The resource types the API serves. The URLconf, the views and the CapabilityStatement are
all built from ``RESOURCES``: a type, interaction or parameter exists in all three or none."""

from django.utils import timezone

from .appointment import APPOINTMENT
from .binary import BINARY
from .care_team import CARE_TEAM
from .careplan import CAREPLAN
from .communication import COMMUNICATION
from .consent import CONSENT
from .documentreference import DOCUMENT_REFERENCE
from .encounter import ENCOUNTER
from .healthcare_service import HEALTHCARE_SERVICE
from .observation import OBSERVATION
from .organization import ORGANIZATION
from .patient import PATIENT
from .practitioner import PRACTITIONER
from .practitioner_role import PRACTITIONER_ROLE
from .related_person import RELATED_PERSON
from .resource import ResourceType
from .search import DEFAULT_COUNT, MAX_COUNT, SearchParam

RESOURCES: dict[str, ResourceType] = {rt.type: rt for rt in (
    PATIENT, ORGANIZATION,
    RELATED_PERSON, PRACTITIONER, PRACTITIONER_ROLE, CARE_TEAM, CONSENT,
    HEALTHCARE_SERVICE, OBSERVATION, COMMUNICATION,
    CAREPLAN, ENCOUNTER, APPOINTMENT, DOCUMENT_REFERENCE,
    BINARY,
)}
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
            "documentation": "Lecture et recherche ; écritures (create, update, delete) là où "
                             "une ressource les déclare : corps application/fhir+json, "
                             "« If-Match: W/\"<versionId>\" » obligatoire pour update et "
                             "delete (412 sans lui ou s'il est périmé). Profils FR Core. "
                             "Bundle de type « transaction » (POST à la racine) : création "
                             "d'Observation, tout ou rien (télésurveillance, guide « Mesures "
                             "de santé »). Erreurs : OperationOutcome.",
            "security": {
                "cors": False,
                "description": "Jeton porteur (en-tête « Authorization: Bearer <jeton> ») lié "
                               "à un compte membre du CRT, créé par la coordination ; "
                               "mêmes droits, consentements et traçabilité que les écrans.",
            },
            "interaction": [{"code": "transaction"}],
            "resource": [{
                "type": rt.type,
                "supportedProfile": list(rt.profiles),
                "documentation": rt.documentation,
                "interaction": [{"code": code} for code in rt.interactions()],
                **({"versioning": "versioned-update", "updateCreate": False}
                   if rt.update else {}),
                **({"searchParam": [
                    {"name": p.name, "type": p.type, "documentation": p.documentation,
                     **({"definition": p.definition} if p.definition else {})}
                    for p in (*rt.search_params, COUNT)
                ]} if rt.searchable else {}),
            } for rt in RESOURCES.values()],
        }],
    }
