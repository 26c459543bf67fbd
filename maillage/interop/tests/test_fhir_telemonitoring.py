"""Telemonitoring intake (INTEROP.md §10) as a partner's system sees it: Observations from the
ANS guides' examples, the idempotent re-post, transaction Bundles (all or nothing), units,
falls, per-person thresholds and interpretation codes raising exactly one alert, retraction
by ``entered-in-error``, and who may post."""

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from maillage.beneficiaries.models import VitalSign
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, shared_file
from maillage.beneficiaries.vitals import vital_thresholds_set
from maillage.care.models import Alert
from maillage.core.models import AuditEvent, Notification
from maillage.core.roles import Role

from .helpers import bearer, issue
from .test_fhir_observation_communication import join_partner
from .write_examples import FHIR_JSON, communication, heart_rate, post

EXAMPLES = Path(__file__).parent / "telemonitoring_examples"
OBS = "/fhir/R4/Observation"
BASE = "/fhir/R4/"


def example(name: str, patient, *, hours: int = 2, **over) -> dict:
    """An example of ``telemonitoring_examples`` for this person, measured ``hours`` ago."""
    when = (timezone.now() - timedelta(hours=hours)).replace(microsecond=0)
    text = (EXAMPLES / name).read_text().replace("{{PATIENT}}", str(patient.public_id)) \
        .replace("{{EFFECTIVE}}", when.isoformat())
    return {**json.loads(text), **over}


def post_bundle(client, body, headers):
    return client.post(BASE, json.dumps(body), content_type=FHIR_JSON, **headers)


@pytest.fixture
def person(users, crt_a):
    """Followed by the doctor (care team) and the partner (care team, health consented)."""
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    join_partner(b, users["partner"])
    return b


@pytest.fixture
def partner(users, crt_a):
    return bearer(users["partner"], crt_a)


def thresholds(b, doctor, **values):
    return vital_thresholds_set(actor=doctor, beneficiary=b, version=0, **values)


