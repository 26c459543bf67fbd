"""Organization (FR Core ``fr-core-organization``): the partner structures of the CRT's
directory, for the roles that read it (``directory.view``, as the screens)."""


from django.db.models import Q

from maillage.core.permissions import Perm
from maillage.territory.access import organizations_visible
from maillage.territory.models import Organization

from .resource import FR_CORE, ResourceType
from .search import LOCAL_SYSTEM, SearchParam, any_of, last_updated, local_id_q, split_token

PROFILE = FR_CORE + "fr-core-organization"
FR_IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
#: idNatSt (INTEROP.md §1): ``1`` + FINESS.
IDNST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
SIRET_SYSTEM = "https://sirene.fr"


def _identifier(system: str, value: str, type_code: str) -> dict:
    return {"use": "official",
            "type": {"coding": [{"system": FR_IDENTIFIER_TYPES, "code": type_code}]},
            "system": system, "value": value}


def serialize(org: Organization, base_url: str = "") -> dict:
    identifiers = []
    if org.finess:
        identifiers.append(_identifier(IDNST_SYSTEM, f"1{org.finess}", "IDNST"))
    if org.siret:
        identifiers.append(_identifier(SIRET_SYSTEM, org.siret, "SIRET"))
    identifiers.append({"use": "usual", "system": LOCAL_SYSTEM,
                        "value": f"urn:uuid:{org.public_id}"})
    resource = {
        "resourceType": "Organization",
        "id": str(org.public_id),
        "meta": {"versionId": str(org.version), "lastUpdated": org.updated_at.isoformat(),
                 "profile": [PROFILE]},
        "identifier": identifiers,
        "active": True,
        "type": [{"text": org.get_kind_display()}],
        "name": org.name,
    }
    telecom = [{"system": "phone", "value": org.phone, "use": "work"}] if org.phone else []
    if org.email:
        telecom.append({"system": "email", "value": org.email, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    city = org.commune.name if org.commune_id else org.city
    postal = org.commune.postal_code if org.commune_id else org.postal_code
    if org.address or city:
        address = {"use": "work"}
        if org.address:
            address["line"] = [org.address]
        if city:
            address["city"] = city
        if postal:
            address["postalCode"] = postal
        resource["address"] = [address]
    return resource


def queryset(request):
    """The CRT's directory, through the directory's policy (the partner pages')."""
    return organizations_visible(crt=request.crt, user=request.user,
                                 roles=request.roles).select_related("commune")


def on_read(request, organizations) -> None:
    """A structure is no personal data: reads are not audited (as the directory pages)."""


def identifier_q(value: str) -> Q:
    system, code = split_token(value)
    found = []
    # ``system|`` with no value: any structure holding such an identifier.
    if system in (None, IDNST_SYSTEM) and code.startswith("1"):
        found.append(Q(finess=code[1:]))
    if system in (None, "https://finess.esante.gouv.fr"):
        found.append(Q(finess=code) if code else ~Q(finess=""))
    if system in (None, SIRET_SYSTEM, "http://sirene.fr"):
        found.append(Q(siret=code) if code else ~Q(siret=""))
    if system == IDNST_SYSTEM and not code:
        found.append(~Q(finess=""))
    if system in (None, LOCAL_SYSTEM):
        found.append(local_id_q(code))
    return any_of(found)


ORGANIZATION = ResourceType(
    type="Organization",
    permission=Perm.DIRECTORY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=on_read,
    profiles=(PROFILE,),
    documentation="Structures partenaires de l'annuaire du CRT (rôles de l'équipe du CRT).",
    search_params=(
        SearchParam("identifier", "token",
                    f"{IDNST_SYSTEM}|1+FINESS, https://finess.esante.gouv.fr|FINESS, "
                    f"{SIRET_SYSTEM}|SIRET ou l'identifiant local.", identifier_q,
                    "http://hl7.org/fhir/SearchParameter/Organization-identifier"),
        SearchParam("name", "string", "Début du nom, sans tenir compte de la casse.",
                    lambda v: Q(name__istartswith=v) | Q(name__icontains=f" {v}"),
                    "http://hl7.org/fhir/SearchParameter/Organization-name"),
        last_updated(),
    ),
)
