"""Patient (FR Core ``fr-core-patient`` / ``fr-core-patient-ins``): a person's identity, read
through the identity face of ``beneficiaries.access`` (consent included), audited like a
screen read of the file."""


from django.db.models import Q

from maillage.beneficiaries.access import beneficiaries_for
from maillage.beneficiaries.identity import IdentityStatus, InsOid, normalize_matricule
from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.selectors import name_starts_q
from maillage.core.permissions import Perm

from .resource import FR_CORE, ResourceType, audited_reads
from .search import LOCAL_SYSTEM, SearchParam, any_of, date_q, last_updated, local_id_q, split_token

PROFILE = FR_CORE + "fr-core-patient"
PROFILE_INS = FR_CORE + "fr-core-patient-ins"
IDENTITY_RELIABILITY = FR_CORE + "fr-core-identity-reliability"
#: FR Core 2.2.0 code system of the four RNIV statuses (INTEROP.md §2.1).
IDENTITY_STATUS_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status"
BIRTH_LIST_GIVEN_NAME = FR_CORE + "fr-core-patient-birth-list-given-name"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INSEE_CODE = FR_CORE + "fr-core-address-insee-code"
#: TRE_R13 CommuneOM, the code system of FR Core's value set of INSEE codes.
INSEE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
FR_IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
HL7_IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
#: The local identifier: the file's public id as a URN.

#: OID of the matricule → (FR Core identifier type, ``use``): INTEROP.md §1.
INS_SLICES = {
    InsOid.NIR: ("INS-NIR", "official"),
    InsOid.NIA: ("INS-NIA", "temp"),
    InsOid.TEST_NIR: ("INS-NIR-TEST", "official"),
    InsOid.DEMO_NIR: ("INS-NIR-DEMO", "official"),
}
GENDER = {"F": "female", "M": "male", "I": "unknown"}


def carries_ins(b: Beneficiary) -> bool:
    """Only a qualified identity carries the matricule INS (INTEROP.md §3; ``ins_travels``)."""
    return b.ins_travels and bool(b.ins_matricule) and b.ins_oid in INS_SLICES


def _insee(code: str) -> dict:
    return {"url": INSEE_CODE, "valueCoding": {"system": INSEE_SYSTEM, "code": code}}


def serialize(b: Beneficiary, base_url: str = "") -> dict:
    ins = carries_ins(b)
    identifiers = []
    if ins:
        slice_code, use = INS_SLICES[b.ins_oid]
        identifiers.append({
            "use": use,
            "type": {"coding": [{"system": FR_IDENTIFIER_TYPES, "code": slice_code}]},
            "system": f"urn:oid:{b.ins_oid}",
            "value": normalize_matricule(b.ins_matricule),
        })
    identifiers.append({
        "use": "usual",
        "type": {"coding": [{"system": HL7_IDENTIFIER_TYPES, "code": "PI"}]},
        "system": LOCAL_SYSTEM,
        "value": f"urn:uuid:{b.public_id}",
    })
    reliability = [{"url": "identityStatus", "valueCoding": {
        "system": IDENTITY_STATUS_SYSTEM, "code": b.identity_status,
        "display": IdentityStatus(b.identity_status).label}}]
    if b.identity_validated_on:
        reliability.append({"url": "validationDate",
                            "valueDate": b.identity_validated_on.isoformat()})
    names = [{
        "extension": [{"url": BIRTH_LIST_GIVEN_NAME, "valueString": b.first_names}],
        "use": "official",
        "family": b.birth_name,
        "given": [b.first_name],
    }]
    if b.used_name or b.used_first_name:
        names.append({"use": "usual", "family": b.used_name or b.birth_name,
                      "given": [b.used_first_name or b.first_name]})
    telecom = [{"system": "phone", "value": b.phone, "use": "home"}] if b.phone else []
    if b.mobile:
        telecom.append({"system": "phone", "value": b.mobile, "use": "mobile"})
    if b.email:
        telecom.append({"system": "email", "value": b.email, "use": "home"})
    resource = {
        "resourceType": "Patient",
        "id": str(b.public_id),
        "meta": {
            "versionId": str(b.version),
            "lastUpdated": b.updated_at.isoformat(),
            "profile": [PROFILE_INS if ins else PROFILE],
        },
        "extension": [
            {"url": IDENTITY_RELIABILITY, "extension": reliability},
            {"url": BIRTH_PLACE, "valueAddress": {"extension": [_insee(b.birth_place_code)]}},
        ],
        "identifier": identifiers,
        "name": names,
        "gender": GENDER[b.sex],
        "birthDate": b.birth_date.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    if b.address:
        resource["address"] = [{
            "extension": [_insee(b.commune.insee_code)],
            "use": "home",
            "line": [line for line in (b.address, b.address_complement) if line],
            "city": b.commune.name,
            "postalCode": b.commune.postal_code,
        }]
    return resource


def queryset(request):
    """The people whose identity this requester may see: the same face the file's screens use
    (consent included for partners)."""
    return beneficiaries_for("identity", crt=request.crt, user=request.user,
                             roles=request.roles).select_related("crt", "commune")




def identifier_q(value: str) -> Q:
    """``system|value``: the INS (qualified identities only, as it is shown) or the local id."""
    system, code = split_token(value)
    found = []
    if system in (None, LOCAL_SYSTEM):
        found.append(local_id_q(code) if code else Q())
    if system is None or system.startswith("urn:oid:"):
        ins = Q(identity_status=IdentityStatus.QUAL, ins_oid__in=list(INS_SLICES)) \
            & ~Q(ins_matricule="")
        if system is not None:
            ins &= Q(ins_oid=system.removeprefix("urn:oid:"))
        if code:
            ins &= Q(ins_matricule=normalize_matricule(code))
        found.append(ins)
    return any_of(found)


PATIENT = ResourceType(
    type="Patient",
    permission=Perm.BENEFICIARY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.patient_read", beneficiary=lambda b: b),
    profiles=(PROFILE, PROFILE_INS),
    documentation=(
        "Identité des personnes accompagnées que le compte du jeton peut voir (face « identité » "
        "de la politique d'accès au dossier, consentement compris). Le matricule INS n'est "
        "transmis que pour une identité qualifiée (profil fr-core-patient-ins)."),
    search_params=(
        SearchParam("identifier", "token",
                    "system|valeur : matricule INS (identité qualifiée) ou identifiant local "
                    f"({LOCAL_SYSTEM}|urn:uuid:…).", identifier_q,
                    "http://hl7.org/fhir/SearchParameter/Patient-identifier"),
        SearchParam("name", "string",
                    "Début d'un nom ou d'un prénom (de naissance ou utilisé), sans tenir compte "
                    "de la casse ni des accents.", name_starts_q,
                    "http://hl7.org/fhir/SearchParameter/individual-name"),
        SearchParam("birthdate", "date",
                    "Date de naissance (AAAA, AAAA-MM, AAAA-MM-JJ ; préfixes eq, ne, lt, gt, "
                    "le, ge).", date_q("birth_date", "birthdate"),
                    "http://hl7.org/fhir/SearchParameter/individual-birthdate"),
        last_updated(),
    ),
)
