"""Writes of the offline day: devices, their keys, and the actions a phone synchronises.

The phone encrypts what it keeps with a key derived here (HMAC of the server's secret, the
device and its salt), sent only to its owner's session: without a session, what the phone holds
cannot be read. Each synchronised action is applied once, in order, with the time it happened on
the phone; what can no longer apply (the visit was cancelled or given to someone else meanwhile)
is answered as a conflict, in French, and kept in the table for the phone to show.
"""

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from maillage.beneficiaries.access import file_access
from maillage.beneficiaries.models import Beneficiary
from maillage.core.audit import audit_log, audit_log_many
from maillage.core.errors import DomainError
from maillage.core.validators import (
    CONTROL_CHARACTERS_MESSAGE,
    CONTROL_CHARACTERS_MESSAGE_MULTILINE,
    has_control_characters,
    is_uuid,
)
from maillage.visits.models import Visit

from .models import Device, SyncedAction, new_salt

#: How far in the past an action may have happened (a phone forgotten in a drawer for a week:
#: its actions are refused, the coordination traces what is left).
OLDEST = timedelta(days=7)
#: A phone's clock a little ahead of the server's is tolerated.
CLOCK_SKEW = timedelta(minutes=5)
#: The most actions one synchronisation carries.
MAX_ACTIONS = 200


class SyncConflict(DomainError):  # noqa: N818 — a conflict, not a failure
    """The action was valid on the phone, but the world changed meanwhile."""


