"""Tenant isolation: another CRT's objects answer 404, whatever the role; the CRT switch."""

import uuid

import pytest
from django.http import Http404
from django.urls import reverse

from maillage.core.roles import Role
from maillage.core.tenancy import get_for_crt
from maillage.territory.models import Commune
from maillage.territory.tests.factories import CommuneFactory

from .factories import member
from .helpers import visible_text
from .routes import CRT_NEUTRAL_ROUTES, OBJECT_ROUTES, POST_ONLY
from .urlwalk import all_routes

# Screens only: the API's routes (bearer tokens) are walked for tenancy by
# ``maillage/interop/tests/test_api_walk.py`` with the same ``OBJECT_ROUTES``.
OBJECT_ROUTE_LIST = [r for r in all_routes() if r.kwargs and r.access != "public"
                     and r.name not in CRT_NEUTRAL_ROUTES and not r.api]
NEUTRAL_ROUTE_LIST = [r for r in all_routes() if r.name in CRT_NEUTRAL_ROUTES and not r.api]
API_OBJECT_ROUTE_LIST = [r for r in all_routes() if r.kwargs and r.api]
PUBLIC_OBJECT_ROUTES = [r for r in all_routes() if r.kwargs and r.access == "public"]


def test_every_object_route_is_covered():
    missing = [
        r.name for r in OBJECT_ROUTE_LIST + PUBLIC_OBJECT_ROUTES + NEUTRAL_ROUTE_LIST
        + API_OBJECT_ROUTE_LIST if r.name not in OBJECT_ROUTES
    ]
    assert missing == [], f"Add these routes to core/tests/routes.py: {missing}"


@pytest.mark.parametrize("route", NEUTRAL_ROUTE_LIST, ids=lambda r: r.name)
def test_crt_neutral_routes_answer_for_the_users_own_crt(route, client, crt_a, user_b):
    """The same URL in CRT B is CRT B's page; a value naming nothing answers 404."""
    kwargs = OBJECT_ROUTES[route.name](crt_a, None, set())
    client.force_login(user_b)
    response = client.get(reverse(route.name, kwargs=kwargs))
    assert response.status_code == 200, route.name
    assert "CRT A" not in response.content.decode()
    unknown = {k: "inconnu" for k in kwargs}
    assert client.get(reverse(route.name, kwargs=unknown)).status_code == 404


@pytest.mark.parametrize("route", OBJECT_ROUTE_LIST, ids=lambda r: r.name)
def test_other_crt_gets_404_on_every_object_url(route, client, crt_a, user_b):
    url = reverse(route.name, kwargs=OBJECT_ROUTES[route.name](crt_a, None, set()))
    client.force_login(user_b)
    if route.name in POST_ONLY:
        response = client.post(url)
    else:
        response = client.get(url)
        # A POST either meets the same 404 or, on a read-only page, 405 (reveals nothing).
        assert client.post(url).status_code in {404, 405}, route.name
    assert response.status_code == 404, route.name
    assert "Page introuvable" in visible_text(response)


@pytest.mark.parametrize("route", OBJECT_ROUTE_LIST, ids=lambda r: r.name)
def test_forged_public_id_gets_404(route, client, crt_a, user_b):
    kwargs = OBJECT_ROUTES[route.name](crt_a, None, set())
    forged = {k: uuid.uuid4() if isinstance(v, uuid.UUID) else v for k, v in kwargs.items()}
    client.force_login(user_b)
    send = client.post if route.name in POST_ONLY else client.get
    assert send(reverse(route.name, kwargs=forged)).status_code == 404
    malformed = reverse(route.name, kwargs=kwargs).replace(str(next(iter(kwargs.values()))), "1")
    assert send(malformed).status_code == 404


@pytest.mark.parametrize("route", PUBLIC_OBJECT_ROUTES, ids=lambda r: r.name)
def test_public_pages_of_an_unknown_crt_answer_404(route, client, crt_a):
    kwargs = {k: uuid.uuid4() if isinstance(v, uuid.UUID) else v
              for k, v in OBJECT_ROUTES[route.name](crt_a, None, set()).items()}
    assert client.get(reverse(route.name, kwargs=kwargs)).status_code == 404


