"""Writes that make one record of one person's two: two light records of one person merged
(``attendee_merge``), and a light record joined to the person's volet 2 file
(``attendee_join_file``). Each person counts once in V1-01 whatever the record.

Both take the light record's registrations over the same way (``_take_over``): a session where
the record kept (or the volet 2 file) is registered already keeps one registration — present if
the person was present under either, else absent, else registered, else cancelled; the transport
organised under either —, the other registrations move as they are. Every other relation to the
light record (telehealth acts…, ``MERGE_MOVED_RELATIONS``) moves too; then the light record is
deleted. One transaction, the records as the user saw them (a version changed meanwhile is a
conflict: nothing is done), audited on both sides.
"""

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from maillage.core.audit import audit_log_many
from maillage.core.errors import ConflictError, DomainError
from maillage.core.versioning import changes, save_versioned, snapshot

from .models import NAME_KEY_FIELDS, Attendee, Participation
from .services import (
    ATTENDEE_FIELDS,
    TRANSPORT_FIELDS,
    _check_attendee,
    _refuse_unknown,
    _same_crt,
)

#: What a merge may take from the duplicate instead of the kept record, by groups of fields
#: that go together (a GIR with its source; the structure from the directory or typed).
MERGE_GROUPS: dict[str, tuple[str, ...]] = {
    "last_name": ("last_name",), "first_name": ("first_name",), "phone": ("phone",),
    "commune": ("commune",), "age_band": ("age_band",), "sex": ("sex",),
    "lives_alone": ("lives_alone",), "living_place": ("living_place",),
    "gir": ("gir", "gir_source"), "helps_volet2_beneficiary": ("helps_volet2_beneficiary",),
    "structure": ("organization", "organization_name"), "employer_type": ("employer_type",),
}

#: The relations to a light record other than its registrations, moved to the kept record by
#: a merge (``app_label.Model.field``), each with the field of the same model that names a
#: volet 2 beneficiary instead (where a join to a volet 2 file moves it). A merge or a join
#: refuses to run while another relation exists: a new one must be reviewed here first (a
#: unique one could not simply be moved).
MERGE_MOVED_RELATIONS = {"care.TelehealthAct.attendee": "beneficiary"}

MERGE_CONFLICT = ("L'une des deux fiches a été modifiée ou fusionnée par quelqu'un d'autre "
                  "pendant que vous prépariez la fusion : rien n'a été fusionné. Rechargez la "
                  "page pour voir les fiches à jour, puis recommencez si besoin.")
JOIN_CONFLICT = ("La fiche ou le dossier du volet 2 a été modifié par quelqu'un d'autre "
                 "pendant que vous prépariez le rattachement : rien n'a été rattaché. Rechargez "
                 "la page pour voir la fiche à jour, puis recommencez si besoin.")

#: One person registered to a session under both records keeps one registration, which says
#: the most: present if either came, else absent, else registered, else cancelled.
_STATUS_RANK = {Participation.Status.PRESENT: 3, Participation.Status.ABSENT: 2,
                Participation.Status.REGISTERED: 1, Participation.Status.CANCELLED: 0}


@dataclass(frozen=True)
class MergeResult:
    kept: Attendee
    #: Registrations of the duplicate taken over as they were.
    moved: int
    #: Sessions where both records were registered: one registration left.
    combined: int
    #: The kept record's registrations now (not cancelled).
    registrations: int


@dataclass(frozen=True)
class JoinResult:
    beneficiary: object
    #: Registrations of the light record taken over as they were.
    moved: int
    #: Sessions where the light record and the file were both registered: one left.
    combined: int
    #: The other relations moved (telehealth acts…), by the plural name of their model.
    others: dict


def _merge_relations() -> list[tuple[type, str, str]]:
    """The other relations to a light record (``MERGE_MOVED_RELATIONS``): model, field, field
    naming a beneficiary; or an error naming one that no merge knows (nothing is merged)."""
    found = []
    for rel in Attendee._meta.related_objects:
        key = f"{rel.related_model._meta.label}.{rel.field.name}"
        if key == "outreach.Participation.attendee":
            continue
        if key not in MERGE_MOVED_RELATIONS or rel.one_to_one:
            raise RuntimeError(f"{key} points to a light record: review outreach/merge.py.")
        found.append((rel.related_model, rel.field.name, MERGE_MOVED_RELATIONS[key]))
    return found


@dataclass(frozen=True)
class _TakenOver:
    moved: int
    combined: int
    #: The other relations moved, by the plural name of their model (audit details).
    others: dict


