"""Write the audit trail (``AuditEvent``): every write and every read of health data.

Services call ``audit_log`` inside their transaction. The request context (IP address, browser,
roles, CRT) is captured once per request by ``CurrentCrtMiddleware`` into a context variable, so
services only pass the actor and what happened.
"""

import contextvars
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.text import capfirst

from .models import AuditEvent, Crt


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    roles: tuple[str, ...] = field(default_factory=tuple)
    crt: Crt | None = None


_request_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "maillage_audit_request_context", default=None
)


def set_request_context(ctx: RequestContext | None) -> contextvars.Token:
    return _request_context.set(ctx)


def reset_request_context(token: contextvars.Token) -> None:
    _request_context.reset(token)


def client_ip(request) -> str | None:
    # The proxy count is configured for django-axes; reuse its resolution of the client address.
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def audit_log(
    *,
    actor,
    action: str,
    crt: Crt | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    beneficiary: Any = None,
    reason: str = "",
    emergency: bool = False,
    details: dict | None = None,
) -> AuditEvent:
    """Append one event. ``obj`` (any model with ``public_id``) fills the object fields.

    ``action`` must be declared by an app (``audit_actions.py``); an unknown one raises
    ``UnknownAuditActionError``. The object is labelled by its type, date and short id
    (``object_label_for``), never by ``str(obj)``: the auditor reads these labels, and some
    objects' text is health data. A caller-provided ``object_label`` may name a person (identity,
    not health data), never carry free text. ``details`` diffs (``changes()``) on models holding
    health data keep their values only for structured fields (``safe_details``).
    """
    event = _event(actor=actor, action=action, crt=crt, obj=obj, object_type=object_type,
                   object_id=object_id, object_label=object_label, beneficiary=beneficiary,
                   reason=reason, emergency=emergency, details=details)
    event.save(force_insert=True)
    return event


def audit_log_many(*, actor, events: Iterable[dict]) -> list[AuditEvent]:
    """Several events of one write in one insert (a group registered at once): each of
    ``events`` holds ``audit_log``'s arguments but the actor, with the same checks and labels."""
    return AuditEvent.objects.bulk_create([_event(actor=actor, **e) for e in events])


def _event(*, actor, action: str, crt: Crt | None = None, obj: Any = None,
           object_type: str = "", object_id: str = "", object_label: str = "",
           beneficiary: Any = None, reason: str = "", emergency: bool = False,
           details: dict | None = None) -> AuditEvent:
    action = check_action(action)
    ctx = _request_context.get() or RequestContext()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", "") or obj.pk)
        object_label = object_label or object_label_for(obj)
        details = safe_details(obj, details)
    if crt is None:
        crt = getattr(obj, "crt", None) if obj is not None else None
        crt = crt or ctx.crt
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        occurred_at=timezone.now(),
        crt=crt,
        actor=actor_obj,
        actor_label=(
            f"{actor_obj.get_full_name() or actor_obj.username} ({actor_obj.username})"
            if actor_obj
            else ""
        )[:200],
        roles=",".join(ctx.roles)[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:200],
        beneficiary_public_id=getattr(beneficiary, "public_id", None),
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent[:300],
        reason=reason,
        is_emergency_access=emergency,
        details=details or {},
    )


def audit_log_for_crts(*, actor, action: str, crts: Iterable[Crt], object_type: str = "",
                       object_id: str = "", object_label: str = "",
                       details: dict | None = None) -> list[AuditEvent]:
    """One event per CRT of ``crts``, in one insert: a read that covers several CRTs at once
    (the ARS's regional view) is in the trail of each CRT it showed, where that CRT's DPO reads
    it. No person is named: ``details`` hold the page's parameters only."""
    action = check_action(action)
    ctx = _request_context.get() or RequestContext()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    label = (f"{actor_obj.get_full_name() or actor_obj.username} ({actor_obj.username})"
             if actor_obj else "")[:200]
    now = timezone.now()
    return AuditEvent.objects.bulk_create([
        AuditEvent(occurred_at=now, crt=crt, actor=actor_obj, actor_label=label,
                   roles=",".join(ctx.roles)[:200], action=action, object_type=object_type,
                   object_id=object_id, object_label=object_label[:200],
                   ip_address=ctx.ip_address, user_agent=ctx.user_agent[:300],
                   details=details or {})
        for crt in crts])


#: Attributes giving an object's date, first found wins (all are structured, never free text).
_DATE_ATTRIBUTES = ("occurred_at", "received_at", "starts_at", "created_at")


def object_label_for(obj: Any) -> str:
    """« Transmission du 03/12/2026 (a1b2c3d4) »: the French type, a date and a short id."""
    label = capfirst(str(obj._meta.verbose_name))
    for name in _DATE_ATTRIBUTES:
        value = obj.__dict__.get(name)  # a loaded field only: no query, no property
        if isinstance(value, datetime):
            value = timezone.localtime(value) if timezone.is_aware(value) else value
        if isinstance(value, date):
            label += f" du {value:%d/%m/%Y}"
            break
    short_id = str(getattr(obj, "public_id", "") or obj.pk or "")[:8]
    return f"{label} ({short_id})" if short_id else label


