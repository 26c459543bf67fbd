"""Appointment (FR Core ``fr-core-appointment``): a visit not done — planned (``booked``),
cancelled (``cancelled``) or traced « non réalisé » (``noshow``). Same policy and audit as the
Encounters (``encounter.py``: ``visits.selectors.visible_visits``); the visits done are
Encounters."""

from django.db.models import Q

from maillage.core.permissions import Perm
from maillage.visits.models import Visit

from .encounter import visits_queryset, who
from .resource import FR_CORE, ResourceType, audited_reads
from .search import NOTHING, SearchParam, date_q, last_updated, reference_q, split_token

PROFILE = FR_CORE + "fr-core-appointment"
STATUS = {
    Visit.Status.PLANNED: "booked",
    Visit.Status.CANCELLED: "cancelled",
    Visit.Status.NOT_DONE: "noshow",
}
SERVED = tuple(STATUS)


def serialize(v: Visit, base_url: str = "") -> dict:
    resource = {
        "resourceType": "Appointment",
        "id": str(v.public_id),
        "meta": {"versionId": str(v.version), "lastUpdated": v.updated_at.isoformat(),
                 "profile": [PROFILE]},
        "status": STATUS[v.status],
        "serviceType": [{"text": v.label}],
        "description": f"{v.label} — {v.get_place_display().lower()}",
        "start": v.starts_at.isoformat(),
        "end": v.ends_at.isoformat(),
        "created": v.created_at.isoformat(),
        "participant": [{"actor": {"reference": f"Patient/{v.beneficiary.public_id}"},
                         "required": "required", "status": "accepted"}],
    }
    if v.status == Visit.Status.NOT_DONE and v.not_done_reason:
        resource["cancelationReason"] = {"text": v.get_not_done_reason_display()}
    if v.instructions:
        resource["comment"] = v.instructions
    if name := who(v):
        resource["participant"].append({"actor": {"display": name}, "required": "required",
                                        "status": "accepted"})
    return resource


def queryset(request):
    return visits_queryset(request).filter(status__in=SERVED)


def status_q(value: str) -> Q:
    _, code = split_token(value)
    for status, fhir in STATUS.items():
        if code == fhir:
            return Q(status=status)
    return NOTHING  # proposed, fulfilled…: no Appointment of Maillage has it


APPOINTMENT = ResourceType(
    type="Appointment",
    permission=Perm.VISIT_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.appointment_read"),
    profiles=(PROFILE,),
    documentation=(
        "Passages non réalisés des personnes dont le compte du jeton voit le planning (même "
        "règle que les pages des passages, consentement compris) : prévus (booked), annulés "
        "(cancelled) ou non réalisés (noshow, avec le motif). Les passages réalisés sont des "
        "Encounter."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id>.",
                    reference_q("beneficiary", "patient"),
                    "http://hl7.org/fhir/SearchParameter/Appointment-patient"),
        SearchParam("date", "date",
                    "Date et heure prévues du passage (préfixes eq, ne, lt, gt, le, ge).",
                    date_q("starts_at", "date", is_datetime=True),
                    "http://hl7.org/fhir/SearchParameter/Appointment-date"),
        SearchParam("status", "token", "booked, cancelled ou noshow.", status_q,
                    "http://hl7.org/fhir/SearchParameter/Appointment-status"),
        last_updated(),
    ),
)
