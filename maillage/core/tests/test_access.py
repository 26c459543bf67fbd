"""Deny by default and the permission matrix: every role × every view, walked from the URLconf."""

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path, reverse

from maillage.core.permissions import MATRIX, has_permission
from maillage.core.roles import Role

from .routes import OBJECT_ROUTES, POST_ONLY
from .urlwalk import all_routes

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


def _url(route, crt, user=None, roles=()):
    kwargs = OBJECT_ROUTES[route.name](crt, user, set(roles)) if route.kwargs else {}
    return reverse(route.name, kwargs=kwargs)


PERMISSION_ROUTES = [r for r in ROUTES if r.access not in {"public", "login_only"}]


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_permission_matrix(route, role, client, users, crt_a):
    client.force_login(users[role])
    response = client.get(_url(route, crt_a, users[role], {role}))
    if has_permission({role}, route.access):
        expected = 405 if route.name in POST_ONLY else 200
        assert response.status_code == expected, (route.name, role)
    else:
        assert response.status_code == 403, (route.name, role)
        assert "Accès refusé" in response.content.decode()


@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_anonymous_is_sent_to_login(route, client, crt_a):
    response = client.get(_url(route, crt_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize("route", PERMISSION_ROUTES, ids=lambda r: r.name)
def test_user_without_active_membership_sees_nothing(route, client, crt_a, make_user):
    from maillage.core.tests.factories import member

    lonely = make_user(None, username="lonely")
    member(lonely, crt_a, Role.COORDINATOR, Role.AUDITOR, is_active=False)
    client.force_login(lonely)
    response = client.get(_url(route, crt_a))
    assert response.status_code == 403
    assert "Aucun accès actif" in response.content.decode()