class TestIntake:
    def test_a_telesurveillance_measure_is_stored_with_its_identifier(self, client, person,
                                                                      partner):
        response = post(client, OBS, example("tlsv-body-weight.json", person), partner)
        assert response.status_code == 201, response.content
        sign = VitalSign.objects.get()
        assert (sign.kind, sign.value, sign.source, sign.device) == (
            "body_weight", Decimal("62.0"), "telemonitoring", "Balance connectée")
        assert sign.identifier == "https://telesurveillance.example.fr/mesures|PD-2026-0001"
        body = response.json()
        assert body["identifier"] == [{"system": "https://telesurveillance.example.fr/mesures",
                                       "value": "PD-2026-0001"}]
        assert body["valueQuantity"]["value"] == 62

    def test_a_re_post_answers_the_stored_measure_and_raises_no_second_alert(
            self, client, users, person, partner):
        thresholds(person, users["doctor"], body_weight_low=65)
        first = post(client, OBS, example("tlsv-body-weight.json", person), partner)
        again = post(client, OBS, example("tlsv-body-weight.json", person), partner)
        assert (first.status_code, again.status_code) == (201, 200), again.content
        assert again.json()["id"] == first.json()["id"]
        assert VitalSign.objects.count() == 1
        # The stored measure answered back is a read of the file.
        read = AuditEvent.objects.get(action="fhir.observation_read")
        assert (read.actor, read.beneficiary_public_id) == (users["partner"], person.public_id)
        alert = Alert.objects.get()
        assert alert.vital_sign == VitalSign.objects.get()
        assert alert.kind == "vital_sign" and alert.status == "open"

    def test_without_identifier_device_code_and_moment_deduplicate(self, client, person,
                                                                    partner):
        body = example("tlsv-body-weight.json", person)
        del body["identifier"]
        assert post(client, OBS, body, partner).status_code == 201
        assert post(client, OBS, body, partner).status_code == 200
        assert VitalSign.objects.count() == 1
        # Without a device either, two posts are two measures (as two team entries).
        del body["device"]
        assert post(client, OBS, body, partner).status_code == 201
        assert post(client, OBS, body, partner).status_code == 201
        assert VitalSign.objects.count() == 3

    def test_an_identifier_without_system_is_not_a_key(self, client, person, partner):
        body = example("tlsv-body-weight.json", person, identifier=[{"value": "1"}])
        del body["device"]
        assert post(client, OBS, body, partner).status_code == 201
        assert post(client, OBS, body, partner).status_code == 201
        assert list(VitalSign.objects.values_list("identifier", flat=True)) == ["", ""]

    def test_one_identifier_for_another_person_is_refused(self, client, users, crt_a, person,
                                                          partner):
        other = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
        join_partner(other, users["partner"])
        assert post(client, OBS, example("tlsv-body-weight.json", person), partner) \
            .status_code == 201
        response = post(client, OBS, example("tlsv-body-weight.json", other), partner)
        assert response.status_code == 422
        assert issue(response)["expression"] == ["Observation.identifier"]
        assert "autre personne" in issue(response)["details"]["text"]
        assert VitalSign.objects.filter(beneficiary=other).count() == 0

    def test_pounds_instead_of_kilograms_is_a_400(self, client, person, partner):
        body = example("tlsv-body-weight.json", person)
        body["valueQuantity"] = {"value": 136.7, "unit": "lb",
                                 "system": "http://unitsofmeasure.org", "code": "[lb_av]"}
        response = post(client, OBS, body, partner)
        assert response.status_code == 400
        found = issue(response)
        assert found["expression"] == ["Observation.valueQuantity.code"]
        assert found["details"]["text"].startswith("Unité « [lb_av] » non prise en charge : « kg »")
        assert VitalSign.objects.count() == 0

    def test_interpretation_low_raises_an_alert_without_thresholds(self, client, person,
                                                                   partner):
        response = post(client, OBS, example("blood-pressure-low.json", person), partner)
        assert response.status_code == 201, response.content
        assert response.json()["interpretation"][0]["coding"][0]["code"] == "L"
        alert = Alert.objects.get()
        assert alert.severity == "medium"
        assert alert.description.startswith(
            "Pression systolique 107 mmHg signalée basse par l'émetteur (partenaire, ")

    def test_a_fall_raises_a_high_alert_for_the_care_team(self, client, users, person,
                                                          partner):
        response = post(client, OBS, example("fall.json", person), partner)
        assert response.status_code == 201, response.content
        sign = VitalSign.objects.get()
        assert (sign.kind, sign.value, sign.display_value) == ("fall", None, "chute signalée")
        body = response.json()
        assert body["code"]["coding"][0] == {"system": "http://snomed.info/sct",
                                             "code": "1912002", "display": "Fall"}
        assert body["valueBoolean"] is True
        alert = Alert.objects.get()
        assert (alert.kind, alert.severity) == ("fall", "high")
        assert alert.description.startswith("Chute signalée (télésurveillance, ")
        # The care team is told (the doctor), not the sender.
        told = set(Notification.objects.values_list("user__username", flat=True))
        assert "doctor" in told and "partner" not in told
        # And it is found again by its code.
        found = client.get(OBS, {"code": "http://snomed.info/sct|1912002"}, **partner).json()
        assert [e["resource"]["id"] for e in found["entry"]] == [str(sign.public_id)]

    def test_a_fall_with_a_value_is_refused(self, client, person, partner):
        body = example("fall.json", person, valueBoolean=False)
        response = post(client, OBS, body, partner)
        assert response.status_code == 422
        assert issue(response)["expression"] == ["Observation.value[x]"]

    def test_entered_in_error_retracts_and_closes_the_alert(self, client, users, person,
                                                           partner):
        post(client, OBS, example("fall.json", person), partner)
        retraction = example("fall.json", person, status="entered-in-error")
        response = post(client, OBS, retraction, partner)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "entered-in-error"
        sign = VitalSign.objects.get()
        assert sign.deleted_at is not None
        alert = Alert.objects.get()
        assert alert.status == "resolved"
        assert alert.outcome == ("Mesure retirée (saisie erronée) par "
                                 f"{users['partner'].get_full_name()}.")
        # Nothing to retract: 422 naming the identifier.
        stray = example("fall.json", person, status="entered-in-error",
                        identifier=[{"system": "urn:x", "value": "inconnu"}])
        response = post(client, OBS, stray, partner)
        assert response.status_code == 422
        assert issue(response)["expression"] == ["Observation.identifier"]


