"""The DLU and the plan's versions as DocumentReferences, and every DocumentReference's file
through the API (``Binary``), as a partner system holding a bearer token sees them: who gets
which, the bytes, the audit. WeasyPrint is slow: two PDFs rendered in the whole file."""

import base64
import uuid
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import Document
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    document,
    join_care_team,
    shared_file,
)
from maillage.care.tests import factories as care
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.oncall.models import BreakGlass, EmergencyFile
from maillage.oncall.tests import factories as oncall

from .fhir_care_rules import all_errors
from .fhir_rules import schema_errors
from .helpers import bearer, issue

DOCS = "/fhir/R4/DocumentReference"
BINARY = "/fhir/R4/Binary"
FHIR_JSON = {"HTTP_ACCEPT": "application/fhir+json"}


def dlu(b) -> EmergencyFile:
    return EmergencyFile.objects.create(crt=b.crt, beneficiary=b, kept_at="Pochette rouge",
                                        preferred_hospital="CHU d'Angers")


def plan(b, **fields):
    return care.plan_version(b, **fields)


def ids(client, headers, **query) -> set[str]:
    response = client.get(DOCS, query, **headers)
    assert response.status_code == 200, response.json()
    bundle = response.json()
    assert bundle["total"] == len(bundle["entry"])
    for entry in bundle["entry"]:
        assert all_errors(entry["resource"]) == [], entry["resource"]
    return {e["resource"]["id"] for e in bundle["entry"]}


def pid(*objects) -> set[str]:
    return {str(o.public_id) for o in objects}


@pytest.fixture
def file_(crt_a, users):
    """A person whose care team holds the doctor (health shared): a stored document, a DLU
    and a draft and a validated plan version."""
    b = shared_file(crt_a, users["doctor"])
    return {"b": b, "doc": document(b), "dlu": dlu(b),
            "v1": plan(b, status="validated", number=1,
                       validated_at=timezone.make_aware(timezone.datetime(2025, 3, 1, 9))),
            "v2": plan(b, number=2)}


