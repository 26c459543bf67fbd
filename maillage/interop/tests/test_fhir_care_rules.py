"""The validation of CarePlan, Encounter, Appointment and DocumentReference (``fhir_care_rules``)
is itself tested: the FR Core repository's examples pass (positive cases, transcribed from their
FSH), and one crafted break per rule or invariant of a resource Maillage serves is caught by that
rule (negative cases)."""

import copy
from datetime import timedelta

import pytest
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, document
from maillage.care.tests.factories import filled, plan_version
from maillage.interop.fhir import appointment, careplan, documentreference, encounter
from maillage.interop.fhir.registry import RESOURCES
from maillage.interop.views import VIEWS
from maillage.visits.models import Visit
from maillage.visits.tests.factories import visit

from . import fhir_care_rules as rules

#: ``Examples/FRCoreEncounterExample.fsh`` (InstanceOf fr-core-encounter), as JSON.
FR_CORE_ENCOUNTER = {
    "resourceType": "Encounter", "id": "FRCoreEncounterExample",
    "meta": {"profile": [rules.ENCOUNTER]},
    "extension": [{"url": rules.FR + "StructureDefinition/fr-core-estimated-discharge-date",
                   "valueDate": "2019-01-02"}],
    "identifier": [{"system": "http://encounter-identifier-system.org", "value": "123",
                    "type": {"coding": [{"system": rules.FR + "CodeSystem/"
                                         "fr-core-cs-identifier-type", "code": "VN"}]}}],
    "status": "in-progress",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "subject": {"reference": "Patient/FRCorePatientExample"},
    "period": {"start": "2019-01-02", "end": "2019-02-02"},
}
#: ``Examples/FRCoreAppointmentExample.fsh`` (InstanceOf fr-core-appointment), as JSON (its
#: ``proposed`` status allows no start and end: app-3).
FR_CORE_APPOINTMENT = {
    "resourceType": "Appointment", "id": "FRCoreAppointmentExample",
    "meta": {"profile": [rules.APPOINTMENT]},
    "identifier": [{"system": "http://appointment-identifier-system.org", "value": "123"}],
    "status": "proposed",
    "priority": 5, "minutesDuration": 15, "created": "2019-01-02",
    "participant": [
        {"actor": {"reference": "Patient/FRCorePatientExample"}, "required": "required",
         "status": "accepted"},
        {"actor": {"reference": "PractitionerRole/FRCorePractitionerRoleExample"},
         "required": "required", "status": "needs-action"},
        {"actor": {"reference": "Practitioner/FRCorePractitionerExample"},
         "required": "required", "status": "needs-action"}],
    "requestedPeriod": [{"start": "2019-01-04T09:15:00Z"}],
}


@pytest.mark.parametrize("example", [FR_CORE_ENCOUNTER, FR_CORE_APPOINTMENT],
                         ids=lambda e: e["id"])
def test_the_fr_core_examples_pass(example):
    assert rules.all_errors(example) == []


@pytest.fixture
def served(crt_a, users):
    """One resource of each type as Maillage serves it."""
    b = BeneficiaryFactory(crt=crt_a)
    v = filled(plan_version(b, status="validated", validated_at=timezone.now()), users["nurse"])
    v.is_replaced, v.replaced_at = False, None
    starts = timezone.now() - timedelta(hours=2)
    done = visit(b, users["nurse"], starts_at=starts, status=Visit.Status.DONE)
    booked = visit(b, users["nurse"], starts_at=starts + timedelta(days=2))
    doc = document(b)
    doc.version = 1
    base = "http://testserver/fhir/R4/"
    return {"CarePlan": careplan.serialize(v, base),
            "Encounter": encounter.serialize(done, base),
            "Appointment": appointment.serialize(booked, base),
            "DocumentReference": documentreference.serialize(doc, base)}


def test_what_maillage_serves_passes(served):
    for resource in served.values():
        assert rules.all_errors(resource) == [], resource["resourceType"]


def _set(path, value):
    def mutate(r):
        target = r
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


#: (type, rule or invariant name, break): a crafted break that this rule catches.
BROKEN = [
    ("Encounter", rules.rule_encounter_profile, _set(["meta", "profile"], [])),
    ("Encounter", rules.rule_encounter_identifier, _set(["identifier"], [])),
    ("Encounter", rules.rule_encounter_identifier, _set(["identifier", 0, "type"], None)),
    ("Encounter", rules.rule_encounter_identifier, _set(["identifier", 0, "system"], None)),
    ("Encounter", rules.rule_encounter_class, _set(["class", "system"], None)),
    ("Encounter", rules.rule_encounter_period, _set(["period"], None)),
    ("Encounter", rules.rule_encounter_subject, _set(["subject"], {"reference": "Group/1"})),
    ("Encounter", rules.rule_encounter_participant,
     _set(["participant"], [{"individual": {"reference": "Device/1"}}])),
    ("Appointment", rules.rule_appointment_profile, _set(["meta", "profile"], [])),
    ("Appointment", rules.rule_appointment_actor,
     _set(["participant", 0, "actor"], {"reference": "Group/1"})),
    ("Appointment", "app-1", _set(["participant", 1], {"status": "accepted"})),
    ("Appointment", "app-2", lambda r: (r.update(status="cancelled"), r.pop("end"))),
    ("Appointment", "app-3", lambda r: (r.pop("start"), r.pop("end"))),
    ("CarePlan", rules.rule_contained_referenced, _set(["goal"], None)),
    ("CarePlan", rules.rule_subject_patient, _set(["subject"], {"reference": "Group/1"})),
    ("CarePlan", "cpl-3", lambda r: r["activity"][0].update({"reference": {"display": "x"}})),
    ("CarePlan", "dom-2", lambda r: r["contained"][0].update(
        {"contained": [{"resourceType": "Basic", "id": "x", "code": {"text": "x"}}]})),
    ("CarePlan", "dom-4", lambda r: r["contained"][0].update({"meta": {"versionId": "1"}})),
    ("DocumentReference", rules.rule_subject_patient, _set(["subject"], None)),
]


@pytest.mark.parametrize("kind, rule, mutate", BROKEN,
                         ids=[f"{k}-{r if isinstance(r, str) else r.__name__}"
                              for k, r, _ in BROKEN])
def test_each_rule_catches_its_break(served, kind, rule, mutate):
    broken = copy.deepcopy(served[kind])
    mutate(broken)
    if isinstance(rule, str):
        assert rules.invariant_errors(broken) == [rule]
    else:
        assert rule(broken) is not None
        assert rule(served[kind]) is None


def test_the_schema_catches_a_bad_code(served):
    broken = copy.deepcopy(served["Encounter"])
    broken["status"] = "done"
    assert rules.schema_errors(broken)
    plan = copy.deepcopy(served["CarePlan"])
    goal = next(c for c in plan["contained"] if c["resourceType"] == "Goal")
    goal["lifecycleStatus"] = "en-cours"  # a contained resource is checked too
    assert [e for e in rules.schema_errors(plan) if e.startswith("contained/")]


def test_registered_and_routed():
    for name in ("CarePlan", "Encounter", "Appointment", "DocumentReference"):
        assert name in RESOURCES and name in VIEWS
