"""Practitioner (FR Core ``fr-core-practitioner``): the professionals of the CRT's directory
(``territory.Professional``), for the roles that read it (``directory.view``, as the screens).
Public professional data: reads are not audited (as the directory pages)."""


from django.db.models import Q

from maillage.core.permissions import Perm
from maillage.territory.access import professionals_visible
from maillage.territory.models import Professional

from .resource import FR_CORE, ResourceType
from .search import LOCAL_SYSTEM, SearchParam, any_of, last_updated, local_id_q, split_token

PROFILE = FR_CORE + "fr-core-practitioner"
FR_IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
#: idNatPs (INTEROP.md §1): ``8`` + RPPS; and the RPPS itself (FRCorePractitionerProfile.fsh).
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
#: TRE_G15 ProfessionSante (ANS terminologies; binding JDV_J106 of the exercicePro slice).
TRE_G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
#: Professions of the model that are one TRE_G15 code (codes and labels read in the ANS code
#: system, version 20250328). The others (aide-soignant·e: code 35 retired in 2024,
#: psychologue: 93 retired, social and other professions: not health professions of TRE_G15)
#: travel as text only.
PROFESSION_G15 = {
    Professional.Profession.GP: ("10", "Médecin"),
    Professional.Profession.SPECIALIST: ("10", "Médecin"),
    Professional.Profession.GERIATRICIAN: ("10", "Médecin"),
    Professional.Profession.PHARMACIST: ("21", "Pharmacien"),
    Professional.Profession.NURSE: ("60", "Infirmier"),
    Professional.Profession.PHYSIOTHERAPIST: ("70", "Masseur-Kinésithérapeute"),
    Professional.Profession.OCCUPATIONAL_THERAPIST: ("94", "Ergothérapeute"),
}
#: FR Core's e-mail type extension (FRCoreContactPointProfile.fsh), TRE_R256 « MSSANTE ».
EMAIL_TYPE = FR_CORE + "fr-core-contact-point-email-type"
TRE_R256 = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"


def profession_concept(pro: Professional) -> dict:
    """The profession: its TRE_G15 code where the model's profession is one, and its label."""
    text = pro.get_profession_display()
    if pro.specialty:
        text = f"{text} ({pro.specialty})"
    concept = {"text": text}
    if pro.profession in PROFESSION_G15:
        code, display = PROFESSION_G15[pro.profession]
        concept["coding"] = [{"system": TRE_G15, "code": code, "display": display}]
    return concept


def telecom(pro: Professional) -> list[dict]:
    """Work contacts; the MSSanté address as an e-mail typed MSSANTE (FR Core extension)."""
    points = []
    if pro.phone:
        points.append({"system": "phone", "value": pro.phone, "use": "work"})
    if pro.mobile:
        points.append({"system": "phone", "value": pro.mobile, "use": "mobile"})
    if pro.mssante_email:
        points.append({
            "extension": [{"url": EMAIL_TYPE, "valueCoding": {
                "system": TRE_R256, "code": "MSSANTE", "display": "MSSANTE"}}],
            "system": "email", "value": pro.mssante_email, "use": "work"})
    if pro.email:
        points.append({"system": "email", "value": pro.email, "use": "work"})
    return points


def serialize(pro: Professional, base_url: str = "") -> dict:
    identifiers = []
    if pro.rpps:
        identifiers += [
            {"use": "official",
             "type": {"coding": [{"system": FR_IDENTIFIER_TYPES, "code": "IDNPS"}]},
             "system": IDNPS_SYSTEM, "value": f"8{pro.rpps}"},
            {"use": "official",
             "type": {"coding": [{"system": FR_IDENTIFIER_TYPES, "code": "RPPS"}]},
             "system": RPPS_SYSTEM, "value": pro.rpps},
        ]
    identifiers.append({"use": "usual", "system": LOCAL_SYSTEM,
                        "value": f"urn:uuid:{pro.public_id}"})
    name = {"use": "usual", "family": pro.last_name}
    if pro.first_name:
        name["given"] = [pro.first_name]
    resource = {
        "resourceType": "Practitioner",
        "id": str(pro.public_id),
        "meta": {"versionId": str(pro.version), "lastUpdated": pro.updated_at.isoformat(),
                 "profile": [PROFILE]},
        "identifier": identifiers,
        "active": pro.is_active,
        "name": [name],
        # The profession as FR Core's exercicePro qualification (its code from TRE_G15).
        "qualification": [{"code": profession_concept(pro)}],
    }
    points = telecom(pro)
    if points:
        resource["telecom"] = points
    return resource


def queryset(request):
    """The CRT's directory, as the professionals' page shows it (``directory.view``)."""
    return professionals_visible(crt=request.crt, user=request.user, roles=request.roles)


def on_read(request, professionals) -> None:
    """Public professional data (the directory): not audited, as the directory pages."""


def identifier_q(value: str) -> Q:
    """idNatPs (``8`` + RPPS), RPPS, or the local id; without a system, any of them."""
    system, code = split_token(value)
    found = []
    if system in (None, IDNPS_SYSTEM) and code.startswith("8") and len(code) == 12:
        found.append(Q(rpps=code[1:]))
    if system in (None, RPPS_SYSTEM) and code:
        found.append(Q(rpps=code))
    if system in (None, LOCAL_SYSTEM):
        found.append(local_id_q(code))
    return any_of(found)


def name_q(value: str) -> Q:
    return (Q(last_name__istartswith=value) | Q(first_name__istartswith=value)
            | Q(last_name__icontains=f" {value}") | Q(last_name__icontains=f"-{value}"))


IDENTIFIER = SearchParam(
    "identifier", "token",
    f"{IDNPS_SYSTEM}|8+RPPS (idNatPs), {RPPS_SYSTEM}|RPPS ou l'identifiant local "
    f"({LOCAL_SYSTEM}|urn:uuid:…) ; sans système, l'un d'eux.", identifier_q,
    "http://hl7.org/fhir/SearchParameter/Practitioner-identifier")
LAST_UPDATED = last_updated()

PRACTITIONER = ResourceType(
    type="Practitioner",
    permission=Perm.DIRECTORY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=on_read,
    profiles=(PROFILE,),
    documentation=(
        "Professionnels de l'annuaire du CRT (rôles de l'équipe du CRT) : RPPS (idNatPs et "
        "RPPS), profession (code TRE_G15 quand elle en a un), messagerie sécurisée MSSanté. "
        "Les membres de l'équipe du CRT n'y figurent pas (pas de RPPS dans leur compte)."),
    search_params=(
        IDENTIFIER,
        SearchParam("name", "string",
                    "Début du nom ou du prénom, sans tenir compte de la casse.", name_q,
                    "http://hl7.org/fhir/SearchParameter/individual-name"),
        LAST_UPDATED,
    ),
)
