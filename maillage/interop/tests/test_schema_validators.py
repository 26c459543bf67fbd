"""The tests validate with jsonschema-rs (``fhir_rules.validator``), the API with the Python
``jsonschema`` (``interop/fhir/validation.py``): on the same R4 schema they must give the same
verdict, at the same elements, for resources right and wrong."""

import gzip
import json

import pytest
from jsonschema import Draft6Validator

from maillage.interop.fhir.validation import SCHEMA

from .fhir_rules import validator

ENCOUNTER = {
    "resourceType": "Encounter", "id": "v-1", "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HH"},
    "subject": {"reference": "Patient/b-1"},
    "period": {"start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T10:30:00+01:00"},
}
OBSERVATION = {
    "resourceType": "Observation", "id": "o-1", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
    "subject": {"reference": "Patient/b-1"}, "effectiveDateTime": "2026-12-01",
    "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org",
                      "code": "/min"},
}
CAREPLAN = {
    "resourceType": "CarePlan", "id": "p-1", "status": "active", "intent": "plan",
    "subject": {"reference": "Patient/b-1"},
    "contained": [{"resourceType": "Goal", "id": "g1", "lifecycleStatus": "active",
                   "description": {"text": "Marcher"},
                   "subject": {"reference": "Patient/b-1"}}],
    "goal": [{"reference": "#g1"}],
}

CASES = {
    "encounter": ("Encounter", ENCOUNTER),
    "observation": ("Observation", OBSERVATION),
    "careplan with a contained goal": ("CarePlan", CAREPLAN),
    "a bundle of them": ("Bundle", {
        "resourceType": "Bundle", "type": "searchset", "total": 3,
        "entry": [{"resource": r} for r in (ENCOUNTER, OBSERVATION, CAREPLAN)]}),
    "status outside its value set": ("Encounter", {**ENCOUNTER, "status": "done"}),
    "status of the wrong type": ("Encounter", {**ENCOUNTER, "status": 3}),
    "an element FHIR does not know": ("Encounter", {**ENCOUNTER, "room": "12"}),
    "a required element missing": ("Observation",
                                   {k: v for k, v in OBSERVATION.items() if k != "code"}),
    "a date that is not one": ("Observation", {**OBSERVATION, "effectiveDateTime": "1/12/2026"}),
    "a number given as text": ("Observation", {**OBSERVATION, "valueQuantity": {"value": "72"}}),
    "a broken contained goal": ("CarePlan", {**CAREPLAN, "contained": [
        {**CAREPLAN["contained"][0], "lifecycleStatus": "maybe"}]}),
    "a bundle with a broken entry": ("Bundle", {
        "resourceType": "Bundle", "type": "searchset",
        "entry": [{"resource": ENCOUNTER}, {"resource": {**ENCOUNTER, "status": "done"}}]}),
}


def _python(resource_type: str):
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as f:
        definitions = json.load(f)["definitions"]
    return Draft6Validator({"$ref": f"#/definitions/{resource_type}",
                            "definitions": definitions})


@pytest.mark.parametrize("case", CASES)
def test_same_verdict_at_the_same_elements(case):
    resource_type, resource = CASES[case]
    python = sorted("/".join(map(str, e.absolute_path))
                    for e in _python(resource_type).iter_errors(resource))
    rust = sorted("/".join(map(str, e.absolute_path))
                  for e in validator(resource_type).iter_errors(resource))
    assert rust == python
    # The right ones pass, the wrong ones fail: the comparison is not between two blind eyes.
    assert bool(python) == (case not in {"encounter", "observation",
                                         "careplan with a contained goal", "a bundle of them"})
