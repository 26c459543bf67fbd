"""The ROR profile rules the export relies on, one function per rule (each names the element
and cardinality of its FSH file), for the tests: ``ror_errors(resource)`` lists the broken
ones. Source: ansforge/IG-fhir-repertoire-offre-ressources-sante (IG 0.6.0),
``input/fsh/profiles/RORHealthcareService.fsh`` (commit 6b200eff), ``RORLocation.fsh``
(9be76d49), ``ROROrganization.fsh`` (f86c5cea) and the extensions of ``input/fsh/extensions``.
Layer 1 (the R4 JSON schema) is ``schema_errors`` here too, over the types the export holds."""

from maillage.interop import ror

from .fhir_rules import validator

IG = ror.IG
TYPES = {"Bundle", "Organization", "HealthcareService", "Location"}


def schema_errors(resource: dict) -> list[str]:
    assert resource["resourceType"] in TYPES
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(resource["resourceType"]).iter_errors(resource)]


def ext(element: dict, url: str) -> list[dict]:
    return [e for e in element.get("extension", []) if e.get("url") == url]


def _systems(concept: dict) -> set[str]:
    return {c.get("system") for c in concept.get("coding", [])}


def _one_sub(extension: dict, url: str, value_key: str) -> bool:
    found = ext(extension, url)
    return len(found) == 1 and value_key in found[0]


# --- shared ----------------------------------------------------------------------------------
def rule_last_updated(r):
    """meta.lastUpdated 1..1 (all three profiles)."""
    return bool(r.get("meta", {}).get("lastUpdated"))


def rule_creation_date(r):
    """extension[ror-meta-creation-date] 1..1, valueDateTime (all three profiles)."""
    found = ext(r, IG + "ror-meta-creation-date")
    return len(found) == 1 and "valueDateTime" in found[0]


def _telecom_ok(telecom: dict) -> bool:
    """telecom.value 1..1, extension[ror-telecom-communication-channel] 1..1 and
    extension[ror-telecom-confidentiality-level] 1..1 (CodeableConcept)."""
    return bool(telecom.get("value")) and all(
        _one_sub(telecom, IG + name, "valueCodeableConcept")
        for name in ("ror-telecom-communication-channel", "ror-telecom-confidentiality-level"))


def rule_telecom(r):
    return all(_telecom_ok(t) for t in r.get("telecom", []))


# --- HealthcareService -------------------------------------------------------------------------
def rule_hs_identifier(r):
    """identifier 1..1."""
    return len(r.get("identifier", [])) == 1


def rule_hs_category(r):
    """category 0..1, from JDV_J238-TypeOffre-ROR (codes of TRE_R244)."""
    cats = r.get("category", [])
    return len(cats) <= 1 and all(_systems(c) == {ror.CATEGORY} for c in cats)


def rule_hs_type(r):
    """type 1..1, from JDV_J20-ChampActivite-ROR (TRE_R227)."""
    types = r.get("type", [])
    return len(types) == 1 and ror.ACTIVITY_FIELD in _systems(types[0])


def rule_hs_operational_activity(r):
    """specialty 1..*, slice operationalActivity 1..1 (sliced on coding.system, TRE_R211)."""
    return sum(ror.OPERATIONAL_ACTIVITY in _systems(s) for s in r.get("specialty", [])) == 1


def rule_hs_care_mode(r):
    """characteristic 1..*, slice careMode 1..1 (JDV_J19, TRE_R213)."""
    return sum(ror.CARE_MODE in _systems(c) for c in r.get("characteristic", [])) == 1


def rule_hs_sensitive_unit(r):
    """extension[ror-healthcareservice-sensitive-unit] 1..1, valueBoolean."""
    found = ext(r, IG + "ror-healthcareservice-sensitive-unit")
    return len(found) == 1 and isinstance(found[0].get("valueBoolean"), bool)


def rule_hs_patient_type(r):
    """extension[ror-healthcareservice-patient-type] 1..1: ageRange 1..1 (Range, low 1..1 and
    high 1..1); supportedPatientInfo 0..* CodeableConcept."""
    found = ext(r, IG + "ror-healthcareservice-patient-type")
    if len(found) != 1:
        return False
    ages = ext(found[0], "ageRange")
    return (len(ages) == 1 and "low" in ages[0].get("valueRange", {})
            and "high" in ages[0]["valueRange"]
            and all("valueCodeableConcept" in e for e in ext(found[0], "supportedPatientInfo")))


def rule_hs_territorial_division(r):
    """Each extension[ror-territorial-division]: typeTerritorialDivision 1..1 and
    codeTerritorialDivision 1..1, both CodeableConcept."""
    return all(_one_sub(d, "typeTerritorialDivision", "valueCodeableConcept")
               and _one_sub(d, "codeTerritorialDivision", "valueCodeableConcept")
               for d in ext(r, IG + "ror-territorial-division"))