class TestThresholdAlert:
    def test_a_measure_below_the_threshold_creates_exactly_one_alert(self, client, users,
                                                                     person, partner):
        thresholds(person, users["doctor"], body_weight_low=62, body_weight_high=90)
        body = example("tlsv-body-weight.json", person)
        body["valueQuantity"]["value"] = 61.2
        for _ in range(3):  # the device retries
            assert post(client, OBS, body, partner).status_code in (200, 201)
        alert = Alert.objects.get()
        local = timezone.localtime(VitalSign.objects.get().measured_at)
        assert alert.description == (f"Poids 61,2 kg sous le seuil de 62 kg (télésurveillance, "
                                     f"{local:%d/%m/%Y %H:%M})")
        assert (alert.severity, alert.raised_by) == ("medium", users["partner"])

    def test_within_thresholds_no_alert(self, client, users, person, partner):
        thresholds(person, users["doctor"], body_weight_low=60, body_weight_high=90)
        assert post(client, OBS, example("tlsv-body-weight.json", person), partner) \
            .status_code == 201
        assert Alert.objects.count() == 0

    def test_a_team_measure_is_checked_by_the_same_rule(self, users, person):
        from maillage.beneficiaries.vitals import vital_sign_record

        thresholds(person, users["doctor"], heart_rate_high=100)
        vital_sign_record(actor=users["nurse"], beneficiary=person, kind="heart_rate",
                          value=120, measured_at=timezone.now() - timedelta(minutes=5))
        alert = Alert.objects.get()
        assert alert.description.startswith(
            "Fréquence cardiaque 120 /min au-dessus du seuil de 100 /min (équipe, ")

    def test_the_apis_correction_into_range_closes_the_alert(self, client, users, person,
                                                              partner):
        from .write_examples import put

        thresholds(person, users["doctor"], body_weight_low=62)
        body = example("tlsv-body-weight.json", person)
        body["valueQuantity"]["value"] = 55.5
        sign_id = post(client, OBS, body, partner).json()["id"]
        alert = Alert.objects.get()
        body["valueQuantity"]["value"] = 65.5
        # Sent over a version read before: 412, the alert as it was.
        stale = put(client, f"{OBS}/{sign_id}", {**body, "id": sign_id}, partner,
                    if_match='W/"0"')
        assert stale.status_code == 412
        alert.refresh_from_db()
        assert alert.status == "open"
        response = put(client, f"{OBS}/{sign_id}", {**body, "id": sign_id}, partner,
                       if_match='W/"1"')
        assert response.status_code == 200, response.content
        alert.refresh_from_db()
        assert (alert.status, alert.resolved_by) == ("resolved", users["partner"])
        assert alert.outcome == (f"Mesure corrigée par {users['partner'].get_full_name()}, "
                                 "désormais dans les seuils de la personne.")
        # Back under the threshold: a new alert, the closed one kept.
        body["valueQuantity"]["value"] = 58
        response = put(client, f"{OBS}/{sign_id}", {**body, "id": sign_id}, partner,
                       if_match='W/"2"')
        assert response.status_code == 200, response.content
        assert list(Alert.objects.order_by("created_at", "id").values_list(
            "status", flat=True)) == ["resolved", "open"]

    def test_the_senders_interpretation_is_that_of_the_resource_sent(self, client, person,
                                                                      partner):
        from .write_examples import put

        body = example("tlsv-body-weight.json", person, interpretation=[{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            "code": "L"}]}])
        sign_id = post(client, OBS, body, partner).json()["id"]
        assert Alert.objects.get().status == "open"
        # The corrected resource carries no interpretation: none is kept, the alert closed.
        del body["interpretation"]
        response = put(client, f"{OBS}/{sign_id}", {**body, "id": sign_id}, partner,
                       if_match='W/"1"')
        assert response.status_code == 200, response.content
        assert "interpretation" not in response.json()
        assert Alert.objects.get().status == "resolved"

    def test_entered_in_error_of_another_accounts_measure_is_refused(
            self, client, users, crt_a, person, partner):
        from maillage.beneficiaries.tests.factories import join_care_team

        post(client, OBS, example("fall.json", person), partner)
        join_care_team(person, users["nurse"], {Role.NURSE})
        response = post(client, OBS, example("fall.json", person, status="entered-in-error"),
                        bearer(users["nurse"], crt_a))
        assert response.status_code == 403
        assert issue(response)["details"]["text"] == (
            "Seule la personne qui a saisi cette mesure, ou le médecin, peut la retirer.")
        assert VitalSign.objects.get().deleted_at is None
        assert Alert.objects.get().status == "open"
        # The doctor may.
        response = post(client, OBS, example("fall.json", person, status="entered-in-error"),
                        bearer(users["doctor"], crt_a))
        assert response.status_code == 200, response.content
        assert VitalSign.objects.get().deleted_at is not None

    def test_a_correction_over_the_threshold_raises_one_alert_once(self, users, person):
        from maillage.beneficiaries.vitals import vital_sign_record, vital_sign_update

        thresholds(person, users["doctor"], heart_rate_high=100)
        when = timezone.now() - timedelta(minutes=5)
        sign = vital_sign_record(actor=users["nurse"], beneficiary=person, kind="heart_rate",
                                 value=80, measured_at=when)
        assert Alert.objects.count() == 0
        sign = vital_sign_update(actor=users["nurse"], sign=sign, version=1, kind="heart_rate",
                                 value=130, measured_at=when)
        vital_sign_update(actor=users["nurse"], sign=sign, version=2, kind="heart_rate",
                          value=140, measured_at=when)
        assert Alert.objects.count() == 1


