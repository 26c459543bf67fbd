"""Item 5 of the access review: every read of registered health data or secrets is audited.

The walk takes every URL pattern (no hand-written list), and for each role allowed to open it
builds an object that role may legitimately reach (``core/tests/routes.py``), writes a marker
into every registered field (``core.health_data``), opens the page, and fails when a marker is
shown without an audit event written by that request."""

from functools import cache

import pytest
from django.urls import reverse

from maillage.core.health_data import registry
from maillage.core.models import AuditEvent
from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.core.tests.routes import OBJECT_ROUTES, POST_ONLY
from maillage.core.tests.urlwalk import all_routes
from maillage.core.tests.worlds import committed_world

ROUTES = [r for r in all_routes()
          if r.access not in {"public", "login_only", None} and r.name not in POST_ONLY]


def _markers() -> dict[str, tuple[str, str]]:
    markers = {}
    for entry in registry():
        for field in entry.fields:
            markers[f"ZQMARK{len(markers):02d}X"] = (entry.model, field)
    return markers


MARKERS = _markers()


def test_the_registry_names_real_fields():
    assert len(MARKERS) >= 20
    for model, field in MARKERS.values():
        registered = next(e for e in registry() if e.model == model)
        registered.model_class._meta.get_field(field)  # raises if misspelt


@cache
def _markers_by_model() -> tuple[tuple[type, dict[str, str]], ...]:
    """MARKERS grouped by model: ``(model class, {field: marker})``."""
    grouped: dict[str, dict[str, str]] = {}
    for marker, (model, field) in MARKERS.items():
        grouped.setdefault(model, {})[field] = marker
    return tuple((next(e for e in registry() if e.model == model).model_class, fields)
                 for model, fields in grouped.items())


def _seed(crt) -> None:
    """Every registered field of CRT A's rows set to its marker (one UPDATE per model)."""
    for model_class, fields in _markers_by_model():
        model_class.objects.filter(crt=crt).update(**fields)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """CRT A and one signed-in user per role, committed once for the walk."""
    with committed_world(django_db_blocker) as world:
        yield world


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_health_data_shown_is_audited(route, client, world, db):
    crt_a = world.crt
    unaudited = []
    for role in Role:
        if not has_permission({role}, route.access):
            continue
        user = world.users[role]
        kwargs = OBJECT_ROUTES[route.name](crt_a, user, {role}) if route.kwargs else {}
        _seed(crt_a)
        world.sign_in(client, role)
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = client.get(reverse(route.name, kwargs=kwargs))
        content = response.content.decode(errors="replace") if response.status_code == 200 \
            and not response.streaming else ""
        shown = sorted({f"{m}.{f}" for marker, (m, f) in MARKERS.items() if marker in content})
        if shown and not AuditEvent.objects.filter(id__gt=last, actor=user).exists():
            unaudited.append((role.value, shown))
    assert unaudited == [], f"{route.name}: health data shown without an audit event"
