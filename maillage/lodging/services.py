"""Writes of the temporary rooms: rooms, the CRT's lodging settings, stays and their life
(planned → in progress → ended, or cancelled).

Rules:
- no two stays in the same room on the same night (cancelled stays aside): checked here, after
  locking the room's row so that two bookings cannot both pass the check (PostgreSQL; SQLite
  serialises writers anyway);
- a planned stay longer than the room's maximum stay needs a written justification;
- a beneficiary who is in the file active when the stay starts gets the matching temporary exit
  (admissions ``Suspension``, kind « temporary room ») through the admissions services: opened on
  arrival, ended on departure. A planned stay opens nothing yet, so cancelling one has nothing to
  undo; a stay that has started cannot be cancelled, only ended.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import Crt
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from .models import HTSH_DAILY_CHARGE, LodgingSettings, Room, Stay

ROOM_FIELDS = ("name", "kind", "organization", "max_stay_days", "daily_charge", "is_active",
               "notes")
STAY_FIELDS = ("room", "beneficiary", "guest_last_name", "guest_first_name", "guest_birth_date",
               "guest_phone", "referral", "reason", "planned_start", "planned_end",
               "over_max_justification", "notes")
GUEST_FIELDS = ("guest_last_name", "guest_first_name", "guest_birth_date", "guest_phone")


def _refuse_unknown(fields: dict, allowed) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")


def _today(today: date | None) -> date:
    return today or timezone.localdate()


# --- Rooms -----------------------------------------------------------------------------------


def _check_room(room: Room) -> None:
    room.name = (room.name or "").strip()
    if room.kind not in Room.Kind.values:
        raise DomainError("Choisissez le type de place.", field="kind")
    if room.kind == Room.Kind.CRT_EMERGENCY:
        if room.organization_id:
            raise DomainError("La chambre d'urgence du CRT n'appartient pas à un partenaire : "
                              "laissez la structure vide.", field="organization")
    elif room.organization is None:
        raise DomainError("Indiquez la structure partenaire qui met cette place à disposition.",
                          field="organization")
    elif room.organization.crt_id != room.crt_id:
        raise DomainError("Structure inconnue.", field="organization")
    if room.max_stay_days is None:
        room.max_stay_days = Room.DEFAULT_MAX_STAY[room.kind]
    # The charge to the person: set by rule for the CRT's room (part of the free « socle ») and
    # for HTSH (20 € a day); the partner's price for HT.
    fixed = {Room.Kind.CRT_EMERGENCY: 0, Room.Kind.PARTNER_HTSH: HTSH_DAILY_CHARGE}
    if room.kind in fixed:
        if room.daily_charge is not None and room.daily_charge != fixed[room.kind]:
            raise DomainError(
                "Le séjour en HTSH coûte 20,00 € par jour à la personne (cahier des charges)."
                if room.kind == Room.Kind.PARTNER_HTSH else
                "La chambre d'urgence du CRT ne coûte rien à la personne (prestation du socle).",
                field="daily_charge")
        room.daily_charge = fixed[room.kind]
    elif room.daily_charge is None:
        raise DomainError("Indiquez le prix de journée facturé par le partenaire (0 si gratuit).",
                          field="daily_charge")
    twin = Room.objects.filter(crt_id=room.crt_id, name__iexact=room.name).exclude(pk=room.pk)
    if room.name and twin.exists():
        raise DomainError("Une chambre porte déjà ce nom.", field="name")
    validate(room, exclude=["crt", "created_by", "updated_by", "organization"])


@transaction.atomic
def room_create(*, actor, crt: Crt, **fields) -> Room:
    """Blank ``max_stay_days`` takes the default of the kind; blank ``daily_charge`` the rule."""
    _refuse_unknown(fields, ROOM_FIELDS)
    room = Room(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_room(room)
    room.save()
    audit_log(actor=actor, action="room.created", obj=room)
    return room


@transaction.atomic
def room_update(*, actor, room: Room, version: int, **fields) -> Room:
    _refuse_unknown(fields, ROOM_FIELDS)
    before = snapshot(room, ROOM_FIELDS)
    for field, value in fields.items():
        setattr(room, field, value)
    _check_room(room)
    save_versioned(room, actor=actor, version=version, fields=ROOM_FIELDS)
    audit_log(actor=actor, action="room.updated", obj=room, details=changes(before, room))
    return room


# --- Settings --------------------------------------------------------------------------------


@transaction.atomic
def lodging_settings_update(*, actor, crt: Crt, version: int,
                            place_kept_days: int) -> LodgingSettings:
    current = LodgingSettings.objects.select_for_update().filter(crt=crt).first()
    if current is None:
        current = LodgingSettings(crt=crt, created_by=actor, updated_by=actor,
                                  place_kept_days=place_kept_days)
        validate(current, exclude=["crt", "created_by", "updated_by"])
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError as error:  # someone stated them at the same moment
            raise ConflictError() from error
        audit_log(actor=actor, action="lodging_settings.updated", obj=current,
                  details={"place_kept_days": {"avant": "", "après": str(place_kept_days)}})
        return current
    before = snapshot(current, ["place_kept_days"])
    current.place_kept_days = place_kept_days
    validate(current, exclude=["crt", "created_by", "updated_by"])
    save_versioned(current, actor=actor, version=version, fields=["place_kept_days"])
    audit_log(actor=actor, action="lodging_settings.updated", obj=current,
              details=changes(before, current))
    return current


# --- Stays -----------------------------------------------------------------------------------


def _lock_room(room: Room) -> None:
    """Serialise the bookings of one room until the transaction ends."""
    Room.objects.select_for_update().filter(pk=room.pk).first()


def _check_overlap(stay: Stay, today: date, field: str) -> None:
    period = stay.period(today)
    if period is None:
        return
    start, end = period
    others = (
        Stay.objects.filter(room_id=stay.room_id).exclude(status=Stay.Status.CANCELLED)
        .exclude(pk=stay.pk)
        .filter(Q(planned_start__lt=end) | Q(actual_start__lt=end))
        .filter(Q(actual_end__gte=start) | Q(status=Stay.Status.IN_PROGRESS)
                | Q(status=Stay.Status.PLANNED, planned_end__gt=start))
        .select_related("beneficiary").order_by("planned_start")
    )
    for other in others:
        taken = other.period(today)
        if taken and taken[0] < end and start < taken[1]:
            raise DomainError(
                f"La chambre « {stay.room.name} » est déjà prise du {taken[0]:%d/%m/%Y} au "
                f"{taken[1]:%d/%m/%Y} (séjour {other.get_status_display().lower()} de "
                f"{other.person_name}) : choisissez d'autres dates ou une autre chambre.",
                field=field)
    if not stay.beneficiary_id:
        return
    # Nor is one beneficiary in two rooms at once.
    same_person = (
        Stay.objects.filter(beneficiary_id=stay.beneficiary_id)
        .exclude(status=Stay.Status.CANCELLED).exclude(pk=stay.pk)
        .filter(Q(planned_start__lt=end) | Q(actual_start__lt=end))
        .select_related("room")
    )
    for other in same_person:
        taken = other.period(today)
        if taken and taken[0] < end and start < taken[1]:
            raise DomainError(
                f"{stay.person_name} a déjà un séjour du {taken[0]:%d/%m/%Y} au "
                f"{taken[1]:%d/%m/%Y} ({other.room.name}).", field=field)


def _check_stay(stay: Stay, today: date, *, room_changed: bool) -> None:
    if stay.room.crt_id != stay.crt_id:
        raise DomainError("Chambre inconnue.", field="room")
    if room_changed and not stay.room.is_active:
        raise DomainError("Cette chambre n'est plus disponible.", field="room")
    for fk in ("beneficiary", "referral"):
        obj = getattr(stay, fk)
        if obj is not None and obj.crt_id != stay.crt_id:
            raise DomainError("Élément inconnu.", field=fk)
    for f in ("guest_last_name", "guest_first_name", "guest_phone"):
        setattr(stay, f, (getattr(stay, f) or "").strip())
    stay.over_max_justification = (stay.over_max_justification or "").strip()
    if stay.beneficiary_id:
        if any(getattr(stay, f) for f in GUEST_FIELDS):
            raise DomainError("Ce séjour concerne un bénéficiaire : laissez vides les champs de "
                              "la personne accueillie hors file active.",
                              field="guest_last_name")
    elif not stay.guest_last_name:
        raise DomainError("Choisissez le bénéficiaire, ou indiquez le nom de la personne "
                          "accueillie.", field="guest_last_name")
    if stay.guest_birth_date and stay.guest_birth_date > today:
        raise DomainError("La date de naissance est dans le futur.", field="guest_birth_date")
    if stay.reason not in Stay.Reason.values:
        raise DomainError("Choisissez le motif du séjour.", field="reason")
    if stay.planned_start is None or stay.planned_end is None:
        raise DomainError("Indiquez les dates prévues.", field="planned_start")
    if stay.planned_end <= stay.planned_start:
        raise DomainError("Le départ prévu doit être au moins le lendemain de l'arrivée.",
                          field="planned_end")
    nights, limit = stay.nights_planned(), stay.room.max_stay_days
    if nights > limit and not stay.over_max_justification:
        raise DomainError(
            f"Ce séjour de {nights} jours dépasse la durée maximale de {limit} jours pour "
            f"« {stay.room.name} » : raccourcissez-le ou justifiez le dépassement par écrit.",
            field="over_max_justification")
    validate(stay, exclude=["crt", "created_by", "updated_by", "room", "beneficiary",
                            "referral", "suspension"])


def _file_active_enrolment(stay: Stay, day: date):
    """The open enrolment the beneficiary had on ``day``, if any."""
    from maillage.admissions.models import Enrolment

    if not stay.beneficiary_id:
        return None
    return Enrolment.objects.filter(beneficiary_id=stay.beneficiary_id, ended_on__isnull=True,
                                    admitted_on__lte=day).first()


def _open_suspension(actor, stay: Stay) -> None:
    """The stay of a beneficiary in the file active opens their temporary exit."""
    from maillage.admissions import services as admissions

    enrolment = _file_active_enrolment(stay, stay.actual_start)
    if enrolment is None:
        return
    try:
        stay.suspension = admissions.suspension_start(
            actor=actor, enrolment=enrolment, kind="temporary_room",
            start_date=stay.actual_start, end_date=stay.actual_end,
            place=stay.room.label[:200],
            reason=stay.get_reason_display() + (f" — {stay.notes.strip()}" if stay.notes.strip()
                                                else ""),
        )
    except DomainError as error:
        raise DomainError(
            f"La sortie temporaire de la file active ne peut pas être enregistrée : "
            f"{error.message[:1].lower()}{error.message[1:]} Enregistrez d'abord le retour de "
            f"{stay.person_name} dans la file active, puis l'arrivée en chambre.",
            field="actual_start") from error


def _end_suspension(actor, stay: Stay) -> None:
    """Departure: the temporary exit ends the same day (unless a definitive exit closed it)."""
    from maillage.admissions import services as admissions
    from maillage.admissions.models import Suspension

    if not stay.suspension_id:
        return
    suspension = Suspension.objects.select_related("enrolment__beneficiary").get(
        pk=stay.suspension_id)
    if suspension.enrolment.ended_on is not None or suspension.end_date == stay.actual_end:
        return
    try:
        admissions.suspension_end(actor=actor, suspension=suspension, end_date=stay.actual_end,
                                  version=suspension.version)
    except DomainError as error:
        raise DomainError(f"La fin de la sortie temporaire ne peut pas être enregistrée : "
                          f"{error.message}", field="actual_end") from error


def _timeline(stay: Stay, actor, kind: str, title: str) -> None:
    if stay.beneficiary_id:
        from maillage.beneficiaries.services import timeline_add

        timeline_add(beneficiary=stay.beneficiary, kind=kind, actor=actor, title=title)


def _when(stay: Stay) -> str:
    return f"du {stay.planned_start:%d/%m/%Y} au {stay.planned_end:%d/%m/%Y}"


@transaction.atomic
def stay_create(*, actor, crt: Crt, actual_start: date | None = None,
                actual_end: date | None = None, today: date | None = None, **fields) -> Stay:
    """Book a stay. With ``actual_start`` (and ``actual_end``) it is recorded as started (or
    over): a stay the team records after the fact."""
    _refuse_unknown(fields, STAY_FIELDS)
    today = _today(today)
    if fields.get("room") is None:
        raise DomainError("Choisissez la chambre.", field="room")
    stay = Stay(crt=crt, created_by=actor, updated_by=actor, **fields)
    room = stay.room
    _lock_room(room)
    stay.daily_charge = room.daily_charge
    _check_stay(stay, today, room_changed=True)
    _check_overlap(stay, today, "planned_start")
    stay.save()
    audit_log(actor=actor, action="stay.created", obj=stay, beneficiary=stay.beneficiary,
              details={"chambre": room.name, "dates": _when(stay)})
    if actual_start is None and actual_end is None:
        _timeline(stay, actor, "stay.created", f"Séjour prévu : {room.label} {_when(stay)}")
    else:
        stay = stay_start(actor=actor, stay=stay, version=stay.version,
                          actual_start=actual_start, actual_end=actual_end, today=today)
    return stay


@transaction.atomic
def stay_update(*, actor, stay: Stay, version: int, today: date | None = None,
                **fields) -> Stay:
    _refuse_unknown(fields, STAY_FIELDS)
    today = _today(today)
    if stay.status == Stay.Status.CANCELLED:
        raise DomainError("Ce séjour est annulé : il ne se modifie plus.", code="conflict")
    before = snapshot(stay, STAY_FIELDS)
    for field, value in fields.items():
        setattr(stay, field, value)
    if stay.room_id is None:
        raise DomainError("Choisissez la chambre.", field="room")
    if stay.status != Stay.Status.PLANNED and \
            stay.beneficiary_id != getattr(before["beneficiary"], "pk", None):
        raise DomainError("La personne d'un séjour commencé ne se change plus.",
                          field="beneficiary")
    room_changed = stay.room_id != before["room"].pk
    _lock_room(stay.room)
    if room_changed and stay.status == Stay.Status.PLANNED:
        stay.daily_charge = stay.room.daily_charge
    _check_stay(stay, today, room_changed=room_changed)
    _check_overlap(stay, today, "room" if room_changed else "planned_start")
    save_versioned(stay, actor=actor, version=version, fields=[*STAY_FIELDS, "daily_charge"])
    audit_log(actor=actor, action="stay.updated", obj=stay, beneficiary=stay.beneficiary,
              details=changes(before, stay))
    return stay


@transaction.atomic
def stay_start(*, actor, stay: Stay, version: int, actual_start: date,
               actual_end: date | None = None, today: date | None = None) -> Stay:
    """Arrival: the stay is in progress; a beneficiary of the file active leaves it temporarily.
    With ``actual_end`` too, a stay recorded after the fact: over at once."""
    today = _today(today)
    if stay.status != Stay.Status.PLANNED:
        raise DomainError("L'arrivée de ce séjour est déjà enregistrée (ou il est annulé).",
                          code="conflict")
    if actual_start is None:
        raise DomainError("Indiquez la date d'arrivée.", field="actual_start")
    if actual_start > today:
        raise DomainError("La date d'arrivée est dans le futur.", field="actual_start")
    if actual_end is not None:
        _check_departure(actual_start, actual_end, today)
    _lock_room(stay.room)
    stay.actual_start, stay.actual_end = actual_start, actual_end
    stay.status = Stay.Status.IN_PROGRESS if actual_end is None else Stay.Status.ENDED
    _check_overlap(stay, today, "actual_start")
    _open_suspension(actor, stay)
    save_versioned(stay, actor=actor, version=version,
                   fields=["actual_start", "actual_end", "status", "suspension"])
    audit_log(actor=actor, action="stay.started", obj=stay, beneficiary=stay.beneficiary,
              details={"arrivée": f"{actual_start:%d/%m/%Y}"})
    if not stay.suspension_id:  # the temporary exit already writes its timeline entry
        _timeline(stay, actor, "stay.started", f"Arrivée en chambre temporaire : "
                                               f"{stay.room.label}")
    if actual_end is not None:
        audit_log(actor=actor, action="stay.ended", obj=stay, beneficiary=stay.beneficiary,
                  details={"départ": f"{actual_end:%d/%m/%Y}", "correction": False})
    return stay


def _check_departure(actual_start: date, actual_end: date | None, today: date) -> None:
    if actual_end is None:
        raise DomainError("Indiquez la date de départ.", field="actual_end")
    if actual_end > today:
        raise DomainError("La date de départ est dans le futur.", field="actual_end")
    if actual_end < actual_start:
        raise DomainError(f"Le départ ne peut pas précéder l'arrivée (le "
                          f"{actual_start:%d/%m/%Y}).", field="actual_end")


@transaction.atomic
def stay_end(*, actor, stay: Stay, version: int, actual_end: date,
             today: date | None = None) -> Stay:
    """Departure (or its correction): the stay is over; so is the temporary exit."""
    today = _today(today)
    if stay.status not in (Stay.Status.IN_PROGRESS, Stay.Status.ENDED):
        raise DomainError("Ce séjour n'a pas commencé : enregistrez d'abord l'arrivée.",
                          code="conflict")
    _check_departure(stay.actual_start, actual_end, today)
    _lock_room(stay.room)
    correction = stay.status == Stay.Status.ENDED
    stay.actual_end, stay.status = actual_end, Stay.Status.ENDED
    _check_overlap(stay, today, "actual_end")
    _end_suspension(actor, stay)
    save_versioned(stay, actor=actor, version=version, fields=["actual_end", "status"])
    audit_log(actor=actor, action="stay.ended", obj=stay, beneficiary=stay.beneficiary,
              details={"départ": f"{actual_end:%d/%m/%Y}", "correction": correction})
    if not stay.suspension_id:
        _timeline(stay, actor, "stay.ended", f"Départ de la chambre temporaire : "
                                             f"{stay.room.label}")
    return stay


@transaction.atomic
def stay_cancel(*, actor, stay: Stay, version: int, reason: str) -> Stay:
    if stay.status != Stay.Status.PLANNED:
        raise DomainError("Seul un séjour prévu s'annule ; un séjour commencé se termine : "
                          "enregistrez le départ.", code="conflict")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indiquez le motif de l'annulation.", field="reason")
    stay.status, stay.cancel_reason = Stay.Status.CANCELLED, reason
    save_versioned(stay, actor=actor, version=version, fields=["status", "cancel_reason"])
    # The reason is free text (it may tell why the person is in hospital): kept on the stay,
    # not copied into the audit trail the DPO reads.
    audit_log(actor=actor, action="stay.cancelled", obj=stay, beneficiary=stay.beneficiary)
    _timeline(stay, actor, "stay.cancelled",
              f"Séjour annulé : {stay.room.label} {_when(stay)}")
    return stay

