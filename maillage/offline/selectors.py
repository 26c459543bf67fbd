"""Reads of the offline day: the device of a user, and the day's data a phone keeps.

What may go on the phone is decided by the file's access policy (``beneficiaries.access``), one
person at a time: the key-box code only with the ``key_box`` face, allergies and health notes
only with the ``health`` face, the notebook only with the ``liaison`` face. Of the medical
section, the phone keeps the allergies alone, for those who read them
(``access.medical_fields``): never the history nor the medical synthesis."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.formats import date_format

from maillage.beneficiaries.access import beneficiaries_for, medical_fields, medical_section
from maillage.beneficiaries.models import MedicalRecord
from maillage.care.models import Alert, LiaisonNote
from maillage.core.models import Membership
from maillage.core.validators import is_uuid
from maillage.visits import selectors as visit_selectors
from maillage.visits.models import Visit
from maillage.visits.services import TRACE_AHEAD

from .models import Device

#: How long the phone keeps a day's data (issue 18: at most 36 hours).
MAX_AGE = timedelta(hours=36)
#: The last notes of the notebook a phone keeps for each person.
NOTES_KEPT = 5
#: Today and tomorrow (and yesterday's night while it lasts: ``day_visits``).
DAYS = 2


def device_of(*, crt, user, public_id) -> Device | None:
    """The user's device named ``public_id`` in ``crt``, erased ones included (None: unknown,
    malformed or someone else's)."""
    try:
        return Device.objects.filter(crt=crt, user=user, public_id=public_id).first()
    except (ValidationError, ValueError, TypeError):
        return None


def devices_named(*, user, public_ids) -> list[Device]:
    """The user's devices among ``public_ids``, whatever their CRT, with their CRT (malformed
    or someone else's identifiers are left out)."""
    ids = [ref for ref in public_ids if is_uuid(ref)]
    if not ids:
        return []
    return list(Device.objects.filter(user=user, public_id__in=ids).select_related("crt"))


def device_must_erase(public_id) -> tuple[bool, bool]:
    """What a phone learns of its device without a session (``offline:device_state``): erase
    what you hold — the device was erased, or its professional's account or membership was
    deactivated. An unknown device: nothing to keep either. ``(erase, known)``."""
    try:
        device = Device.objects.select_related("user").filter(public_id=public_id).first()
    except (ValidationError, ValueError):
        return True, False
    if device is None:
        return True, False
    if device.erased_at is not None or not device.user.is_active:
        return True, True
    return not Membership.objects.filter(crt_id=device.crt_id, user_id=device.user_id,
                                         is_active=True).exists(), True


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def day_visits(*, crt, user, roles) -> list[Visit]:
    """The user's visits (not cancelled) of « Mes passages » of today, as the page lists them
    (``visits.selectors.my_today``: with the night that began yesterday evening until it is
    over, so that at 00:20 the night nurse still has her 23:40 visit), and of tomorrow; whole
    rows with what the phone shows, by start time."""
    today = timezone.localdate()
    ids = {v.pk for v in visit_selectors.my_today(crt=crt, user=user, roles=roles).visits}
    for i in range(1, DAYS):
        ids.update(v.pk for v in visit_selectors.my_day(crt=crt, user=user, roles=roles,
                                                        day=today + timedelta(days=i)))
    return list(Visit.objects.filter(pk__in=ids)
                .select_related("beneficiary__commune", "service").order_by("starts_at", "id"))


def _person(b, faces: dict, medical: dict, notes: list) -> dict:
    record = medical.get(b.pk)
    allergies = b.pk in faces["health"] and not (record and "allergies" in record.withheld)
    return {
        "name": b.display_name,
        "address": b.address,
        "commune": b.commune.name if b.commune_id else "",
        "phone": b.phone,
        "access_notes": b.access_notes,
        "key_box": (b.key_box_code or "") if b.pk in faces["key_box"] and b.has_key_box
        else None,
        "allergies": (record.allergies_summary if record else "non renseignées")
        if allergies else None,
        "notes": [{"at": _iso(n.created_at), "author": n.author.get_full_name(),
                   "category": n.get_category_display(), "text": n.text} for n in notes],
    }


