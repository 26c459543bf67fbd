"""Reads of the beneficiary file, scoped to the CRT and to what the user may see."""

import re
from datetime import datetime

from django.db.models import Q, QuerySet

from maillage.core.folding import fold

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
    by_shown_name,
)


def beneficiary_list(*, crt, user, roles, query: str = "") -> QuerySet[Beneficiary]:
    qs = visible_beneficiaries(crt=crt, user=user, roles=roles).select_related("commune")
    return list_matching(qs, query).order_by(*by_shown_name(), "pk")


def list_matching(qs: QuerySet[Beneficiary], query: str) -> QuerySet[Beneficiary]:
    """``qs`` narrowed to the file list's search: a birth date, an INS matricule or names."""
    query = query.strip()
    if query:
        birth = _parse_date(query)
        if birth:
            qs = qs.filter(birth_date=birth)
        elif re.fullmatch(r"[\d ]{6,}", query):
            qs = qs.filter(ins_matricule__startswith=query.replace(" ", ""))
        else:
            qs = _named(qs, query)
    return qs


def _named(qs: QuerySet[Beneficiary], query: str) -> QuerySet[Beneficiary]:
    """Each word (three at most) appears in a name, accents and case aside (``name_key``)."""
    for word in fold(query).split()[:3]:
        qs = qs.filter(name_key__contains=word)
    return qs


def name_starts_q(text: str) -> Q:
    """A name word starts with ``text`` (its words in order), accents and case aside: the
    FHIR ``name`` search (« dupre » finds « Dupré-Lefèvre », « lefe » too)."""
    folded = fold(text)
    return Q(name_key__contains=f" {folded}") if folded else Q(pk__in=[])


def audit_person_ids(crt, query: str) -> QuerySet:
    """Public ids of the persons of ``crt`` whose name matches ``query``, as a subquery: the
    audit list searches its events by person name (identity only, no file access check: the
    DPO reads the trail of every person of the CRT)."""
    return _named(Beneficiary.objects.filter(crt=crt), query).values("public_id")


def audit_person_names(crt, public_ids) -> dict:
    """{public id: display name} of the persons of ``crt`` among ``public_ids`` (one query)."""
    rows = Beneficiary.objects.filter(crt=crt, public_id__in=list(public_ids)).only(
        "public_id", "birth_name", "used_name", "first_name", "used_first_name")
    return {b.public_id: b.display_name for b in rows}


def _parse_date(value: str):
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def file_detail(*, beneficiary: Beneficiary, access, oncall_entries: bool = False) -> dict:
    """Everything the file page shows, each list in one query. ``oncall_entries``: the on-call
    calls' entries of the timeline are shown (``oncall.access.calls_shown_on_file``)."""
    care_team = (
        CareTeamMember.objects.filter(beneficiary=beneficiary)
        .select_related("user", "professional__organization")
        .order_by("end_date", "-is_gp", "-is_referent", "role")
    )
    timeline = TimelineEvent.objects.filter(beneficiary=beneficiary)
    documents = Document.objects.filter(beneficiary=beneficiary).select_related("created_by")
    if not access.health:
        timeline = timeline.filter(is_health_data=False)
    if not access.liaison:
        # Alerts and on-call calls say what happened to the person: coordination of care,
        # not administrative data (the secretariat, the direction).
        timeline = timeline.exclude(kind__startswith="alert.")
        documents = documents.exclude(category=Document.Category.MEDICAL)
    if not (access.liaison and oncall_entries):
        timeline = timeline.exclude(kind__startswith="oncall.")
    return {
        "caregivers": list(Caregiver.objects.filter(beneficiary=beneficiary)),
        "care_team": list(care_team),
        "consents": list(
            Consent.objects.filter(beneficiary=beneficiary).select_related(
                "organization", "collected_by", "withdrawn_by"
            )
        ),
        "timeline": list(timeline[:30]),
        "documents": [_readable(d, access) for d in documents],
    }


def _readable(document: Document, access) -> Document:
    document.readable = access.reads_document(document)
    return document



def evaluations(*, beneficiary: Beneficiary) -> dict:
    """The evaluation history of the medical section (health data: check access first)."""
    return {
        "evaluations": AggirEvaluation.objects.filter(beneficiary=beneficiary)
        .select_related("evaluator"),
        "screenings": IcopeScreening.objects.filter(beneficiary=beneficiary)
        .select_related("screened_by"),
        "free_evaluations": FreeEvaluation.objects.filter(beneficiary=beneficiary)
        .select_related("author"),
        "vital_signs": latest_vital_signs(beneficiary=beneficiary),
    }


def latest_vital_signs(*, beneficiary: Beneficiary) -> list:
    """The latest measure of each kind (retracted ones left out), in one query: what the team
    sees of the measures it took and of those a partner or a device posted."""
    from django.db.models import Exists, OuterRef, Q

    from .models import VitalSign

    live = VitalSign.objects.filter(beneficiary=beneficiary, deleted_at__isnull=True)
    newer = live.filter(kind=OuterRef("kind")).filter(
        Q(measured_at__gt=OuterRef("measured_at"))
        | Q(measured_at=OuterRef("measured_at"), id__gt=OuterRef("id")))
    order = {kind: i for i, kind in enumerate(VitalSign.Kind.values)}
    return sorted(live.filter(~Exists(newer)).select_related("recorded_by"),
                  key=lambda sign: order[sign.kind])


def vital_series(*, beneficiary: Beneficiary, since) -> dict:
    """The measures of the period, oldest first (retracted ones apart, newest first), the
    falls apart, each with its earlier versions (``revisions``: what a correction or a
    retraction replaced), and the person's thresholds: what the charts of the file draw
    (health data)."""
    from django.db.models import Prefetch

    from .models import VitalSign, VitalSignRevision, VitalThresholds

    signs = list(VitalSign.objects.filter(beneficiary=beneficiary, measured_at__gte=since)
                 .select_related("recorded_by", "updated_by")
                 .prefetch_related(Prefetch(
                     "revisions", VitalSignRevision.objects.select_related("created_by")))
                 .order_by("measured_at", "id"))
    live = [s for s in signs if s.deleted_at is None]
    return {
        "measures": [s for s in live if s.kind != VitalSign.Kind.FALL],
        "falls": [s for s in reversed(live) if s.kind == VitalSign.Kind.FALL],
        "retracted": [s for s in reversed(signs) if s.deleted_at is not None],
        "thresholds": VitalThresholds.objects.filter(beneficiary=beneficiary).first(),
    }


def access_log(*, beneficiary: Beneficiary):
    from maillage.core.models import AuditEvent

    return AuditEvent.objects.filter(
        crt=beneficiary.crt, beneficiary_public_id=beneficiary.public_id
    ).order_by("-occurred_at", "-id")
