"""Writes of the CRT's organisation: positions, meetings and decisions; validated, versioned
and audited."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.versioning import changes, save_versioned, snapshot, validate
from maillage.territory.services import pdf_check

from .models import Decision, Meeting, Position
from .selectors import staff_users

POSITION_FIELDS = (
    "profession", "qualification", "employment", "fte", "fte_volet1", "fte_volet2",
    "fte_coordination", "starts_on", "ends_on", "holder", "notes",
)
MEETING_FIELDS = ("kind", "held_on", "place", "agenda", "representatives")


def _refuse_unknown(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")


def _check_staff(user, crt: Crt, field: str) -> None:
    if user is not None and not staff_users(crt=crt).filter(pk=user.pk).exists():
        raise DomainError("Choisissez un membre de l'équipe du CRT.", field=field)


# --- Positions -------------------------------------------------------------------------------


def _fr(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _check_position(position: Position, *, holder_changed: bool = True) -> None:
    p = position
    if p.starts_on and p.ends_on and p.ends_on < p.starts_on:
        raise DomainError("La fin du poste ne peut pas précéder son début.", field="ends_on")
    for name in ("fte", "fte_volet1", "fte_volet2", "fte_coordination"):
        value = getattr(p, name)
        if value is not None and not Decimal("0") <= value <= Decimal("1"):
            raise DomainError("Un ETP va de 0 à 1.", field=name)
    parts = [p.fte_volet1, p.fte_volet2, p.fte_coordination]
    if p.fte is not None and all(v is not None for v in parts):
        if p.fte <= 0:
            raise DomainError("L'ETP d'un poste est supérieur à 0.", field="fte")
        total = sum(parts, Decimal("0"))
        if total != p.fte:
            raise DomainError(
                f"La répartition (volet 1 + volet 2 + coordination = {_fr(total)} ETP) doit "
                f"être égale à l'ETP du poste ({_fr(p.fte)} ETP).", field="fte_volet1")
    validate(p, exclude=["crt", "created_by", "updated_by"])
    if holder_changed:  # a past holder who has left the team stays on their position
        _check_staff(p.holder, p.crt, "holder")


@transaction.atomic
def position_create(*, actor, crt: Crt, **fields) -> Position:
    _refuse_unknown(fields, POSITION_FIELDS)
    position = Position(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_position(position)
    position.save()
    audit_log(actor=actor, action="position.created", obj=position)
    return position


@transaction.atomic
def position_update(*, actor, position: Position, version: int, **fields) -> Position:
    _refuse_unknown(fields, POSITION_FIELDS)
    before = snapshot(position, POSITION_FIELDS)
    holder_before = position.holder_id
    for field, value in fields.items():
        setattr(position, field, value)
    _check_position(position, holder_changed=position.holder_id != holder_before)
    save_versioned(position, actor=actor, version=version, fields=POSITION_FIELDS)
    audit_log(actor=actor, action="position.updated", obj=position,
              details=changes(before, position))
    return position


# --- Meetings --------------------------------------------------------------------------------


def parse_representatives(text: str) -> list[dict]:
    """One person a line: « Nom ; qualité » (e.g. « Jeanne Roux ; représentante des
    usagers »)."""
    people = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, _, quality = line.partition(";")
        name, quality = name.strip(), quality.strip()
        if not name or not quality:
            raise DomainError(f"Ligne {number} : indiquez « nom ; qualité » (par exemple "
                              "« Jeanne Roux ; représentante des usagers »).",
                              field="representatives")
        people.append({"name": name[:120], "quality": quality[:120]})
    return people


def _check_meeting(meeting: Meeting, team, partners, *, already=()) -> None:
    validate(meeting, exclude=["crt", "created_by", "updated_by", "minutes"])
    for person in meeting.representatives:
        if not (isinstance(person, dict) and person.get("name") and person.get("quality")):
            raise DomainError("Indiquez le nom et la qualité de chaque représentant.",
                              field="representatives")
    allowed = set(staff_users(crt=meeting.crt).values_list("pk", flat=True)) | set(already)
    if any(u.pk not in allowed for u in team):
        raise DomainError("Choisissez les participants parmi l'équipe du CRT.",
                          field="team_participants")
    if any(p.crt_id != meeting.crt_id for p in partners):
        raise DomainError("Professionnel inconnu.", field="partner_participants")


def _attach_minutes(meeting: Meeting, uploaded_file) -> None:
    meeting.minutes.save(f"{meeting.public_id}.pdf", uploaded_file, save=False)
    Meeting.objects.filter(pk=meeting.pk).update(
        minutes=meeting.minutes.name, minutes_name=uploaded_file.name[:200],
        minutes_size=uploaded_file.size)
    meeting.minutes_name, meeting.minutes_size = uploaded_file.name[:200], uploaded_file.size


@transaction.atomic
def meeting_create(*, actor, crt: Crt, team_participants=(), partner_participants=(),
                   minutes_file=None, **fields) -> Meeting:
    _refuse_unknown(fields, MEETING_FIELDS)
    team, partners = list(team_participants), list(partner_participants)
    meeting = Meeting(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_meeting(meeting, team, partners)
    if minutes_file is not None:
        pdf_check(minutes_file, field="minutes_file")
    meeting.save()
    meeting.team_participants.set(team)
    meeting.partner_participants.set(partners)
    if minutes_file is not None:
        _attach_minutes(meeting, minutes_file)
    audit_log(actor=actor, action="meeting.created", obj=meeting,
              details={"instance": meeting.get_kind_display()})
    return meeting


@transaction.atomic
def meeting_update(*, actor, meeting: Meeting, version: int, team_participants=(),
                   partner_participants=(), minutes_file=None, **fields) -> Meeting:
    _refuse_unknown(fields, MEETING_FIELDS)
    team, partners = list(team_participants), list(partner_participants)
    before = snapshot(meeting, MEETING_FIELDS)
    already = set(meeting.team_participants.values_list("pk", flat=True))
    for field, value in fields.items():
        setattr(meeting, field, value)
    _check_meeting(meeting, team, partners, already=already)
    if minutes_file is not None:
        pdf_check(minutes_file, field="minutes_file")
    save_versioned(meeting, actor=actor, version=version, fields=MEETING_FIELDS)
    meeting.team_participants.set(team)
    meeting.partner_participants.set(partners)
    details = changes(before, meeting)
    details.pop("agenda", None)  # free text: said changed, not copied
    if before["agenda"] != meeting.agenda:
        details["ordre du jour"] = {"avant": "…", "après": "modifié"}
    if minutes_file is not None:
        _attach_minutes(meeting, minutes_file)
        details["compte rendu"] = {"avant": "", "après": "nouveau PDF"}
    audit_log(actor=actor, action="meeting.updated", obj=meeting, details=details)
    return meeting


# --- Decisions -------------------------------------------------------------------------------


def _check_decision(decision: Decision, *, owner_changed: bool = True) -> None:
    if decision.due_on and decision.due_on < decision.meeting.held_on:
        raise DomainError("L'échéance ne peut pas précéder la réunion.", field="due_on")
    validate(decision, exclude=["crt", "meeting", "created_by", "updated_by"])
    if owner_changed:
        _check_staff(decision.owner, decision.crt, "owner")


@transaction.atomic
def decision_add(*, actor, meeting: Meeting, text: str, owner, due_on: date | None = None
                 ) -> Decision:
    decision = Decision(crt=meeting.crt, meeting=meeting, text=text.strip(), owner=owner,
                        due_on=due_on, created_by=actor, updated_by=actor)
    _check_decision(decision)
    decision.save()
    audit_log(actor=actor, action="decision.created", obj=decision)
    return decision


@transaction.atomic
def decision_update(*, actor, decision: Decision, version: int, text: str, owner,
                    due_on: date | None = None) -> Decision:
    fields = ("text", "owner", "due_on")
    before = snapshot(decision, fields)
    owner_before = decision.owner_id
    decision.text, decision.owner, decision.due_on = text.strip(), owner, due_on
    _check_decision(decision, owner_changed=decision.owner_id != owner_before)
    save_versioned(decision, actor=actor, version=version, fields=fields)
    details = changes(before, decision)
    details.pop("text", None)
    audit_log(actor=actor, action="decision.updated", obj=decision, details=details)
    return decision


@transaction.atomic
def decision_done(*, actor, decision: Decision, version: int, done_on: date,
                  done_note: str = "") -> Decision:
    if decision.done_on is not None:
        raise DomainError("Cette décision est déjà marquée réalisée.", code="conflict")
    if done_on > timezone.localdate():
        raise DomainError("La date de réalisation est dans le futur.", field="done_on")
    if done_on < decision.meeting.held_on:
        raise DomainError("La décision ne peut pas être réalisée avant la réunion.",
                          field="done_on")
    decision.done_on, decision.done_note = done_on, done_note.strip()
    validate(decision, exclude=["crt", "meeting", "created_by", "updated_by"])
    save_versioned(decision, actor=actor, version=version, fields=["done_on", "done_note"])
    audit_log(actor=actor, action="decision.done", obj=decision)
    return decision