_STRUCTURED_FIELDS = (
    models.BooleanField,
    models.DateField,  # DateTimeField included
    models.TimeField,
    models.DurationField,
    models.IntegerField,
    models.DecimalField,
    models.FloatField,
    models.UUIDField,
)
_MASKED = "(texte non repris dans le journal)"


def _is_structured(field) -> bool:
    return bool(getattr(field, "choices", None)) or isinstance(field, _STRUCTURED_FIELDS)


def _registered(obj: Any) -> tuple[set[str], bool]:
    """The health-data/secret fields of ``obj``'s model (``core.health_data``), and whether the
    model holds health data."""
    from .health_data import registry

    found = [r for r in registry() if r.model == obj._meta.label]
    return {f for r in found for f in r.fields}, any(r.kind == "health" for r in found)


def safe_details(obj: Any, details: dict | None) -> dict | None:
    """Mask, in a ``changes()`` diff (``{field: {"avant", "après"}}``), the values the audit
    trail must not hold: every registered health-data or secret field, and on a model holding
    health data (a note, a call, a visit…) every free-text field too. Structured values
    (choices, dates, numbers, yes/no) stay."""
    if not details:
        return details
    registered, holds_health = _registered(obj)
    if not registered:
        return details
    safe = {}
    for key, value in details.items():
        if isinstance(value, dict) and set(value) == {"avant", "après"}:
            try:
                field = obj._meta.get_field(key)
            except FieldDoesNotExist:
                field = None
            free_text = field is None or not _is_structured(field)
            if key in registered or (holds_health and free_text):
                value = {"avant": _MASKED if value["avant"] else "",
                         "après": _MASKED if value["après"] else ""}
        safe[key] = value
    return safe


# --- The registry of audited actions ----------------------------------------------------------
# Each app declares its actions in its ``audit_actions.py`` (a ``TextChoices`` decorated with
# ``register_actions``), discovered by ``CoreConfig.ready()``: core never lists another app's
# actions, and ``audit_log`` refuses an action nobody declared, so a typo fails in the tests.


@dataclass(frozen=True)
class ActionInfo:
    code: str
    label: str
    module: str
    group: str = ""


_ACTIONS: dict[str, ActionInfo] = {}


class UnknownAuditActionError(ValueError):
    pass


def register_actions(choices=None, *, group: str = ""):
    """Declare an app's audited actions: ``@register_actions`` on a ``TextChoices`` whose values
    are the action codes and whose labels are French. ``group`` (default: the app's
    ``verbose_name``) titles them in the audit list's action filter."""

    def decorator(cls):
        for member in cls:
            code, label = str(member.value), str(member.label)
            known = _ACTIONS.get(code)
            if known is not None and known.module != cls.__module__:
                raise ImproperlyConfigured(
                    f"Audit action {code!r} declared twice ({known.module}, {cls.__module__})."
                )
            if not label or label == code:
                raise ImproperlyConfigured(f"Audit action {code!r} needs a French label.")
            _ACTIONS[code] = ActionInfo(code=code, label=label, module=cls.__module__,
                                        group=group)
        return cls

    return decorator(choices) if choices is not None else decorator


def discover_actions() -> None:
    """Import every installed app's ``audit_actions`` module (called by ``CoreConfig.ready``)."""
    autodiscover_modules("audit_actions")


def declared_actions() -> dict[str, ActionInfo]:
    return dict(_ACTIONS)


def check_action(action: str) -> str:
    code = str(action)
    if code not in _ACTIONS:
        raise UnknownAuditActionError(
            f"Unknown audit action {code!r}: declare it, with its French label, in the owning "
            "app's audit_actions.py."
        )
    return code


def _group_of(info: ActionInfo) -> str:
    if info.group:
        return info.group
    config = django_apps.get_containing_app_config(info.module)
    return str(config.verbose_name) if config else ""


# --- Who the events are about ---------------------------------------------------------------
# Events store the person's public id only. The app owning the persons (beneficiaries) contributes
# how to find them by name and how to name them, so the audit list searches and shows names
# without core importing it.


@dataclass(frozen=True)
class PersonLookup:
    #: (crt, text) → a queryset of the public ids of the persons whose name matches (a subquery).
    search: Callable[[Crt, str], QuerySet]
    #: (crt, public ids) → {public id: display name}, in one query.
    names: Callable[[Crt, Iterable[uuid.UUID]], dict[uuid.UUID, str]]
    #: public id → the URL of that person's access history for the DPO.
    history_url: Callable[[uuid.UUID], str]


_person_lookup: list[PersonLookup] = []


def register_person_lookup(*, search, names, history_url) -> None:
    _person_lookup[:] = [PersonLookup(search=search, names=names, history_url=history_url)]


def person_lookup() -> PersonLookup | None:
    return _person_lookup[0] if _person_lookup else None


def action_label(action: str) -> str:
    """The French label of ``action`` (the code itself for an event older than its declaration)."""
    info = _ACTIONS.get(str(action))
    return info.label if info else str(action)


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every declared action as grouped choices (group title, [(code, label)]), sorted by label."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for info in _ACTIONS.values():
        groups.setdefault(_group_of(info), []).append((info.code, info.label))
    return [
        (group, sorted(items, key=lambda item: item[1].lower()))
        for group, items in sorted(groups.items())
    ]
