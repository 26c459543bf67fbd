"""The three validation layers of INTEROP.md §2.3, for the tests: the R4 JSON schema (vendored),
the FR Core rules Maillage relies on (one function per rule, citing its FSH file) and the FR
Core invariants (FHIRPath, verbatim)."""

import gzip
import json
from collections import deque
from functools import cache
from pathlib import Path
from typing import NamedTuple

import jsonschema_rs
from fhirpathpy import evaluate
from fhirpathpy.models import models

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "fhir.schema.json.gz"
FR = "https://hl7.fr/ig/fhir/core/"
PROFILE, PROFILE_INS = FR + "StructureDefinition/fr-core-patient", \
    FR + "StructureDefinition/fr-core-patient-ins"
#: Of the FR Core repository Interop-Sante/hl7.fhir.fr.core (read at commit 18ddd2e1).
INS_FSH = "input/fsh/profiles/FRCorePatientINSProfile.fsh"
RELIABILITY_FSH = "input/fsh/extensions/FRCorePatientIdentityReliabilityExtension.fsh"
INSEE_FSH = "input/fsh/extensions/FRCoreAddressInseeCodeExtension.fsh"


@cache
def _definitions() -> dict:
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as f:
        return json.load(f)["definitions"]


class SchemaError(NamedTuple):
    absolute_path: deque
    message: str


class SchemaValidator:
    """The R4 schema of one type, compiled by jsonschema-rs (Draft 6, ``format`` not asserted:
    the same verdict as ``jsonschema.Draft6Validator``, which the API applies to the resources
    written to it, ``interop/fhir/validation.py``; ``test_schema_validators.py`` compares them).
    A hundred times faster: the demo walks validate tens of thousands of resources, and whole
    search Bundles (each entry tried against the 150 types of ``ResourceList``).

    Two references of the Medplum schema point nowhere, both from Medplum's own types (never
    served): ``Resource`` (their ``contained``) and ``integer64`` (SQL-on-FHIR's
    ``ViewDefinitionConstant``). jsonschema-rs resolves every reference when it compiles, so
    they are given the meaning of R4's ``ResourceList`` and of R5's integer64 (a string)."""

    def __init__(self, resource_type: str) -> None:
        definitions = {"Resource": {"$ref": "#/definitions/ResourceList"},
                       "integer64": {"type": "string", "pattern": "^[0]|[-]?[1-9][0-9]*$"},
                       **_definitions()}
        self._compiled = jsonschema_rs.Draft6Validator(
            {"$ref": f"#/definitions/{resource_type}", "definitions": definitions},
            validate_formats=False)

    def iter_errors(self, instance):
        for error in self._compiled.iter_errors(instance):
            yield SchemaError(deque(error.instance_path), error.message)


@cache
def validator(resource_type: str) -> SchemaValidator:
    return SchemaValidator(resource_type)


def schema_errors(resource: dict) -> list[str]:
    """Layer 1: the FHIR R4 JSON schema (only R4 types the API serves, no Medplum extras)."""
    from maillage.interop.fhir.registry import RESOURCES

    assert resource["resourceType"] in {*RESOURCES, "Bundle", "CapabilityStatement",
                                        "OperationOutcome"}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(resource["resourceType"]).iter_errors(resource)]


# --- Layer 3: FR Core invariants, copied verbatim from FRCorePatientINSProfile.fsh -----------
FR_CORE_1 = "(extension('https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability').extension('identityStatus').value.exists(code = 'VALI')) implies (identifier.where(system = 'urn:oid:1.2.250.1.213.1.4.8' and use = 'official').exists() or identifier.where(system = 'urn:oid:1.2.250.1.213.1.4.9' and use = 'temp').exists() or identifier.where(system = 'urn:oid:1.2.250.1.213.1.4.10' and use = 'official').exists() or identifier.where(system = 'urn:oid:1.2.250.1.213.1.4.11' and use = 'official').exists())"  # noqa: E501
FR_CORE_2 = "(extension('https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability').extension('identityStatus').value.exists(code = 'VALI')) implies (identifier.where(use = 'official').count() = 1 or identifier.where(system = 'urn:oid:1.2.250.1.213.1.4.9' and use = 'temp').exists())"  # noqa: E501
INVARIANTS = {"fr-core-1": FR_CORE_1, "fr-core-2": FR_CORE_2}


def invariant(resource: dict, name: str) -> list:
    return evaluate(resource, INVARIANTS[name], {}, models["r4"])


