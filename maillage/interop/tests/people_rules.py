"""The FR Core rules Maillage relies on for RelatedPerson, Practitioner, PractitionerRole and
Consent (layer 2 of INTEROP.md §2.3: one function per rule, citing its FSH file of
Interop-Sante/hl7.fhir.fr.core), and the R4 invariants of Consent (layer 3, FHIRPath copied
verbatim from the R4 Consent StructureDefinition)."""

import re

from fhirpathpy import evaluate
from fhirpathpy.models import models

from . import fhir_rules

FR = "https://hl7.fr/ig/fhir/core/"
SD = FR + "StructureDefinition/"
TYPES = FR + "CodeSystem/fr-core-cs-v2-0203"
TRE_R260 = "https://mos.esante.gouv.fr/NOS/TRE_R260-HL7RoleClass/FHIR/TRE-R260-HL7RoleClass"
TRE_R216 = "https://mos.esante.gouv.fr/NOS/TRE_R216-HL7RoleCode/FHIR/TRE-R216-HL7RoleCode"
TRE_G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
TRE_R256 = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
#: Active codes of the ANS code systems (read in TRE_R260 v20240426, TRE_R216 v20241213,
#: TRE_G15 v20250328): a code outside these is a typo or a retired code.
R260_ACTIVE = {"ECON", "GUARD", "POLHOLD", "CON", "CAREGIVER", "PAT", "PROV", "AGNT", "NOK"}
R216_USED = {"DAUC", "SONC", "CHILD", "WIFE", "HUSB", "SIGOTHR", "DOMPART", "BRO", "SIS",
             "GRNDDAU", "GRNDSO", "GRNDCHILD", "NEPHEW", "NIECE", "DAUINLAW", "SONINLAW",
             "SISINLAW", "BROINLAW", "COUSN", "NBOR", "FRND"}
G15_ACTIVE = {"10", "21", "26", "28", "31", "32", "40", "50", "60", "69", "70", "80", "81", "82",
              "83", "84", "85", "86", "91", "92", "94", "95", "96", "98"}

RELATED_FSH = "input/fsh/profiles/FRCoreRelatedPersonProfile.fsh"
PRACTITIONER_FSH = "input/fsh/profiles/FRCorePractitionerProfile.fsh"
ROLE_FSH = "input/fsh/profiles/FRCorePractitionerRoleProfile.fsh"
CONSENT_FSH = "input/fsh/profiles/FRCoreConsentProfile.fsh"
CONTACT_FSH = "input/fsh/profiles/FRCoreContactPointProfile.fsh"
EMAIL_TYPE_FSH = "input/fsh/extensions/FRCoreContactPointEmailTypeExtension.fsh"


#: Layer 1: the R4 schema, for every type the API serves.
schema_errors = fhir_rules.schema_errors


def _claims(r: dict, profile: str) -> bool:
    return SD + profile in r.get("meta", {}).get("profile", [])


def _reference(value: dict | None, *types: str) -> bool:
    return bool(value) and any(
        re.fullmatch(rf"{t}/[A-Za-z0-9\-.]{{1,64}}", value.get("reference", "")) for t in types)


# --- shared -------------------------------------------------------------------------------
def rule_contact_points(r):
    """telecom only FRCoreContactPointProfile: system 1..1, value 1..1; an emailType extension
    is a TRE_R256 Coding on an e-mail."""
    for point in r.get("telecom", []):
        if not point.get("system") or not point.get("value"):
            return False
        for ext in point.get("extension", []):
            if ext["url"] == SD + "fr-core-contact-point-email-type":
                coding = ext.get("valueCoding", {})
                if point["system"] != "email" or coding.get("system") != TRE_R256 \
                        or coding.get("code") != "MSSANTE":
                    return False
    return True


# --- RelatedPerson ------------------------------------------------------------------------
def rule_related_profile(r):
    return _claims(r, "fr-core-related-person")


def rule_related_identifier(r):
    """identifier 1..1."""
    return len(r.get("identifier", [])) == 1 and bool(r["identifier"][0].get("value"))


def rule_related_patient(r):
    """patient only Reference(FRCorePatientProfile) (1..1 in R4)."""
    return _reference(r.get("patient"), "Patient")


def rule_related_role(r):
    """relationship[Role] 0..1, system TRE_R260 (an active code)."""
    roles = [c for rel in r.get("relationship", []) for c in rel.get("coding", [])
             if c.get("system") == TRE_R260]
    return len(roles) <= 1 and all(c.get("code") in R260_ACTIVE for c in roles)


def rule_related_relation_type(r):
    """relationship[RelationType] 0..*, system TRE_R216 (codes of the mapping)."""
    return all(c.get("code") in R216_USED for rel in r.get("relationship", [])
               for c in rel.get("coding", []) if c.get("system") == TRE_R216)


RELATED_RULES = [
    (rule_related_profile, RELATED_FSH), (rule_related_identifier, RELATED_FSH),
    (rule_related_patient, RELATED_FSH), (rule_related_role, RELATED_FSH),
    (rule_related_relation_type, RELATED_FSH), (rule_contact_points, CONTACT_FSH),
]