def _take_over(*, actor, source: Attendee, kept: Attendee | None = None,
               beneficiary=None) -> _TakenOver:
    """Move everything that names the light record ``source`` to the light record ``kept`` or
    to the volet 2 ``beneficiary``: its registrations (one per session, combined as the module
    says) and its other relations. The caller has locked and checked both records."""
    if (kept is None) == (beneficiary is None):
        raise ValueError("Either a light record or a volet 2 beneficiary takes over.")
    relations = _merge_relations()
    # A registration names one person: the light record, or the volet 2 file instead.
    target = ({"attendee": kept} if kept is not None
              else {"attendee": None, "beneficiary": beneficiary})
    lookup = {"attendee": kept} if kept is not None else {"beneficiary": beneficiary}
    now = timezone.now()
    theirs = list(Participation.objects.select_for_update().filter(attendee=source))
    mine = {p.session_id: p for p in Participation.objects.select_for_update().filter(
        **lookup, session__in=[p.session_id for p in theirs])}
    moved = [p.pk for p in theirs if p.session_id not in mine]
    Participation.objects.filter(pk__in=moved).update(
        **target, version=F("version") + 1, updated_by=actor, updated_at=now)
    combined = []
    for p in theirs:
        if (one := mine.get(p.session_id)) is None:
            continue
        fields = []
        if _STATUS_RANK[p.status] > _STATUS_RANK[one.status]:
            one.status = p.status
            fields.append("status")
        if p.transport_mode and not one.transport_mode:
            for name in TRANSPORT_FIELDS:
                setattr(one, name, getattr(p, name))
            fields += TRANSPORT_FIELDS
        combined.append((one, fields, p))
    Participation.objects.filter(pk__in=[p.pk for _, _, p in combined]).delete()
    for one, fields, _ in combined:
        if fields:
            save_versioned(one, actor=actor, version=one.version, fields=fields)
    others = {}
    for model, name, beneficiary_name in relations:
        moved_to = ({name: kept} if kept is not None
                    else {name: None, beneficiary_name: beneficiary})
        done = model._base_manager.filter(**{name: source}).update(
            **moved_to, updated_by=actor, updated_at=now)
        if done:
            others[str(model._meta.verbose_name_plural)] = done
    return _TakenOver(moved=len(moved), combined=len(combined), others=others)


# --- Two light records of one person ---------------------------------------------------------


def attendee_merge_check(*, kept: Attendee, duplicate: Attendee) -> None:
    """Why these two records may not be merged at all (``DomainError``), before any choice."""
    if kept.pk == duplicate.pk:
        raise DomainError("Choisissez deux fiches différentes.")
    _same_crt(duplicate, kept.crt_id, "duplicate", "Fiche inconnue.")
    if kept.kind != duplicate.kind:
        raise DomainError("Ces deux fiches ne sont pas du même type (personne âgée, aidant, "
                          "professionnel) : elles ne se fusionnent pas.")
    if kept.caregiver_id and duplicate.caregiver_id and kept.caregiver_id != \
            duplicate.caregiver_id:
        raise DomainError("Ces deux fiches sont liées chacune à un aidant enregistré au "
                          "volet 2 : elles ne se fusionnent pas.")


