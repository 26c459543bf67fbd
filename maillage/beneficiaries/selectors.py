"""Reads of the beneficiary file, scoped to the CRT and to what the user may see."""

import re
from datetime import datetime

from django.db.models import Q, QuerySet

from .access import visible_beneficiaries
from .models import (
    AggirEvaluation,
    Beneficiary,
    Caregiver,
    CareTeamMember,
    Consent,
    Document,
    FreeEvaluation,
    IcopeScreening,
    TimelineEvent,
)


def beneficiary_list(*, crt, user, roles, query: str = "") -> QuerySet[Beneficiary]:
    qs = visible_beneficiaries(crt=crt, user=user, roles=roles).select_related("commune")
    query = query.strip()
    if query:
        birth = _parse_date(query)
        if birth:
            qs = qs.filter(birth_date=birth)
        elif re.fullmatch(r"[\d ]{6,}", query):
            qs = qs.filter(ins_matricule__startswith=query.replace(" ", ""))
        else:
            for word in query.split()[:3]:
                qs = qs.filter(
                    Q(birth_name__icontains=word) | Q(used_name__icontains=word)
                    | Q(first_name__icontains=word) | Q(used_first_name__icontains=word)
                )
    return qs.order_by("birth_name", "first_name")


def _parse_date(value: str):
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def file_detail(*, beneficiary: Beneficiary, access) -> dict:
    """Everything the file page shows, each list in one query."""
    care_team = (
        CareTeamMember.objects.filter(beneficiary=beneficiary)
        .select_related("user", "professional__organization")
        .order_by("end_date", "-is_gp", "-is_referent", "role")
    )
    timeline = TimelineEvent.objects.filter(beneficiary=beneficiary)
    documents = Document.objects.filter(beneficiary=beneficiary).select_related("created_by")
    if not access.health:
        timeline = timeline.filter(is_health_data=False)
        documents = documents.exclude(category=Document.Category.MEDICAL)
    return {
        "caregivers": list(Caregiver.objects.filter(beneficiary=beneficiary)),
        "care_team": list(care_team),
        "consents": list(
            Consent.objects.filter(beneficiary=beneficiary).select_related(
                "organization", "collected_by", "withdrawn_by"
            )
        ),
        "timeline": list(timeline[:30]),
        "documents": list(documents),
    }



def evaluations(*, beneficiary: Beneficiary) -> dict:
    """The evaluation history of the medical section (health data: check access first)."""
    return {
        "evaluations": AggirEvaluation.objects.filter(beneficiary=beneficiary)
    if not access.liaison:
        # Alerts and on-call calls say what happened to the person: coordination of care,
        # not administrative data (the secretariat, the direction).
        timeline = timeline.exclude(kind__startswith="alert.").exclude(kind__startswith="oncall.")
        .select_related("evaluator"),
        "screenings": IcopeScreening.objects.filter(beneficiary=beneficiary)
        .select_related("screened_by"),
        "free_evaluations": FreeEvaluation.objects.filter(beneficiary=beneficiary)
        .select_related("author"),
    }


def access_log(*, beneficiary: Beneficiary):
    from maillage.core.models import AuditEvent

    return AuditEvent.objects.filter(
        crt=beneficiary.crt, beneficiary_public_id=beneficiary.public_id
    ).order_by("-occurred_at", "-id")