# --- Practitioner -------------------------------------------------------------------------
def _slice(r, system):
    return [i for i in r.get("identifier", []) if i.get("system") == system]


def _type_codes(identifier):
    return [c.get("code") for c in identifier.get("type", {}).get("coding", [])
            if c.get("system") == TYPES]


def rule_practitioner_profile(r):
    return _claims(r, "fr-core-practitioner")


def rule_idnatps(r):
    """identifier[idNatPs] 0..1: type IDNPS, system urn:oid:1.2.250.1.71.4.2.1, value 1..1
    (``8`` + RPPS, INTEROP.md §1)."""
    found = _slice(r, "urn:oid:1.2.250.1.71.4.2.1")
    return len(found) <= 1 and all(
        _type_codes(i) == ["IDNPS"] and re.fullmatch(r"8\d{11}", i.get("value", ""))
        for i in found)


def rule_rpps(r):
    """identifier[rpps]: type RPPS, system https://rpps.esante.gouv.fr, value (11 digits); the
    idNatPs, when both are there, is ``8`` + this RPPS."""
    found = _slice(r, "https://rpps.esante.gouv.fr")
    if not all(_type_codes(i) == ["RPPS"] and re.fullmatch(r"\d{11}", i.get("value", ""))
               for i in found):
        return False
    idnat = _slice(r, "urn:oid:1.2.250.1.71.4.2.1")
    return not (found and idnat) or idnat[0]["value"] == "8" + found[0]["value"]


def rule_exercice_pro(r):
    """qualification[exercicePro].code.coding[profession] from JDV_J106 (TRE_G15 here): an
    active code; the qualification has its code (1..1 in R4)."""
    for q in r.get("qualification", []):
        if not q.get("code"):
            return False
        for c in q["code"].get("coding", []):
            if c.get("system") == TRE_G15 and c.get("code") not in G15_ACTIVE:
                return False
    return True


PRACTITIONER_RULES = [
    (rule_practitioner_profile, PRACTITIONER_FSH), (rule_idnatps, PRACTITIONER_FSH),
    (rule_rpps, PRACTITIONER_FSH), (rule_exercice_pro, PRACTITIONER_FSH),
    (rule_contact_points, CONTACT_FSH + " + " + EMAIL_TYPE_FSH),
]


# --- PractitionerRole ---------------------------------------------------------------------
def rule_role_profile(r):
    return _claims(r, "fr-core-practitioner-role")


def rule_role_references(r):
    """practitioner only Reference(FRCorePractitionerProfile), organization only
    Reference(FRCoreOrganizationProfile)."""
    return _reference(r.get("practitioner"), "Practitioner") and (
        "organization" not in r or _reference(r["organization"], "Organization"))


ROLE_RULES = [
    (rule_role_profile, ROLE_FSH), (rule_role_references, ROLE_FSH),
    (rule_contact_points, CONTACT_FSH),
]


# --- Consent ------------------------------------------------------------------------------
def rule_consent_profile(r):
    return _claims(r, "fr-core-consent")


def rule_consent_references(r):
    """patient only Reference(FRCorePatientProfile or Patient); performer only references to
    Organization, Patient, Practitioner, RelatedPerson, PractitionerRole."""
    return _reference(r.get("patient"), "Patient") and all(
        _reference(p, "Organization", "Patient", "Practitioner", "RelatedPerson",
                   "PractitionerRole") for p in r.get("performer", []))


CONSENT_RULES = [(rule_consent_profile, CONSENT_FSH), (rule_consent_references, CONSENT_FSH)]

#: R4 Consent invariants (severity error in R4 4.0.1), verbatim.
CONSENT_INVARIANTS = {
    "ppc-1": "policy.exists() or policyRule.exists()",
    "ppc-2": "patient.exists() or scope.coding.where(system='something' and "
             "code='patient-privacy').exists().not()",
    "ppc-5": "patient.exists() or scope.coding.where(system='something' and "
             "code='treatment').exists().not()",
}


def consent_invariant(resource: dict, name: str) -> list:
    return evaluate(resource, CONSENT_INVARIANTS[name], {}, models["r4"])


RULES = {"RelatedPerson": RELATED_RULES, "Practitioner": PRACTITIONER_RULES,
         "PractitionerRole": ROLE_RULES, "Consent": CONSENT_RULES, "CareTeam": []}


def fr_core_errors(r: dict) -> list[str]:
    errors = [f"{rule.__name__} ({fsh})" for rule, fsh in RULES[r["resourceType"]] if not rule(r)]
    if r["resourceType"] == "Consent":
        errors += [name for name in CONSENT_INVARIANTS if consent_invariant(r, name) != [True]]
    if r["resourceType"] == "CareTeam" and r.get("meta", {}).get("profile"):
        errors.append("CareTeam claims no profile (FR Core has none)")
    return errors
