"""Writes of the on-call service: the organisation, the rota, the call log (from the first
ring to the outcome) and break-the-glass accesses."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from maillage.beneficiaries.models import Beneficiary
from maillage.beneficiaries.services import timeline_add
from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.selectors import is_team_member
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from .models import Arrangement, BreakGlass, Call, Escalation, EscalationContact, Shift
from .rota import preset_bounds

#: Times a little ahead of the server clock are accepted (phones drift).
CLOCK_SLACK = timedelta(minutes=5)
ARRANGEMENT_FIELDS = ("model", "partner", "start_date", "end_date", "agreement_signed_on",
                      "carrier_written_consent", "yearly_contribution", "scope", "notes")
CALL_FIELDS = ("source", "received_at", "answered_at", "beneficiary", "caller_name",
               "caller_phone", "reason", "assessment", "advice", "call_out", "departed_at",
               "arrived_at", "left_at", "travelled_by", "actions", "outcome", "hospital",
               "outcome_notes", "follow_up")


def _member(crt, user, field: str) -> None:
    if user is not None and not is_team_member(user, crt):
        raise DomainError("Cette personne n'est pas membre de l'équipe du CRT.", field=field)


# --- Organisation ----------------------------------------------------------------------------


@transaction.atomic
def arrangement_save(*, actor, crt, arrangement: Arrangement | None = None,
                     version: int | None = None, **fields) -> Arrangement:
    unknown = set(fields) - set(ARRANGEMENT_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    creating = arrangement is None
    if creating:
        arrangement = Arrangement(crt=crt, created_by=actor)
    before = {} if creating else snapshot(arrangement, ARRANGEMENT_FIELDS)
    for name, value in fields.items():
        setattr(arrangement, name, value)
    arrangement.updated_by = actor
    if arrangement.model == Arrangement.Model.SHARED_NIGHT_NURSE:
        if arrangement.partner is None:
            raise DomainError("Indiquez l'EHPAD porteur du dispositif IDE de nuit mutualisé.",
                              field="partner")
        if not arrangement.agreement_signed_on:
            raise DomainError("La mutualisation demande une convention : indiquez sa date de "
                              "signature.", field="agreement_signed_on")
    if arrangement.partner is not None and arrangement.partner.crt_id != crt.id:
        raise DomainError("Structure inconnue.", field="partner")
    if arrangement.end_date and arrangement.end_date < arrangement.start_date:
        raise DomainError("La fin doit suivre le début.", field="end_date")
    validate(arrangement, exclude=["crt", "partner", "created_by", "updated_by"])
    if creating:
        arrangement.save()
        audit_log(actor=actor, action="oncall_arrangement.created", obj=arrangement)
    else:
        save_versioned(arrangement, actor=actor, version=version or 0,
                       fields=list(ARRANGEMENT_FIELDS))
        audit_log(actor=actor, action="oncall_arrangement.updated", obj=arrangement,
                  details=changes(before, arrangement))
    return arrangement


CONTACT_FIELDS = ("level", "label", "phone", "available_from", "available_until")


def _check_contact(contact: EscalationContact) -> None:
    contact.label = contact.label.strip()
    contact.phone = contact.phone.strip()
    if not contact.label:
        raise DomainError("Indiquez le libellé.", field="label")
    if not any(c.isdigit() for c in contact.phone):
        raise DomainError("Indiquez un numéro de téléphone.", field="phone")
    start, end = contact.available_from, contact.available_until
    if (start is None) != (end is None):
        raise DomainError("Indiquez les deux heures (de … à …), ou aucune si le recours est "
                          "joignable jour et nuit.",
                          field="available_until" if end is None else "available_from")
    if start is not None and start == end:
        raise DomainError("Les deux heures sont identiques : laissez-les vides si le recours "
                          "est joignable jour et nuit.", field="available_until")
    validate(contact, exclude=["crt", "created_by", "updated_by"])


@transaction.atomic
def contact_add(*, actor, crt, level: str, label: str, phone: str, available_from=None,
                available_until=None) -> EscalationContact:
    position = EscalationContact.objects.filter(crt=crt).count() + 1
    contact = EscalationContact(crt=crt, level=level, label=label, phone=phone,
                                available_from=available_from,
                                available_until=available_until,
                                position=position, created_by=actor, updated_by=actor)
    _check_contact(contact)
    contact.save()
    audit_log(actor=actor, action="oncall_contact.added", obj=contact)
    return contact


@transaction.atomic
def contact_update(*, actor, contact: EscalationContact, version: int | None,
                   **fields) -> EscalationContact:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    before = snapshot(contact, CONTACT_FIELDS)
    for name, value in fields.items():
        setattr(contact, name, value)
    _check_contact(contact)
    save_versioned(contact, actor=actor, version=version or 0, fields=list(CONTACT_FIELDS))
    audit_log(actor=actor, action="oncall_contact.updated", obj=contact,
              details=changes(before, contact))
    return contact


@transaction.atomic
def contact_remove(*, actor, contact: EscalationContact) -> None:
    audit_log(actor=actor, action="oncall_contact.removed", obj=contact)
    contact.delete()


# --- Rota ------------------------------------------------------------------------------------


def _check_shift(shift: Shift) -> None:
    if shift.staff is None and shift.professional is None:
        raise DomainError("Indiquez qui est d'astreinte.", field="staff")
    if shift.staff is not None and shift.professional is not None:
        raise DomainError("Un tour d'astreinte est tenu par une seule personne.",
                          field="professional")
    _member(shift.crt, shift.staff, "staff")
    if shift.professional is not None and shift.professional.crt_id != shift.crt_id:
        raise DomainError("Professionnel inconnu.", field="professional")
    if shift.arrangement is not None and shift.arrangement.crt_id != shift.crt_id:
        raise DomainError("Organisation inconnue.", field="arrangement")
    if shift.ends_at <= shift.starts_at:
        raise DomainError("La fin doit suivre le début.", field="ends_at")
    if shift.ends_at - shift.starts_at > timedelta(hours=72):
        raise DomainError("Un tour d'astreinte dure 72 heures au plus.", field="ends_at")
    validate(shift, exclude=["crt", "staff", "professional", "arrangement", "created_by",
                             "updated_by"])


@transaction.atomic
def shifts_add(*, actor, crt, preset: str, first_day: date, days: int = 1, staff=None,
               professional=None, duty: str, arrangement=None, phone: str = "",
               starts_at: datetime | None = None, ends_at: datetime | None = None,
               notes: str = "") -> list[Shift]:
    """One shift, or the same slot on ``days`` consecutive days (a week of nights…)."""
    if not 1 <= days <= 31:
        raise DomainError("Entre 1 et 31 jours.", field="days")
    created = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if preset == "custom":
            if starts_at is None or ends_at is None:
                raise DomainError("Indiquez le début et la fin.", field="starts_at")
            start, end = starts_at + timedelta(days=offset), ends_at + timedelta(days=offset)
        else:
            start, end = preset_bounds(day, preset)
        shift = Shift(crt=crt, staff=staff, professional=professional, duty=duty,
                      arrangement=arrangement, starts_at=start, ends_at=end, phone=phone,
                      notes=notes, created_by=actor, updated_by=actor)
        _check_shift(shift)
        shift.save()
        created.append(shift)
    audit_log(actor=actor, action="oncall_shift.added", crt=crt,
              details={"tours": len(created), "qui": created[0].who,
                       "rôle": created[0].get_duty_display(),
                       "du": f"{timezone.localtime(created[0].starts_at):%d/%m/%Y %H:%M}"})
    return created


@transaction.atomic
def shift_remove(*, actor, shift: Shift) -> None:
    audit_log(actor=actor, action="oncall_shift.removed", obj=shift,
              details={"du": f"{timezone.localtime(shift.starts_at):%d/%m/%Y %H:%M}"})
    shift.delete()


# --- Calls -----------------------------------------------------------------------------------


def _check_call(call: Call) -> None:
    now = timezone.now()
    if call.beneficiary is None and not call.caller_name.strip():
        raise DomainError("Indiquez la personne concernée, ou au moins le nom de l'appelant.",
                          field="beneficiary")
    if call.beneficiary is not None and call.beneficiary.crt_id != call.crt_id:
        raise DomainError("Personne inconnue.", field="beneficiary")
    if call.received_at > now + CLOCK_SLACK:
        raise DomainError("L'heure de réception est dans le futur.", field="received_at")
    if call.answered_at and call.answered_at < call.received_at:
        raise DomainError("On décroche après la réception de l'appel.", field="answered_at")
    order = [("answered_at", call.answered_at or call.received_at),
             ("departed_at", call.departed_at), ("arrived_at", call.arrived_at),
             ("left_at", call.left_at)]
    previous = ("received_at", call.received_at)
    labels = {"departed_at": "Le départ", "arrived_at": "L'arrivée",
              "left_at": "La fin de l'intervention"}
    before = {"received_at": "la réception de l'appel", "answered_at": "le décroché",
              "departed_at": "le départ", "arrived_at": "l'arrivée au domicile"}
    for name, value in order:
        if value is None:
            continue
        if value < previous[1]:
            raise DomainError(f"{labels.get(name, 'Cette heure')} ne peut pas précéder "
                              f"{before[previous[0]]} ({timezone.localtime(previous[1]):%H:%M}).",
                              field=name)
        if value > now + CLOCK_SLACK:
            if value - previous[1] > timedelta(hours=12):
                # A time typed before the previous one reads as the next day's (a call-out
                # ending after midnight): say what was meant.
                raise DomainError(f"{labels.get(name, 'Cette heure')} ne peut pas précéder "
                                  f"{before[previous[0]]} "
                                  f"({timezone.localtime(previous[1]):%H:%M}).", field=name)
            raise DomainError("Cette heure est dans le futur.", field=name)
        previous = (name, value)
    if not call.call_out and (call.departed_at or call.arrived_at or call.left_at):
        raise DomainError("Cochez « déplacement » pour noter ses heures.", field="call_out")
    if call.travelled_by is not None:
        _member(call.crt, call.travelled_by, "travelled_by")
    if call.outcome == Call.Outcome.HOSPITALISED and not call.hospital.strip():
        raise DomainError("Indiquez où la personne est hospitalisée.", field="hospital")
    if call.outcome and call.outcome != Call.Outcome.HOSPITALISED and call.hospital.strip():
        raise DomainError("Effacez le lieu d'hospitalisation : l'issue choisie, « "
                          f"{call.get_outcome_display()} », n'est pas une hospitalisation.",
                          field="hospital")
    validate(call, exclude=["crt", "beneficiary", "answered_by", "travelled_by", "created_by",
                            "updated_by"])


@transaction.atomic
def call_create(*, actor, crt, **fields) -> Call:
    """A call, taken by ``actor``; received and answered now unless said otherwise."""
    unknown = set(fields) - set(CALL_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    if fields.get("received_at") is None:
        fields["received_at"] = timezone.now()
    if fields.get("answered_at") is None:
        fields["answered_at"] = fields["received_at"]
    call = Call(crt=crt, answered_by=actor, created_by=actor, updated_by=actor, **fields)
    if call.call_out and call.travelled_by is None:
        call.travelled_by = actor
    _check_call(call)
    call.save()
    audit_log(actor=actor, action="oncall_call.created", obj=call, beneficiary=call.beneficiary,
              details={"motif": call.get_reason_display(), "source": call.get_source_display()})
    return call


@transaction.atomic
def call_update(*, actor, call: Call, version: int, **fields) -> Call:
    unknown = set(fields) - set(CALL_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    before = snapshot(call, CALL_FIELDS)
    for name, value in fields.items():
        setattr(call, name, value)
    if call.call_out and call.travelled_by is None:
        call.travelled_by = actor
    call.updated_by = actor
    _check_call(call)
    save_versioned(call, actor=actor, version=version, fields=list(CALL_FIELDS))
    audit_log(actor=actor, action="oncall_call.updated", obj=call, beneficiary=call.beneficiary,
              details=changes(before, call))
    return call


@transaction.atomic
def escalation_add(*, actor, call: Call, to: str, at: datetime | None = None,
                   notes: str = "") -> Escalation:
    at = at or timezone.now()
    if to not in Escalation.To.values:
        raise DomainError("Choisissez qui a été appelé.", field="to")
    if at < call.received_at or at > timezone.now() + CLOCK_SLACK:
        raise DomainError("L'heure doit être entre la réception de l'appel et maintenant.",
                          field="at")
    item = Escalation.objects.create(crt=call.crt, call=call, to=to, at=at, notes=notes.strip(),
                                     created_by=actor, updated_by=actor)
    audit_log(actor=actor, action="oncall_call.escalated", obj=call,
              beneficiary=call.beneficiary, details={"appel à": item.get_to_display()})
    return item


@transaction.atomic
def call_close(*, actor, call: Call, version: int) -> Call:
    if call.status == Call.Status.CLOSED:
        raise DomainError("Cet appel est déjà clos.", code="conflict")
    if not call.outcome:
        raise DomainError("Indiquez l'issue de l'appel avant de le clore.", field="outcome")
    if call.call_out and not call.arrived_at:
        raise DomainError("Indiquez l'heure d'arrivée au domicile (ou décochez le "
                          "déplacement).", field="arrived_at")
    call.status, call.closed_at, call.updated_by = Call.Status.CLOSED, timezone.now(), actor
    save_versioned(call, actor=actor, version=version, fields=["status", "closed_at"])
    audit_log(actor=actor, action="oncall_call.closed", obj=call, beneficiary=call.beneficiary,
              details={"issue": call.get_outcome_display()})
    if call.beneficiary is not None:
        # Why the person called and how it ended are health data: the file's timeline shows
        # this entry only to those who read the person's health data and the person's calls
        # (``access.calls_shown_on_file``), at the time the call came in.
        timeline_add(beneficiary=call.beneficiary, kind="oncall.call", actor=actor, health=True,
                     at=call.received_at,
                     title=f"Appel d'astreinte : {call.get_reason_display().lower()}"
                           + (", déplacement" if call.call_out else "")
                           + f" — {call.get_outcome_display().lower()}")
        _inform_care_team(actor=actor, call=call)
    return call


def _inform_care_team(*, actor, call: Call) -> None:
    """The person's care team is told the call is over (SPEC §4.4: informed the next morning,
    with consent), in the closing transaction: who may read the call gets a link to it, the
    others (e.g. a partner following the coordination only) a link to the file. As short as an
    alert's notification: the reason and the outcome (fixed lists), never the free text, which
    is read on the call's page."""
    from django.urls import reverse

    from maillage.core.notifications import notify

    from .access import call_informed

    told = call_informed(call=call, exclude=actor)
    if not (told.readers or told.others):
        return
    b = call.beneficiary
    text = (f"Appel d'astreinte clos — {call.get_reason_display().lower()} : "
            f"{b.display_name} ({call.get_outcome_display().lower()}"
            + (", suite à donner" if call.follow_up.strip() else "") + ")")
    # The call's text is read under the health face (``access.can_view_call``): its
    # notification goes when that face closes; the others tell of the coordination.
    notify(crt=call.crt, users=told.readers, text=text, beneficiary=b, face="health",
           url=reverse("oncall:call", kwargs={"call_id": call.public_id}))
    notify(crt=call.crt, users=told.others, text=text, beneficiary=b, face="liaison",
           url=reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))