class TestTransactionBundle:
    def test_the_mesures_de_sante_bundle(self, client, users, person, partner):
        thresholds(person, users["doctor"], body_weight_low=62)
        response = post_bundle(client, example("bundle-body-weight.json", person), partner)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["type"] == "transaction-response"
        device, measure = body["entry"]
        assert device["response"]["status"] == "200 OK"
        assert measure["response"]["status"] == "201 Created"
        sign = VitalSign.objects.get()
        assert measure["response"]["location"] == f"Observation/{sign.public_id}/_history/1"
        assert sign.device == "Ma balance — OMRONHEALTHCARE HEM-9200T"
        assert sign.source == "telemonitoring" and sign.value == Decimal("61.2")
        assert Alert.objects.count() == 1
        # The same bundle again: 200 OK, nothing more.
        again = post_bundle(client, example("bundle-body-weight.json", person), partner)
        assert again.json()["entry"][1]["response"]["status"] == "200 OK"
        assert (VitalSign.objects.count(), Alert.objects.count()) == (1, 1)

    def test_one_bad_entry_and_nothing_is_saved(self, client, person, partner):
        good = heart_rate(person.public_id)
        bad = heart_rate(person.public_id, 72)
        bad["valueQuantity"] = {"value": 400, "unit": "/min",
                                "system": "http://unitsofmeasure.org", "code": "/min"}
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:0b0e4a9e-0000-4000-8000-000000000001", "resource": good,
             "request": {"method": "POST", "url": "Observation"}},
            {"fullUrl": "urn:uuid:0b0e4a9e-0000-4000-8000-000000000002", "resource": bad,
             "request": {"method": "POST", "url": "Observation"}}]}
        response = post_bundle(client, bundle, partner)
        assert response.status_code == 422
        found = issue(response)
        assert found["expression"] == ["Bundle.entry[1].resource.valueQuantity.value"]
        assert found["details"]["text"].startswith(
            "Entrée n° 2 (urn:uuid:0b0e4a9e-0000-4000-8000-000000000002) : Fréquence cardiaque")
        assert found["details"]["text"].endswith("Rien n'a été enregistré.")
        assert VitalSign.objects.count() == 0

    def test_unsupported_entries_and_bundles_are_refused(self, client, person, partner):
        note = {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": communication(person.public_id),
             "request": {"method": "POST", "url": "Communication"}}]}
        response = post_bundle(client, note, partner)
        assert response.status_code == 400, response.content
        assert "POST Communication » non prise en charge dans une transaction" in \
            issue(response)["details"]["text"]
        batch = {"resourceType": "Bundle", "type": "batch", "entry": []}
        response = post_bundle(client, batch, partner)
        assert response.status_code == 400 and issue(response)["expression"] == ["Bundle.type"]
        response = client.get(BASE, **partner)
        assert response.status_code == 405


