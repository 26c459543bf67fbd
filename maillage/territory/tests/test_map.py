"""Coverage edits and the territory map: adding a commune by INSEE code, positions on the
commune form, the map page and its JSON endpoint (counts per commune, the small-cell rule,
tenancy), the layer contract and the access policy."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import table_text, visible_text
from maillage.territory import access, map_layers
from maillage.territory.map import MapLayer, layers, map_data
from maillage.territory.models import Commune

from .factories import CommuneFactory, OrganizationFactory

MAP = reverse("territory:map")
DATA = reverse("territory:map_data")
ADD = reverse("territory:commune_add")


# --- Adding a commune by its INSEE code, editing its position ------------------------------


class TestAddByInseeCode:
    def test_name_postal_code_population_and_position_come_from_the_reference(
            self, client, users, crt_a):
        client.force_login(users["coordinator"])
        assert "Code INSEE de la commune" in visible_text(client.get(ADD))
        response = client.post(ADD, {"insee_code": "49054", "travel_minutes": "27",
                                     "covers_volet1": "on"})
        assert response.status_code == 302
        candé = Commune.objects.get(crt=crt_a, insee_code="49054")
        assert (candé.name, candé.postal_code, candé.population) == ("Candé", "49440", 2801)
        assert (candé.latitude, candé.longitude) == (Decimal("47.5596"), Decimal("-1.0313"))
        assert (candé.covers_volet1, candé.covers_volet2, candé.travel_minutes) == (
            True, False, 27)
        assert AuditEvent.objects.filter(action="commune.created",
                                         object_id=str(candé.public_id)).exists()
        assert "« Candé » (49054) a été ajoutée" in visible_text(client.get(response["Location"]))

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"insee_code": "99999"}, "Aucune commune actuelle ne porte ce code INSEE"),
            ({"insee_code": "49014"}, "Aucune commune actuelle ne porte ce code INSEE"),
            ({"insee_code": "4905"}, "Le code INSEE compte 5 caractères."),
            ({"insee_code": ""}, "Indiquez le code INSEE de la commune."),
            ({"insee_code": "49331"}, "Cette commune fait déjà partie du territoire."),
            ({"travel_minutes": ""}, "Indiquez le temps de trajet en minutes."),
            ({"travel_minutes": "300"}, "Le temps de trajet ne peut pas dépasser 240 minutes."),
            ({"covers_volet1": "", "covers_volet2": ""},
             "Une commune du territoire est couverte au moins par un volet (1 ou 2)."),
        ],
    )
    def test_bad_input_is_refused_in_french(self, client, users, crt_a, data, message):
        CommuneFactory(crt=crt_a, insee_code="49331", name="Segré-en-Anjou Bleu")
        client.force_login(users["coordinator"])
        post = {"insee_code": "49054", "travel_minutes": "20", "covers_volet1": "on",
                "covers_volet2": "on", **data}
        response = client.post(ADD, {k: v for k, v in post.items() if v != ""})
        assert response.status_code == 400
        assert message in visible_text(response)
        assert 'aria-invalid="true"' in response.content.decode()
        assert Commune.objects.filter(crt=crt_a).count() == 1
        assert not AuditEvent.objects.filter(action="commune.created").exists()

    def test_only_territory_managers_add(self, client, users):
        client.force_login(users["nurse"])
        assert client.get(ADD).status_code == 403
        assert client.post(ADD, {"insee_code": "49054", "travel_minutes": "5"}).status_code \
            == 403
        assert not Commune.objects.exists()


class TestPositionOnTheForm:
    @pytest.fixture
    def candé(self, crt_a):
        return CommuneFactory(crt=crt_a, insee_code="49054", name="Candé", postal_code="49440",
                              latitude=Decimal("47.5596"), longitude=Decimal("-1.0313"))

    def post(self, client, commune, **changes):
        data = {"name": commune.name, "postal_code": commune.postal_code,
                "covers_volet1": "on", "covers_volet2": "on",
                "travel_minutes": commune.travel_minutes, "latitude": "47,5596",
                "longitude": "-1,0313", "version": commune.version, **changes}
        return client.post(reverse("territory:commune_edit", args=[commune.public_id]),
                           {k: v for k, v in data.items() if v != ""})

    def test_the_form_shows_and_corrects_the_position(self, client, users, candé):
        client.force_login(users["coordinator"])
        page = client.get(reverse("territory:commune_edit", args=[candé.public_id]))
        assert 'value="47,55960"' in page.content.decode()
        assert "la carte du territoire" in visible_text(page)
        response = self.post(client, candé, latitude="47,5617", longitude="-1.0361")
        assert response.status_code == 302
        candé.refresh_from_db()
        assert (candé.latitude, candé.longitude) == (Decimal("47.5617"), Decimal("-1.0361"))
        event = AuditEvent.objects.get(action="commune.updated")
        assert event.details["latitude"] == {"avant": "47.55960", "après": "47.5617"}

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"latitude": "95"}, "La latitude est comprise entre -90 et 90."),
            ({"longitude": "-200"}, "La longitude est comprise entre -180 et 180."),
            ({"latitude": "nord"}, "Indiquez un nombre en degrés décimaux"),
            ({"latitude": "47,123456"}, "avec au plus 5 décimales."),
            ({"longitude": "-1,123456"}, "Indiquez au plus 5 décimales."),
            ({"longitude": ""}, "Indiquez la latitude et la longitude, ou aucune des deux."),
        ],
    )
    def test_bad_positions_are_refused_next_to_the_field(self, client, users, candé, changes,
                                                         message):
        client.force_login(users["coordinator"])
        response = self.post(client, candé, **changes)
        assert response.status_code == 400
        assert message in visible_text(response)
        candé.refresh_from_db()
        assert (candé.latitude, candé.version) == (Decimal("47.5596"), 1)

    def test_the_position_may_be_cleared(self, client, users, candé):
        client.force_login(users["coordinator"])
        assert self.post(client, candé, latitude="", longitude="").status_code == 302
        candé.refresh_from_db()
        assert candé.latitude is None and candé.longitude is None


# --- The map: its data, the small-cell rule, roles and tenancy ------------------------------


@pytest.fixture
def territory(crt_a, crt_b):
    """Candé (volets 1 and 2, 6 beneficiaries, 2 partners), Loiré (volet 2 only, 2
    beneficiaries), Miré (volet 1 only, no position, 1 beneficiary who left in 2024), and
    another CRT's Candé with 3 beneficiaries."""
    candé = CommuneFactory(crt=crt_a, insee_code="49054", name="Candé", travel_minutes=27,
                           latitude=Decimal("47.5596"), longitude=Decimal("-1.0313"))
    loiré = CommuneFactory(crt=crt_a, insee_code="49178", name="Loiré", covers_volet1=False,
                           latitude=Decimal("47.6167"), longitude=Decimal("-0.9917"))
    miré = CommuneFactory(crt=crt_a, insee_code="49205", name="Miré", covers_volet2=False,
                          travel_minutes=37)
    for _ in range(6):
        enrolment(BeneficiaryFactory(crt=crt_a, commune=candé), admitted_on=date(2025, 3, 1))
    for _ in range(2):
        enrolment(BeneficiaryFactory(crt=crt_a, commune=loiré), admitted_on=date(2024, 3, 1))
    enrolment(BeneficiaryFactory(crt=crt_a, commune=miré), admitted_on=date(2023, 1, 5),
              ended_on=date(2024, 6, 30), exit_reason="moved")
    OrganizationFactory(crt=crt_a, name="MSP de Candé", commune=candé)
    OrganizationFactory(crt=crt_a, name="Pharmacie de la Place", commune=candé)
    OrganizationFactory(crt=crt_a, name="Ancien SSIAD", commune=candé, is_active=False)
    other = CommuneFactory(crt=crt_b, insee_code="49054", name="Candé (autre CRT)")
    for _ in range(3):
        enrolment(BeneficiaryFactory(crt=crt_b, commune=other), admitted_on=date(2025, 3, 1))
    return candé, loiré, miré


