"""Optimistic locking and validation helpers shared by every app's services."""

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils import timezone

from .errors import ConflictError, DomainError

_unchecked_uniqueness: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "maillage_unchecked_uniqueness", default=False)


@contextmanager
def uniqueness_left_to_database() -> Iterator[None]:
    """For a block, ``validate`` does not query the database for the uniqueness rules (unique
    fields and constraints): the database still enforces them, with an ``IntegrityError``
    instead of a French message. Only for writes that cannot break them by construction (the
    demo's loading: one to three queries saved per validated row)."""
    token = _unchecked_uniqueness.set(True)
    try:
        yield
    finally:
        _unchecked_uniqueness.reset(token)


def validate(instance: Model, *, exclude: Iterable[str] | None = None) -> None:
    """``full_clean`` turned into a ``DomainError`` on the first failing field (French)."""
    checked = not _unchecked_uniqueness.get()
    try:
        instance.full_clean(exclude=list(exclude) if exclude else None,
                            validate_unique=checked, validate_constraints=checked)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, errors = next(iter(exc.message_dict.items()))
            raise DomainError(errors[0], field=None if field == "__all__" else field) from exc
        raise DomainError(exc.messages[0]) from exc


def snapshot(instance: Model, fields: Iterable[str]) -> dict:
    return {f: getattr(instance, f) for f in fields}


def changes(before: dict, instance: Model) -> dict:
    """What changed, for the audit trail: {field: {"avant": ..., "après": ...}}."""
    return {
        f: {"avant": _str(old), "après": _str(getattr(instance, f))}
        for f, old in before.items()
        if old != getattr(instance, f)
    }


def _str(value) -> str:
    return "" if value is None else str(value)


def save_versioned(instance: Model, *, actor, version: int, fields: Iterable[str]) -> None:
    """Write ``fields`` of ``instance`` only if the row is still at ``version``; bump it.

    Raises ``ConflictError`` when someone else saved the record since ``version`` was read.
    """
    fields = list(fields)
    now = timezone.now()
    updated = (
        type(instance)
        ._default_manager.filter(pk=instance.pk, version=version)
        .update(
            version=F("version") + 1,
            updated_by=actor,
            updated_at=now,
            **{f: getattr(instance, f) for f in fields},
        )
    )
    if updated != 1:
        raise ConflictError()
    instance.version = version + 1
    instance.updated_by = actor
    instance.updated_at = now
