"""The FHIR API as a client sees it: tokens, refusals, Patient read and search, audit."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.identity import IdentityStatus, InsOid
from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    shared_file,
)
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.interop.models import ApiToken
from maillage.interop.services import api_token_create, api_token_revoke

from .helpers import bearer, issue

PATIENTS = "/fhir/R4/Patient"


def read_url(b) -> str:
    return f"{PATIENTS}/{b.public_id}"


@pytest.fixture
def coordinator(users, crt_a):
    return bearer(users["coordinator"], crt_a)


class TestAuthentication:
    def test_no_token_is_401_with_an_outcome(self, client, crt_a):
        b = BeneficiaryFactory(crt=crt_a)
        for url in (PATIENTS, read_url(b)):
            response = client.get(url)
            assert response.status_code == 401
            assert response["WWW-Authenticate"].startswith("Bearer")
            assert issue(response)["code"] == "login"
            assert "Authorization: Bearer" in issue(response)["details"]["text"]

    def test_unknown_expired_revoked_tokens_are_401(self, client, users, crt_a):
        good = api_token_create(actor=None, crt=crt_a, user=users["coordinator"], name="x")
        assert client.get(PATIENTS, HTTP_AUTHORIZATION=f"Bearer {good.secret}").status_code == 200
        expired = api_token_create(actor=None, crt=crt_a, user=users["coordinator"], name="y")
        ApiToken.objects.filter(pk=expired.token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))
        api_token_revoke(actor=None, token=good.token)
        for header in (f"Bearer {good.secret}", f"Bearer {expired.secret}",
                       "Bearer mlg_inconnu", f"Basic {good.secret}", f"Token {expired.secret}"):
            response = client.get(PATIENTS, HTTP_AUTHORIZATION=header)
            assert response.status_code == 401, header
            assert issue(response)["details"]["text"] in {
                "Jeton d'accès inconnu, expiré ou révoqué.",
                "Authentification requise : envoyez l'en-tête « Authorization: Bearer "
                "<jeton> ».",
            }

    def test_a_user_whose_access_ended_is_refused(self, client, users, crt_a):
        headers = bearer(users["nurse"], crt_a)
        users["nurse"].memberships.update(is_active=False)
        response = client.get(PATIENTS, **headers)
        assert response.status_code == 401
        assert "plus d'accès actif" in issue(response)["details"]["text"]

    def test_a_session_is_not_enough(self, client, users, crt_a):
        client.force_login(users["coordinator"])
        assert client.get(PATIENTS).status_code == 401

    def test_last_used_is_written_at_most_once_a_minute(self, client, users, crt_a):
        created = api_token_create(actor=None, crt=crt_a, user=users["coordinator"], name="x")
        header = {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}
        client.get(PATIENTS, **header)
        first = ApiToken.objects.get(pk=created.token.pk).last_used_at
        assert first is not None
        client.get(PATIENTS, **header)
        assert ApiToken.objects.get(pk=created.token.pk).last_used_at == first
        ApiToken.objects.filter(pk=created.token.pk).update(
            last_used_at=first - timedelta(minutes=2))
        client.get(PATIENTS, **header)
        assert ApiToken.objects.get(pk=created.token.pk).last_used_at > first

    @override_settings(FHIR_RATE_LIMIT_PER_MINUTE=3)
    def test_rate_limit_per_token(self, client, users, crt_a, coordinator):
        for _ in range(3):
            assert client.get(PATIENTS, **coordinator).status_code == 200
        response = client.get(PATIENTS, **coordinator)
        assert response.status_code == 429
        assert response["Retry-After"] == "60"
        assert issue(response)["code"] == "throttled"
        assert "au plus 3 par minute" in issue(response)["details"]["text"]
        # Another token has its own budget.
        assert client.get(PATIENTS, **bearer(users["nurse"], crt_a)).status_code == 200


class TestAccess:
    def test_allowed_role_reads_and_searches(self, client, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a, birth_name="LEROUX")
        response = client.get(read_url(b), **coordinator)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
        assert response.json()["name"][0]["family"] == "LEROUX"
        bundle = client.get(PATIENTS, {"name": "ler"}, **coordinator).json()
        assert bundle["total"] == 1
        assert bundle["entry"][0]["resource"]["id"] == str(b.public_id)

    @pytest.mark.parametrize("role", ["auditor", "ars", "caregiver", "beneficiary"])
    def test_forbidden_role_is_403(self, client, users, crt_a, role):
        b = BeneficiaryFactory(crt=crt_a)
        headers = bearer(users[role], crt_a)
        for url in (PATIENTS, read_url(b)):
            response = client.get(url, **headers)
            assert response.status_code == 403
            assert issue(response)["code"] == "forbidden"
            assert "Votre rôle" in issue(response)["details"]["text"]

    def test_other_crt_is_404_and_absent(self, client, crt_a, crt_b, user_b):
        b = BeneficiaryFactory(crt=crt_a, birth_name="ANGEVIN")
        mine = BeneficiaryFactory(crt=crt_b, birth_name="ANGEVINE")
        headers = bearer(user_b, crt_b)
        response = client.get(read_url(b), **headers)
        assert response.status_code == 404
        assert issue(response)["code"] == "not-found"
        bundle = client.get(PATIENTS, {"name": "angevin"}, **headers).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(mine.public_id)]
        assert client.get(f"{PATIENTS}/pas-un-uuid", **headers).status_code == 404

    def test_partner_sees_only_consenting_people(self, client, users, crt_a):
        partner = users["partner"]
        consenting = shared_file(crt_a, partner, {Role.PARTNER})
        pro = CareTeamMember.objects.get(beneficiary=consenting).professional

        def in_team(b):
            CareTeamMember.objects.create(crt=crt_a, beneficiary=b, professional=pro,
                                          role="Médecin traitant", start_date=date(2024, 1, 1))
            return b

        refusing = in_team(BeneficiaryFactory(crt=crt_a))  # in the team, no consent
        withdrawn = in_team(BeneficiaryFactory(crt=crt_a))
        consent(withdrawn, withdrawn_at=timezone.now())
        headers = bearer(partner, crt_a)
        bundle = client.get(PATIENTS, **headers).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(consenting.public_id)]
        assert bundle["total"] == 1
        assert client.get(read_url(consenting), **headers).status_code == 200
        assert client.get(read_url(refusing), **headers).status_code == 404
        assert client.get(read_url(withdrawn), **headers).status_code == 404

    def test_post_is_refused_with_an_outcome(self, client, coordinator):
        response = client.post(PATIENTS, {}, **coordinator)
        assert response.status_code == 405
        assert "seules les lectures" in issue(response)["details"]["text"]


class TestErrors:
    def test_unknown_resource_type_is_400_naming_it(self, client, coordinator):
        for url in ("/fhir/R4/Medication", "/fhir/R4/Bidule/123"):
            response = client.get(url, **coordinator)
            assert response.status_code == 400
            text = issue(response)["details"]["text"]
            assert text.startswith("Type de ressource inconnu ou non pris en charge")
            assert "Types pris en charge : Patient, Organization" in text  # then the others

    def test_unknown_type_still_needs_a_token(self, client):
        assert client.get("/fhir/R4/Medication").status_code == 401

    @pytest.mark.parametrize("query, says", [
        ({"gender": "female"}, "non pris en charge pour Patient : gender"),
        ({"name:exact": "X"}, "non pris en charge pour Patient : name:exact"),
        ({"birthdate": "12/05/1938"}, "Paramètre « birthdate » : « 12/05/1938 »"),
        ({"birthdate": "1938-02-30"}, "la date « 1938-02-30 » n'existe pas"),
        ({"birthdate": "9999-12-31"}, "la date « 9999-12-31 » n'existe pas"),
        ({"_lastUpdated": "9999-12-31T23:59:59Z"}, "n'existe pas"),
        ({"_lastUpdated": "hier"}, "Paramètre « _lastUpdated »"),
        ({"_count": "beaucoup"}, "Paramètre « _count » : un nombre entier est attendu."),
        ({"_count": "0"}, "Paramètre « _count » : au moins 1."),
        ({"_cursor": "%%%"}, "curseur de page invalide"),
        ({"name": ""}, "Paramètre « name » : valeur vide."),
    ])
    def test_bad_search_parameter_is_400_saying_which(self, client, coordinator, query, says):
        response = client.get(PATIENTS, query, **coordinator)
        assert response.status_code == 400
        assert says in issue(response)["details"]["text"]


class TestSearch:
    def test_parameters(self, client, crt_a, coordinator, users):
        qual = BeneficiaryFactory(
            crt=crt_a, birth_name="MARTIN", first_names="Louise Anne", first_name="Louise",
            birth_date="1935-03-02", ins_matricule="235034933100136", ins_oid=InsOid.TEST_NIR,
            identity_status=IdentityStatus.QUAL)
        vali = BeneficiaryFactory(
            crt=crt_a, birth_name="MARTINEAU", used_name="DURAND", birth_date="1940-07-14",
            ins_matricule="235034933100136", ins_oid=InsOid.TEST_NIR,
            identity_status=IdentityStatus.VALI)
        def ids(**query):
            bundle = client.get(PATIENTS, query, **coordinator).json()
            assert bundle["total"] == len(bundle["entry"])
            return {e["resource"]["id"] for e in bundle["entry"]}
        q, v = str(qual.public_id), str(vali.public_id)
        assert ids(name="martin") == {q, v}
        assert ids(name="durand") == {v}
        assert ids(name="anne") == {q}
        assert ids(birthdate="1935") == {q}
        assert ids(birthdate="ge1936-01-01") == {v}
        assert ids(birthdate=["ge1930", "lt1940-07"]) == {q}
        assert ids(birthdate="1935-03,1940-07-14") == {q, v}
        assert ids(birthdate="ne1935-03-02", name="martin") == {v}
        # The INS matches only where it is shown: a qualified identity.
        assert ids(identifier="urn:oid:1.2.250.1.213.1.4.10|235034933100136") == {q}
        assert ids(identifier="235034933100136") == {q}
        assert ids(identifier="urn:oid:1.2.250.1.213.1.4.8|235034933100136") == set()
        assert ids(identifier=f"urn:ietf:rfc:3986|urn:uuid:{v}") == {v}
        assert ids(identifier="http://ailleurs|1") == set()
        assert ids(_lastUpdated=f"ge{timezone.localdate().isoformat()}") == {q, v}
        assert ids(_lastUpdated="lt2000") == set()

    def test_name_ignores_accents_case_and_hyphens(self, client, crt_a, coordinator):
        helene = BeneficiaryFactory(crt=crt_a, birth_name="DUPRÉ-LEFÈVRE", first_names="Hélène",
                                    first_name="Hélène")
        BeneficiaryFactory(crt=crt_a, birth_name="LEDUPRE")

        def ids(name):
            return {e["resource"]["id"] for e in
                    client.get(PATIENTS, {"name": name}, **coordinator).json()["entry"]}
        assert ids("dupre") == ids("DUPRÉ") == ids("lefevre") == {str(helene.public_id)}
        assert ids("helene") == ids("Hélè") == {str(helene.public_id)}
        assert ids("dupre lefe") == {str(helene.public_id)}  # words in order
        assert ids("upre") == set()  # a name starts with the text, it does not contain it

    def test_paging_follows_next_to_the_end(self, client, crt_a, coordinator):
        made = {str(BeneficiaryFactory(crt=crt_a).public_id) for _ in range(7)}
        seen, url, pages = [], f"{PATIENTS}?_count=3", 0
        while url:
            bundle = client.get(url, **coordinator).json()
            assert bundle["type"] == "searchset" and bundle["total"] == 7
            links = {link["relation"]: link["url"] for link in bundle["link"]}
            assert links["self"].endswith(url.removeprefix("http://testserver"))
            seen += [e["resource"]["id"] for e in bundle["entry"]]
            url = links.get("next")
            pages += 1
        assert pages == 3 and len(seen) == 7 and set(seen) == made

    def test_count_default_and_maximum(self, client, crt_a, coordinator):
        for _ in range(22):
            BeneficiaryFactory(crt=crt_a)
        assert len(client.get(PATIENTS, **coordinator).json()["entry"]) == 20
        assert len(client.get(PATIENTS, {"_count": 500}, **coordinator).json()["entry"]) == 22

    def test_query_budget(self, client, crt_a, coordinator, django_assert_max_num_queries):
        for _ in range(30):
            BeneficiaryFactory(crt=crt_a)
        # token, membership, rate limit (3), last use, count, page, + one audit insert per Patient.
        with django_assert_max_num_queries(10 + 30):
            assert len(client.get(PATIENTS, {"_count": 30}, **coordinator).json()["entry"]) == 30


class TestAudit:
    def test_each_patient_read_is_in_who_read_my_file(self, client, users, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a, birth_name="AUDITE")
        other = BeneficiaryFactory(crt=crt_a, birth_name="AUTRE")
        client.get(read_url(b), **coordinator)
        client.get(PATIENTS, {"name": "audite"}, **coordinator)
        events = AuditEvent.objects.filter(action="fhir.patient_read",
                                           beneficiary_public_id=b.public_id)
        assert events.count() == 2
        assert {e.actor for e in events} == {users["coordinator"]}
        assert not AuditEvent.objects.filter(action="fhir.patient_read",
                                             beneficiary_public_id=other.public_id).exists()
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id]))
        assert "Consultation de l&#x27;identité par l&#x27;API FHIR" in page.content.decode() \
            or "Consultation de l'identité par l'API FHIR" in page.content.decode()


class TestMetadata:
    def test_capability_statement_without_token(self, client):
        response = client.get("/fhir/R4/metadata")
        assert response.status_code == 200
        body = response.json()
        assert body["resourceType"] == "CapabilityStatement"
        assert body["fhirVersion"] == "4.0.1" and body["format"] == ["json"]
        (rest,) = body["rest"]
        assert [r["type"] for r in rest["resource"]][:2] == ["Patient", "Organization"]
        patient = rest["resource"][0]
        assert [i["code"] for i in patient["interaction"]] == ["read", "search-type"]
        assert [p["name"] for p in patient["searchParam"]] == [
            "identifier", "name", "birthdate", "_lastUpdated", "_count"]

    def test_every_listed_param_is_accepted_and_nothing_else(self, client, coordinator, users,
                                                             crt_a):
        from maillage.core.permissions import has_permission
        from maillage.interop.fhir.registry import RESOURCES

        doctor = bearer(users["doctor"], crt_a)  # health data: not the coordination's
        statement = client.get("/fhir/R4/metadata").json()
        for resource in statement["rest"][0]["resource"]:
            headers = coordinator if has_permission(
                {"coordinator"}, RESOURCES[resource["type"]].permission) else doctor
            for param in resource.get("searchParam", []):  # none: read only (Binary)
                value = {"date": "2020", "number": "5",  # a reference: an id (none found)
                         "reference": "2b6f0cc9-1c51-4a4e-9b1e-0d0f3c1a2b3c"}.get(
                    param["type"], "x")
                response = client.get(f"/fhir/R4/{resource['type']}", {param["name"]: value},
                                      **headers)
                assert response.status_code == 200, (resource["type"], param["name"])


class TestOrganization:
    def test_read_search_and_refusals(self, client, users, crt_a, crt_b, user_b, coordinator):
        from maillage.territory.tests.factories import OrganizationFactory

        from .fhir_rules import schema_errors

        org = OrganizationFactory(crt=crt_a, name="SSIAD du Baugeois", finess="490000031",
                                  siret="")
        OrganizationFactory(crt=crt_a, name="Pharmacie Centrale", finess="", siret="")
        url = f"/fhir/R4/Organization/{org.public_id}"
        body = client.get(url, **coordinator).json()
        assert body["name"] == "SSIAD du Baugeois" and schema_errors(body) == []
        assert {"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1490000031"}.items() <= \
            body["identifier"][0].items()

        def names(**query):
            bundle = client.get("/fhir/R4/Organization", query, **coordinator).json()
            assert schema_errors(bundle) == []
            return [e["resource"]["name"] for e in bundle["entry"]]

        assert names(name="ssiad") == ["SSIAD du Baugeois"]
        assert names(name="centrale") == ["Pharmacie Centrale"]
        assert names(identifier="urn:oid:1.2.250.1.71.4.2.2|1490000031") == ["SSIAD du Baugeois"]
        assert names(identifier="https://finess.esante.gouv.fr|490000031") == \
            ["SSIAD du Baugeois"]
        # A system with no value: the structures holding such an identifier, not those without.
        assert names(identifier="https://finess.esante.gouv.fr|") == ["SSIAD du Baugeois"]
        assert names(identifier="urn:oid:1.2.250.1.71.4.2.2|") == ["SSIAD du Baugeois"]
        assert names(identifier="https://sirene.fr|") == []
        assert client.get("/fhir/R4/Organization", {"birthdate": "1940"},
                          **coordinator).status_code == 400
        partner = bearer(users["partner"], crt_a)
        assert client.get(url, **partner).status_code == 403
        assert client.get(url, **bearer(user_b, crt_b)).status_code == 404