class TestDocumentReference:
    def test_dlu_and_plan_as_a_client_reads_them(self, client, users, crt_a, file_):
        doctor = bearer(users["doctor"], crt_a)
        b = file_["b"]
        assert ids(client, doctor, patient=f"Patient/{b.public_id}") == pid(
            file_["doc"], file_["dlu"], file_["v1"], file_["v2"])
        d = client.get(f"{DOCS}/{file_['dlu'].public_id}", **doctor).json()
        assert all_errors(d) == []
        assert d["status"] == "current" and d["subject"] == {"reference": f"Patient/{b.public_id}"}
        assert d["type"]["coding"] == [{"system": "http://loinc.org", "code": "74207-2"}]
        assert d["content"][0]["attachment"]["contentType"] == "application/pdf"
        assert d["content"][0]["attachment"]["url"] == \
            f"http://testserver{BINARY}/{file_['dlu'].public_id}"
        p = client.get(f"{DOCS}/{file_['v1'].public_id}", **doctor).json()
        assert p["type"]["coding"] == [{"system": "http://loinc.org", "code": "18776-5",
                                        "display": "Plan of care note"}]
        assert p["docStatus"] == "final"
        assert datetime.fromisoformat(p["date"]) == file_["v1"].validated_at
        careplan = f"CarePlan/{file_['v1'].public_id}"
        assert p["context"] == {"related": [{"reference": careplan}]}
        assert p["content"][0]["attachment"]["url"] == \
            f"http://testserver{BINARY}/{file_['v1'].public_id}"
        assert client.get(f"{DOCS}/{file_['v2'].public_id}", **doctor).json()[
            "docStatus"] == "preliminary"

    def test_search_parameters_reach_every_source(self, client, users, crt_a, file_):
        doctor = bearer(users["doctor"], crt_a)
        assert ids(client, doctor, date="2025-03") == pid(file_["v1"])
        today = timezone.localdate().isoformat()
        assert ids(client, doctor, date=f"ge{today}") == pid(
            file_["doc"], file_["dlu"], file_["v2"])
        assert ids(client, doctor, _lastUpdated="lt2000") == set()
        other = BeneficiaryFactory(crt=crt_a)
        assert ids(client, doctor, patient=str(other.public_id)) == set()

    def test_each_role_gets_what_its_screens_show(self, client, users, crt_a, file_):
        # The coordinator (no health profession): the plan, not the DLU (emergency data).
        coordinator = bearer(users["coordinator"], crt_a)
        assert ids(client, coordinator) == pid(file_["doc"], file_["v1"], file_["v2"])
        response = client.get(f"{DOCS}/{file_['dlu'].public_id}", **coordinator)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        # A doctor outside the care team: no DLU either.
        join_care_team(BeneficiaryFactory(crt=crt_a), users["nurse"])
        assert not ids(client, bearer(users["nurse"], crt_a)) & pid(file_["dlu"])

    @pytest.mark.parametrize("role", ["auditor", "ars", "caregiver"])
    def test_forbidden_role_is_403(self, client, users, crt_a, file_, role):
        headers = bearer(users[role], crt_a)
        for url in (DOCS, f"{DOCS}/{file_['dlu'].public_id}", f"{BINARY}/{file_['v1'].public_id}"):
            response = client.get(url, **headers)
            assert response.status_code == 403 and issue(response)["code"] == "forbidden"

    def test_other_crt_is_404(self, client, crt_b, user_b, file_):
        headers = bearer(user_b, crt_b)
        for key in ("doc", "dlu", "v1"):
            for url in (f"{DOCS}/{file_[key].public_id}", f"{BINARY}/{file_[key].public_id}"):
                response = client.get(url, **headers)
                assert response.status_code == 404 and issue(response)["code"] == "not-found"
        assert ids(client, headers) == set()

    def test_partner_sees_only_consenting_people(self, client, users, crt_a):
        partner = users["partner"]  # a GP in the care team, health shared
        b = shared_file(crt_a, partner, {Role.PARTNER})
        own = {dlu(b), plan(b)}
        headers = bearer(partner, crt_a)
        assert ids(client, headers) == pid(*own)
        b.consents.update(withdrawn_at=timezone.now())
        assert ids(client, headers) == set()
        for obj in own:
            assert client.get(f"{BINARY}/{obj.public_id}", **headers).status_code == 404

    def test_break_the_glass_reads_the_dlu_as_an_emergency_access(self, client, users, crt_a):
        responder = users["nurse"]  # on the rota, answered an open call about b
        b = BeneficiaryFactory(crt=crt_a)
        ef = dlu(b)
        headers = bearer(responder, crt_a)
        assert pid(ef).isdisjoint(ids(client, headers))
        oncall.shift(crt_a, responder)
        call = oncall.call(crt_a, responder, b)
        BreakGlass.objects.create(crt=crt_a, call=call, user=responder, beneficiary=b,
                                  reason="Chute, ne répond plus")
        assert pid(ef) <= ids(client, headers, patient=str(b.public_id))
        event = AuditEvent.objects.get(action="fhir.documentreference_read",
                                       object_id=str(ef.public_id))
        assert event.is_emergency_access and event.reason == "Chute, ne répond plus"

    def test_query_count_does_not_grow_with_the_page(self, client, users, crt_a,
                                                     django_assert_max_num_queries):
        for _ in range(8):
            b = shared_file(crt_a, users["doctor"])
            dlu(b), plan(b, status="validated"), plan(b, number=2), document(b)
        # Token, roles, rate limit (up to 4 with the cache's cull), then count and page for
        # each of three sources, the care-team check of the DLUs, the audit (one insert):
        # 30 rows of three models, no query per row.
        headers = bearer(users["doctor"], crt_a)
        with django_assert_max_num_queries(16):
            bundle = client.get(DOCS, {"_count": 30}, **headers).json()
        assert len(bundle["entry"]) == 30


