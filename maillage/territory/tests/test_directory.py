"""The partner directory: organisations and professionals, validated identifiers, search."""

import pytest
from django.urls import reverse
from stdnum import luhn

from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import field_error, table_text, visible_text
from maillage.territory.models import Organization, Professional

from .factories import CommuneFactory, OrganizationFactory, ProfessionalFactory

FINESS = "490000031"  # a Luhn-valid FINESS (CHU d'Angers entity number)
SIRET = "7328293200007" + luhn.calc_check_digit("7328293200007")


def org_data(**changes):
    data = {
        "kind": "ssiad", "name": "SSIAD du Segréen", "finess": FINESS, "siret": SIRET,
        "address": "2 rue Lazare Carnot", "postal_code": "49500", "city": "Segré",
        "phone": "02 61 91 11 11", "email": "contact@ssiad.example.fr",
        "mssante_email": "accueil@ssiad-segre.mssante.fr", "is_active": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class TestOrganizations:
    def test_create_with_commune_of_the_territory(self, client, users, crt_a):
        segre = CommuneFactory(crt=crt_a, name="Segré-en-Anjou Bleu")
        client.force_login(users["admin_staff"])
        response = client.post(
            reverse("territory:organization_create"),
            org_data(commune=str(segre.public_id)),
        )
        assert response.status_code == 302
        org = Organization.objects.get(crt=crt_a)
        assert (org.finess, org.siret, org.commune) == (FINESS, SIRET, segre)
        detail = visible_text(client.get(response["Location"]))
        assert "SSIAD du Segréen" in detail and "accueil@ssiad-segre.mssante.fr" in detail
        assert AuditEvent.objects.filter(action="organization.created", crt=crt_a).exists()

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"finess": "490000032"}, "La clé du numéro FINESS est incorrecte"),
            ({"finess": "49000"}, "Le numéro FINESS doit compter 9 caractères"),
            ({"siret": "73282932000075"}, "Numéro SIRET invalide"),
            ({"mssante_email": "x@gmail.com"}, "se termine par « mssante.fr »"),
            ({"name": ""}, "Indiquez le nom de la structure."),
            ({"kind": "casino"}, "Sélectionnez un choix valide"),
            ({"postal_code": "ABCDE"}, "Le code postal compte 5 chiffres."),
        ],
    )
    def test_bad_input(self, client, users, crt_a, changes, message):
        client.force_login(users["coordinator"])
        response = client.post(reverse("territory:organization_create"), org_data(**changes))
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Organization.objects.exists()

    @pytest.mark.parametrize("address, message", [
        ("secretariat@cabinet-médical-du-lion.mssante.fr", "ni accent"),
        ("secretariat@dac-49-—-antenne.mssante.fr", "ni caractère spécial"),
        ("secrétariat@dac49.mssante.fr", "adresse de courriel valide"),
        ("accueil ssiad@ssiad-segre.mssante.fr", "adresse de courriel valide"),
    ])
    def test_an_mssante_address_is_plain_ascii(self, client, users, crt_a, address, message):
        client.force_login(users["coordinator"])
        response = client.post(reverse("territory:organization_create"),
                               org_data(mssante_email=address))
        assert response.status_code == 400
        assert message in field_error(response, "mssante_email")
        assert not Organization.objects.exists()
        response = client.post(reverse("territory:professional_create"),
                               {"last_name": "Besnard", "profession": "gp", "is_active": "on",
                                "mssante_email": address})
        assert response.status_code == 400
        assert message in field_error(response, "mssante_email")
        assert not Professional.objects.exists()

    def test_commune_of_another_crt_is_refused(self, client, users, crt_b):
        elsewhere = CommuneFactory(crt=crt_b)
        client.force_login(users["coordinator"])
        response = client.post(
            reverse("territory:organization_create"), org_data(commune=str(elsewhere.public_id))
        )
        assert response.status_code == 400
        assert "Sélectionnez un choix valide" in visible_text(response)

    def test_duplicate_finess_in_the_same_crt(self, client, users, crt_a, crt_b):
        OrganizationFactory(crt=crt_b, finess=FINESS)  # another CRT may list it too
        OrganizationFactory(crt=crt_a, finess=FINESS, name="Déjà là")
        client.force_login(users["coordinator"])
        response = client.post(reverse("territory:organization_create"), org_data())
        assert response.status_code == 400
        assert "porte déjà ce numéro FINESS : Déjà là" in visible_text(response)

    def test_edit_and_conflict(self, client, users, crt_a):
        org = OrganizationFactory(crt=crt_a, name="CCAS de Candé", kind="ccas")
        url = reverse("territory:organization_edit", kwargs={"public_id": org.public_id})
        client.force_login(users["coordinator"])
        stale = org_data(name="CCAS de Candé (ancien)", finess="", siret="", version=1)
        fresh = org_data(name="CCAS de Candé", kind="ccas", finess="", siret="",
                         phone="02 61 91 22 22", version=1)
        assert client.post(url, fresh).status_code == 302
        response = client.post(url, stale)
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        org.refresh_from_db()
        assert (org.name, org.phone, org.version) == ("CCAS de Candé", "02 61 91 22 22", 2)
        event = AuditEvent.objects.get(action="organization.updated")
        assert event.details["phone"] == {"avant": "", "après": "02 61 91 22 22"}

    def test_search_and_filter(self, client, users, crt_a, crt_b):
        OrganizationFactory(crt=crt_a, name="DAC 49", kind="dac")
        OrganizationFactory(crt=crt_a, name="HAD Saint-Sauveur", kind="had")
        OrganizationFactory(crt=crt_b, name="DAC ailleurs", kind="dac")
        client.force_login(users["nurse"])
        url = reverse("territory:organization_list")
        dac = table_text(client.get(url, {"kind": "dac"}))
        assert "DAC 49" in dac and "HAD" not in dac and "ailleurs" not in dac
        assert "HAD Saint-Sauveur" in table_text(client.get(url, {"q": "sauveur"}))
        assert "Nouvelle structure" not in visible_text(client.get(url))  # nurse: read only

    def test_list_query_budget(self, client, users, crt_a, django_assert_max_num_queries):
        for _ in range(40):
            org = OrganizationFactory(crt=crt_a, commune=CommuneFactory(crt=crt_a))
            ProfessionalFactory(crt=crt_a, organization=org)
        client.force_login(users["coordinator"])
        # 11: the « Messages » badge of a user without a stored counter yet is its rule (+1).
        with django_assert_max_num_queries(11):
            assert client.get(reverse("territory:organization_list")).status_code == 200
        with django_assert_max_num_queries(11):
            assert client.get(reverse("territory:professional_list")).status_code == 200


