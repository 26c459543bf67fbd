"""Validation of CarePlan, Encounter, Appointment and DocumentReference, for the tests: the R4
JSON schema (``fhir_rules.validator``), the FR Core rules of the profiles claimed (one function
per rule, citing its FSH file of Interop-Sante/hl7.fhir.fr.core) and the R4 invariants those
resources rely on (FHIRPath, verbatim from the R4 specification)."""

from functools import cache

from fhirpathpy import compile as fhirpath
from fhirpathpy.models import models

from .fhir_rules import validator

FR = "https://hl7.fr/ig/fhir/core/"
ENCOUNTER = FR + "StructureDefinition/fr-core-encounter"
APPOINTMENT = FR + "StructureDefinition/fr-core-appointment"
ENCOUNTER_FSH = "input/fsh/profiles/FRCoreEncounterProfile.fsh"
APPOINTMENT_FSH = "input/fsh/profiles/FRCoreAppointmentProfile.fsh"
SERVED = {"CarePlan", "Encounter", "Appointment", "DocumentReference", "Bundle"}


def _errors(resource: dict, where: str = "") -> list[str]:
    return [f"{where}{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(resource["resourceType"]).iter_errors(resource)]


def schema_errors(resource: dict) -> list[str]:
    """Layer 1: the FHIR R4 JSON schema. A contained resource is checked against its own
    type's definition (the same verdict as the schema's ``ResourceList``, which tries every
    one of the 150 types in turn), so that its errors name the element at fault."""
    assert resource["resourceType"] in SERVED
    contained = resource.get("contained", [])
    errors = _errors({k: v for k, v in resource.items() if k != "contained"})
    for i, c in enumerate(contained):
        errors += _errors(c, f"contained/{i}/")
    return errors


# --- R4 invariants (FHIRPath, verbatim) ------------------------------------------------------
INVARIANTS = {
    "Appointment": {
        "app-1": "participant.all(type.exists() or actor.exists())",
        "app-2": "start.exists() = end.exists()",
        "app-3": "(start.exists() and end.exists()) or "
                 "(status in ('proposed' | 'cancelled' | 'waitlist'))",
    },
    "CarePlan": {
        "cpl-3": "activity.all(detail.empty() or reference.empty())",
        "dom-2": "contained.contained.empty()",
        "dom-4": "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
    },
    "Encounter": {},
    "DocumentReference": {},
}


@cache
def _compiled(expression: str):
    """Parsed once (evaluating the text each time costs a hundred times more)."""
    return fhirpath(expression, models["r4"])


def invariant_errors(resource: dict) -> list[str]:
    return [name for name, expression in INVARIANTS[resource["resourceType"]].items()
            if _compiled(expression)(resource) != [True]]


# --- Layer 2: the FR Core rules of the profiles claimed --------------------------------------
def _is_patient_ref(ref: dict) -> bool:
    return ref.get("reference", "").startswith("Patient/")


def rule_encounter_profile(e):
    """The profile is claimed (meta.profile[fr-canonical])."""
    if ENCOUNTER not in e.get("meta", {}).get("profile", []):
        return "meta.profile ne nomme pas fr-core-encounter"


def rule_encounter_identifier(e):
    """``identifier 1..*``; ``identifier.type 1..``, ``.system 1..``, ``.value 1..``."""
    ids = e.get("identifier", [])
    if not ids:
        return "identifier manquant (1..*)"
    for i in ids:
        if not (i.get("type", {}).get("coding") or i.get("type", {}).get("text")):
            return "identifier.type manquant"
        if not i.get("system") or not i.get("value"):
            return "identifier.system ou value manquant"


def rule_encounter_class(e):
    """``class.system 1..`` and ``class.code 1..``."""
    if not e.get("class", {}).get("system") or not e.get("class", {}).get("code"):
        return "class.system ou class.code manquant"


def rule_encounter_period(e):
    """``period 1..``."""
    if not e.get("period", {}).get("start"):
        return "period manquante"


def rule_encounter_subject(e):
    """``subject only Reference(FRCorePatientProfile)``."""
    if not _is_patient_ref(e.get("subject", {})):
        return "subject n'est pas une référence Patient"


def rule_encounter_participant(e):
    """``participant.individual only Reference(RelatedPerson or FRCorePractitionerProfile or
    PractitionerRole)`` (a display alone names nobody's resource)."""
    for p in e.get("participant", []):
        ref = p.get("individual", {}).get("reference")
        if ref and ref.split("/")[0] not in {"RelatedPerson", "Practitioner",
                                             "PractitionerRole"}:
            return f"participant.individual : {ref}"


def rule_appointment_profile(a):
    if APPOINTMENT not in a.get("meta", {}).get("profile", []):
        return "meta.profile ne nomme pas fr-core-appointment"


def rule_appointment_actor(a):
    """``participant.actor only Reference(Device or PractitionerRole or FRCoreRelatedPerson…
    or FRCorePractitionerProfile or FRCorePatientProfile or FRCoreLocationProfile…)``, and the
    person is among the participants."""
    allowed = {"Device", "PractitionerRole", "RelatedPerson", "HealthcareService",
               "Practitioner", "Patient", "Location"}
    refs = [p.get("actor", {}).get("reference") for p in a.get("participant", [])]
    for ref in filter(None, refs):
        if ref.split("/")[0] not in allowed:
            return f"participant.actor : {ref}"
    if not any(ref and ref.startswith("Patient/") for ref in refs):
        return "aucun participant Patient"


def rule_contained_referenced(r):
    """dom-3: every contained resource is referenced from the resource (``#id``)."""
    text = repr(r)
    for c in r.get("contained", []):
        if f"'#{c['id']}'" not in text:
            return f"ressource contenue {c['id']} non référencée"


def rule_subject_patient(r):
    if not _is_patient_ref(r.get("subject", {})):
        return "subject n'est pas une référence Patient"


RULES = {
    "Encounter": (rule_encounter_profile, rule_encounter_identifier, rule_encounter_class,
                  rule_encounter_period, rule_encounter_subject, rule_encounter_participant),
    "Appointment": (rule_appointment_profile, rule_appointment_actor),
    "CarePlan": (rule_contained_referenced, rule_subject_patient),
    "DocumentReference": (rule_subject_patient,),
}


def rule_errors(resource: dict) -> list[str]:
    return [error for rule in RULES[resource["resourceType"]]
            if (error := rule(resource)) is not None]


def all_errors(resource: dict) -> list[str]:
    """Schema, rules and invariants: what the tests assert empty for every resource."""
    return schema_errors(resource) + rule_errors(resource) + invariant_errors(resource)
