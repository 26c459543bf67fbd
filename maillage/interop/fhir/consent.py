"""Consent (FR Core ``fr-core-consent``, new in FR Core 2.2.0: it only narrows the references'
types): what a person agreed to or objected to (``beneficiaries.Consent``, CSP L1110-4).
Read through the identity face of the file's policy (the file page shows the consents with
the identity), audited like a read of the file.

Status: an agreement in force is ``active``; an objection (``granted`` unchecked) is
``rejected`` with a ``deny`` provision; a withdrawn record is ``inactive`` (its provision's
period ends at the withdrawal)."""

from django.db.models import Q
from django.utils import timezone

from maillage.beneficiaries.access import consents_visible
from maillage.beneficiaries.models import Consent
from maillage.core.permissions import Perm

from .resource import FR_CORE, ResourceType, audited_reads
from .search import (
    LOCAL_SYSTEM,
    NOTHING,
    SearchParam,
    date_q,
    last_updated,
    reference_q,
    split_token,
)

PROFILE = FR_CORE + "fr-core-consent"
SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
#: LOINC 59284-0, the consent document category of R4's examples.
CATEGORY_LOINC = "59284-0"

K = Consent.Kind
#: kind → (scope, policy rule): care-team sharing is information and non-opposition (opt-out,
#: CSP L1110-4 III); the others are an explicit agreement (opt-in).
KINDS = {
    K.CARE_TEAM_SHARING: ("patient-privacy", "OPTOUT"),
    K.PARTNER_SHARING: ("patient-privacy", "OPTIN"),
    K.ONCALL_INFORMATION: ("patient-privacy", "OPTIN"),
    K.CONTRACT: ("treatment", "OPTIN"),
}
SCOPE_DISPLAY = {"patient-privacy": "Privacy Consent", "treatment": "Treatment"}
#: The categories a sharing consent covers (the file's faces) → the API's resource types that
#: carry them (``provision.class``), and their label (``provision.code.text``).
CATEGORIES = {
    "share_identity": ("Identité et coordonnées",
                       ("Patient", "RelatedPerson", "CareTeam", "Consent")),
    "share_planning": ("Planning des interventions",
                       ("Appointment", "Encounter", "CarePlan", "Communication")),
    "share_health": ("Données de santé", ("Observation", "DocumentReference")),
}
SHARING = {K.CARE_TEAM_SHARING, K.PARTNER_SHARING}
STATUSES = ("active", "inactive", "rejected")


def status(c: Consent) -> str:
    if c.withdrawn_at:
        return "inactive"
    return "active" if c.granted else "rejected"


def serialize(c: Consent, base_url: str = "") -> dict:
    scope, rule = KINDS[c.kind]
    provision = {"type": "permit" if c.granted else "deny",
                 "period": {"start": c.collected_on.isoformat()}}
    if c.withdrawn_at:
        provision["period"]["end"] = timezone.localtime(c.withdrawn_at).isoformat()
    if c.organization_id:  # the partner the person agreed to share with: a recipient
        provision["actor"] = [{
            "role": {"coding": [{"system": PARTICIPATION, "code": "IRCP",
                                 "display": "information recipient"}]},
            "reference": {"reference": f"Organization/{c.organization.public_id}",
                          "display": c.organization.name}}]
    if c.kind in SHARING:
        shared = [(label, types) for flag, (label, types) in CATEGORIES.items()
                  if getattr(c, flag)]
        provision["action"] = [{"coding": [{"system": ACTION, "code": "access"}]}]
        if shared:
            provision["class"] = [{"system": RESOURCE_TYPES, "code": t}
                                  for _, types in shared for t in types]
            provision["code"] = [{"text": label} for label, _ in shared]
    resource = {
        "resourceType": "Consent",
        "id": str(c.public_id),
        # A consent changes once: when it is withdrawn.
        "meta": {"versionId": "2" if c.withdrawn_at else "1",
                 "lastUpdated": c.updated_at.isoformat(), "profile": [PROFILE]},
        "identifier": [{"use": "usual", "system": LOCAL_SYSTEM,
                        "value": f"urn:uuid:{c.public_id}"}],
        "status": status(c),
        "scope": {"coding": [{"system": SCOPE, "code": scope,
                              "display": SCOPE_DISPLAY[scope]}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": CATEGORY_LOINC}],
                      "text": c.get_kind_display()}],
        "patient": {"reference": f"Patient/{c.beneficiary.public_id}"},
        "dateTime": c.collected_on.isoformat(),
        # ppc-1: a policy or a policy rule.
        "policyRule": {"coding": [{"system": ACT_CODE, "code": rule}],
                       "text": f"{c.get_kind_display()} ({c.get_method_display().lower()})"},
        "provision": provision,
    }
    if c.method != Consent.Method.REPRESENTATIVE:
        resource["performer"] = [{"reference": f"Patient/{c.beneficiary.public_id}"}]
    return resource


def queryset(request):
    """The consents of the people whose identity this requester may see (the file page's
    « Consentements », consent included for partners)."""
    return consents_visible(crt=request.crt, user=request.user, roles=request.roles) \
        .select_related("beneficiary", "organization")


def status_q(value: str) -> Q:
    """``active`` (in force), ``rejected`` (an objection in force), ``inactive`` (withdrawn);
    another code matches nothing (as an unknown token)."""
    system, code = split_token(value)
    if system not in (None, "", "http://hl7.org/fhir/consent-state-codes"):
        return NOTHING
    return {"active": Q(withdrawn_at__isnull=True, granted=True),
            "rejected": Q(withdrawn_at__isnull=True, granted=False),
            "inactive": Q(withdrawn_at__isnull=False)}.get(code, NOTHING)


CONSENT = ResourceType(
    type="Consent",
    permission=Perm.BENEFICIARY_VIEW,
    queryset=queryset,
    serialize=serialize,
    on_read=audited_reads("fhir.consent_read"),
    profiles=(PROFILE,),
    documentation=(
        "Consentements et oppositions des personnes dont le compte du jeton voit l'identité "
        "(face « identité », consentement compris) : partage au sein du cercle de soins, "
        "partage avec un partenaire (destinataire en provision.actor), contrat, information "
        "sur l'astreinte. Statut active (en vigueur), rejected (opposition), inactive "
        "(retiré)."),
    search_params=(
        SearchParam("patient", "reference", "La personne : Patient/<id>.",
                    reference_q("beneficiary", "patient"),
                    "http://hl7.org/fhir/SearchParameter/clinical-patient"),
        SearchParam("date", "date",
                    "Date du recueil (AAAA, AAAA-MM, AAAA-MM-JJ ; préfixes eq, ne, lt, gt, le, "
                    "ge).", date_q("collected_on", "date"),
                    "http://hl7.org/fhir/SearchParameter/clinical-date"),
        SearchParam("status", "token", "active, inactive (retiré) ou rejected (opposition).",
                    status_q, "http://hl7.org/fhir/SearchParameter/Consent-status"),
        last_updated(),
    ),
)
