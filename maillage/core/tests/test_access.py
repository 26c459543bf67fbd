"""Deny by default and the permission matrix: every role × every view, walked from the URLconf.

The matrix is about 2,500 requests: CRT A, its one user per role and, for the refusals, one
object per route are committed once for the module (``world``, each role signed in once); each
test runs in a rolled-back transaction and builds only what an allowed role must legitimately
reach."""

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path, reverse

from maillage.core.permissions import MATRIX, has_permission
from maillage.core.roles import Role

from .factories import UserFactory, member
from .routes import OBJECT_ROUTES, POST_ONLY
from .urlwalk import all_routes
from .worlds import committed_world

ROUTES = all_routes()


def test_every_view_declares_its_access():
    undeclared = [r.name for r in ROUTES if r.access is None]
    assert undeclared == [], f"Views without a declared permission: {undeclared}"


def test_every_declared_permission_exists_in_the_matrix():
    for route in ROUTES:
        if route.access not in {"public", "login_only"}:
            assert route.access in MATRIX, route.name


def undeclared_view(request):
    return HttpResponse("secret")


urlpatterns = [
    path("undeclared/", undeclared_view, name="undeclared"),
    path("", include("maillage.urls")),
]


@override_settings(ROOT_URLCONF=__name__)
def test_undeclared_view_is_refused_at_run_time(client, users):
    client.force_login(users["direction"])
    response = client.get("/undeclared/")
    assert response.status_code == 403
    assert b"secret" not in response.content


#: Screens (session). API views (bearer token, no session) are walked by the same matrix in
#: ``maillage/interop/tests/test_api_walk.py``.
PERMISSION_ROUTES = [r for r in ROUTES if r.access not in {"public", "login_only"} and not r.api]
API_ROUTES = [r for r in ROUTES if r.api and r.access != "public"]


def test_the_api_is_in_the_walk():
    assert API_ROUTES, "The FHIR API routes should be marked @api"


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_api_views_ignore_the_session(route, client, world, db):
    """A signed-in browser gets nothing from the API without a bearer token (no session
    authentication, hence no CSRF to forge)."""
    crt_world, _ = world
    crt_world.sign_in(client, "coordinator")
    kwargs = OBJECT_ROUTES[route.name](crt_world.crt, crt_world.users["coordinator"],
                                       {"coordinator"}) if route.kwargs else {}
    response = client.get(reverse(route.name, kwargs=kwargs))
    assert response.status_code == 401, route.name
    assert response["Content-Type"].startswith("application/fhir+json")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """CRT A, one signed-in user per role (``worlds.committed_world``) and, for every route
    about an object, the URL kwargs of one object built without a user: committed for the
    module, emptied after it."""
    with committed_world(django_db_blocker) as world:
        with django_db_blocker.unblock():
            anyone = {route.name: OBJECT_ROUTES[route.name](world.crt, None, set())
                      for route in PERMISSION_ROUTES if route.kwargs}
        yield world, anyone


@pytest.fixture
def crt_a(world, db):
    return world[0].crt


@pytest.fixture
def users(world, db):
    return world[0].users


def _url(route, crt, user=None, roles=(), *, anyone=None):
    """The route's URL; its object built for ``user`` (one they may reach), or the module's
    object built without a user when ``anyone`` is given (a refusal does not look at it)."""
    if not route.kwargs:
        return reverse(route.name)
    kwargs = anyone[route.name] if anyone is not None else \
        OBJECT_ROUTES[route.name](crt, user, set(roles))
    return reverse(route.name, kwargs=kwargs)


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_permission_matrix(route, role, client, world, db):
    crt_world, anyone = world
    allowed = has_permission({role}, route.access)
    crt_world.sign_in(client, role)
    response = client.get(_url(route, crt_world.crt, crt_world.users[role], {role},
                               anyone=None if allowed else anyone))
    if allowed:
        expected = 405 if route.name in POST_ONLY else 200
        assert response.status_code == expected, (route.name, role)
    else:
        assert response.status_code == 403, (route.name, role)
        assert "Accès refusé" in response.content.decode()


@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_anonymous_is_sent_to_login(route, client, world, db):
    response = client.get(_url(route, world[0].crt, anyone=world[1]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_user_without_active_membership_sees_nothing(route, client, world, db):
    lonely = UserFactory(username="lonely")
    member(lonely, world[0].crt, Role.COORDINATOR, Role.AUDITOR, is_active=False)
    client.force_login(lonely)
    response = client.get(_url(route, world[0].crt, anyone=world[1]))
    assert response.status_code == 403
    assert "Aucun accès actif" in response.content.decode()