class TestMalformedBodies:
    """Values of the wrong shape are refused with an OperationOutcome in French, never a
    500, at the base (transaction) and on each type that writes."""

    def test_entries_that_are_not_objects(self, client, person, partner):
        body = {"resourceType": "Bundle", "type": "transaction", "entry": [1, 2]}
        response = post_bundle(client, body, partner)
        assert response.status_code == 400
        found = issue(response)
        assert found["expression"] == ["Bundle.entry[0]"]
        assert found["details"]["text"] == ("Entrée n° 1 : une entrée est un objet JSON "
                                            "(« resource » et « request »). Rien n'a été "
                                            "enregistré.")
        body["entry"] = [{"resource": heart_rate(person.public_id), "request": 3}]
        response = post_bundle(client, body, partner)
        assert response.status_code == 422
        assert issue(response)["expression"] == ["Bundle.entry[0].request"]
        assert VitalSign.objects.count() == 0

    @pytest.mark.parametrize("url", [BASE, OBS, "/fhir/R4/Communication"])
    def test_a_body_nested_too_deep(self, client, partner, url):
        for text in ("[" * 100_000, "[" * 500 + "]" * 500):
            response = client.post(url, text, content_type=FHIR_JSON, **partner)
            assert response.status_code == 400
            assert issue(response)["details"]["text"] == (
                "Le corps de la requête est trop imbriqué (64 niveaux au plus).")

    @pytest.mark.parametrize("kind", ["Observation", "Communication"])
    @pytest.mark.parametrize("wrong", [1, [1], "x", [[1]]])
    def test_every_element_of_the_wrong_shape(self, client, person, partner, kind, wrong):
        """Each element of a valid body, and each element of its first nested object, given
        a value of another shape (a number, a list, a text where an object is expected…): a
        4xx OperationOutcome."""
        from .write_examples import EXAMPLES

        good = EXAMPLES[kind](person.public_id)
        bodies = []
        for key, value in good.items():
            if key == "resourceType":
                continue
            if type(value) is not type(wrong) or isinstance(value, list):
                bodies.append({**good, key: wrong})
            inner = value[0] if isinstance(value, list) and value else value
            if isinstance(inner, dict):
                for sub in inner:
                    if type(inner[sub]) is type(wrong) and not isinstance(wrong, list):
                        continue
                    changed = {**inner, sub: wrong}
                    bodies.append({**good, key: [changed] if isinstance(value, list)
                                   else changed})
        for body in bodies:
            for url, sent in ((f"/fhir/R4/{kind}", body), (BASE, {
                    "resourceType": "Bundle", "type": "transaction",
                    "entry": [{"resource": body, "request": {"method": "POST",
                                                              "url": kind}}]})):
                response = post(client, url, sent, partner)
                assert response.status_code in (400, 403, 422), (url, body, response.content)
                assert issue(response)["details"]["text"]
        assert VitalSign.objects.count() == 0