def rule_hs_contact(r):
    """Each extension[ror-healthcareservice-contact]: ror-confidentiality-level 1..1; each
    ror-healthcareservice-contact-telecom: channel 1..1, confidentiality 1..1,
    telecomAddress 1..1 (valueString)."""
    for contact in ext(r, IG + "ror-healthcareservice-contact"):
        if len(ext(contact, IG + "ror-confidentiality-level")) != 1:
            return False
        for telecom in ext(contact, IG + "ror-healthcareservice-contact-telecom"):
            if not (_one_sub(telecom, IG + "ror-telecom-communication-channel",
                             "valueCodeableConcept")
                    and _one_sub(telecom, IG + "ror-telecom-confidentiality-level",
                                 "valueCodeableConcept")
                    and _one_sub(telecom, "telecomAddress", "valueString")):
                return False
    return True


def rule_hs_available_time(r):
    """availableTime.extension: type-of-time 0..1 (CodeableConcept), number-days-of-week 0..1
    (integer, 1 = Monday … 7), daysOfWeek 0..1."""
    for slot in r.get("availableTime", []):
        kinds = ext(slot, IG + "ror-available-time-type-of-time")
        days = ext(slot, IG + "ror-available-time-number-days-of-week")
        if len(kinds) > 1 or len(days) > 1 or len(slot.get("daysOfWeek", [])) > 1:
            return False
        if any("valueCodeableConcept" not in k for k in kinds):
            return False
        if any(not (isinstance(d.get("valueInteger"), int) and 1 <= d["valueInteger"] <= 7)
               for d in days):
            return False
    return True


# --- Location ---------------------------------------------------------------------------------
def rule_location_commune(r):
    """extension[ror-commune-cog] 1..1, valueCodeableConcept (JDV_J230)."""
    found = ext(r, IG + "ror-commune-cog")
    return len(found) == 1 and "valueCodeableConcept" in found[0]


def rule_location_type(r):
    """type 0..1."""
    return len(r.get("type", [])) <= 1


CAPACITY_REQUIRED = {  # ror-location-supported-capacity: sub-extension → value key (1..1)
    "capacityType": "valueCode", "capacityStatus": "valueCode",
    "temporalityCapacity": "valueCode", "nbCapacity": "valueInteger",
    "capacitySourceType": "valueCode", "capacityUpdateDate": "valueDateTime",
    "temporaryAssignement": "valueCodeableConcept",
}


def rule_location_capacity(r):
    """Each extension[ror-location-supported-capacity] (RORLocationSupportedCapacity.fsh):
    capacityType, capacityStatus, temporalityCapacity, nbCapacity, capacitySourceType,
    capacityUpdateDate, temporaryAssignement 1..1 with their types."""
    return all(all(_one_sub(c, url, key) for url, key in CAPACITY_REQUIRED.items())
               for c in ext(r, IG + "ror-location-supported-capacity"))


# --- Organization -----------------------------------------------------------------------------
def rule_org_single(r):
    """name 0..1, alias 0..1, address 0..1."""
    return (not isinstance(r.get("name"), list) and len(r.get("alias", [])) <= 1
            and len(r.get("address", [])) <= 1)


def rule_org_identifier_type(r):
    """identifier[idNatSt|finess|…].type 1..1: every identifier is typed."""
    return all("type" in i for i in r.get("identifier", []))


def rule_org_contact_telecom(r):
    """contact.telecom: value 1..1, channel 1..1, confidentiality 1..1."""
    return all(_telecom_ok(t) for c in r.get("contact", []) for t in c.get("telecom", []))


RULES = {
    "HealthcareService": [rule_last_updated, rule_creation_date, rule_telecom,
                          rule_hs_identifier, rule_hs_category, rule_hs_type,
                          rule_hs_operational_activity, rule_hs_care_mode,
                          rule_hs_sensitive_unit, rule_hs_patient_type,
                          rule_hs_territorial_division, rule_hs_contact,
                          rule_hs_available_time],
    "Location": [rule_last_updated, rule_creation_date, rule_telecom, rule_location_commune,
                 rule_location_type, rule_location_capacity],
    "Organization": [rule_last_updated, rule_creation_date, rule_telecom, rule_org_single,
                     rule_org_identifier_type, rule_org_contact_telecom],
}
PROFILES = {"HealthcareService": ror.PROFILE_SERVICE, "Location": ror.PROFILE_LOCATION,
            "Organization": ror.PROFILE_ORGANIZATION}


def ror_errors(resource: dict) -> list[str]:
    """The names of the ROR rules ``resource`` breaks (its profile must be claimed)."""
    kind = resource["resourceType"]
    broken = [] if PROFILES[kind] in resource.get("meta", {}).get("profile", []) else ["profile"]
    return broken + [rule.__name__ for rule in RULES[kind] if not rule(resource)]


def all_errors(resource: dict) -> list[str]:
    return schema_errors(resource) + ror_errors(resource)
