"""RelatedPerson, Practitioner, PractitionerRole, CareTeam and Consent as a client sees them:
content, refusals, tenancy, consent of partners, search parameters, audit, query budget."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember, Consent
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    CaregiverFactory,
    consent,
    shared_file,
)
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.interop.fhir.related_person import trusted_person_id
from maillage.territory.tests.factories import OrganizationFactory, ProfessionalFactory

from . import people_rules as rules
from .helpers import bearer, issue

BASE = "/fhir/R4/"
#: The queries of any search page, whatever its size: the token, its membership and roles, the
#: rate limit in the database cache (with its savepoints: up to 11 on a token's first call),
#: the count and the page. A page of 30 within it does no query per row.
BUDGET = 16


@pytest.fixture
def coordinator(users, crt_a):
    return bearer(users["coordinator"], crt_a)


def valid(resource: dict) -> dict:
    """The resource, once checked: R4 schema and the FR Core rules of its type."""
    assert rules.schema_errors(resource) == [], resource
    assert rules.fr_core_errors(resource) == [], resource
    return resource


def ids(bundle: dict) -> list[str]:
    assert rules.schema_errors(bundle) == [], bundle
    return [e["resource"]["id"] for e in bundle["entry"]]


def read(client, headers, type_, id):
    response = client.get(f"{BASE}{type_}/{id}", **headers)
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'W/"{response.json()["meta"]["versionId"]}"'
    return valid(response.json())


def search(client, headers, type_, **params):
    response = client.get(f"{BASE}{type_}", params, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def person_with_trusted_person(crt, **fields):
    return BeneficiaryFactory(
        crt=crt, trusted_person_name="Hélène Morin", trusted_person_relation="nièce",
        trusted_person_phone="06 11 22 33 44", trusted_person_designated_on=date(2024, 3, 1),
        **fields)


class TestRelatedPerson:
    def test_caregiver_read_and_content(self, client, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        c = CaregiverFactory(crt=crt_a, beneficiary=b, last_name="Leblanc", first_name="Sophie",
                             relation="Fille", phone="06 00 00 00 01", email="s@example.fr",
                             address="2 rue Haute, Angers", is_main=True)
        r = read(client, coordinator, "RelatedPerson", c.public_id)
        assert r["patient"] == {"reference": f"Patient/{b.public_id}"}
        assert r["name"] == [{"family": "Leblanc", "given": ["Sophie"]}]
        role, relation = r["relationship"]
        assert role["coding"] == [{"system": rules.TRE_R260, "code": "CAREGIVER",
                                   "display": "Aidant"}]
        assert role["text"] == "Aidant principal"
        assert relation == {"text": "Fille", "coding": [
            {"system": rules.TRE_R216, "code": "DAUC", "display": "Fille"}]}
        assert {t["system"] for t in r["telecom"]} == {"phone", "email"}
        assert r["address"] == [{"text": "2 rue Haute, Angers"}]
        assert r["identifier"] == [{"use": "usual", "system": "urn:ietf:rfc:3986",
                                    "value": f"urn:uuid:{c.public_id}"}]

    def test_an_unknown_relation_travels_as_text(self, client, crt_a, coordinator):
        c = CaregiverFactory(crt=crt_a, beneficiary=BeneficiaryFactory(crt=crt_a),
                             relation="ancienne collègue")
        r = read(client, coordinator, "RelatedPerson", c.public_id)
        assert r["relationship"][1] == {"text": "ancienne collègue"}

    def test_trusted_person_by_read_and_by_patient_search(self, client, crt_a, coordinator):
        b = person_with_trusted_person(crt_a)
        caregiver = CaregiverFactory(crt=crt_a, beneficiary=b)
        trusted = str(trusted_person_id(b.public_id))
        r = read(client, coordinator, "RelatedPerson", trusted)
        assert r["id"] == trusted and r["patient"]["reference"] == f"Patient/{b.public_id}"
        assert r["relationship"][0]["coding"] == [
            {"system": rules.TRE_R260, "code": "NOK", "display": "personne de confiance"}]
        assert r["relationship"][1]["coding"][0]["code"] == "NIECE"
        assert r["name"] == [{"text": "Hélène Morin"}]
        assert r["period"] == {"start": "2024-03-01"}
        assert r["telecom"] == [{"system": "phone", "value": "06 11 22 33 44"}]
        bundle = search(client, coordinator, "RelatedPerson", patient=f"Patient/{b.public_id}")
        assert sorted(ids(bundle)) == sorted([str(caregiver.public_id), trusted])
        assert bundle["total"] == 2
        # Without ``patient``, the search covers the caregivers (the keyset over their table).
        assert ids(search(client, coordinator, "RelatedPerson")) == [str(caregiver.public_id)]
        # The other parameters apply to the trusted person too.
        assert ids(search(client, coordinator, "RelatedPerson", patient=str(b.public_id),
                          name="hél")) == [trusted]
        assert ids(search(client, coordinator, "RelatedPerson", patient=str(b.public_id),
                          _lastUpdated="lt2000")) == []

    def test_no_trusted_person_no_resource(self, client, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a)  # none designated
        response = client.get(f"{BASE}RelatedPerson/{trusted_person_id(b.public_id)}",
                              **coordinator)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        assert search(client, coordinator, "RelatedPerson", patient=str(b.public_id))[
            "total"] == 0

    @pytest.mark.parametrize("role", ["auditor", "ars", "caregiver", "beneficiary"])
    def test_forbidden_role_is_403(self, client, users, crt_a, role):
        b = person_with_trusted_person(crt_a)
        c = CaregiverFactory(crt=crt_a, beneficiary=b)
        headers = bearer(users[role], crt_a)
        for url in (f"{BASE}RelatedPerson", f"{BASE}RelatedPerson/{c.public_id}",
                    f"{BASE}RelatedPerson/{trusted_person_id(b.public_id)}"):
            response = client.get(url, **headers)
            assert response.status_code == 403
            assert "Votre rôle" in issue(response)["details"]["text"]

    def test_other_crt_is_404_and_absent(self, client, crt_a, crt_b, user_b):
        b = person_with_trusted_person(crt_a)
        c = CaregiverFactory(crt=crt_a, beneficiary=b)
        headers = bearer(user_b, crt_b)
        for id in (c.public_id, trusted_person_id(b.public_id)):
            response = client.get(f"{BASE}RelatedPerson/{id}", **headers)
            assert response.status_code == 404 and issue(response)["code"] == "not-found"
        assert search(client, headers, "RelatedPerson", patient=str(b.public_id))["total"] == 0
        assert search(client, headers, "RelatedPerson")["total"] == 0

    def test_partner_sees_only_consenting_people(self, client, users, crt_a):
        partner = users["partner"]
        consenting = shared_file(crt_a, partner, {Role.PARTNER})
        consenting.trusted_person_name = "Paul Durand"
        consenting.save()
        pro = CareTeamMember.objects.get(beneficiary=consenting).professional
        refusing = person_with_trusted_person(crt_a)  # in the team, no consent
        CareTeamMember.objects.create(crt=crt_a, beneficiary=refusing, professional=pro,
                                      role="Médecin traitant", start_date=date(2024, 1, 1))
        seen = CaregiverFactory(crt=crt_a, beneficiary=consenting)
        hidden = CaregiverFactory(crt=crt_a, beneficiary=refusing)
        headers = bearer(partner, crt_a)
        assert ids(search(client, headers, "RelatedPerson")) == [str(seen.public_id)]
        read(client, headers, "RelatedPerson", seen.public_id)
        read(client, headers, "RelatedPerson", trusted_person_id(consenting.public_id))
        for id in (hidden.public_id, trusted_person_id(refusing.public_id)):
            assert client.get(f"{BASE}RelatedPerson/{id}", **headers).status_code == 404
        assert search(client, headers, "RelatedPerson",
                      patient=str(refusing.public_id))["total"] == 0

    def test_search_parameters(self, client, crt_a, coordinator):
        b1, b2 = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        c1 = CaregiverFactory(crt=crt_a, beneficiary=b1, last_name="Pasquier")
        c2 = CaregiverFactory(crt=crt_a, beneficiary=b2, last_name="Renard")
        assert ids(search(client, coordinator, "RelatedPerson",
                          patient=f"Patient/{b1.public_id}")) == [str(c1.public_id)]
        assert ids(search(client, coordinator, "RelatedPerson", name="ren")) == [
            str(c2.public_id)]
        assert len(ids(search(client, coordinator, "RelatedPerson",
                              _lastUpdated=f"ge{timezone.localdate().year - 1}"))) == 2

    @pytest.mark.parametrize("query,says", [
        ({"patient": "Organization/123"}, "Paramètre « patient »"),
        ({"patient": "pas-un-id"}, "Paramètre « patient »"),
        ({"_lastUpdated": "hier"}, "Paramètre « _lastUpdated »"),
        ({"relationship": "NOK"}, "relationship"),
    ])
    def test_bad_parameter_is_400_naming_it(self, client, coordinator, query, says):
        response = client.get(f"{BASE}RelatedPerson", query, **coordinator)
        assert response.status_code == 400
        assert says in issue(response)["details"]["text"]

    def test_reads_are_in_who_read_my_file(self, client, users, crt_a, coordinator):
        b = person_with_trusted_person(crt_a)
        c = CaregiverFactory(crt=crt_a, beneficiary=b)
        client.get(f"{BASE}RelatedPerson/{c.public_id}", **coordinator)
        client.get(f"{BASE}RelatedPerson", {"patient": str(b.public_id)}, **coordinator)
        events = AuditEvent.objects.filter(action="fhir.relatedperson_read",
                                           beneficiary_public_id=b.public_id)
        assert sorted(e.object_id for e in events) == sorted(
            [str(c.public_id)] * 2 + [str(trusted_person_id(b.public_id))])
        assert {e.actor for e in events} == {users["coordinator"]}
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id])).content
        assert "aidants ou de la personne de confiance par l&#x27;API FHIR" in page.decode()

    def test_query_budget(self, client, crt_a, coordinator, django_assert_max_num_queries):
        for _ in range(15):
            b = person_with_trusted_person(crt_a)
            CaregiverFactory(crt=crt_a, beneficiary=b)
            CaregiverFactory(crt=crt_a, beneficiary=b)
        with django_assert_max_num_queries(BUDGET + 1):  # + the audit insert
            assert len(search(client, coordinator, "RelatedPerson", _count=30)["entry"]) == 30


class TestPractitioner:
    def test_read_identifiers_profession_and_mssante(self, client, crt_a, coordinator):
        org = OrganizationFactory(crt=crt_a, name="Cabinet du Lac")
        pro = ProfessionalFactory(crt=crt_a, last_name="Besnard", first_name="Anne",
                                  profession="gp", rpps="10100000017", organization=org,
                                  mssante_email="anne.besnard@medecin.mssante.fr",
                                  phone="02 41 00 00 00")
        r = read(client, coordinator, "Practitioner", pro.public_id)
        idnat, rpps, local = r["identifier"]
        assert (idnat["system"], idnat["value"]) == ("urn:oid:1.2.250.1.71.4.2.1",
                                                      "810100000017")
        assert (rpps["system"], rpps["value"]) == ("https://rpps.esante.gouv.fr", "10100000017")
        assert local["value"] == f"urn:uuid:{pro.public_id}"
        assert r["qualification"][0]["code"]["coding"] == [
            {"system": rules.TRE_G15, "code": "10", "display": "Médecin"}]
        assert r["qualification"][0]["code"]["text"] == "Médecin généraliste"
        mss = next(t for t in r["telecom"] if t["value"].endswith("mssante.fr"))
        assert mss["system"] == "email"
        assert mss["extension"][0]["valueCoding"]["code"] == "MSSANTE"
        assert r["active"] is True and r["name"] == [
            {"use": "usual", "family": "Besnard", "given": ["Anne"]}]

    @pytest.mark.parametrize("profession,code", [
        ("nurse", "60"), ("physiotherapist", "70"), ("pharmacist", "21"),
        ("occupational_therapist", "94"), ("geriatrician", "10"), ("social_worker", None),
        ("care_aide", None), ("psychologist", None)])
    def test_profession_codes(self, client, crt_a, coordinator, profession, code):
        pro = ProfessionalFactory(crt=crt_a, profession=profession)
        concept = read(client, coordinator, "Practitioner", pro.public_id)[
            "qualification"][0]["code"]
        assert [c["code"] for c in concept.get("coding", [])] == ([code] if code else [])
        assert concept["text"] == pro.get_profession_display()

    def test_no_rpps_no_national_identifier(self, client, crt_a, coordinator):
        pro = ProfessionalFactory(crt=crt_a, profession="home_help", rpps="")
        r = read(client, coordinator, "Practitioner", pro.public_id)
        assert [i["system"] for i in r["identifier"]] == ["urn:ietf:rfc:3986"]

    def test_search_by_identifier_and_name(self, client, crt_a, coordinator):
        pro = ProfessionalFactory(crt=crt_a, last_name="Besnard", rpps="10100000017")
        other = ProfessionalFactory(crt=crt_a, last_name="Rivière", rpps="")
        for value in ("urn:oid:1.2.250.1.71.4.2.1|810100000017",
                      "https://rpps.esante.gouv.fr|10100000017", "10100000017", "810100000017",
                      f"urn:ietf:rfc:3986|urn:uuid:{pro.public_id}"):
            assert ids(search(client, coordinator, "Practitioner", identifier=value)) == [
                str(pro.public_id)], value
        assert ids(search(client, coordinator, "Practitioner",
                          identifier="https://rpps.esante.gouv.fr|810100000017")) == []
        assert ids(search(client, coordinator, "Practitioner", name="riv")) == [
            str(other.public_id)]
        assert search(client, coordinator, "Practitioner", _lastUpdated="lt2000")["total"] == 0

    @pytest.mark.parametrize("role", ["partner", "auditor", "ars", "caregiver"])
    def test_roles_without_the_directory_are_403(self, client, users, crt_a, role):
        pro = ProfessionalFactory(crt=crt_a)
        for type_ in ("Practitioner", "PractitionerRole"):
            response = client.get(f"{BASE}{type_}/{pro.public_id}", **bearer(users[role], crt_a))
            assert response.status_code == 403 and issue(response)["code"] == "forbidden"

    def test_other_crt_is_404_and_absent(self, client, crt_a, crt_b, user_b):
        pro = ProfessionalFactory(crt=crt_a, rpps="10100000017")
        headers = bearer(user_b, crt_b)
        for type_ in ("Practitioner", "PractitionerRole"):
            assert client.get(f"{BASE}{type_}/{pro.public_id}", **headers).status_code == 404
            assert search(client, headers, type_)["total"] == 0

    def test_directory_reads_are_not_audited(self, client, crt_a, coordinator):
        pro = ProfessionalFactory(crt=crt_a)
        before = AuditEvent.objects.count()
        client.get(f"{BASE}Practitioner/{pro.public_id}", **coordinator)
        client.get(f"{BASE}PractitionerRole", **coordinator)
        assert AuditEvent.objects.count() == before

    def test_role_content_and_search(self, client, crt_a, coordinator):
        org = OrganizationFactory(crt=crt_a, name="SSIAD du Baugeois")
        pro = ProfessionalFactory(crt=crt_a, profession="nurse", organization=org,
                                  specialty="plaies et cicatrisation", mobile="06 00 00 00 02")
        alone = ProfessionalFactory(crt=crt_a, organization=None)
        r = read(client, coordinator, "PractitionerRole", pro.public_id)
        assert r["practitioner"]["reference"] == f"Practitioner/{pro.public_id}"
        assert r["organization"] == {"reference": f"Organization/{org.public_id}",
                                     "display": "SSIAD du Baugeois"}
        assert r["code"][0]["coding"][0]["code"] == "60"
        assert r["code"][0]["text"].endswith("(plaies et cicatrisation)")
        assert r["telecom"] == [{"system": "phone", "value": "06 00 00 00 02", "use": "mobile"}]
        assert "organization" not in read(client, coordinator, "PractitionerRole",
                                          alone.public_id)
        assert ids(search(client, coordinator, "PractitionerRole",
                          organization=f"Organization/{org.public_id}")) == [str(pro.public_id)]
        assert ids(search(client, coordinator, "PractitionerRole",
                          practitioner=f"Practitioner/{alone.public_id}")) == [
            str(alone.public_id)]
        response = client.get(f"{BASE}PractitionerRole", {"practitioner": "Patient/1"},
                              **coordinator)
        assert response.status_code == 400
        assert "Paramètre « practitioner »" in issue(response)["details"]["text"]

    def test_query_budget(self, client, crt_a, coordinator, django_assert_max_num_queries):
        for _ in range(30):
            ProfessionalFactory(crt=crt_a, organization=OrganizationFactory(crt=crt_a))
        for type_ in ("Practitioner", "PractitionerRole"):
            with django_assert_max_num_queries(BUDGET):
                assert len(search(client, coordinator, type_, _count=30)["entry"]) == 30


def make_consent(b, **fields):
    """A consent of ``b`` (``factories.consent`` with its date and method overridable)."""
    values = {"collected_on": timezone.localdate(), "method": Consent.Method.ORAL, **fields}
    c = consent(b, **{k: v for k, v in values.items() if k not in ("collected_on", "method")})
    Consent.objects.filter(pk=c.pk).update(collected_on=values["collected_on"],
                                           method=values["method"])
    c.refresh_from_db()
    return c


def member(b, *, user=None, professional=None, **fields):
    values = {"role": "Intervenant", "start_date": date(2024, 1, 1), **fields}
    return CareTeamMember.objects.create(crt=b.crt, beneficiary=b, user=user,
                                         professional=professional, **values)


class TestCareTeam:
    def test_read_current_members(self, client, users, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a, birth_name="MARTEAU", first_name="Lucie")
        org = OrganizationFactory(crt=crt_a, name="Cabinet infirmier")
        nurse = ProfessionalFactory(crt=crt_a, organization=org, first_name="Rose",
                                    last_name="Lenoir")
        member(b, professional=nurse, role="Soins infirmiers")
        member(b, user=users["nurse"], role="IDEC", is_referent=True)
        member(b, user=users["doctor"], role="Ancien", end_date=date(2024, 6, 30))
        r = read(client, coordinator, "CareTeam", b.public_id)
        assert r["subject"] == {"reference": f"Patient/{b.public_id}"}
        assert r["status"] == "active" and "profile" not in r["meta"]
        assert r["name"] == "Cercle de soins de Lucie MARTEAU"
        # The file page's order: the GP, the referent, then by role.
        second, first = r["participant"]
        assert first["member"] == {"reference": f"Practitioner/{nurse.public_id}",
                                   "display": "Rose Lenoir"}
        assert first["onBehalfOf"]["reference"] == f"Organization/{org.public_id}"
        assert first["role"] == [{"text": "Soins infirmiers"}]
        assert second["member"] == {"display": users["nurse"].get_full_name()
                                    or users["nurse"].username}
        assert second["role"] == [{"text": "IDEC — référent·e du CRT"}]
        assert second["period"] == {"start": "2024-01-01"}

    def test_version_follows_the_members(self, client, users, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        m = member(b, user=users["nurse"])
        before = read(client, coordinator, "CareTeam", b.public_id)["meta"]["versionId"]
        m.end_date = date(2024, 2, 1)
        m.save()
        member(b, user=users["doctor"])
        after = read(client, coordinator, "CareTeam", b.public_id)
        assert after["meta"]["versionId"] != before
        assert len(after["participant"]) == 1

    def test_a_person_without_a_current_team_has_none(self, client, users, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        member(b, user=users["nurse"], end_date=date(2024, 6, 30))
        response = client.get(f"{BASE}CareTeam/{b.public_id}", **coordinator)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        assert search(client, coordinator, "CareTeam")["total"] == 0

    def test_search_parameters(self, client, users, crt_a, coordinator):
        b1, b2 = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        pro = ProfessionalFactory(crt=crt_a)
        member(b1, professional=pro)
        member(b2, user=users["nurse"])
        assert ids(search(client, coordinator, "CareTeam",
                          patient=f"Patient/{b2.public_id}")) == [str(b2.public_id)]
        assert ids(search(client, coordinator, "CareTeam",
                          participant=f"Practitioner/{pro.public_id}")) == [str(b1.public_id)]
        assert search(client, coordinator, "CareTeam", _lastUpdated="lt2000")["total"] == 0
        assert search(client, coordinator, "CareTeam",
                      _lastUpdated=f"ge{timezone.localdate().year - 1}")["total"] == 2
        response = client.get(f"{BASE}CareTeam", {"patient": "Practitioner/x"}, **coordinator)
        assert response.status_code == 400
        assert "Paramètre « patient »" in issue(response)["details"]["text"]

    def test_forbidden_other_crt_and_partner(self, client, users, crt_a, crt_b, user_b):
        partner = users["partner"]
        consenting = shared_file(crt_a, partner, {Role.PARTNER})
        pro = CareTeamMember.objects.get(beneficiary=consenting).professional
        refusing = BeneficiaryFactory(crt=crt_a)
        member(refusing, professional=pro)
        headers = bearer(partner, crt_a)
        assert ids(search(client, headers, "CareTeam")) == [str(consenting.public_id)]
        assert client.get(f"{BASE}CareTeam/{refusing.public_id}", **headers).status_code == 404
        response = client.get(f"{BASE}CareTeam/{consenting.public_id}",
                              **bearer(users["auditor"], crt_a))
        assert response.status_code == 403 and issue(response)["code"] == "forbidden"
        response = client.get(f"{BASE}CareTeam/{consenting.public_id}",
                              **bearer(user_b, crt_b))
        assert response.status_code == 404

    def test_reads_are_in_who_read_my_file(self, client, users, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        member(b, user=users["nurse"])
        client.get(f"{BASE}CareTeam/{b.public_id}", **coordinator)
        client.get(f"{BASE}CareTeam", **coordinator)
        events = AuditEvent.objects.filter(action="fhir.careteam_read",
                                           beneficiary_public_id=b.public_id)
        assert events.count() == 2 and {e.actor for e in events} == {users["coordinator"]}
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id])).content
        assert "Consultation du cercle de soins par l&#x27;API FHIR" in page.decode()

    def test_query_budget(self, client, users, crt_a, coordinator,
                          django_assert_max_num_queries):
        for _ in range(20):
            b = BeneficiaryFactory(crt=crt_a)
            member(b, user=users["nurse"])
            member(b, professional=ProfessionalFactory(
                crt=crt_a, organization=OrganizationFactory(crt=crt_a)))
        with django_assert_max_num_queries(BUDGET + 2):  # + the members, the audit insert
            bundle = search(client, coordinator, "CareTeam", _count=20)
        assert len(bundle["entry"]) == 20 and all(
            len(e["resource"]["participant"]) == 2 for e in bundle["entry"])


class TestConsent:
    def test_statuses_and_content(self, client, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        org = OrganizationFactory(crt=crt_a, name="SSIAD du Baugeois")
        sharing = make_consent(b, share_health=True)
        partner = make_consent(b, kind=Consent.Kind.PARTNER_SHARING, organization=org,
                          share_planning=False, method=Consent.Method.WRITTEN)
        objection = make_consent(b, kind=Consent.Kind.ONCALL_INFORMATION, granted=False)
        withdrawn = make_consent(b, kind=Consent.Kind.CONTRACT, withdrawn_at=timezone.now())
        r = read(client, coordinator, "Consent", sharing.public_id)
        assert r["status"] == "active" and r["meta"]["versionId"] == "1"
        assert r["scope"]["coding"][0]["code"] == "patient-privacy"
        assert r["patient"] == {"reference": f"Patient/{b.public_id}"}
        assert r["dateTime"] == sharing.collected_on.isoformat()
        assert r["policyRule"]["coding"][0]["code"] == "OPTOUT"
        assert r["provision"]["type"] == "permit"
        assert [c["text"] for c in r["provision"]["code"]] == [
            "Identité et coordonnées", "Planning des interventions", "Données de santé"]
        assert {"code": "Observation", "system": "http://hl7.org/fhir/resource-types"} in \
            r["provision"]["class"]
        r = read(client, coordinator, "Consent", partner.public_id)
        assert r["policyRule"]["coding"][0]["code"] == "OPTIN"
        (actor,) = r["provision"]["actor"]
        assert actor["reference"]["reference"] == f"Organization/{org.public_id}"
        assert actor["role"]["coding"][0]["code"] == "IRCP"
        assert [c["text"] for c in r["provision"]["code"]] == ["Identité et coordonnées"]
        r = read(client, coordinator, "Consent", objection.public_id)
        assert (r["status"], r["provision"]["type"]) == ("rejected", "deny")
        r = read(client, coordinator, "Consent", withdrawn.public_id)
        assert r["status"] == "inactive" and r["meta"]["versionId"] == "2"
        assert r["scope"]["coding"][0]["code"] == "treatment"
        assert "end" in r["provision"]["period"]

    def test_search_parameters(self, client, crt_a, coordinator):
        b1, b2 = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        old = make_consent(b1, collected_on=date(2023, 5, 4))
        new = make_consent(b2, collected_on=date(2025, 2, 1), granted=False)
        gone = make_consent(b2, kind=Consent.Kind.CONTRACT, collected_on=date(2025, 3, 1),
                       withdrawn_at=timezone.now())
        assert ids(search(client, coordinator, "Consent",
                          patient=f"Patient/{b1.public_id}")) == [str(old.public_id)]
        assert ids(search(client, coordinator, "Consent", date="2023")) == [str(old.public_id)]
        assert ids(search(client, coordinator, "Consent", date="2025-02-01")) == [
            str(new.public_id)]
        assert len(ids(search(client, coordinator, "Consent", date="ge2025-01"))) == 2
        assert ids(search(client, coordinator, "Consent", status="rejected")) == [
            str(new.public_id)]
        assert ids(search(client, coordinator, "Consent", status="inactive")) == [
            str(gone.public_id)]
        assert ids(search(client, coordinator, "Consent", status="active")) == [
            str(old.public_id)]
        for query, says in (({"date": "2025-13"}, "Paramètre « date »"),
                            ({"patient": "Group/1"}, "Paramètre « patient »")):
            response = client.get(f"{BASE}Consent", query, **coordinator)
            assert response.status_code == 400
            assert says in issue(response)["details"]["text"]

    def test_forbidden_other_crt_and_partner(self, client, users, crt_a, crt_b, user_b):
        partner = users["partner"]
        consenting = shared_file(crt_a, partner, {Role.PARTNER})
        pro = CareTeamMember.objects.get(beneficiary=consenting).professional
        refusing = BeneficiaryFactory(crt=crt_a)
        member(refusing, professional=pro)
        objection = make_consent(refusing, granted=False)
        headers = bearer(partner, crt_a)
        assert ids(search(client, headers, "Consent")) == [
            str(c.public_id) for c in consenting.consents.all()]
        assert client.get(f"{BASE}Consent/{objection.public_id}", **headers).status_code == 404
        for role in ("auditor", "ars", "beneficiary"):
            response = client.get(f"{BASE}Consent", **bearer(users[role], crt_a))
            assert response.status_code == 403 and issue(response)["code"] == "forbidden"
        response = client.get(f"{BASE}Consent/{objection.public_id}", **bearer(user_b, crt_b))
        assert response.status_code == 404

    def test_reads_are_in_who_read_my_file(self, client, users, crt_a, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        c = make_consent(b)
        client.get(f"{BASE}Consent/{c.public_id}", **coordinator)
        events = AuditEvent.objects.filter(action="fhir.consent_read",
                                           beneficiary_public_id=b.public_id)
        assert [e.object_id for e in events] == [str(c.public_id)]
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id])).content
        assert "Consultation des consentements par l&#x27;API FHIR" in page.decode()

    def test_query_budget(self, client, crt_a, coordinator, django_assert_max_num_queries):
        org = OrganizationFactory(crt=crt_a)
        for _ in range(15):
            b = BeneficiaryFactory(crt=crt_a)
            make_consent(b)
            make_consent(b, kind=Consent.Kind.PARTNER_SHARING, organization=org)
        with django_assert_max_num_queries(BUDGET + 1):  # + the audit insert
            assert len(search(client, coordinator, "Consent", _count=30)["entry"]) == 30
