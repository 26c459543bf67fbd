"""DocumentReference as a client sees it: the documents filed in a person's file (the contract
among them), medical ones for the health professionals of the care team; search, audit."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember, Document
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    document,
    join_care_team,
    shared_file,
)
from maillage.core.models import AuditEvent
from maillage.core.roles import Role

from .fhir_care_rules import all_errors, schema_errors
from .helpers import bearer, issue

DOCS = "/fhir/R4/DocumentReference"
MEDICAL = Document.Category.MEDICAL


def read_url(doc) -> str:
    return f"{DOCS}/{doc.public_id}"


@pytest.fixture
def coordinator(users, crt_a):
    return bearer(users["coordinator"], crt_a)


def ids(client, headers, **query):
    response = client.get(DOCS, query, **headers)
    assert response.status_code == 200, response.json()
    bundle = response.json()
    assert schema_errors(bundle) == []
    assert bundle["total"] == len(bundle["entry"])
    return {e["resource"]["id"] for e in bundle["entry"]}


class TestRead:
    def test_a_document_as_a_client_reads_it(self, client, crt_a, users, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        doc = document(b, Document.Category.CONTRACT, title="Contrat d'accompagnement")
        Document.objects.filter(pk=doc.pk).update(created_by=users["admin_staff"])
        response = client.get(read_url(doc), **coordinator)
        assert response.status_code == 200 and response["ETag"] == 'W/"1"'
        d = response.json()
        assert all_errors(d) == []
        assert d["status"] == "current"
        assert d["type"] == {"text": "Contrat et consentements"}
        assert d["subject"] == {"reference": f"Patient/{b.public_id}"}
        assert d["date"] == doc.created_at.isoformat()
        assert d["author"] == [{"display": users["admin_staff"].get_full_name()}]
        (content,) = d["content"]
        assert content["attachment"] == {
            "contentType": "application/pdf",
            "url": f"http://testserver/fhir/R4/Binary/{doc.public_id}",
            "size": doc.size, "title": "Contrat d'accompagnement", "creation": "2025-01-10"}
        # The URL is the file through the API: the same token gets the bytes.
        got = client.get(content["attachment"]["url"], **coordinator)
        assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
        assert got.content == doc.file.open("rb").read()


class TestAccess:
    def test_medical_documents_only_for_the_care_teams_health_professionals(
            self, client, crt_a, users, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        consent(b, share_health=True)
        admin = document(b)
        medical = document(b, MEDICAL, title="Compte rendu de consultation")
        # The coordinator (no health profession) and a doctor outside the care team: the
        # administrative document only.
        assert ids(client, coordinator) == {str(admin.public_id)}
        assert client.get(read_url(medical), **coordinator).status_code == 404
        doctor = bearer(users["doctor"], crt_a)
        assert ids(client, doctor) == {str(admin.public_id)}
        join_care_team(b, users["doctor"])
        assert ids(client, doctor) == {str(admin.public_id), str(medical.public_id)}
        d = client.get(read_url(medical), **doctor).json()
        assert all_errors(d) == [] and d["type"] == {"text": "Médical"}
        assert d["category"] == [{"text": "Donnée de santé"}]

    @pytest.mark.parametrize("role", ["auditor", "ars", "caregiver", "beneficiary"])
    def test_forbidden_role_is_403(self, client, users, crt_a, role):
        doc = document(BeneficiaryFactory(crt=crt_a))
        for url in (DOCS, read_url(doc)):
            response = client.get(url, **bearer(users[role], crt_a))
            assert response.status_code == 403
            assert issue(response)["code"] == "forbidden"

    def test_other_crt_is_404_and_absent(self, client, crt_a, crt_b, user_b):
        theirs = document(BeneficiaryFactory(crt=crt_a))
        mine = document(BeneficiaryFactory(crt=crt_b))
        headers = bearer(user_b, crt_b)
        response = client.get(read_url(theirs), **headers)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        assert ids(client, headers) == {str(mine.public_id)}

    def test_partner_sees_only_consenting_people(self, client, users, crt_a):
        partner = users["partner"]  # a GP (health profession) in the care team
        consenting = shared_file(crt_a, partner, {Role.PARTNER})  # health shared too
        pro = CareTeamMember.objects.get(beneficiary=consenting).professional
        refusing, no_health = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        consent(no_health)  # identity and planning, not health
        for b in (refusing, no_health):
            CareTeamMember.objects.create(crt=crt_a, beneficiary=b, professional=pro,
                                          role="Médecin traitant", start_date=date(2024, 1, 1))
        seen = {document(consenting), document(consenting, MEDICAL), document(no_health)}
        hidden = {document(refusing), document(refusing, MEDICAL), document(no_health, MEDICAL)}
        headers = bearer(partner, crt_a)
        assert ids(client, headers) == {str(d.public_id) for d in seen}
        for doc in hidden:
            assert client.get(read_url(doc), **headers).status_code == 404
        consenting.consents.update(withdrawn_at=timezone.now())
        assert ids(client, headers) == {str(d.public_id) for d in seen
                                        if d.beneficiary_id == no_health.pk}


class TestSearch:
    def test_parameters(self, client, crt_a, coordinator):
        b, other = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        d1, d2, d3 = document(b), document(b, title="Attestation APA"), document(other)
        Document.objects.filter(pk=d1.pk).update(
            created_at=timezone.make_aware(timezone.datetime(2025, 2, 1, 10)))
        mine = {str(d.public_id) for d in (d1, d2)}
        assert ids(client, coordinator, patient=f"Patient/{b.public_id}") == mine
        assert ids(client, coordinator, patient=str(other.public_id)) == {str(d3.public_id)}
        assert ids(client, coordinator, date="2025-02") == {str(d1.public_id)}
        assert ids(client, coordinator, date=f"ge{timezone.localdate().isoformat()}") == \
            {str(d2.public_id), str(d3.public_id)}
        assert ids(client, coordinator, _lastUpdated="lt2000") == set()

    @pytest.mark.parametrize("query, says", [
        ({"date": "demain"}, "Paramètre « date » : « demain » n'est pas une date FHIR"),
        ({"patient": "Group/1"}, "Paramètre « patient » : une référence « Patient/<id> »"),
        ({"category": "medical"}, "non pris en charge pour DocumentReference : category"),
    ])
    def test_bad_parameter_is_400_naming_it(self, client, coordinator, query, says):
        response = client.get(DOCS, query, **coordinator)
        assert response.status_code == 400
        assert says in issue(response)["details"]["text"]

    def test_query_count_does_not_grow_with_the_page(self, client, crt_a, users, coordinator,
                                                     django_assert_max_num_queries):
        for _ in range(15):
            b = BeneficiaryFactory(crt=crt_a)
            document(b), document(b, title="Attestation APA")
        Document.objects.update(created_by=users["nurse"])  # the author joined, not fetched
        # Token and rate limit, count, page (documents joined with their people and authors),
        # the count and page of the two other sources (DLUs, plan versions: empty here), and
        # the audit (one insert).
        with django_assert_max_num_queries(15):
            bundle = client.get(DOCS, {"_count": 30}, **coordinator).json()
        assert len(bundle["entry"]) == 30


class TestAudit:
    def test_each_read_is_in_who_read_my_file(self, client, users, crt_a, coordinator):
        b, other = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        doc = document(b)
        document(other)
        client.get(read_url(doc), **coordinator)
        client.get(DOCS, {"patient": f"Patient/{b.public_id}"}, **coordinator)
        events = AuditEvent.objects.filter(action="fhir.documentreference_read",
                                           beneficiary_public_id=b.public_id)
        assert events.count() == 2 and {e.actor for e in events} == {users["coordinator"]}
        assert not AuditEvent.objects.filter(action="fhir.documentreference_read",
                                             beneficiary_public_id=other.public_id).exists()
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id])).content
        assert "Consultation de la description d&#x27;un document du dossier" in page.decode()