# --- Layer 2: the FR Core rules the serialiser relies on --------------------------------------
INS_TYPES = FR + "CodeSystem/fr-core-cs-v2-0203"
INS_SLICES = {  # slice → (system, allowed uses)
    "INS-NIR": ("urn:oid:1.2.250.1.213.1.4.8", {"official", "old"}),
    "INS-NIA": ("urn:oid:1.2.250.1.213.1.4.9", {"temp"}),
    "INS-NIR-TEST": ("urn:oid:1.2.250.1.213.1.4.10", {"official"}),
    "INS-NIR-DEMO": ("urn:oid:1.2.250.1.213.1.4.11", {"official"}),
}
INS_SYSTEMS = {system for system, _ in INS_SLICES.values()}


def _ext(element: dict, url: str) -> list[dict]:
    return [e for e in element.get("extension", []) if e["url"] == url]


def _status(p: dict) -> str | None:
    for rel in _ext(p, FR + "StructureDefinition/fr-core-identity-reliability"):
        for sub in _ext(rel, "identityStatus"):
            return sub["valueCoding"]["code"]
    return None


def _is_ins(p: dict) -> bool:
    return PROFILE_INS in p.get("meta", {}).get("profile", [])


def rule_profile(p):
    """The INS profile is claimed when, and only when, the identity is qualified."""
    return _is_ins(p) == (_status(p) == "QUAL") and (
        _is_ins(p) or PROFILE in p["meta"]["profile"])


def rule_ins_only_in_ins_profile(p):
    """INS slices are defined in fr-core-patient-ins only (not carried otherwise)."""
    return _is_ins(p) or not any(i.get("system") in INS_SYSTEMS for i in p.get("identifier", []))


def rule_ins_slices(p):
    """Each INS identifier: type from fr-core-v2-0203, its fixed OID system, its ``use``."""
    for ident in p.get("identifier", []):
        codes = [c["code"] for c in ident.get("type", {}).get("coding", [])
                 if c.get("system") == INS_TYPES]
        if ident.get("system") in INS_SYSTEMS or codes:
            if len(codes) != 1 or codes[0] not in INS_SLICES:
                return False
            system, uses = INS_SLICES[codes[0]]
            if ident.get("system") != system or ident.get("use") not in uses \
                    or not ident.get("value"):
                return False
    return True


def rule_identifier(p):
    """identifier 1..* (INS profile)."""
    return not _is_ins(p) or len(p.get("identifier", [])) >= 1


def rule_gender(p):
    """gender 1..1 from fr-core-vs-patient-gender-INS (male | female | unknown)."""
    return not _is_ins(p) or p.get("gender") in {"male", "female", "unknown"}


def rule_birth_date(p):
    """birthDate 1..1 (INS profile)."""
    return not _is_ins(p) or bool(p.get("birthDate"))


def rule_identity_reliability(p):
    """extension[identityReliability] 1..*; identityStatus from fr-core-vs-identity-status."""
    rels = _ext(p, FR + "StructureDefinition/fr-core-identity-reliability")
    if _is_ins(p) and not rels:
        return False
    for rel in rels:
        for sub in _ext(rel, "identityStatus"):
            coding = sub.get("valueCoding", {})
            if coding.get("system") != FR + "CodeSystem/fr-core-cs-identity-status" or \
                    coding.get("code") not in {"PROV", "RECUP", "VALI", "QUAL"}:
                return False
    return True


def rule_birth_place(p):
    """extension[birthPlace] 1..1 whose address carries extension[inseeCode] 1..1 (Coding)."""
    places = _ext(p, "http://hl7.org/fhir/StructureDefinition/patient-birthPlace")
    if not _is_ins(p) and not places:
        return True
    if len(places) != 1:
        return False
    codes = _ext(places[0].get("valueAddress", {}),
                 FR + "StructureDefinition/fr-core-address-insee-code")
    return len(codes) == 1 and len(codes[0].get("valueCoding", {}).get("code", "")) == 5


def rule_official_name(p):
    """name[officialName] 1..1, exactly one ``given``, birth-list-given-name 1..1."""
    official = [n for n in p.get("name", []) if n.get("use") == "official"]
    if not _is_ins(p) and not official:
        return True
    if len(official) != 1 or len(official[0].get("given", [])) != 1:
        return False
    lists = _ext(official[0], FR + "StructureDefinition/fr-core-patient-birth-list-given-name")
    return len(lists) == 1 and lists[0].get("valueString", "").split(" ")[0] == \
        official[0]["given"][0]


#: (rule, FSH file it comes from)
RULES = [
    (rule_profile, INS_FSH),
    (rule_ins_only_in_ins_profile, INS_FSH),
    (rule_ins_slices, INS_FSH),
    (rule_identifier, INS_FSH),
    (rule_gender, INS_FSH),
    (rule_birth_date, INS_FSH),
    (rule_identity_reliability, RELIABILITY_FSH),
    (rule_birth_place, INS_FSH + " + " + INSEE_FSH),
    (rule_official_name, INS_FSH),
]


def fr_core_errors(p: dict) -> list[str]:
    return [f"{rule.__name__} ({fsh})" for rule, fsh in RULES if not rule(p)]