def test_get_for_crt_refuses_other_crt_and_bad_ids(crt_a, crt_b):
    commune = CommuneFactory(crt=crt_a)
    assert get_for_crt(Commune, crt_a, commune.public_id) == commune
    for crt, public_id in [(crt_b, commune.public_id), (crt_a, uuid.uuid4()), (crt_a, "x")]:
        with pytest.raises(Http404):
            get_for_crt(Commune, crt, public_id)


def test_lists_show_only_own_crt(client, users, crt_a, crt_b):
    CommuneFactory(crt=crt_a, name="Candé")
    CommuneFactory(crt=crt_b, name="Durtal")
    client.force_login(users["coordinator"])
    page = client.get(reverse("territory:commune_list")).content.decode()
    assert "Candé" in page
    assert "Durtal" not in page


class TestCrtSwitch:
    @pytest.fixture
    def both(self, crt_a, crt_b, make_user):
        user = make_user(crt_a, Role.NURSE, username="night")
        member(user, crt_b, Role.COORDINATOR)
        return user

    def test_user_with_several_crts_must_choose(self, client, both):
        client.force_login(both)
        response = client.get(reverse("core:home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("core:crt_choose")
        page = client.get(reverse("core:crt_choose")).content.decode()
        assert "CRT A" in page and "CRT B" in page

    def test_switch_changes_what_is_shown(self, client, both, crt_a, crt_b):
        CommuneFactory(crt=crt_b, name="Durtal")
        client.force_login(both)
        response = client.post(reverse("core:crt_choose"), {"crt": str(crt_b.public_id)})
        assert response.status_code == 302
        home = client.get(reverse("core:home")).content.decode()
        assert "CRT B" in home
        # Coordinator in B: may see the territory of B, not of A.
        assert "Durtal" in client.get(reverse("territory:commune_list")).content.decode()
        client.post(reverse("core:crt_choose"), {"crt": str(crt_a.public_id)})
        # Nurse in A: the territory page is for the team, a nurse is in the team.
        assert "Durtal" not in client.get(reverse("territory:commune_list")).content.decode()

    def test_a_page_of_the_other_crt_offers_the_switch_back_to_it(self, client, both, crt_a,
                                                                  crt_b):
        """The other CRT was chosen in another tab: a page of the first CRT is « introuvable »
        here, and says which CRT is in use with the way to the other, back to this page."""
        from maillage.beneficiaries.tests.factories import shared_file

        file_a = shared_file(crt_a, both)
        url = reverse("beneficiaries:detail", kwargs={"public_id": file_a.public_id})
        client.force_login(both)
        client.post(reverse("core:crt_choose"), {"crt": str(crt_b.public_id)})
        response = client.get(url)
        assert response.status_code == 404
        text = visible_text(response)
        assert "Vous travaillez en ce moment pour le CRT B." in text
        assert "Passer au CRT A" in text and "Passer au CRT B" not in text
        assert f'name="next" value="{url}"' in response.content.decode()
        back = client.post(reverse("core:crt_choose"), {"crt": str(crt_a.public_id),
                                                        "next": url})
        assert back["Location"] == url and client.get(url).status_code == 200

    def test_unknown_crt_is_refused_with_a_message(self, client, both, make_user):
        other = make_user(None)
        from .factories import CrtFactory

        stranger = CrtFactory(name="CRT étranger")
        member(other, stranger, Role.COORDINATOR)
        client.force_login(both)
        for value in (str(stranger.public_id), "pas-un-identifiant", ""):
            response = client.post(reverse("core:crt_choose"), {"crt": value})
            assert response.status_code == 404
            assert "Ce CRT est inconnu ou vous n'en êtes pas membre." in visible_text(response)
        assert client.get(reverse("core:home")).status_code == 302  # still not chosen

    def test_inactive_crt_membership_is_ignored(self, client, crt_a, crt_b, make_user):
        user = make_user(crt_a, Role.NURSE)
        member(user, crt_b, Role.COORDINATOR, is_active=False)
        client.force_login(user)
        response = client.get(reverse("core:home"))
        assert response.status_code == 200
        assert "CRT A" in response.content.decode()