@transaction.atomic
def attendee_merge(*, actor, kept: Attendee, kept_version: int, duplicate: Attendee,
                   duplicate_version: int, take: Iterable[str] = ()) -> MergeResult:
    """Merge ``duplicate`` into ``kept``, two light records of one person (each person counts
    once in V1-01), as the user saw them (``*_version``: a record changed or merged meanwhile
    is a conflict, and nothing is merged). ``take``: the groups of fields (``MERGE_GROUPS``)
    whose value is the duplicate's; every other value is the kept record's.

    The duplicate's registrations and other relations move to the kept record
    (``_take_over``), a link to a volet 2 caregiver as well; then the duplicate is deleted.
    All in one transaction, audited on both records."""
    take = set(take)
    _refuse_unknown(take, MERGE_GROUPS)
    attendee_merge_check(kept=kept, duplicate=duplicate)
    _merge_relations()  # an unknown relation refuses before anything is locked
    # Both records as the user saw them, locked (in a fixed order) until the end.
    versions = dict(Attendee.objects.select_for_update().filter(
        pk__in=[kept.pk, duplicate.pk]).order_by("pk").values_list("pk", "version"))
    if versions.get(kept.pk) != kept_version or \
            versions.get(duplicate.pk) != duplicate_version:
        raise ConflictError(MERGE_CONFLICT)
    merged = copy.copy(kept)  # ``kept`` stays as loaded if a rule refuses the values
    before = snapshot(merged, ATTENDEE_FIELDS)
    for group in take:
        for name in MERGE_GROUPS[group]:
            setattr(merged, name, getattr(duplicate, name))
    link_moved = bool(duplicate.caregiver_id and not merged.caregiver_id)
    if link_moved:
        # The volet 2 caregiver's one light record is now the kept one.
        merged.caregiver_id = duplicate.caregiver_id
        merged.helps_volet2_beneficiary = True
    _check_attendee(merged)

    taken = _take_over(actor=actor, source=duplicate, kept=kept)
    Attendee.objects.filter(pk=duplicate.pk).delete()
    merged.refresh_name_keys()
    save_versioned(merged, actor=actor, version=kept_version,
                   fields=[*ATTENDEE_FIELDS, "caregiver", *NAME_KEY_FIELDS])
    audit_log_many(actor=actor, events=[
        {"action": "attendee.merged", "obj": merged, "object_label": merged.display_name,
         "details": {"fiche fusionnée": f"{duplicate.display_name} ({duplicate.public_id})",
                     "inscriptions reprises": taken.moved,
                     "inscriptions réunies (même séance)": taken.combined, **taken.others,
                     **({"aidant du volet 2": "lien repris de la fiche fusionnée"}
                        if link_moved else {}),
                     **changes(before, merged)}},
        {"action": "attendee.merged_away", "obj": duplicate, "crt": merged.crt,
         "object_label": duplicate.display_name,
         "details": {"fiche conservée": str(merged.public_id)}},
    ])
    registrations = Participation.objects.filter(attendee=merged).exclude(
        status=Participation.Status.CANCELLED).count()
    return MergeResult(kept=merged, moved=taken.moved, combined=taken.combined,
                       registrations=registrations)


# --- A light record joined to the person's volet 2 file --------------------------------------


def attendee_join_check(*, attendee: Attendee, beneficiary) -> None:
    """Why this light record may not be joined to this volet 2 file at all (``DomainError``)."""
    _same_crt(beneficiary, attendee.crt_id, "beneficiary", "Bénéficiaire inconnu.")
    if attendee.kind != Attendee.Kind.OLDER_PERSON:
        raise DomainError("Seule la fiche d'une personne âgée se rattache à un dossier du "
                          "volet 2 : un aidant ou un professionnel n'a pas de dossier.",
                          field="beneficiary")


@transaction.atomic
def attendee_join_file(*, actor, attendee: Attendee, attendee_version: int, beneficiary,
                       beneficiary_version: int) -> JoinResult:
    """The person of the light record ``attendee`` is the volet 2 ``beneficiary``: the record's
    registrations and telehealth acts move to the file (``_take_over``: one registration per
    session), then the light record is deleted — V1-01 and V1-07 count the person once, from
    the file. As the user saw both (``*_version``: a change meanwhile is a conflict, nothing
    is done). Audited on the light record and on the volet 2 file. Who may: the view's
    business (``access.volet2_beneficiaries_offered``)."""
    from maillage.beneficiaries.models import Beneficiary

    attendee_join_check(attendee=attendee, beneficiary=beneficiary)
    _merge_relations()
    seen = Attendee.objects.select_for_update().filter(pk=attendee.pk).values_list(
        "version", flat=True).first()
    file_seen = Beneficiary.objects.select_for_update().filter(pk=beneficiary.pk).values_list(
        "version", flat=True).first()
    if seen != attendee_version or file_seen != beneficiary_version:
        raise ConflictError(JOIN_CONFLICT)
    taken = _take_over(actor=actor, source=attendee, beneficiary=beneficiary)
    Attendee.objects.filter(pk=attendee.pk).delete()
    audit_log_many(actor=actor, events=[
        {"action": "attendee.joined_file", "obj": beneficiary, "beneficiary": beneficiary,
         "details": {"fiche du volet 1": f"{attendee.display_name} ({attendee.public_id})",
                     "inscriptions reprises": taken.moved,
                     "inscriptions réunies (même séance)": taken.combined, **taken.others}},
        {"action": "attendee.joined_away", "obj": attendee, "crt": attendee.crt,
         "object_label": attendee.display_name,
         "details": {"dossier du volet 2": str(beneficiary.public_id)}},
    ])
    return JoinResult(beneficiary=beneficiary, moved=taken.moved, combined=taken.combined,
                      others=taken.others)
