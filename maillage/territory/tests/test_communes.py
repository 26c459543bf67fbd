"""The territory pages: search, edit with validation, conflicts and audit."""

import pytest
from django.urls import reverse

from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import table_text, visible_text
from maillage.territory import services
from maillage.territory.models import Commune

from .factories import CommuneFactory


@pytest.fixture
def candé(crt_a):
    return CommuneFactory(crt=crt_a, insee_code="49054", postal_code="49440", name="Candé",
                          travel_minutes=18)


def edit_url(commune):
    return reverse("territory:commune_edit", kwargs={"public_id": commune.public_id})


def form_data(commune, **changes):
    data = {
        "name": commune.name,
        "postal_code": commune.postal_code,
        "covers_volet1": "on" if commune.covers_volet1 else "",
        "covers_volet2": "on" if commune.covers_volet2 else "",
        "travel_minutes": commune.travel_minutes,
        "version": commune.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


class TestList:
    def test_search_by_name_code_and_volet(self, client, users, crt_a, candé):
        CommuneFactory(crt=crt_a, insee_code="49175", name="Loiré", covers_volet2=False)
        client.force_login(users["nurse"])
        url = reverse("territory:commune_list")
        assert "Candé" in table_text(client.get(url, {"q": "cand"}))
        assert "Loiré" not in table_text(client.get(url, {"q": "49054"}))
        volet2 = table_text(client.get(url, {"volet": "2"}))
        assert "Candé" in volet2 and "Loiré" not in volet2
        assert "Aucune commune ne correspond" in visible_text(client.get(url, {"q": "zzz"}))

    def test_htmx_returns_only_the_rows(self, client, users, candé):
        client.force_login(users["nurse"])
        response = client.get(reverse("territory:commune_list"), {"q": "Can"},
                              HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert "<table" in html and "<html" not in html

    def test_nurse_sees_no_edit_link(self, client, users, candé):
        client.force_login(users["nurse"])
        assert "Modifier" not in visible_text(client.get(reverse("territory:commune_list")))
        client.force_login(users["coordinator"])
        assert "Modifier Candé" in visible_text(client.get(reverse("territory:commune_list")))

    def test_query_budget(self, client, users, crt_a, django_assert_max_num_queries):
        for _ in range(60):
            CommuneFactory(crt=crt_a)
        client.force_login(users["coordinator"])
        # Session, user, memberships, notifications, 3 for the list, 3 for the session refresh.
        # incl. the « Messages » badge: its stored counter, and its rule while there is none.
        with django_assert_max_num_queries(12):
            assert client.get(reverse("territory:commune_list")).status_code == 200


class TestEdit:
    def test_coordinator_updates_a_commune(self, client, users, candé):
        client.force_login(users["coordinator"])
        response = client.post(edit_url(candé), form_data(candé, travel_minutes=22,
                                                          covers_volet2=""))
        assert response.status_code == 302
        candé.refresh_from_db()
        assert (candé.travel_minutes, candé.covers_volet2, candé.version) == (22, False, 2)
        assert candé.updated_by == users["coordinator"]
        event = AuditEvent.objects.get(action="commune.updated")
        assert event.object_id == str(candé.public_id)
        assert event.details == {
            "travel_minutes": {"avant": "18", "après": "22"},
            "covers_volet2": {"avant": "True", "après": "False"},
        }
        assert "a été mise à jour" in visible_text(client.get(response["Location"]))

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"travel_minutes": "999"}, "Le temps de trajet ne peut pas dépasser 240 minutes."),
            ({"travel_minutes": "-3"}, "Le temps de trajet ne peut pas être négatif."),
            ({"travel_minutes": "vingt"}, "Indiquez un nombre entier de minutes."),
            ({"name": ""}, "Indiquez le nom de la commune."),
            ({"postal_code": "4950"}, "Le code postal compte 5 chiffres."),
            ({"covers_volet1": "", "covers_volet2": ""},
             "Une commune du territoire est couverte au moins par un volet (1 ou 2)."),
        ],
    )
    def test_bad_input_is_refused_next_to_the_field(self, client, users, candé, changes, message):
        client.force_login(users["coordinator"])
        response = client.post(edit_url(candé), form_data(candé, **changes))
        assert response.status_code == 400
        html = response.content.decode()
        assert message in visible_text(response)
        assert 'aria-invalid="true"' in html
        candé.refresh_from_db()
        assert (candé.travel_minutes, candé.name, candé.version) == (18, "Candé", 1)
        assert not AuditEvent.objects.filter(action="commune.updated").exists()

    def test_concurrent_edit_is_detected(self, client, users, candé):
        client.force_login(users["coordinator"])
        stale = form_data(candé, travel_minutes=30)
        assert client.post(edit_url(candé), form_data(candé, travel_minutes=25)).status_code == 302
        response = client.post(edit_url(candé), stale)
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        candé.refresh_from_db()
        assert candé.travel_minutes == 25

    def test_service_rules(self, crt_a, users, candé):
        with pytest.raises(ConflictError):
            services.commune_update(actor=users["coordinator"], commune=candé, version=7,
                                    travel_minutes=10)
        with pytest.raises(DomainError, match="non modifiable"):
            services.commune_update(actor=users["coordinator"], commune=candé, version=1,
                                    insee_code="49999")
        with pytest.raises(DomainError, match="déjà partie du territoire"):
            services.commune_create(actor=users["coordinator"], crt=crt_a, insee_code="49054",
                                    postal_code="49440", name="Candé", travel_minutes=5)
        created = services.commune_create(actor=users["coordinator"], crt=crt_a,
                                          insee_code="49008", postal_code="49440",
                                          name="Angrie", travel_minutes=14)
        assert Commune.objects.filter(crt=crt_a).count() == 2
        assert AuditEvent.objects.get(action="commune.created").object_id == str(
            created.public_id
        )
