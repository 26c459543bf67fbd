"""The permission matrix and tenancy of the API, walked from the URLconf like the screens'
(``core/tests/test_access.py``, ``test_tenancy.py``), with bearer tokens instead of sessions."""

import uuid

import pytest
from django.urls import reverse

from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.core.tests.routes import OBJECT_ROUTES
from maillage.core.tests.urlwalk import all_routes

from .helpers import bearer, issue

API_ROUTES = [r for r in all_routes() if r.api and r.access != "public"]
PUBLIC_API_ROUTES = [r for r in all_routes() if r.api and r.access == "public"]
PERMISSION_ROUTES = [r for r in API_ROUTES if r.access != "login_only"]


def _url(route, crt, user=None, roles=()):
    kwargs = OBJECT_ROUTES[route.name](crt, user, set(roles)) if route.kwargs else {}
    return reverse(route.name, kwargs=kwargs)


def test_the_walk_covers_the_registry():
    from maillage.interop.fhir.registry import RESOURCES

    names = {r.name for r in PERMISSION_ROUTES}
    for rt in RESOURCES.values():
        routes = {f"interop:{rt.type.lower()}_read"}
        if rt.searchable:  # a type only read by id (Binary) has no search route
            routes.add(f"interop:{rt.type.lower()}_search")
        assert routes <= names


@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_permission_matrix(route, client, users, crt_a):
    for role in Role:
        url = _url(route, crt_a, users[role.value], {role})
        response = client.get(url, **bearer(users[role.value], crt_a))
        if has_permission({role}, route.access):
            assert response.status_code == 200, (route.name, role)
        else:
            assert response.status_code == 403, (route.name, role)
            assert issue(response)["code"] == "forbidden"


@pytest.mark.parametrize("route", PUBLIC_API_ROUTES, ids=lambda r: r.name)
def test_public_endpoints_need_no_token(route, client, db):
    assert client.get(reverse(route.name)).status_code == 200


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_no_token_is_401(route, client, crt_a):
    response = client.get(_url(route, crt_a))
    assert response.status_code == 401
    assert issue(response)["code"] == "login"


@pytest.mark.parametrize("route", [r for r in PERMISSION_ROUTES if r.kwargs],
                         ids=lambda r: r.name)
def test_other_crt_and_forged_ids_get_404(route, client, crt_a, user_b, crt_b):
    kwargs = OBJECT_ROUTES[route.name](crt_a, None, set())
    headers = bearer(user_b, crt_b)
    response = client.get(reverse(route.name, kwargs=kwargs), **headers)
    assert response.status_code == 404, route.name
    assert issue(response)["code"] == "not-found"
    forged = {k: uuid.uuid4() if isinstance(v, uuid.UUID) else v for k, v in kwargs.items()}
    assert client.get(reverse(route.name, kwargs=forged), **headers).status_code == 404


# --- writes (POST /<Type>; PUT and DELETE in the resources' own tests) --------------------
def _writable():
    from maillage.interop.fhir.registry import RESOURCES

    return [rt for rt in RESOURCES.values() if rt.create]


def test_every_writable_type_has_an_example():
    from .write_examples import EXAMPLES, MODELS

    assert {rt.type for rt in _writable()} <= set(EXAMPLES) & set(MODELS)


@pytest.mark.parametrize("rt", _writable(), ids=lambda rt: rt.type)
def test_write_permission_matrix(rt, client, users, crt_a):
    """Each role posts about a person whose file it shares: created when its roles hold the
    read and write permissions, 403 (nothing written) otherwise."""
    from django.apps import apps

    from maillage.beneficiaries.tests.factories import shared_file

    from .write_examples import EXAMPLES, MODELS, post

    model = apps.get_model(MODELS[rt.type])
    for role in Role:
        user = users[role.value]
        b = shared_file(crt_a, user, {role})
        before = model.objects.count()
        response = post(client, f"/fhir/R4/{rt.type}", EXAMPLES[rt.type](b.public_id),
                        bearer(user, crt_a))
        if has_permission({role}, rt.permission) and has_permission({role}, rt.write_permission):
            assert response.status_code == 201, (rt.type, role, response.content)
            assert model.objects.count() == before + 1
        else:
            assert response.status_code == 403, (rt.type, role)
            assert issue(response)["code"] == "forbidden"
            assert model.objects.count() == before


@pytest.mark.parametrize("rt", _writable(), ids=lambda rt: rt.type)
def test_writes_about_another_crts_person_are_404(rt, client, crt_a, user_b, crt_b):
    from maillage.beneficiaries.tests.factories import shared_file

    from .write_examples import EXAMPLES, post

    b = shared_file(crt_a)
    response = post(client, f"/fhir/R4/{rt.type}", EXAMPLES[rt.type](b.public_id),
                    bearer(user_b, crt_b))
    assert response.status_code == 404, response.content
    assert issue(response)["code"] == "not-found"
