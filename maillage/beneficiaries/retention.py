"""The 20-year retention of health data (SPEC §3; 002 Annexe 2, CSP R1112-7 pattern).

Health data is kept 20 calendar years after the person's last episode, then deleted by
``maillage retention_purge``. The administrative identity and the audit trail stay.

Selection (``eligible``) is a read; ``purge`` writes, one transaction per person.
"""

import operator
from dataclasses import dataclass
from datetime import date
from functools import reduce

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from maillage.admissions.models import Enrolment, Referral
from maillage.care.models import Conversation, LiaisonNote, Message, TelehealthAct
from maillage.core.audit import audit_log
from maillage.core.models import Crt, OutboxMessage
from maillage.interop.models import MssanteSending
from maillage.oncall.models import Call, EmergencyFile
from maillage.visits.models import Visit

from .models import (
    AggirEvaluation,
    Beneficiary,
    Document,
    FreeEvaluation,
    IcopeScreening,
    MedicalRecord,
    TimelineEvent,
    VitalSign,
)
from .services import timeline_add

RETENTION_YEARS = 20

#: On-call call fields holding health information: blanked, the call row stays (figures).
CALL_HEALTH_FIELDS = ("assessment", "advice", "actions", "outcome_notes")

#: What the purge deletes, in the order it is reported (key → French label after a count,
#: « singular,plural » as ``core.plurals.count_label`` reads it).
KINDS = {
    "volet_medical": "volet médical,volets médicaux",
    "evaluations_aggir": "évaluation AGGIR,évaluations AGGIR",
    "reperages_icope": "repérage ICOPE,repérages ICOPE",
    "evaluations_libres": "évaluation libre,évaluations libres",
    "constantes": "constante",
    "documents_medicaux": "document médical,documents médicaux",
    "actes_telesante": "acte de télésanté,actes de télésanté",
    "transmissions_sante": "transmission réservée aux soignants,"
                           "transmissions réservées aux soignants",
    "messages_sante": "message du fil santé,messages du fil santé",
    "dlu": "DLU,DLU",
    "appels_anonymises": "appel d'astreinte vidé de son texte,"
                         "appels d'astreinte vidés de leur texte",
    "chronologie_sante": "entrée de chronologie de santé,entrées de chronologie de santé",
    "envois_mssante": "envoi MSSanté,envois MSSanté",
}


def add_years(day: date, years: int) -> date:
    """``day`` plus calendar years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def retention_end(last_episode: date) -> date:
    """The last day the health data must still be kept."""
    return add_years(last_episode, RETENTION_YEARS)


@dataclass(frozen=True)
class Candidate:
    beneficiary: Beneficiary
    last_episode: date


def _latest(model, field: str, annotate: dict | None = None) -> Subquery:
    qs = model.objects.filter(beneficiary=OuterRef("pk"))
    if annotate:
        qs = qs.annotate(**annotate)
    return Subquery(qs.order_by(F(field).desc(nulls_last=True)).values(field)[:1])


def _with_episodes(qs):
    """Annotate each person with the dates their last episode is computed from."""
    return qs.annotate(
        has_open_enrolment=Exists(
            Enrolment.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True)),
        last_enrolment_end=_latest(Enrolment, "ended_on"),
        last_referral_at=_latest(Referral, "referral_at",
                                 {"referral_at": Coalesce("decided_at", "received_at")}),
        last_call_at=_latest(Call, "received_at"),
        last_visit_at=_latest(Visit, "starts_at"),
    )


def last_episode(person) -> date | None:
    """The person's last episode (``person`` annotated by ``_with_episodes``): the latest of

    - the end of their last enrolment (``Enrolment.ended_on``);
    - their last referral: its decision date, or its reception date while undecided
      (counted even after an enrolment, which only ever delays the purge);
    - their last on-call call (``Call.received_at``);
    - their last visit, planned or done (``Visit.starts_at``).

    Datetimes count by their Europe/Paris date. ``None`` when the person has none of these:
    such a file is never purged automatically (nothing dates it).
    """
    days = [person.last_enrolment_end]
    for moment in (person.last_referral_at, person.last_call_at, person.last_visit_at):
        if moment is not None:
            days.append(timezone.localdate(moment))
    days = [d for d in days if d is not None]
    return max(days) if days else None


def _is_eligible(person, today: date) -> date | None:
    """The last episode when the person's health data is due for deletion, else ``None``.

    Never while an enrolment is open. A person already purged is taken again only if a new
    episode happened after the purge (and has itself expired)."""
    if person.has_open_enrolment:
        return None
    last = last_episode(person)
    if last is None or not retention_end(last) < today:
        return None
    if person.health_data_purged_on is not None and last <= person.health_data_purged_on:
        return None
    return last


def eligible(*, today: date, crt: Crt | None = None) -> list[Candidate]:
    """People whose health data has outlived its retention on ``today``, in every CRT or one."""
    qs = Beneficiary.objects.select_related("crt").order_by("crt_id", "pk")
    if crt is not None:
        qs = qs.filter(crt=crt)
    candidates = []
    for person in _with_episodes(qs).iterator(chunk_size=500):
        last = _is_eligible(person, today)
        if last is not None:
            candidates.append(Candidate(person, last))
    return candidates


def _health_querysets(b: Beneficiary) -> dict:
    """The rows the purge deletes, per kind (the on-call calls are blanked, not deleted)."""
    return {
        "volet_medical": MedicalRecord.objects.filter(beneficiary=b),
        "evaluations_aggir": AggirEvaluation.objects.filter(beneficiary=b),
        "reperages_icope": IcopeScreening.objects.filter(beneficiary=b),
        "evaluations_libres": FreeEvaluation.objects.filter(beneficiary=b),
        "constantes": VitalSign.objects.filter(beneficiary=b),
        "documents_medicaux": Document.objects.filter(
            beneficiary=b, category=Document.Category.MEDICAL),
        "actes_telesante": TelehealthAct.objects.filter(beneficiary=b),
        "transmissions_sante": LiaisonNote.objects.filter(
            beneficiary=b, visibility=LiaisonNote.Visibility.HEALTH),
        "messages_sante": Message.objects.filter(
            conversation__beneficiary=b, conversation__kind=Conversation.Kind.HEALTH),
        "dlu": EmergencyFile.objects.filter(beneficiary=b),
        "appels_anonymises": _calls_with_text(b),
        "chronologie_sante": TimelineEvent.objects.filter(beneficiary=b, is_health_data=True),
        # What was sent by MSSanté (document titles, recipients); the outbox messages still
        # held, with the document and its XDM, go with them (``purge``).
        "envois_mssante": MssanteSending.objects.filter(beneficiary=b),
    }


def _calls_with_text(b: Beneficiary):
    """The person's calls with some health text left in them."""
    has_text = reduce(operator.or_, (~Q(**{f: ""}) for f in CALL_HEALTH_FIELDS))
    return Call.objects.filter(has_text, beneficiary=b)