class TestProfessionals:
    def test_create_attached_to_an_organization(self, client, users, crt_a):
        msp = OrganizationFactory(crt=crt_a, name="MSP de Segré", kind="msp")
        client.force_login(users["coordinator"])
        response = client.post(
            reverse("territory:professional_create"),
            {"last_name": "Besnard", "first_name": "Anne", "profession": "gp",
             "rpps": "10101010105", "organization": str(msp.public_id),
             "mssante_email": "anne.besnard@medecin.mssante.fr", "is_active": "on"},
        )
        assert response.status_code == 302
        pro = Professional.objects.get(crt=crt_a)
        assert (pro.rpps, pro.organization) == ("10101010105", msp)
        listing = table_text(client.get(reverse("territory:professional_list"), {"q": "besn"}))
        assert "BESNARD Anne" in listing and "MSP de Segré" in listing

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"rpps": "1234"}, "Le numéro RPPS compte 11 chiffres."),
            ({"rpps": "1010101010A"}, "Le numéro RPPS compte 11 chiffres."),
            ({"last_name": ""}, "Indiquez le nom."),
            ({"profession": ""}, "Choisissez la profession."),
            ({"email": "pas-un-courriel"}, "Saisissez une adresse de courriel valide."),
        ],
    )
    def test_bad_input(self, client, users, changes, message):
        client.force_login(users["coordinator"])
        data = {"last_name": "Besnard", "profession": "gp", "is_active": "on", **changes}
        response = client.post(reverse("territory:professional_create"), data)
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Professional.objects.exists()

    def test_an_rpps_with_a_wrong_key_is_refused_on_edit(self, client, users, crt_a):
        pro = ProfessionalFactory(crt=crt_a, last_name="Besnard", profession="gp",
                                  rpps="10101010105")
        client.force_login(users["coordinator"])
        url = reverse("territory:professional_edit", kwargs={"public_id": pro.public_id})
        data = {"last_name": "Besnard", "profession": "gp", "is_active": "on",
                "rpps": "12345678901", "version": pro.version}
        response = client.post(url, data)
        assert response.status_code == 400
        assert "La clé du numéro RPPS est incorrecte" in field_error(response, "rpps")
        pro.refresh_from_db()
        assert pro.rpps == "10101010105"
        assert client.post(url, {**data, "rpps": "12345678903"}).status_code == 302
        pro.refresh_from_db()
        assert pro.rpps == "12345678903"

    def test_duplicate_rpps(self, client, users, crt_a):
        ProfessionalFactory(crt=crt_a, rpps="10101010105", last_name="Premier")
        client.force_login(users["coordinator"])
        response = client.post(
            reverse("territory:professional_create"),
            {"last_name": "Second", "profession": "gp", "rpps": "10101010105"},
        )
        assert response.status_code == 400
        assert "porte déjà ce numéro RPPS" in visible_text(response)
