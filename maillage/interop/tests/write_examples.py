"""A valid body for each resource type the API writes (``ResourceType.create``): the walk of
``test_api_walk.py`` posts one per role, the resource tests start from them."""

import json
from datetime import timedelta

from django.utils import timezone

FHIR_JSON = "application/fhir+json"


def _when(hours: int = 1) -> str:
    return (timezone.now() - timedelta(hours=hours)).replace(microsecond=0).isoformat()


def heart_rate(patient_id, value=72, **over) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4",
                             "display": "Heart rate"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": _when(),
        "valueQuantity": {"value": value, "unit": "/min", "system": "http://unitsofmeasure.org",
                          "code": "/min"},
        **over,
    }


def blood_pressure(patient_id, systolic=135, diastolic=85, **over) -> dict:
    def component(code, value):
        return {"code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "valueQuantity": {"value": value, "unit": "mmHg",
                                  "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}

    body = heart_rate(patient_id, **over)
    del body["valueQuantity"]
    body["code"] = {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}
    body["component"] = [component("8480-6", systolic), component("8462-4", diastolic)]
    return body


def communication(patient_id, text="Mme a bien dormi, appétit correct.", **over) -> dict:
    return {
        "resourceType": "Communication",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "payload": [{"contentString": text}],
        **over,
    }


EXAMPLES = {"Observation": heart_rate, "Communication": communication}
#: The model a create adds a row to.
MODELS = {"Observation": "beneficiaries.VitalSign", "Communication": "care.LiaisonNote"}


def post(client, url: str, body, headers: dict, content_type: str = FHIR_JSON):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, content_type=content_type, **headers)


def put(client, url: str, body, headers: dict, if_match: str | None = None):
    extra = {"HTTP_IF_MATCH": if_match} if if_match is not None else {}
    return client.put(url, data=json.dumps(body), content_type=FHIR_JSON, **headers, **extra)