def _last_notes(ids: set, *, health: set) -> dict[int, list]:
    """The last ``NOTES_KEPT`` notes of each person, health-only ones only where the health face
    is granted: one query, ranked by the database."""
    rank = Window(RowNumber(), partition_by=[F("beneficiary_id")],
                  order_by=[F("created_at").desc(), F("id").desc()])
    notes = (LiaisonNote.objects.filter(beneficiary_id__in=ids)
             .filter(Q(beneficiary_id__in=health) | ~Q(visibility=LiaisonNote.Visibility.HEALTH))
             .select_related("author").annotate(rank=rank).filter(rank__lte=NOTES_KEPT)
             .order_by("beneficiary_id", "-created_at", "-id"))
    by_person: dict[int, list] = {pk: [] for pk in ids}
    for note in notes:
        by_person[note.beneficiary_id].append(note)
    return by_person


def day_bundle(*, crt, user, roles) -> tuple[dict, list]:
    """The day a phone keeps, and the people in it with what was read of each (for the audit):
    ``(bundle, [(beneficiary, {"passages": n, ...})])``. What each person's entry holds is
    decided by the file policy's querysets (one query per face, whatever the number of
    people)."""
    now = timezone.now()
    today = timezone.localdate()
    visits = day_visits(crt=crt, user=user, roles=roles)
    # Today and tomorrow; yesterday first while the night that began then holds visits.
    days = sorted({today + timedelta(days=i) for i in range(DAYS)}
                  | {timezone.localtime(v.starts_at).date() for v in visits})
    people = {}
    for v in visits:
        people.setdefault(v.beneficiary_id, v.beneficiary)
    faces = {face: set(beneficiaries_for(face, crt=crt, user=user, roles=roles)
                       .filter(pk__in=list(people)).values_list("pk", flat=True))
             for face in ("key_box", "health", "liaison")} if people else {
        "key_box": set(), "health": set(), "liaison": set()}
    readable = medical_fields(crt=crt, user=user, roles=roles) if faces["health"] else set()
    medical = {m.beneficiary_id: medical_section(m, readable) for m in MedicalRecord.objects
               .filter(beneficiary_id__in=faces["health"])}
    notes = _last_notes(faces["liaison"], health=faces["health"]) if faces["liaison"] else {}
    tasks = visit_selectors.tasks_of(visits)
    health = bool(faces["health"])
    bundle = {
        "generated_at": _iso(now),
        "expires_at": _iso(now + MAX_AGE),
        "user": user.get_full_name() or user.username,
        # The zone the phone shows times and dates in (settings.TIME_ZONE), never its own.
        "time_zone": timezone.get_current_timezone_name(),
        "days": [{"date": d.isoformat(), "title": date_format(d, "l j F Y")} for d in days],
        "choices": {
            "not_done_reasons": Visit.NotDoneReason.choices,
            "note_categories": LiaisonNote.Category.choices,
            "note_visibilities": [c for c in LiaisonNote.Visibility.choices
                                  if health or c[0] != LiaisonNote.Visibility.HEALTH],
            "alert_kinds": [c for c in Alert.Kind.choices
                            if c[0] not in (Alert.Kind.MISSED_VISIT, Alert.Kind.VITAL_SIGN)],
            "alert_severities": Alert.Severity.choices,
        },
        "visits": [{
            "id": str(v.public_id), "version": v.version,
            "date": timezone.localtime(v.starts_at).date().isoformat(),
            "start": _iso(v.starts_at), "end": _iso(v.ends_at),
            # When it may be traced, as online (an hour ahead): the phone's clock decides.
            "trace_opens": _iso(v.starts_at - TRACE_AHEAD),
            "status": v.status, "status_label": v.get_status_display(),
            "actual_start": _iso(v.actual_start), "actual_end": _iso(v.actual_end),
            "label": v.label, "place": v.place, "instructions": v.instructions,
            "two_person": v.two_person, "person": str(v.beneficiary.public_id),
            "tasks": [{"id": str(a.public_id), "text": a.description}
                      for a in tasks.get(v.pk, [])],
        } for v in visits],
        "people": {str(b.public_id): _person(b, faces, medical, notes.get(pk, []))
                   for pk, b in people.items()},
    }
    read = [(b, {"passages": sum(1 for v in visits if v.beneficiary_id == pk),
                 "code de la boîte à clés": bundle["people"][str(b.public_id)]["key_box"]
                 is not None,
                 "allergies": bundle["people"][str(b.public_id)]["allergies"] is not None,
                 "transmissions": len(notes.get(pk, []))})
            for pk, b in people.items()]
    return bundle, read