# --- Break the glass -------------------------------------------------------------------------


@transaction.atomic
def break_glass(*, actor, call: Call, beneficiary: Beneficiary, reason: str) -> BreakGlass:
    """Open a file outside one's care team in an emergency (« bris de glace »): only by the
    professional on the rota at this moment who took, or travels for, this open call; only for
    the person of that call; with a stated reason. The access lasts until the end of the call
    + 2 hours (``access.GLASS_AFTER_CALL``) and is audited as an emergency access."""
    from .access import on_rota_now

    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indiquez le motif de l'accès en urgence.", field="reason")
    if call.status != Call.Status.OPEN or actor.id not in (call.answered_by_id,
                                                           call.travelled_by_id):
        raise DomainError("L'accès en urgence n'est possible que pendant un appel en cours que "
                          "vous avez pris ou pour lequel vous vous déplacez.")
    if beneficiary.crt_id != call.crt_id:
        raise DomainError("Personne inconnue.")
    if call.beneficiary_id is None or call.beneficiary_id != beneficiary.id:
        raise DomainError("L'accès en urgence ne vaut que pour la personne concernée par "
                          "l'appel en cours : enregistrez l'appel pour cette personne.")
    if not on_rota_now(user=actor, crt=call.crt_id):
        raise DomainError("L'accès en urgence est réservé au professionnel d'astreinte en ce "
                          "moment (planning d'astreinte).")
    if len(reason) < 10:
        raise DomainError("Expliquez en une phrase pourquoi vous devez ouvrir ce dossier.",
                          field="reason")
    item = BreakGlass.objects.create(crt=call.crt, call=call, user=actor,
                                     beneficiary=beneficiary, reason=reason,
                                     created_by=actor, updated_by=actor)
    audit_log(actor=actor, action="oncall.break_glass", obj=item, beneficiary=beneficiary,
              reason=item.reason, emergency=True,
              details={"appel du": f"{timezone.localtime(call.received_at):%d/%m/%Y %H:%M}",
                       "motif de l'appel": call.get_reason_display()})
    return item


@transaction.atomic
def break_glass_review(*, actor, item: BreakGlass) -> BreakGlass:
    if item.reviewed_at is not None:
        raise DomainError("Cet accès a déjà été examiné.", code="conflict")
    item.reviewed_at, item.reviewed_by = timezone.now(), actor
    item.save(update_fields=["reviewed_at", "reviewed_by"])
    audit_log(actor=actor, action="oncall.break_glass_reviewed", obj=item,
              beneficiary=item.beneficiary)
    return item