class TestWhoMayPost:
    def test_unknown_and_other_crt_people(self, client, users, crt_b, user_b, person,
                                          partner):
        stranger = BeneficiaryFactory(crt=crt_b)
        response = post(client, OBS, example("tlsv-body-weight.json", stranger), partner)
        assert response.status_code == 404
        bundle = example("bundle-body-weight.json", stranger)
        response = post_bundle(client, bundle, partner)
        assert response.status_code == 400
        assert issue(response)["expression"] == ["Bundle.entry[1].resource.subject.identifier"]
        # CRT B's account does not reach CRT A's person.
        response = post(client, OBS, example("tlsv-body-weight.json", person),
                        bearer(user_b, crt_b))
        assert response.status_code == 404
        assert VitalSign.objects.count() == 0

    def test_a_partner_outside_the_care_team_or_a_forbidden_role(self, client, users, crt_a,
                                                                 person, make_user):
        outsider = make_user(crt_a, Role.PARTNER, username="autre-partenaire")
        response = post(client, OBS, example("tlsv-body-weight.json", person),
                        bearer(outsider, crt_a))
        assert response.status_code == 404
        response = post(client, OBS, example("tlsv-body-weight.json", person),
                        bearer(users["coordinator"], crt_a))
        assert response.status_code == 403
        response = post_bundle(client, example("bundle-body-weight.json", person),
                               bearer(users["admin_staff"], crt_a))
        assert response.status_code == 403 and issue(response)["code"] == "forbidden"
        assert VitalSign.objects.count() == 0

    def test_the_qualified_ins_finds_the_person(self, client, users, crt_a, partner):
        from maillage.beneficiaries.identity import IdentityStatus, InsOid

        b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
        join_partner(b, users["partner"])
        b.identity_status, b.ins_oid = IdentityStatus.QUAL, InsOid.TEST_NIR
        b.ins_matricule = "279035121518989"
        b.save()
        body = example("tlsv-body-weight.json", b)
        body["subject"] = {"identifier": {"system": f"urn:oid:{InsOid.TEST_NIR}",
                                          "value": "279035121518989"}}
        response = post(client, OBS, body, partner)
        assert response.status_code == 201, response.content
        assert VitalSign.objects.get().beneficiary == b


#: The Télésurveillance profile's required elements (TLSVObservation.fsh: status, code,
#: subject, effective[x] 1..1) and the R4 Observation invariants obs-6 and obs-7 (verbatim).
TLSV_REQUIRED = "status.exists() and code.exists() and subject.exists() and effective.exists()"
OBS_6 = "dataAbsentReason.empty() or value.empty()"
OBS_7 = "value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()"  # noqa: E501


def fhirpath(resource: dict, expression: str) -> list:
    from fhirpathpy import evaluate
    from fhirpathpy.models import models

    return evaluate(resource, expression, {"resource": resource}, models["r4"])


class TestFhirPath:
    @pytest.mark.parametrize("name", ["tlsv-body-weight.json", "blood-pressure-low.json",
                                      "fall.json"])
    def test_accepted_payloads_and_answers_meet_the_profile(self, client, person, partner,
                                                            name):
        from .fhir_rules import schema_errors

        sent = example(name, person)
        response = post(client, OBS, sent, partner)
        assert response.status_code == 201, response.content
        answer = response.json()
        for resource in (sent, answer):
            assert fhirpath(resource, TLSV_REQUIRED) == [True]
            assert fhirpath(resource, OBS_6) == [True]
            assert fhirpath(resource, OBS_7) == [True]
        assert schema_errors(answer) == []
        # What the sender identified the measure by, it finds again.
        assert fhirpath(answer, "identifier.value") == fhirpath(sent, "identifier.value")

    def test_the_transaction_response_is_valid(self, client, person, partner):
        from .fhir_rules import schema_errors

        sent = example("bundle-body-weight.json", person)
        assert fhirpath(sent, "entry.resource.ofType(Observation).subject.identifier.exists()"
                        ) == [True]
        answer = post_bundle(client, sent, partner).json()
        assert schema_errors(answer) == []
        assert fhirpath(answer, "entry.response.status") == ["200 OK", "201 Created"]


@pytest.mark.skipif(__import__("django.db").db.connection.vendor != "postgresql",
                    reason="real concurrent transactions: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_identifier_store_one_measure(users, crt_a):
    """A device retrying before the first answer: one measure, one alert, both answered."""
    import threading

    from django.db import connections
    from django.test import Client

    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    join_partner(b, users["partner"])
    thresholds(b, users["doctor"], body_weight_low=65)
    body, headers = example("tlsv-body-weight.json", b), bearer(users["partner"], crt_a)
    barrier, statuses = threading.Barrier(2), []

    def send():
        try:
            barrier.wait()
            statuses.append(post(Client(), OBS, body, headers).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 201], statuses
    assert (VitalSign.objects.count(), Alert.objects.count()) == (1, 1)