def health_data_counts(b: Beneficiary) -> dict[str, int]:
    """What ``purge`` would delete (or blank, for the calls) for this person."""
    return {kind: qs.count() for kind, qs in _health_querysets(b).items()}


def _files(qs, field: str) -> list:
    return [(f.storage, f.name) for f in (getattr(o, field) for o in qs) if f and f.name]


@transaction.atomic
def purge(*, beneficiary: Beneficiary, today: date) -> dict[str, int] | None:
    """Delete the person's health data, keep their identity; one audit event, one timeline
    entry. Re-checks eligibility under a row lock; ``None`` when no longer due."""
    b = _with_episodes(Beneficiary.objects.select_for_update(of=("self",))).get(
        pk=beneficiary.pk)
    if _is_eligible(b, today) is None:
        return None
    querysets = _health_querysets(b)
    counts = {kind: qs.count() for kind, qs in querysets.items()}

    # Files go once the deletion is committed: a rollback must not lose them.
    files = _files(querysets["documents_medicaux"], "file") + _files(
        querysets["messages_sante"].exclude(attachment=""), "attachment")

    querysets["appels_anonymises"].update(
        version=F("version") + 1, updated_at=timezone.now(), updated_by=None,
        **{f: "" for f in CALL_HEALTH_FIELDS})
    OutboxMessage.objects.filter(pk__in=list(
        querysets["envois_mssante"].exclude(outbox=None).values_list("outbox", flat=True)),
    ).delete()
    for kind, qs in querysets.items():
        if kind != "appels_anonymises":
            qs.delete()
    # The health thread itself goes too (its readers' bookmarks with it).
    Conversation.objects.filter(beneficiary=b, kind=Conversation.Kind.HEALTH).delete()
    # Every file has a medical record (the pages rely on it): an empty one replaces the old.
    MedicalRecord.objects.create(crt=b.crt, beneficiary=b)

    Beneficiary.objects.filter(pk=b.pk).update(
        health_data_purged_on=today, version=F("version") + 1, updated_at=timezone.now(),
        updated_by=None)
    audit_log(actor=None, action="retention.purged", crt=b.crt, obj=b, beneficiary=b,
              details={**counts, "dernier_episode": last_episode(b).isoformat()})
    timeline_add(beneficiary=b, kind="retention.purged",
                 title="Données de santé supprimées : durée de conservation de 20 ans échue")
    for storage, name in files:
        transaction.on_commit(lambda s=storage, n=name: s.delete(n))
    return counts
