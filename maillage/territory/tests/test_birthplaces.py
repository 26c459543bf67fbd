"""Birthplaces: the vendored INSEE reference, its search and the endpoint of the combobox."""

from datetime import date

import pytest
from django.urls import reverse

from maillage.core.roles import Role
from maillage.territory import birthplaces


def codes(query: str) -> list[str]:
    return [place.code for place in birthplaces.search(query)]


def labels(query: str) -> list[str]:
    return [place.label for place in birthplaces.search(query)]


class TestSearch:
    def test_current_commune_first_with_its_department(self):
        assert birthplaces.search("Cholet")[0].label == "Cholet, Maine-et-Loire (49) — commune"

    def test_accents_case_and_hyphens_do_not_matter(self):
        assert codes("SEGRE EN ANJOU bleu")[0] == "49331"
        assert codes("ségré-en-anjou")[0] == "49331"
        assert codes("l hotellerie de flee")[0] == "49158"

    def test_st_and_ste_mean_saint_and_sainte(self):
        assert "49299" in codes("St-Léger-sous-Cholet")
        assert "49277" in codes("ste gemmes d andigne")

    def test_a_word_inside_the_name_is_found(self):
        assert "49299" in codes("sous-cholet")

    def test_former_commune_with_its_end_and_successor(self):
        assert labels("Coupy") == [
            "Coupy, Ain (01) — ancienne commune, jusqu'en 1966 — aujourd'hui Valserhône"
        ]

    def test_commune_deleguee_tells_when_it_stopped_being_a_commune(self):
        segre = birthplaces.search("Segré")[0]
        assert (segre.code, segre.name) == ("49331", "Segré")
        assert segre.status == (
            "commune déléguée de Segré-en-Anjou Bleu (commune jusqu'en 2016)"
        )

    def test_old_codes_of_corsica_and_the_seine(self):
        assert {"20004", "2A004"} <= set(codes("Ajaccio"))
        assert {"75012", "92012"} <= set(codes("Boulogne-Billancourt"))

    def test_countries_abroad(self):
        assert codes("Algérie") == ["99352"]
        assert codes("maroc") == ["99350"]
        assert codes("Portugal") == ["99139"]
        assert birthplaces.search("Portugal")[0].label == "PORTUGAL — pays"

    def test_paris_arrondissements(self):
        assert codes("Paris 14")[0] == "75114"

    def test_by_code(self):
        assert codes("49099") == ["49099"]
        assert "2A004" in codes("2a00")

    def test_short_or_unknown_queries_give_nothing(self):
        assert codes("c") == []
        assert codes("") == []
        assert codes("zzzzqqq") == []

    def test_results_are_bounded(self):
        assert len(birthplaces.search("saint")) == birthplaces.SEARCH_LIMIT


class TestValidity:
    def test_current_commune_that_existed_since_1943(self):
        assert birthplaces.existed_on("49099", date(1935, 1, 1)) is True

    def test_former_commune_only_before_its_end(self):
        assert birthplaces.existed_on("01126", date(1950, 1, 1)) is True
        assert birthplaces.existed_on("01126", date(1970, 1, 1)) is False

    def test_new_corsican_codes_only_since_1976(self):
        assert birthplaces.existed_on("2A004", date(1950, 1, 1)) is False
        assert birthplaces.existed_on("20004", date(1950, 1, 1)) is True

    def test_countries_and_unknown_codes_are_not_judged(self):
        assert birthplaces.existed_on("99352", date(1950, 1, 1)) is None
        assert birthplaces.existed_on("00000", date(1950, 1, 1)) is None

    def test_name_on_the_birth_date(self):
        assert birthplaces.describe("49331", date(1940, 1, 1)) == "Segré, Maine-et-Loire (49)"
        assert birthplaces.describe("49331") == "Segré-en-Anjou Bleu, Maine-et-Loire (49)"
        assert birthplaces.describe("99352") == "ALGERIE"
        assert birthplaces.describe("12345") == ""


def test_the_vendored_file_stays_small():
    assert birthplaces.DATA.stat().st_size < 3 * 1024 * 1024


class TestEndpoint:
    @property
    def url(self) -> str:
        return reverse("territory:birthplace_search")

    @pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN_STAFF, Role.NURSE])
    def test_identity_editors_get_places(self, client_for, role):
        response = client_for(role.value).get(self.url, {"q": "Cholet"})
        assert response.status_code == 200
        first = response.json()["results"][0]
        assert first == {
            "code": "49099", "name": "Cholet", "department": "Maine-et-Loire (49)",
            "status": "commune", "label": "Cholet, Maine-et-Loire (49) — commune",
        }

    @pytest.mark.parametrize("role", [Role.CARE_AIDE, Role.AUDITOR, Role.PARTNER])
    def test_other_roles_are_refused(self, client_for, role):
        assert client_for(role.value).get(self.url, {"q": "Cholet"}).status_code == 403

    def test_anonymous_is_sent_to_login(self, client):
        assert client.get(self.url, {"q": "Cholet"}).status_code == 302

    def test_long_or_odd_queries_answer_without_error(self, client_for):
        client = client_for(Role.COORDINATOR.value)
        response = client.get(self.url, {"q": "é" * 500 + "<script>"})
        assert response.status_code == 200
        assert response.json()["results"] == []
        assert client.get(self.url).json()["results"] == []

    def test_post_is_refused(self, client_for):
        assert client_for(Role.COORDINATOR.value).post(self.url).status_code == 405
