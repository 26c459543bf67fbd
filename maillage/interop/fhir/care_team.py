"""CareTeam (base R4: FR Core has no CareTeam profile): one care team per person, built from
the current members of ``beneficiaries.CareTeamMember`` (« cercle de soins »). Its id is the
person's id (the file page shows one care team per person, with the identity), so the
queryset is the identity face of the file's policy; audited like a read of the file."""

from django.db.models import Exists, Max, OuterRef, Prefetch, Q

from maillage.beneficiaries.access import beneficiaries_for
from maillage.beneficiaries.models import Beneficiary, CareTeamMember
from maillage.core.audit import audit_log_many
from maillage.core.permissions import Perm

from .resource import ResourceType, token_details
from .search import LOCAL_SYSTEM, SearchParam, last_updated, reference_q

#: The care team's category: LOINC « Longitudinal care-coordination focused care team »
#: (the example value set of CareTeam.category in R4).
CATEGORY = {"coding": [{"system": "http://loinc.org", "code": "LA28865-6",
                        "display": "Longitudinal care-coordination focused care team"}]}


def _member(m: CareTeamMember) -> dict:
    """A participant: a directory professional as a Practitioner (and their PractitionerRole);
    a member of the CRT's team by name (no Practitioner for them: no RPPS in the accounts)."""
    role_text = m.role
    if m.is_gp:
        role_text += " — médecin traitant"
    if m.is_referent:
        role_text += " — référent·e du CRT"
    participant = {"role": [{"text": role_text}]}
    if m.professional_id:
        pro = m.professional
        participant["member"] = {"reference": f"Practitioner/{pro.public_id}",
                                 "display": f"{pro.first_name} {pro.last_name}".strip()}
        participant["onBehalfOf"] = (
            {"reference": f"Organization/{pro.organization.public_id}",
             "display": pro.organization.name} if pro.organization_id else None)
        if participant["onBehalfOf"] is None:
            del participant["onBehalfOf"]
    else:
        participant["member"] = {"display": m.user.get_full_name() or m.user.username}
    period = {"start": m.start_date.isoformat()}
    if m.end_date:
        period["end"] = m.end_date.isoformat()
    participant["period"] = period
    return participant


def serialize(b: Beneficiary, base_url: str = "") -> dict:
    members = b.current_team
    updated = b.team_updated_at or b.updated_at
    name = b.used_name or b.birth_name
    return {
        "resourceType": "CareTeam",
        "id": str(b.public_id),
        # The team changes with its members: its version is the time of the last change.
        "meta": {"versionId": str(int(updated.timestamp() * 1_000_000)),
                 "lastUpdated": updated.isoformat()},
        "identifier": [{"use": "usual", "system": LOCAL_SYSTEM,
                        "value": f"urn:uuid:{b.public_id}"}],
        "status": "active",
        "category": [CATEGORY],
        "name": f"Cercle de soins de {(b.used_first_name or b.first_name)} {name.upper()}",
        "subject": {"reference": f"Patient/{b.public_id}"},
        "participant": [_member(m) for m in members],
    }


def _current():
    return CareTeamMember.objects.active()


def queryset(request):
    """The people whose identity this requester may see (the file page shows the care team
    with it, consent included for partners) and who have a current care team; each with its
    current members and the time of the team's last change, for the whole page at once."""
    current = _current()
    return (
        beneficiaries_for("identity", crt=request.crt, user=request.user, roles=request.roles)
        .filter(Exists(current.filter(beneficiary=OuterRef("pk"))))
        .annotate(team_updated_at=Max("care_team__updated_at"))
        .prefetch_related(Prefetch(
            "care_team",
            queryset=current.select_related("user", "professional__organization")
            .order_by("-is_gp", "-is_referent", "role", "pk"),
            to_attr="current_team"))
    )


def on_read(request, people) -> None:
    """Each care team shown is a read of the person's file, in their « who read my file »."""
    token = token_details(request)
    audit_log_many(actor=request.user, events=[
        {"action": "fhir.careteam_read", "crt": request.crt,
         "object_type": "beneficiaries.careteam", "object_id": str(b.public_id),
         "object_label": f"Cercle de soins ({str(b.public_id)[:8]})", "beneficiary": b,
         "details": token}
        for b in people])


def _patient_q(value: str) -> Q:
    parsed = reference_q("beneficiary", "patient")(value)  # checks the reference
    ((_, public_id),) = parsed.children
    return Q(public_id=public_id)


def _participant_q(value: str) -> Q:
    """``Practitioner/<id>``: the teams where this professional is a current member."""
    parsed = reference_q("professional", "participant", "Practitioner")(value)
    return Q(Exists(_current().filter(parsed, beneficiary=OuterRef("pk"))))


CARE_TEAM = ResourceType(
    type="CareTeam",
    permission=Perm.BENEFICIARY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=on_read,
    documentation=(
        "Cercle de soins de chaque personne dont le compte du jeton voit l'identité (face "
        "« identité », consentement compris) : un CareTeam par personne, identifiant = celui "
        "du Patient, membres actuels (professionnels de l'annuaire en Practitioner, membres "
        "de l'équipe du CRT par leur nom). Pas de profil FR Core pour CareTeam."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id>.", _patient_q,
                    "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        SearchParam("participant", "reference",
                    "Un professionnel de l'annuaire membre actuel : Practitioner/<id>.",
                    _participant_q,
                    "http://hl7.org/fhir/SearchParameter/CareTeam-participant"),
        last_updated("team_updated_at"),  # the latest change of its members
    ),
)