PERIOD = {"debut": "2025-01-01", "fin": "2025-12-31"}


def _layer(data, key):
    return next(layer for layer in data["layers"] if layer["key"] == key)


class TestMapData:
    def test_counts_per_commune_for_a_role_with_the_files(self, client, users, territory):
        client.force_login(users["coordinator"])
        response = client.get(DATA, PERIOD)
        assert response.status_code == 200
        data = response.json()
        assert data["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
        assert [(c["name"], c["coverage"], c["latitude"]) for c in data["communes"]] == [
            ("Candé", "both", 47.5596), ("Loiré", "volet2", 47.6167), ("Miré", "volet1", None)]
        beneficiaries = _layer(data, "admissions.beneficiaries")
        # Exact numbers; Miré's one person left in 2024, outside the period.
        assert beneficiaries["cells"] == {"49054": "6", "49178": "2"}
        assert beneficiaries["total"] == "8" and not beneficiaries["small_cells_hidden"]
        partners = _layer(data, "territory.partners")
        assert partners["cells"] == {"49054": "2"}
        assert data["partner_names"] == {"49054": ["MSP de Candé", "Pharmacie de la Place"]}
        # A count per commune, never a person: no name, no address, no identifier.
        text = response.content.decode()
        assert "DUPONT" not in text and "Lilas" not in text and "public_id" not in text

    @pytest.mark.parametrize("role", [Role.ARS, Role.ACTIVITY_LEADER])
    def test_small_cells_are_hidden_without_access_to_the_files(self, client, users,
                                                                territory, role):
        client.force_login(users[role])
        data = client.get(DATA, PERIOD).json()
        beneficiaries = _layer(data, "admissions.beneficiaries")
        assert beneficiaries["cells"] == {"49054": "6", "49178": "< 5"}
        # The total would give Loiré's 2 away (8 - 6).
        assert beneficiaries["total"] is None and beneficiaries["small_cells_hidden"]
        # Partner structures are not people: their number is exact.
        assert _layer(data, "territory.partners")["cells"] == {"49054": "2"}
        assert data["partner_names"] == ({} if role == Role.ARS else
                                         {"49054": ["MSP de Candé", "Pharmacie de la Place"]})

    def test_the_period_selects_the_enrolments(self, client, users, territory):
        client.force_login(users["coordinator"])
        data = client.get(DATA, {"debut": "01/01/2024", "fin": "31/12/2024"}).json()
        assert _layer(data, "admissions.beneficiaries")["cells"] == {"49178": "2",
                                                                     "49205": "1"}

    @pytest.mark.parametrize(
        ("period", "field", "message"),
        [
            ({"debut": "2025-12-31", "fin": "2025-01-01"}, "fin",
             "La date de fin précède la date de début."),
            ({"debut": "31/02/2025"}, "debut", "Indiquez une date de début valide (jj/mm/aaaa)."),
            ({"debut": "2015-01-01", "fin": "2025-01-01"}, "fin",
             "Choisissez une période de 5 ans au plus."),
        ],
    )
    def test_a_bad_period_is_refused_in_french(self, client, users, territory, period, field,
                                               message):
        client.force_login(users["coordinator"])
        response = client.get(DATA, period)
        assert response.status_code == 400
        assert response.json() == {"errors": {field: [message]}}
        page = client.get(MAP, period)
        assert page.status_code == 400
        assert message in visible_text(page)

    def test_another_crt_sees_only_its_own_communes(self, client, user_b, territory):
        client.force_login(user_b)
        data = client.get(DATA, PERIOD).json()
        assert [c["name"] for c in data["communes"]] == ["Candé (autre CRT)"]
        # CRT B's own 3 people (user_b holds every role, so reads the files), none of CRT A's.
        assert _layer(data, "admissions.beneficiaries")["cells"] == {"49054": "3"}
        assert _layer(data, "territory.partners")["cells"] == {}
        assert "MSP de Candé" not in str(data) and "Loiré" not in str(data)

    @pytest.mark.parametrize("role", [Role.PARTNER, Role.AUDITOR, Role.CAREGIVER,
                                      Role.BENEFICIARY])
    def test_roles_outside_the_team_and_the_ars_are_refused(self, client, users, territory,
                                                             role):
        client.force_login(users[role])
        assert client.get(DATA, PERIOD).status_code == 403
        assert client.get(MAP).status_code == 403

    def test_query_budget(self, client, users, crt_a, territory,
                          django_assert_max_num_queries):
        for n in range(40):
            commune = CommuneFactory(crt=crt_a, insee_code=f"44{n:03d}", latitude=Decimal("47.5"),
                                     longitude=Decimal("-0.9"))
            OrganizationFactory(crt=crt_a, commune=commune)
        client.force_login(users["direction"])
        # Session, user, memberships, notifications, messages badge (4), then the communes,
        # one grouped query per layer and the partners' names.
        with django_assert_max_num_queries(13):
            assert client.get(DATA, PERIOD).status_code == 200
        with django_assert_max_num_queries(13):
            assert client.get(MAP, PERIOD).status_code == 200


class TestMapPage:
    def test_the_table_lists_the_same_numbers(self, client, users, territory):
        client.force_login(users["direction"])
        response = client.get(MAP, PERIOD)
        assert response.status_code == 200
        table = table_text(response)
        assert "Candé (49054)" in table and "Volets 1 et 2" in table and "27 min" in table
        assert "Miré (49205) — position inconnue, absente de la carte" in table
        assert "MSP de Candé ; Pharmacie de la Place" in table
        assert "Volet 2 seul" in table and "Volet 1 seul" in table
        html = response.content.decode()
        assert f'data-url="{DATA}?debut=2025-01-01&amp;fin=2025-12-31"' in html
        assert 'data-tiles=""' in html
        assert "Du 01/01/2025 au 31/12/2025" in visible_text(response)

    def test_the_ars_reads_counts_with_small_cells_hidden(self, client, users, territory):
        client.force_login(users["ars"])
        response = client.get(MAP, PERIOD)
        assert response.status_code == 200
        text = visible_text(response)
        assert "les nombres de personnes inférieurs à 5 sont masqués" in text
        assert "< 5" in table_text(response)
        assert "Total 2 non affiché (il révélerait un petit nombre masqué)" in text
        assert "MSP de Candé" not in text  # the directory is the team's

    def test_default_period_is_this_year(self, client, users, territory):
        from django.utils import timezone

        client.force_login(users["nurse"])
        today = timezone.localdate()
        response = client.get(MAP)
        assert response.status_code == 200
        assert f"Du 01/01/{today.year} au {today:%d/%m/%Y}" in visible_text(response)
        # The period's fields show it.
        assert f'value="{today.year}-01-01"' in response.content.decode()
        assert f'value="{today:%Y-%m-%d}"' in response.content.decode()

    def test_the_map_link_is_in_the_navigation(self, client, users):
        client.force_login(users["ars"])
        assert "Carte du territoire" in visible_text(client.get(reverse("core:home")))

    @override_settings(MAP_TILE_URL="https://{s}.tuiles.example.org/{z}/{x}/{y}.png",
                       MAP_TILE_ATTRIBUTION="© contributeurs d'OpenStreetMap")
    def test_a_tile_server_is_allowed_by_the_csp_of_this_page_only(self, client, users,
                                                                   territory):
        client.force_login(users["coordinator"])
        response = client.get(MAP)
        csp = response["Content-Security-Policy"]
        assert "img-src 'self' data: https://*.tuiles.example.org" in csp
        html = response.content.decode()
        assert 'data-tiles="https://{s}.tuiles.example.org/{z}/{x}/{y}.png"' in html
        assert "example.org" not in client.get(reverse("territory:commune_list"))[
            "Content-Security-Policy"]

    def test_no_tile_url_no_foreign_image_source(self, client, users, territory):
        client.force_login(users["coordinator"])
        csp = client.get(MAP)["Content-Security-Policy"]
        assert "img-src 'self' data:;" in csp or csp.endswith("img-src 'self' data:")


# --- The layer contract and the access policy ----------------------------------------------


def test_layers_are_discovered_from_the_apps_in_order():
    keys = [layer.key for layer in layers()]
    assert keys[:3] == ["territory.partners", "admissions.beneficiaries", "outreach.sessions"]
    assert all(isinstance(layer, MapLayer) for layer in layers())


def test_a_layer_plugged_by_another_app_shows_with_its_permission(monkeypatch, crt_a, users,
                                                                  territory):
    def sessions_by_commune(*, crt, user, start, end):
        assert (start, end) == (date(2025, 1, 1), date(2025, 12, 31))
        return {"49054": 3, "49999": 2}

    extra = [MapLayer(key="essai.seances", label="Séances d'essai", unit="séance(s)",
                      counts=sessions_by_commune, order=30),
             MapLayer(key="secret.layer", label="Réservé", unit="x",
                      counts=sessions_by_commune, permission="audit.view")]
    monkeypatch.setattr(map_layers, "LAYERS", map_layers.LAYERS + extra)
    data = map_data(crt=crt_a, user=users["activity_leader"], roles={Role.ACTIVITY_LEADER},
                    start=date(2025, 1, 1), end=date(2025, 12, 31))
    keys = [layer["key"] for layer in data["layers"]]
    assert keys == ["territory.partners", "essai.seances", "admissions.beneficiaries",
                    "outreach.sessions"]
    sessions = _layer(data, "essai.seances")
    # Sessions are not people: 3 is shown as is; the code outside the territory is counted
    # apart.
    assert sessions["cells"] == {"49054": "3"} and sessions["elsewhere"] == "2"
    assert sessions["total"] == "5"


def test_both_faces_of_the_commune_policy_agree(users, user_b, crt_a, crt_b, territory):
    communes = list(Commune.objects.all())
    people = [(u, {role}) for role, u in users.items()] + [(user_b, {Role.COORDINATOR})]
    seen = 0
    for user, roles in people:
        for crt in (crt_a, crt_b):
            visible = set(access.communes_visible(crt=crt, user=user, roles=roles))
            for commune in communes:
                allowed = commune.crt_id == crt.id and access.can_view_commune(
                    user=user, roles=roles, commune=commune)
                assert (commune in visible) == allowed, (user.username, commune.name)
                seen += allowed
    assert seen > 0


@pytest.mark.parametrize(
    ("count", "personal", "exact", "shown"),
    [(0, True, False, None), (1, True, False, "< 5"), (4, True, False, "< 5"),
     (5, True, False, "5"), (4, True, True, "4"), (2, False, False, "2")],
)
def test_the_small_cell_rule(count, personal, exact, shown):
    assert access.shown_count(count, personal=personal, exact=exact) == shown
