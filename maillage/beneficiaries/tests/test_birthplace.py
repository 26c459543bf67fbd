"""The birthplace on the identity forms: typed name or code, checked against the INSEE
reference and the birth date; the code stays what is stored."""

import re
from datetime import date
from html import unescape

import pytest
from django.urls import reverse

from maillage.beneficiaries.identity import check_traits
from maillage.beneficiaries.models import Beneficiary
from maillage.core.tests.helpers import field_error, visible_text

from .factories import BeneficiaryFactory
from .test_file import identity_data, segre  # noqa: F401 (fixture)
from .test_identity import nir


def create(client, commune, **changes):
    return client.post(reverse("beneficiaries:create"), identity_data(commune, **changes))


class TestCreate:
    @pytest.fixture(autouse=True)
    def _login(self, client, users):
        client.force_login(users["coordinator"])

    def test_the_form_offers_the_search_before_the_code(self, client):
        html = client.get(reverse("beneficiaries:create")).content.decode()
        search = html.index('id="id_birth_place_search"')
        assert search < html.index('id="id_birth_place_code"')
        assert 'data-birthplace-search="/territoire/lieux-de-naissance/"' in html
        # Required, by name or by code: marked as every required field is (it was not).
        assert ('Lieu de naissance (commune ou pays) <span aria-hidden="true">*</span><span '
                'class="visually-hidden"> (obligatoire)</span>') in html

    def test_the_code_alone_still_works(self, client, segre):  # noqa: F811
        assert create(client, segre, birth_place_code="49331").status_code == 302
        assert Beneficiary.objects.get().birth_place_code == "49331"

    def test_without_javascript_the_exact_name_gives_the_code(self, client, segre):  # noqa: F811
        response = create(client, segre, birth_place_code="", birth_place_search="cholet",
                          ins_matricule=nir("2380549099012"))
        assert response.status_code == 302
        assert Beneficiary.objects.get().birth_place_code == "49099"

    def test_the_birthplace_must_match_the_nir(self, client, segre):  # noqa: F811
        response = create(client, segre, birth_place_code="49099")  # NIR born in 49331
        assert response.status_code == 400
        assert field_error(response, "birth_place_code") == (
            "Le lieu de naissance ne correspond pas au matricule INS (chiffres 6 à 10 : 49331)."
        )
        assert not Beneficiary.objects.exists()

    def test_a_country_by_name(self, client, segre):  # noqa: F811
        response = create(client, segre, birth_place_code="", birth_place_search="Algérie",
                          ins_matricule="", ins_oid="")
        assert response.status_code == 302
        b = Beneficiary.objects.get()
        assert b.birth_place_code == "99352"
        page = visible_text(client.get(response["Location"]))
        assert "Lieu de naissance ALGERIE — code INSEE 99352" in page

    def test_the_file_shows_the_name_the_place_had_at_birth(self, client, crt_a):
        b = BeneficiaryFactory(crt=crt_a, birth_place_code="49331",
                               birth_date=date(1938, 5, 12))
        page = visible_text(client.get(
            reverse("beneficiaries:detail", kwargs={"public_id": b.public_id})))
        assert "Lieu de naissance Segré, Maine-et-Loire (49) — code INSEE 49331" in page

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"birth_place_code": "49999"}, "birth_place_code",
             "Code INSEE du lieu de naissance inconnu."),
            ({"birth_place_code": "4933"}, "birth_place_code", "5 caractères"),
            ({"birth_place_code": ""}, "birth_place_code",
             "Indiquez le lieu de naissance : tapez le nom de la commune (ou du pays)"),
            ({"birth_place_code": "", "birth_place_search": "Nullepart-sur-Rien"},
             "birth_place_search", "Aucun lieu de naissance connu ne porte ce nom"),
            ({"birth_place_code": "", "birth_place_search": "Saint-Georges"},
             "birth_place_search", "Plusieurs lieux portent ce nom (Saint-Georges, Guyane"),
            # Coupy (Ain) merged into Bellegarde in 1966: no commune with that code in 1970.
            ({"birth_place_code": "01126", "birth_date": "1970-03-01",
              "ins_matricule": "", "ins_oid": ""}, "birth_place_code",
             "Le code 01126 ne désignait aucune commune le 01/03/1970"),
        ],
    )
    def test_bad_birthplace_is_refused_next_to_the_field(
        self, client, segre, changes, field, message  # noqa: F811
    ):
        response = create(client, segre, **changes)
        assert response.status_code == 400
        assert message in field_error(response, field)
        assert not Beneficiary.objects.exists()

    def test_a_code_that_did_not_exist_yet_names_the_one_that_did(self, client, segre):  # noqa: F811
        # Ajaccio is 2A004 since 1976; born there in 1950, the code was 20004.
        response = create(client, segre, birth_place_code="2A004", ins_matricule="",
                          ins_oid="")
        error = field_error(response, "birth_place_code")
        assert response.status_code == 400
        assert "Le code 2A004 ne désignait aucune commune le 12/05/1938" in error
        assert "À cette date : Ajaccio, Corse (avant 1976) (20) : 20004." in error
        assert create(client, segre, birth_place_code="20004", ins_matricule="",
                      ins_oid="").status_code == 302


class TestEdit:
    def test_the_form_shows_the_place_and_keeps_the_code(self, client, users, crt_a):
        b = BeneficiaryFactory(crt=crt_a, birth_place_code="49331",
                               birth_date=date(1938, 5, 12))
        client.force_login(users["coordinator"])
        url = reverse("beneficiaries:identity_edit", kwargs={"public_id": b.public_id})
        html = client.get(url).content.decode()
        assert re.search(r'name="birth_place_search" value="Segré"', html)
        assert re.search(r'name="birth_place_code" value="49331"', html)
        assert "49331 : Segré, Maine-et-Loire (49)." in unescape(html)


class TestNirAndBirthplace:
    born_1938 = date(1938, 5, 12)

    def places(self, matricule, code, born=born_1938):
        return [f for f, _ in check_traits(matricule=matricule, sex="F", birth_date=born,
                                            birth_place_code=code)]

    def test_same_place_abroad_and_corsica_before_1976(self):
        assert self.places(nir("2380599352012"), "99352") == []
        assert self.places(nir("2380520004012"), "20004") == []
        assert self.places(nir("280052A004012"), "2A004", date(1980, 5, 1)) == []

    def test_other_place_is_refused(self):
        assert self.places(nir("2380549331012"), "49099") == ["birth_place_code"]
        assert self.places(nir("2380599350012"), "99352") == ["birth_place_code"]

    def test_algeria_before_1962_and_nia_are_not_compared(self):
        assert self.places(nir("2380591352012"), "99352") == []
        assert self.places(nir("7380599999012"), "49331") == []
