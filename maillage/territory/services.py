"""Writes of the territory: every change goes through here, validated and audited."""

from django.core.exceptions import ValidationError
from django.db import transaction

from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import Crt

from .models import Commune

EDITABLE_FIELDS = ("postal_code", "name", "covers_volet1", "covers_volet2", "travel_minutes")


def _validate(commune: Commune) -> None:
    try:
        commune.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(messages[0], field=None if field == "__all__" else field) from exc
    if not (commune.covers_volet1 or commune.covers_volet2):
        raise DomainError(
            "Une commune du territoire est couverte au moins par un volet (1 ou 2).",
            field="covers_volet2",
        )


@transaction.atomic
def commune_create(
    *,
    actor,
    crt: Crt,
    insee_code: str,
    postal_code: str,
    name: str,
    travel_minutes: int,
    covers_volet1: bool = True,
    covers_volet2: bool = True,
) -> Commune:
    if Commune.objects.filter(crt=crt, insee_code=insee_code).exists():
        raise DomainError("Cette commune fait déjà partie du territoire.", field="insee_code")
    commune = Commune(
        crt=crt,
        insee_code=insee_code,
        postal_code=postal_code,
        name=name,
        travel_minutes=travel_minutes,
        covers_volet1=covers_volet1,
        covers_volet2=covers_volet2,
        created_by=actor,
        updated_by=actor,
    )
    _validate(commune)
    commune.save()
    audit_log(actor=actor, action="commune.created", obj=commune)
    return commune


@transaction.atomic
def commune_update(*, actor, commune: Commune, version: int, **changes) -> Commune:
    """Update the editable fields of ``commune``; ``version`` is the one the user loaded."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    before = {f: getattr(commune, f) for f in EDITABLE_FIELDS}
    for field, value in changes.items():
        setattr(commune, field, value)
    commune.updated_by = actor
    _validate(commune)
    # Optimistic locking: the row is written only if nobody changed it since it was loaded.
    updated = Commune.objects.filter(pk=commune.pk, version=version).update(
        version=version + 1,
        updated_by=actor,
        **{f: getattr(commune, f) for f in EDITABLE_FIELDS},
    )
    if updated != 1:
        raise ConflictError()
    commune.refresh_from_db()
    changed = {
        f: {"avant": str(before[f]), "après": str(getattr(commune, f))}
        for f in EDITABLE_FIELDS
        if before[f] != getattr(commune, f)
    }
    audit_log(actor=actor, action="commune.updated", obj=commune, details=changed)
    return commune
