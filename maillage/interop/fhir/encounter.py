"""Encounter (FR Core ``fr-core-encounter``): a visit done at the person's home (or at the
CRT) — ``visits.Visit`` traced « réalisé ». Read through the visits' policy
(``visits.selectors.visible_visits``: the planning face, as the visit pages), audited like a
screen read of a visit. The visits not done are Appointments (``appointment.py``)."""

from maillage.core.permissions import Perm
from maillage.visits.models import Place, Visit
from maillage.visits.selectors import visible_visits

from .resource import FR_CORE, ResourceType, audited_reads
from .search import LOCAL_SYSTEM, SearchParam, date_q, last_updated, reference_q

PROFILE = FR_CORE + "fr-core-encounter"
#: FR Core's encounter identifier types (VN: visit number).
IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identifier-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
#: Where the visit takes place → the encounter's class.
CLASS = {Place.HOME: ("HH", "home health"), Place.CRT: ("AMB", "ambulatory")}


def visits_queryset(request):
    """The visits this requester may see: the visit pages' policy (``visible_visits``, which
    already joins the person, the professional and the service)."""
    return visible_visits(crt=request.crt, user=request.user, roles=request.roles)


def who(visit: Visit) -> str:
    """Who does the visit, as the visit pages name them (empty when nobody is assigned)."""
    name = visit.who
    return "" if name == "—" else name


def serialize(v: Visit, base_url: str = "") -> dict:
    code, display = CLASS[v.place]
    start, end = v.actual_start or v.starts_at, v.actual_end or v.ends_at
    resource = {
        "resourceType": "Encounter",
        "id": str(v.public_id),
        "meta": {"versionId": str(v.version), "lastUpdated": v.updated_at.isoformat(),
                 "profile": [PROFILE]},
        "identifier": [{
            "use": "usual",
            "type": {"coding": [{"system": IDENTIFIER_TYPES, "code": "VN"}]},
            "system": LOCAL_SYSTEM,
            "value": f"urn:uuid:{v.public_id}",
        }],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "serviceType": {"text": v.label},
        "subject": {"reference": f"Patient/{v.beneficiary.public_id}"},
        "period": {"start": start.isoformat(), "end": max(start, end).isoformat()},
    }
    if name := who(v):
        resource["participant"] = [{"individual": {"display": name}}]
    return resource


def queryset(request):
    return visits_queryset(request).filter(status=Visit.Status.DONE)


ENCOUNTER = ResourceType(
    type="Encounter",
    permission=Perm.VISIT_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.encounter_read"),
    profiles=(PROFILE,),
    documentation=(
        "Passages réalisés (au domicile : classe HH ; au CRT : AMB) des personnes dont le "
        "compte du jeton voit le planning (même règle que les pages des passages, "
        "consentement compris). Période : arrivée et départ tracés. Les passages prévus, "
        "annulés ou non réalisés sont des Appointment."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id>.",
                    reference_q("beneficiary", "patient"),
                    "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        SearchParam("date", "date",
                    "Date et heure prévues du passage (préfixes eq, ne, lt, gt, le, ge).",
                    date_q("starts_at", "date", is_datetime=True),
                    "http://hl7.org/fhir/SearchParameter/clinical-date"),
        last_updated(),
    ),
)