def device_key(device: Device) -> str:
    """The device's encryption key (32 bytes, base64url): derived, never stored."""
    digest = salted_hmac("maillage.offline.device", f"{device.public_id}:{device.salt}",
                         algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@transaction.atomic
def device_register(*, actor, crt) -> Device:
    device = Device.objects.create(crt=crt, user=actor, created_by=actor, updated_by=actor)
    audit_log(actor=actor, action="offline.device_registered", obj=device)
    return device


@transaction.atomic
def devices_erase(*, actor, devices, reason: str) -> int:
    """Forget these devices' keys (a new salt, never handed out): what their phones hold can no
    longer be decrypted; their next contact tells them to erase it."""
    erased = 0
    for device in devices:
        if device.erased_at is not None:
            continue
        device.erased_at, device.erased_reason, device.salt = timezone.now(), reason, new_salt()
        device.save(update_fields=["erased_at", "erased_reason", "salt", "updated_at"])
        audit_log(actor=actor, action="offline.device_erased", obj=device,
                  details={"motif": reason})
        erased += 1
    return erased


@transaction.atomic
def day_downloaded(*, actor, device: Device, read: list) -> None:
    """The day went onto the phone: a read of each person's file, in the audit."""
    device.last_download_at = timezone.now()
    device.save(update_fields=["last_download_at", "updated_at"])
    audit_log_many(actor=actor, events=[
        {"action": "offline.day_downloaded", "obj": device, "beneficiary": beneficiary,
         "details": details} for beneficiary, details in read])


# --- Synchronisation -------------------------------------------------------------------------


@dataclass
class _Parsed:
    action_id: uuid.UUID
    kind: str
    at: datetime
    data: dict
    visit_ref: str | None
    person_ref: str | None


#: The free texts of the actions (typed in a text area on the phone); the other texts are
#: codes or a one-line reason.
_MULTILINE = frozenset({"text", "report", "comment", "description"})


def _text(data: dict, name: str, limit: int = 5000) -> str:
    """A text of the action, cleaned as the web forms clean theirs: surrounding spaces
    dropped, control and invisible characters (a NUL…) refused (``BootstrapFormMixin``)."""
    value = data.get(name, "")
    if not isinstance(value, str):
        raise DomainError(f"Champ « {name} » mal formé.")
    multiline = name in _MULTILINE
    if has_control_characters(value, multiline=multiline):
        raise DomainError(CONTROL_CHARACTERS_MESSAGE_MULTILINE if multiline
                          else CONTROL_CHARACTERS_MESSAGE)
    return value.strip()[:limit]


def _moment(value, *, now: datetime, what: str) -> datetime:
    try:  # a day or an offset that does not exist (31 February, +25:00) is a ValueError
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise DomainError(f"{what} : date et heure illisibles.")
    if moment > now + CLOCK_SKEW:
        raise DomainError(f"{what} : heure dans le futur ; vérifiez l'heure du téléphone.")
    if moment < now - OLDEST:
        raise DomainError(f"{what} : saisie de plus de 7 jours, non appliquée ; "
                          "signalez-la à la coordination.")
    return moment


def parse_action(raw, *, now: datetime) -> _Parsed:
    """One action of the request, checked for its form (``DomainError`` in French)."""
    if not isinstance(raw, dict):
        raise DomainError("Saisie mal formée.")
    try:
        action_id = uuid.UUID(str(raw.get("id")))
    except ValueError:
        raise DomainError("Saisie sans identifiant.") from None
    kind = raw.get("kind")
    if kind not in SyncedAction.Kind.values:
        raise DomainError("Type de saisie inconnu.")
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise DomainError("Saisie mal formée.")
    if any(raw.get(ref) and not isinstance(raw.get(ref), str) for ref in ("visit", "person")):
        raise DomainError("Saisie mal formée.")
    return _Parsed(action_id=action_id, kind=kind, at=_moment(raw.get("at"), now=now,
                                                              what="Heure de la saisie"),
                   data=data, visit_ref=raw.get("visit") or None,
                   person_ref=raw.get("person") or None)


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"


def _own_visit(*, actor, crt, ref) -> Visit:
    """The visit named, locked, if it is still this professional's and can still be traced."""
    try:
        visit = (Visit.objects.select_for_update(of=("self",))
                 .select_related("beneficiary", "staff", "professional", "service",
                                 "traced_by", "updated_by")
                 .get(crt=crt, public_id=ref))
    except (Visit.DoesNotExist, ValidationError, ValueError):
        raise DomainError("Ce passage n'existe plus.") from None
    mine = visit.staff_id == actor.pk or bool(
        visit.professional_id and visit.professional.user_id == actor.pk)
    if visit.status == Visit.Status.CANCELLED:
        by = visit.updated_by.get_full_name() if visit.updated_by else "la coordination"
        raise SyncConflict(f"Ce passage a été annulé ({_local(visit.updated_at)}, {by}) pendant "
                       "que vous étiez hors ligne : votre saisie n'a pas été enregistrée.")
    if not mine:
        raise SyncConflict(f"Ce passage a été confié à {visit.who} pendant que vous étiez hors "
                       "ligne : votre saisie n'a pas été enregistrée.")
    return visit


def _already_traced(visit: Visit) -> SyncConflict:
    by = visit.traced_by.get_full_name() if visit.traced_by else "la coordination"
    return SyncConflict(f"Ce passage a déjà été tracé « {visit.get_status_display().lower()} » "
                    f"par {by} ({_local(visit.traced_at)}) : votre saisie hors ligne ne l'a pas "
                    "remplacé.")


def _person(*, actor, roles, crt, ref):
    from maillage.beneficiaries.access import visible_beneficiaries

    try:
        b = visible_beneficiaries(crt=crt, user=actor, roles=roles).get(public_id=ref)
    except (Beneficiary.DoesNotExist, ValidationError, ValueError):
        raise SyncConflict("Vous n'avez plus accès au dossier de cette personne : votre saisie n'a "
                       "pas été enregistrée.") from None
    return b, file_access(user=actor, roles=roles, beneficiary=b)


def _apply_visit_start(p: _Parsed, *, actor, roles, crt):
    from maillage.visits.services import visit_mark_started

    visit = _own_visit(actor=actor, crt=crt, ref=p.visit_ref)
    if visit.status != Visit.Status.PLANNED:
        if visit.traced_by_id == actor.pk:
            return visit, visit.beneficiary  # traced since by the same professional
        raise _already_traced(visit)
    start = _moment(p.data.get("start") or p.at.isoformat(), now=timezone.now(),
                    what="Heure d'arrivée")
    visit_mark_started(actor=actor, visit=visit, version=visit.version, actual_start=start)
    return visit, visit.beneficiary


def _apply_visit_end(p: _Parsed, *, actor, roles, crt):
    from maillage.care.models import PlannedAction
    from maillage.visits.services import visit_mark_done

    visit = _own_visit(actor=actor, crt=crt, ref=p.visit_ref)
    if visit.status != Visit.Status.PLANNED:
        raise _already_traced(visit)
    now = timezone.now()
    end = _moment(p.data.get("end"), now=now, what="Heure de départ")
    start = (_moment(p.data["start"], now=now, what="Heure d'arrivée") if p.data.get("start")
             else visit.actual_start)
    if start is None:
        raise DomainError("Heure d'arrivée manquante.")
    tasks = []
    raw_tasks = p.data.get("tasks") or []
    if not isinstance(raw_tasks, list):
        raise DomainError("Actions du plan mal formées.")
    actions = {str(a.public_id): a for a in PlannedAction.objects.filter(
        crt=crt, public_id__in=[t.get("id") for t in raw_tasks
                                if isinstance(t, dict) and is_uuid(t.get("id"))])}
    for t in raw_tasks:
        action = actions.get(str(t.get("id"))) if isinstance(t, dict) else None
        if action is None:
            raise DomainError("Une action du plan n'existe plus : rechargez la journée.")
        tasks.append({"action": action, "done": bool(t.get("done")),
                      "reason": _text(t, "reason", 300)})
    _, access = _person(actor=actor, roles=roles, crt=crt, ref=visit.beneficiary.public_id)
    visit_mark_done(actor=actor, roles=roles, visit=visit, version=visit.version,
                    actual_start=start, actual_end=end, report=_text(p.data, "report"),
                    access=access, tasks=tasks, offline=True)
    _resolve_missed(actor=actor, visit=visit)
    return visit, visit.beneficiary


def _resolve_missed(*, actor, visit: Visit) -> None:
    """The « passage non réalisé » alert raised while the phone was offline: the visit was
    done after all; the alert is resolved, saying so."""
    from maillage.care.models import Alert
    from maillage.care.services import alert_resolve

    alert = Alert.objects.filter(pk=visit.missed_alert_id).exclude(
        status=Alert.Status.RESOLVED).first() if visit.missed_alert_id else None
    if alert is None:
        return
    start, end = timezone.localtime(visit.actual_start), timezone.localtime(visit.actual_end)
    alert_resolve(actor=actor, alert=alert, version=alert.version,
                  outcome=f"Passage réalisé de {start:%H:%M} à {end:%H:%M}, saisi hors ligne "
                          f"et synchronisé le {_local(timezone.now())}.")


def _apply_visit_missed(p: _Parsed, *, actor, roles, crt):
    from maillage.visits.services import visit_mark_not_done

    visit = _own_visit(actor=actor, crt=crt, ref=p.visit_ref)
    if visit.status != Visit.Status.PLANNED:
        raise _already_traced(visit)
    reason = _text(p.data, "reason", 20)
    visit_mark_not_done(actor=actor, visit=visit, version=visit.version, reason=reason,
                        comment=_text(p.data, "comment", 2000), offline=True)
    return visit, visit.beneficiary


def _apply_note(p: _Parsed, *, actor, roles, crt):
    from maillage.care.models import LiaisonNote
    from maillage.care.services import note_add

    b, access = _person(actor=actor, roles=roles, crt=crt, ref=p.person_ref)
    category = _text(p.data, "category", 12) or LiaisonNote.Category.GENERAL
    if category not in LiaisonNote.Category.values:
        raise DomainError("Catégorie de transmission inconnue.")
    visibility = _text(p.data, "visibility", 10) or LiaisonNote.Visibility.TEAM
    if visibility not in LiaisonNote.Visibility.values:
        raise DomainError("Visibilité de transmission inconnue.")
    note = note_add(actor=actor, roles=roles, beneficiary=b, access=access, category=category,
                    visibility=visibility, text=_text(p.data, "text"))
    # In the notebook at the time it was written, not the time the network came back.
    LiaisonNote.objects.filter(pk=note.pk).update(created_at=p.at)
    return note, b


def _apply_alert(p: _Parsed, *, actor, roles, crt):
    from maillage.care.models import Alert
    from maillage.care.services import alert_raise

    b, access = _person(actor=actor, roles=roles, crt=crt, ref=p.person_ref)
    if not access.liaison:
        raise SyncConflict("Le consentement de la personne ne couvre plus ce partage : votre "
                       "alerte n'a pas été enregistrée.")
    kind = _text(p.data, "kind", 25)
    if kind not in Alert.Kind.values or kind in (Alert.Kind.MISSED_VISIT,
                                                   Alert.Kind.VITAL_SIGN):
        raise DomainError("Choisissez le type d'alerte.")
    severity = _text(p.data, "severity", 10) or Alert.Severity.MEDIUM
    if severity not in Alert.Severity.values:
        raise DomainError("Choisissez la gravité de l'alerte.")
    alert = alert_raise(actor=actor, beneficiary=b, kind=kind, severity=severity,
                        description=_text(p.data, "description"))
    Alert.objects.filter(pk=alert.pk).update(created_at=p.at)
    return alert, b


_HANDLERS = {
    SyncedAction.Kind.VISIT_START: _apply_visit_start,
    SyncedAction.Kind.VISIT_END: _apply_visit_end,
    SyncedAction.Kind.VISIT_MISSED: _apply_visit_missed,
    SyncedAction.Kind.NOTE: _apply_note,
    SyncedAction.Kind.ALERT: _apply_alert,
}


def _known(*, actor, action_id) -> dict | None:
    done = SyncedAction.objects.filter(action_id=action_id).first()
    if done is None:
        return None
    if done.user_id != actor.pk:
        return {"id": str(action_id), "state": SyncedAction.State.REFUSED,
                "message": "Identifiant de saisie déjà utilisé."}
    return done.result()


def action_apply(*, actor, roles, crt, device: Device, raw) -> dict:
    """Apply one action once: its first result is kept and answered again for each resend."""
    now = timezone.now()
    try:
        p = parse_action(raw, now=now)
    except DomainError as error:
        # Not even an identifier to remember it by: answered, not stored.
        ident = str(raw.get("id", "")) if isinstance(raw, dict) else ""
        return {"id": ident, "state": SyncedAction.State.REFUSED, "message": error.message}
    known = _known(actor=actor, action_id=p.action_id)
    if known is not None:
        return known
    record = SyncedAction(crt=crt, action_id=p.action_id, device=device, user=actor,
                          kind=p.kind, happened_at=p.at, created_by=actor, updated_by=actor)
    try:
        with transaction.atomic():
            # Inserted first: a resend racing this one waits on the unique index, then finds it.
            record.state = SyncedAction.State.APPLIED
            record.save(force_insert=True)
            obj, beneficiary = _HANDLERS[p.kind](p, actor=actor, roles=roles, crt=crt)
            record.visit = obj if isinstance(obj, Visit) else None
            if record.visit is None and p.visit_ref and is_uuid(p.visit_ref):
                record.visit = Visit.objects.filter(crt=crt, public_id=p.visit_ref).first()
            record.beneficiary = beneficiary
            record.save(update_fields=["visit", "beneficiary"])
            audit_log(actor=actor, action="offline.action_synced", obj=obj,
                      beneficiary=beneficiary,
                      details={"saisie": record.get_kind_display(),
                               "faite le": _local(p.at)})
        return record.result()
    except IntegrityError:
        return _known(actor=actor, action_id=p.action_id) or {
            "id": str(p.action_id), "state": SyncedAction.State.REFUSED,
            "message": "Saisie non enregistrée : réessayez."}
    except DomainError as error:
        state = (SyncedAction.State.CONFLICT if isinstance(error, SyncConflict)
                 else SyncedAction.State.REFUSED)
        return _reject(record, actor=actor, crt=crt, p=p, state=state, message=error.message)


def _reject(record: SyncedAction, *, actor, crt, p: _Parsed, state: str, message: str) -> dict:
    record.pk = None
    record.state, record.message = state, message[:300]
    record.visit = (Visit.objects.filter(crt=crt, public_id=p.visit_ref).first()
                    if p.visit_ref and is_uuid(p.visit_ref) else None)
    record.beneficiary = (record.visit.beneficiary if record.visit else
                          Beneficiary.objects.filter(crt=crt, public_id=p.person_ref).first()
                          if p.person_ref and is_uuid(p.person_ref) else None)
    try:
        with transaction.atomic():
            record.save(force_insert=True)
            audit_log(actor=actor, action="offline.action_rejected", obj=record,
                      beneficiary=record.beneficiary,
                      details={"saisie": record.get_kind_display(),
                               "résultat": record.get_state_display()})
    except IntegrityError:
        return _known(actor=actor, action_id=p.action_id) or record.result()
    return record.result()


def actions_apply(*, actor, roles, crt, device: Device, actions: list) -> list[dict]:
    """The phone's actions, in the order they were recorded: each applied once."""
    if len(actions) > MAX_ACTIONS:
        raise DomainError(f"Au plus {MAX_ACTIONS} saisies par envoi.")
    results = [action_apply(actor=actor, roles=roles, crt=crt, device=device, raw=raw)
               for raw in actions]
    device.last_sync_at = timezone.now()
    device.save(update_fields=["last_sync_at", "updated_at"])
    return results
