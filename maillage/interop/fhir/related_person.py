"""RelatedPerson (FR Core ``fr-core-related-person``): the caregivers of a person
(``beneficiaries.Caregiver``) and their trusted person (« personne de confiance », CSP
L1111-6), which the file stores as four fields of ``Beneficiary``, not as a record.

Both are read through the identity face of the file's policy (the file page shows them with
the identity) and audited like a read of the file.

The trusted person has a deterministic id (``trusted_person_id``: the person's id XOR a fixed
mask, reversible), so it has a stable read URL without a table of its own (``read_extra``).
The keyset search stays the generic one over caregivers; a search naming ``patient`` adds the
trusted person of those people to its first page (``search_extra``)."""

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from maillage.beneficiaries.access import beneficiaries_for, caregivers_visible
from maillage.beneficiaries.models import Beneficiary, Caregiver
from maillage.core.audit import audit_log_many
from maillage.core.permissions import Perm

from .resource import FR_CORE, ResourceType, token_details
from .search import LOCAL_SYSTEM, NOTHING, SearchParam, date_q, last_updated, reference_q

PROFILE = FR_CORE + "fr-core-related-person"
#: Slice ``Role`` of fr-core-related-person (FRCoreRelatedPersonProfile.fsh): TRE_R260.
TRE_R260 = "https://mos.esante.gouv.fr/NOS/TRE_R260-HL7RoleClass/FHIR/TRE-R260-HL7RoleClass"
#: Slice ``RelationType``: TRE_R216.
TRE_R216 = "https://mos.esante.gouv.fr/NOS/TRE_R216-HL7RoleCode/FHIR/TRE-R216-HL7RoleCode"
#: TRE_R260 codes (ANS code system, version 20240426): NOK is « personne de confiance » since
#: 2024-03-29 (QUAL, its former code, is deprecated); CAREGIVER is « Aidant ».
TRUSTED = {"system": TRE_R260, "code": "NOK", "display": "personne de confiance"}
CAREGIVER = {"system": TRE_R260, "code": "CAREGIVER", "display": "Aidant"}
#: The free-text relation (« lien avec la personne ») → TRE_R216 (codes and labels read in the
#: ANS code system, version 20241213). Anything else travels as text only.
RELATIONS = {
    "fille": ("DAUC", "Fille"), "fils": ("SONC", "Fils"), "enfant": ("CHILD", "Enfant"),
    "epouse": ("WIFE", "Epouse"), "epoux": ("HUSB", "Epoux"), "mari": ("HUSB", "Epoux"),
    "conjoint": ("SIGOTHR", "Conjoint"), "conjointe": ("SIGOTHR", "Conjoint"),
    "compagnon": ("DOMPART", "Concubin(e) ou partenaire PACS"),
    "compagne": ("DOMPART", "Concubin(e) ou partenaire PACS"),
    "concubin": ("DOMPART", "Concubin(e) ou partenaire PACS"),
    "concubine": ("DOMPART", "Concubin(e) ou partenaire PACS"),
    "frere": ("BRO", "Frère"), "soeur": ("SIS", "Soeur"), "sœur": ("SIS", "Soeur"),
    "petite-fille": ("GRNDDAU", "Petite-fille"), "petit-fils": ("GRNDSO", "Petit-fils"),
    "petit-enfant": ("GRNDCHILD", "Petit-enfant"),
    "neveu": ("NEPHEW", "Neveu"), "niece": ("NIECE", "Nièce"),
    "belle-fille": ("DAUINLAW", "Belle-fille"), "gendre": ("SONINLAW", "Gendre"),
    "belle-soeur": ("SISINLAW", "Belle-soeur"), "beau-frere": ("BROINLAW", "Beau-frère"),
    "cousin": ("COUSN", "Cousin(e)"), "cousine": ("COUSN", "Cousin(e)"),
    "voisin": ("NBOR", "Voisin(e)"), "voisine": ("NBOR", "Voisin(e)"),
    "ami": ("FRND", "Autre proche"), "amie": ("FRND", "Autre proche"),
}
#: The trusted person's id is the person's id XOR this mask: stable, reversible (a read is one
#: query), and still a version-4 UUID (the version and variant bits of the mask are zero).
#: Fixed: changing it changes every trusted person's id.
TRUSTED_MASK = 0x5A3C_96E1_0F2D_0B47_0C1E_2D3C_4B5A_6978 & ~(0xF << 76) & ~(0x3 << 62)


def trusted_person_id(person_public_id) -> uuid.UUID:
    """The trusted person's id from the person's, and back (the mask undoes itself)."""
    return uuid.UUID(int=uuid.UUID(str(person_public_id)).int ^ TRUSTED_MASK)


person_of_trusted_person = trusted_person_id


@dataclass(frozen=True)
class TrustedPerson:
    """The trusted person of a file, as the API shows it (no table of its own)."""

    beneficiary: Beneficiary

    @property
    def public_id(self) -> uuid.UUID:
        return trusted_person_id(self.beneficiary.public_id)


def _key(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in plain if not unicodedata.combining(c)).replace(" ", "-")


def relation_concept(text: str) -> dict | None:
    """The relation coded in TRE_R216 where the words are known, its text always."""
    if not text.strip():
        return None
    concept = {"text": text.strip()}
    known = RELATIONS.get(_key(text))
    if known:
        concept["coding"] = [{"system": TRE_R216, "code": known[0], "display": known[1]}]
    return concept


