"""Requests no page sends, answered like any bad input (found by a form-aware fuzz pass on
PostgreSQL): a NUL character in the address or in a picker's typed name, and a hidden version
sent back altered. Each used to fail with a 500 (a ``DataError`` on PostgreSQL, a
``ValueError`` on both engines)."""

from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import Alert, CarePlanVersion
from maillage.care.tests.factories import filled, plan_version
from maillage.core.permissions import has_permission
from maillage.core.roles import Role
from maillage.core.tests.routes import OBJECT_ROUTES
from maillage.core.tests.urlwalk import all_routes
from maillage.visits.models import Visit

ALTERED = ["abc", "99999999999999999999", "-1", "1e400", ""]
STALE = "Rechargez la page"
ERROR = 'class="alert alert-danger"'


def test_a_nul_in_the_address_is_dropped_before_the_search(client_for):
    client = client_for("coordinator")
    response = client.get(reverse("territory:commune_list"), {"q": "Sau\x00mur"})
    assert response.status_code == 200
    assert 'value="Saumur"' in response.content.decode()


def test_a_nul_in_a_typed_name_is_dropped_before_the_search(client_for):
    client = client_for("coordinator")
    response = client.post(reverse("oncall:shift_add"), {
        "preset": "night", "first_day": timezone.localdate().isoformat(), "days": "1",
        "duty": "answer_travel", "staff_q": "Zorg\x00lub"})
    assert response.status_code == 400
    assert "Personne ne correspond à « Zorglub » : vérifiez l'orthographe." in \
        unescape(response.content.decode())


def _role_for(route_name: str) -> Role:
    route = next(r for r in all_routes() if r.name == route_name)
    return next(role for role in (Role.COORDINATOR, *Role)
                if has_permission({role}, route.access))


#: The actions that send back a row's version in a hidden field and answer with a redirect.
VERSIONED_ACTIONS = ["care:alert_acknowledge", "visits:cancel",
                     "surveys:question_remove", "surveys:collection_toggle",
                     "territory:annuaire_import_cancel"]


@pytest.mark.parametrize("route_name", VERSIONED_ACTIONS)
def test_an_altered_version_is_a_conflict_not_a_failure(route_name, crt_a, users, client):
    role = _role_for(route_name)
    client.force_login(users[role])
    url = reverse(route_name, kwargs=OBJECT_ROUTES[route_name](crt_a, users[role], {role}))
    for value in ALTERED:
        response = client.post(url, {"version": value}, follow=True)
        assert response.status_code == 200, value
        page = response.content.decode()
        assert ERROR in page and STALE in page, value


def test_nothing_is_changed_by_an_altered_version(crt_a, users, client):
    kwargs = OBJECT_ROUTES["care:alert_acknowledge"](crt_a, users["coordinator"],
                                                     {"coordinator"})
    client.force_login(users["coordinator"])
    client.post(reverse("care:alert_acknowledge", kwargs=kwargs), {"version": "abc"})
    assert Alert.objects.get(public_id=kwargs["item_id"]).acknowledged_at is None

    kwargs = OBJECT_ROUTES["visits:cancel"](crt_a, users["coordinator"], {"coordinator"})
    url = reverse("visits:cancel", kwargs=kwargs)
    for data in ({"version": "99999999999999999999"},
                 {"scope": "following", "series_version": "abc"}):
        client.post(url, data)
        assert Visit.objects.get(public_id=kwargs["visit_id"]).status == Visit.Status.PLANNED


def test_a_complete_plan_is_not_validated_on_an_altered_version(crt_a, users, client):
    b = shared_file(crt_a, users["coordinator"], {"coordinator"})
    version = filled(plan_version(b, situation_summary="Vit seule, chutes la nuit.",
                                  referent=users["coordinator"]), users["coordinator"])
    client.force_login(users["coordinator"])
    url = reverse("care:plan_validate", kwargs={"public_id": b.public_id, "number": 1})
    for value in ALTERED:
        page = client.post(url, {"version": value}, follow=True).content.decode()
        assert ERROR in page and STALE in page, value
        version.refresh_from_db()
        assert version.status == CarePlanVersion.Status.DRAFT
    client.post(url, {"version": version.version})
    version.refresh_from_db()
    assert version.status == CarePlanVersion.Status.VALIDATED  # the page's own version does