class TestBinary:
    def test_a_stored_document_raw_and_as_a_resource(self, client, users, crt_a, file_):
        doc, b = file_["doc"], file_["b"]
        headers = bearer(users["coordinator"], crt_a)
        raw = client.get(f"{BINARY}/{doc.public_id}", **headers)
        uploaded = doc.file.open("rb").read()
        assert raw.status_code == 200 and raw["Content-Type"] == "application/pdf"
        assert raw.content == uploaded
        resource = client.get(f"{BINARY}/{doc.public_id}", **headers, **FHIR_JSON)
        assert resource["Content-Type"].startswith("application/fhir+json")
        body = resource.json()
        assert schema_errors(body) == []
        assert body["resourceType"] == "Binary" and body["contentType"] == "application/pdf"
        assert base64.b64decode(body["data"]) == uploaded
        assert body["securityContext"] == {"reference": f"DocumentReference/{doc.public_id}"}
        # Audited as the screen's download, in « qui a consulté mon dossier ».
        events = AuditEvent.objects.filter(action="document.downloaded",
                                           beneficiary_public_id=b.public_id)
        assert events.count() == 2 and {e.actor for e in events} == {users["coordinator"]}
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id])).content
        assert "Téléchargement d&#x27;un document" in page.decode()

    def test_the_dlu_and_the_plan_printed_on_demand(self, client, users, crt_a, file_):
        headers = bearer(users["doctor"], crt_a)
        b = file_["b"]
        raw = client.get(f"{BINARY}/{file_['dlu'].public_id}", **headers)
        assert raw.status_code == 200 and raw["Content-Type"] == "application/pdf"
        assert raw.content.startswith(b"%PDF")
        body = client.get(f"{BINARY}/{file_['v1'].public_id}", **headers, **FHIR_JSON).json()
        assert schema_errors(body) == [] and body["contentType"] == "application/pdf"
        assert base64.b64decode(body["data"]).startswith(b"%PDF")
        for action, obj in (("dlu.printed", file_["dlu"]), ("care_plan.printed", file_["v1"])):
            event = AuditEvent.objects.get(action=action, object_id=str(obj.public_id))
            assert event.beneficiary_public_id == b.public_id
            assert event.actor == users["doctor"] and not event.is_emergency_access

    def test_the_dlu_of_a_care_aide_without_history_nor_synthesis(self, client, users, crt_a):
        """The API hands out the DLU as its screens do (``access.medical_fields``)."""
        from maillage.beneficiaries.models import MedicalRecord
        from maillage.core.tests.helpers import pdf_text

        b = shared_file(crt_a, users["care_aide"])
        join_care_team(b, users["nurse"])
        MedicalRecord.objects.filter(beneficiary=b).update(
            history="Cancer du sein opéré en 2015", synthesis="Déclin cognitif débutant")
        ef = dlu(b)
        aide = client.get(f"{BINARY}/{ef.public_id}", **bearer(users["care_aide"], crt_a))
        assert aide.status_code == 200
        text = pdf_text(aide.content)
        assert "Pénicilline" in text and "Réservé aux médecins et infirmiers" in text
        assert "Cancer du sein" not in text and "Déclin cognitif" not in text
        nurse = client.get(f"{BINARY}/{ef.public_id}", **bearer(users["nurse"], crt_a))
        assert "Cancer du sein opéré en 2015" in pdf_text(nurse.content)

    def test_unknown_id_and_search_refused(self, client, users, crt_a):
        headers = bearer(users["coordinator"], crt_a)
        response = client.get(f"{BINARY}/{uuid.uuid4()}", **headers)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        response = client.get(BINARY, **headers)  # read by id only
        assert response.status_code == 405 and response["Allow"] == "GET"
        assert "Binary se lit seulement par identifiant" in issue(response)["details"]["text"]

    def test_missing_file_is_404_unaudited(self, client, users, crt_a):
        doc = document(BeneficiaryFactory(crt=crt_a))
        doc.file.delete(save=False)
        Document.objects.filter(pk=doc.pk).update(file=f"absent/{doc.public_id}.pdf")
        response = client.get(f"{BINARY}/{doc.public_id}", **bearer(users["coordinator"], crt_a))
        assert response.status_code == 404
        assert not AuditEvent.objects.filter(action="document.downloaded").exists()

    def test_capability_statement_lists_binary_read_only(self, client):
        statement = client.get("/fhir/R4/metadata").json()
        (binary,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "Binary"]
        assert binary["interaction"] == [{"code": "read"}] and "searchParam" not in binary


def test_demo_dlu_and_plan_documents_and_a_binary(demo_module, client, db):
    """Every DocumentReference the demo doctor reads validates (all pages); there are DLUs and
    plan versions among them; a stored document's Binary validates."""
    from maillage.core.middleware import active_memberships
    from maillage.core.models import User

    user = User.objects.get(username="doctor")
    headers = bearer(user, active_memberships(user)[0].crt)
    url, codes, stored = f"{DOCS}?_count=100", set(), None
    while url:
        bundle = client.get(url, **headers).json()
        for entry in bundle.get("entry", []):
            resource = entry["resource"]
            assert all_errors(resource) == [], resource["id"]
            codes.update(c["code"] for c in resource["type"].get("coding", []))
            if "coding" not in resource["type"]:
                stored = resource
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert {"74207-2", "18776-5"} <= codes and stored is not None
    body = client.get(f"{BINARY}/{stored['id']}", **headers, **FHIR_JSON).json()
    assert schema_errors(body) == [] and body["data"]
