"""PractitionerRole (FR Core ``fr-core-practitioner-role``): a professional of the directory in
their structure — one per ``territory.Professional`` (same id as its Practitioner), with the
profession, the organisation and the work contacts. Same policy as Practitioner."""

from django.db.models import Q

from maillage.core.permissions import Perm

from . import practitioner
from .resource import FR_CORE, ResourceType
from .search import LOCAL_SYSTEM, NOTHING, SearchParam, reference_q
from .search import split_token as _split

PROFILE = FR_CORE + "fr-core-practitioner-role"


def serialize(pro, base_url: str = "") -> dict:
    resource = {
        "resourceType": "PractitionerRole",
        "id": str(pro.public_id),
        "meta": {"versionId": str(pro.version), "lastUpdated": pro.updated_at.isoformat(),
                 "profile": [PROFILE]},
        "identifier": [{"use": "usual", "system": LOCAL_SYSTEM,
                        "value": f"urn:uuid:{pro.public_id}"}],
        "active": pro.is_active,
        "practitioner": {"reference": f"Practitioner/{pro.public_id}",
                         "display": f"{pro.first_name} {pro.last_name}".strip()},
        "code": [practitioner.profession_concept(pro)],
    }
    if pro.organization_id:
        resource["organization"] = {"reference": f"Organization/{pro.organization.public_id}",
                                    "display": pro.organization.name}
    points = practitioner.telecom(pro)
    if points:
        resource["telecom"] = points
    return resource


def queryset(request):
    return practitioner.queryset(request).select_related("organization")


def practitioner_q(value: str) -> Q:
    """``Practitioner/<id>``: a role has its practitioner's id (the same professional)."""
    parsed = reference_q("organization", "practitioner", "Practitioner")(value)  # checks it
    ((_, public_id),) = parsed.children
    return Q(public_id=public_id)


def identifier_q(value: str) -> Q:
    """The local id (a role has no national identifier of its own here)."""
    system, code = _split(value)
    if system not in (None, LOCAL_SYSTEM):
        return NOTHING
    return practitioner.identifier_q(f"{LOCAL_SYSTEM}|{code}")


PRACTITIONER_ROLE = ResourceType(
    type="PractitionerRole",
    permission=Perm.DIRECTORY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=practitioner.on_read,
    profiles=(PROFILE,),
    documentation=(
        "Exercice des professionnels de l'annuaire du CRT dans leur structure (une situation "
        "par professionnel, même identifiant que le Practitioner) : profession, structure, "
        "coordonnées professionnelles."),
    search_params=(
        SearchParam("practitioner", "reference",
                    "Le professionnel : Practitioner/<id>.",
                    practitioner_q,
                    "http://hl7.org/fhir/SearchParameter/PractitionerRole-practitioner"),
        SearchParam("organization", "reference", "La structure : Organization/<id>.",
                    reference_q("organization", "organization", "Organization"),
                    "http://hl7.org/fhir/SearchParameter/PractitionerRole-organization"),
        SearchParam("identifier", "token",
                    f"Identifiant local ({LOCAL_SYSTEM}|urn:uuid:…).",
                    identifier_q,
                    "http://hl7.org/fhir/SearchParameter/PractitionerRole-identifier"),
        practitioner.LAST_UPDATED,
    ),
)