def _resource(*, id, version: str, updated: datetime, person: Beneficiary, role: dict,
              relation: str, name: dict, telecom: list, address: str = "",
              since: date | None = None) -> dict:
    relationship = [{"coding": [role], "text": role["display"].capitalize()}]
    concept = relation_concept(relation)
    if concept:
        relationship.append(concept)
    resource = {
        "resourceType": "RelatedPerson",
        "id": str(id),
        "meta": {"versionId": version, "lastUpdated": updated.isoformat(), "profile": [PROFILE]},
        # identifier 1..1 in fr-core-related-person: the local id.
        "identifier": [{"use": "usual", "system": LOCAL_SYSTEM, "value": f"urn:uuid:{id}"}],
        "active": True,
        "patient": {"reference": f"Patient/{person.public_id}"},
        "relationship": relationship,
        "name": [name],
    }
    if telecom:
        resource["telecom"] = telecom
    if address:
        resource["address"] = [{"text": address}]
    if since:
        resource["period"] = {"start": since.isoformat()}
    return resource


def serialize(obj, base_url: str = "") -> dict:
    if isinstance(obj, TrustedPerson):
        b = obj.beneficiary
        return _resource(
            id=obj.public_id, version=str(b.version), updated=b.updated_at, person=b,
            role=TRUSTED, relation=b.trusted_person_relation,
            name={"text": b.trusted_person_name},
            telecom=[{"system": "phone", "value": b.trusted_person_phone}]
            if b.trusted_person_phone else [],
            since=b.trusted_person_designated_on)
    c: Caregiver = obj
    name = {"family": c.last_name}
    if c.first_name:
        name["given"] = [c.first_name]
    telecom = [{"system": "phone", "value": c.phone}] if c.phone else []
    if c.email:
        telecom.append({"system": "email", "value": c.email})
    resource = _resource(id=c.public_id, version=str(c.version), updated=c.updated_at,
                         person=c.beneficiary, role=CAREGIVER, relation=c.relation, name=name,
                         telecom=telecom, address=c.address)
    if c.is_main:
        resource["relationship"][0]["text"] = "Aidant principal"
    return resource


def queryset(request):
    """The caregivers of the people whose identity this requester may see (the file page's
    « Aidants », consent included for partners)."""
    return caregivers_visible(crt=request.crt, user=request.user,
                              roles=request.roles).select_related("beneficiary")


def _trusted_persons(request):
    """The people whose identity this requester may see and who named a trusted person."""
    return beneficiaries_for("identity", crt=request.crt, user=request.user,
                             roles=request.roles).exclude(trusted_person_name="")


def read_extra(request, id: str) -> TrustedPerson | None:
    """A trusted person's id: the person whose trusted person it is, if this requester may see
    their identity; None otherwise (a caregiver's id, or nothing: the generic read answers)."""
    try:
        person_id = person_of_trusted_person(id)
    except ValueError:
        return None
    b = _trusted_persons(request).filter(public_id=person_id).first()
    return TrustedPerson(b) if b is not None else None


def _person_q(value: str) -> Q:
    parsed = reference_q("beneficiary", "patient")(value)  # checks the reference
    ((_, public_id),) = parsed.children
    return Q(public_id=public_id)


#: How the search parameters apply to a trusted person (fields of ``Beneficiary``).
TRUSTED_PARAMS = {
    "patient": _person_q,
    "name": lambda v: Q(trusted_person_name__istartswith=v)
    | Q(trusted_person_name__icontains=f" {v}"),
    "_lastUpdated": date_q("updated_at", "_lastUpdated", is_datetime=True),
}


def search_extra(request, params) -> list[TrustedPerson]:
    """With ``patient``, the trusted persons of those people matching the other parameters."""
    if "patient" not in params:
        return []
    people = _trusted_persons(request)
    for name, to_q in TRUSTED_PARAMS.items():
        for value in params.getlist(name):
            q = NOTHING
            for part in (p for p in value.split(",") if p):
                q |= to_q(part)
            people = people.filter(q)
    return [TrustedPerson(b) for b in people.order_by("public_id")]


def on_read(request, objects) -> None:
    """Each caregiver or trusted person shown is a read of the person's file."""
    token = token_details(request)
    events = []
    for obj in objects:
        if isinstance(obj, TrustedPerson):
            b = obj.beneficiary
            events.append({"action": "fhir.relatedperson_read", "crt": request.crt,
                           "object_type": "beneficiaries.trusted_person",
                           "object_id": str(obj.public_id),
                           "object_label": "Personne de confiance", "beneficiary": b,
                           "details": token})
        else:
            events.append({"action": "fhir.relatedperson_read", "obj": obj, "crt": request.crt,
                           "beneficiary": obj.beneficiary, "details": token})
    audit_log_many(actor=request.user, events=events)


def name_q(value: str) -> Q:
    return (Q(last_name__istartswith=value) | Q(first_name__istartswith=value)
            | Q(last_name__icontains=f" {value}") | Q(last_name__icontains=f"-{value}"))


RELATED_PERSON = ResourceType(
    type="RelatedPerson",
    permission=Perm.BENEFICIARY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=on_read,
    read_extra=read_extra,
    search_extra=search_extra,
    profiles=(PROFILE,),
    documentation=(
        "Aidants et personne de confiance des personnes dont le compte du jeton voit "
        "l'identité (face « identité », consentement compris). La personne de confiance "
        "(rôle TRE_R260 NOK) a un identifiant stable dérivé de celui de la personne ; elle est "
        "rendue par la recherche avec « patient » et par sa lecture."),
    search_params=(
        SearchParam("patient", "reference", "La personne aidée : Patient/<id>.",
                    reference_q("beneficiary", "patient"),
                    "http://hl7.org/fhir/SearchParameter/RelatedPerson-patient"),
        SearchParam("name", "string", "Début du nom ou du prénom, sans tenir compte de la "
                    "casse.", name_q, "http://hl7.org/fhir/SearchParameter/individual-name"),
        last_updated(),
    ),
)
