"""Observation (vital signs, AGGIR GIR) and Communication (liaison notes) as a client sees them:
reads and searches through the file's policy, writes (create, update with If-Match, delete)
with their refusals, the audit, and the FR Core rules of the vital-sign profiles."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import AggirEvaluation, VitalSign
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, shared_file
from maillage.beneficiaries.vitals import vital_sign_record
from maillage.care.models import LiaisonNote
from maillage.core.models import AuditEvent
from maillage.core.roles import Role

from . import fhir_rules as fr
from .helpers import bearer, issue
from .write_examples import blood_pressure, communication, heart_rate, post, put

OBS = "/fhir/R4/Observation"
COMM = "/fhir/R4/Communication"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS = "http://terminology.hl7.org/CodeSystem/observation-category"
FR = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
#: FR Core profile → the LOINC code its HL7 parent fixes (Interop-Sante/hl7.fhir.fr.core,
#: input/fsh/profiles/FRCoreObservation*Profile.fsh; parents: HL7 vital signs profiles).
PROFILE_CODES = {
    FR + "fr-core-observation-body-weight": "29463-7",
    FR + "fr-core-observation-bp": "85354-9",
    FR + "fr-core-observation-heartrate": "8867-4",
    FR + "fr-core-observation-body-temperature": "8310-5",
    FR + "fr-core-observation-saturation-oxygen": "2708-6",
}
UNITS = {"29463-7": "kg", "8867-4": "/min", "8310-5": "Cel", "2708-6": "%", "2339-0": "g/L"}


def vital_sign_errors(o: dict) -> list[str]:
    """The FR Core / HL7 vital-signs rules Maillage relies on (one line per rule)."""
    errors = []
    profiles = o["meta"].get("profile", [])
    codes = [c["code"] for c in o["code"]["coding"] if c["system"] == LOINC]
    if o["category"][0]["coding"][0]["code"] == "survey":  # an AGGIR GIR: no profile claimed
        if profiles or "valueInteger" not in o or not 1 <= o["valueInteger"] <= 6:
            errors.append("GIR: no profile, valueInteger 1..6")
        return errors
    for profile in profiles:
        # vs-category: category vital-signs; the profile's fixed code (code.coding 1..)
        if not any(c["system"] == VITAL_SIGNS and c["code"] == "vital-signs"
                   for cat in o["category"] for c in cat["coding"]):
            errors.append("category vital-signs missing")
        if PROFILE_CODES[profile] not in codes:
            errors.append(f"{profile}: code {PROFILE_CODES[profile]} missing")
    # effective[x] 1.. (FRCoreObservationBpProfile.fsh and the HL7 parents), subject Patient
    if "effectiveDateTime" not in o:
        errors.append("effective[x] missing")
    if not o["subject"]["reference"].startswith("Patient/"):
        errors.append("subject must be a Patient")
    if "85354-9" in codes:  # value[x] ..0; components 8480-6 and 8462-4 in mm[Hg]
        component_codes = {c["code"]["coding"][0]["code"]: c["valueQuantity"]
                           for c in o.get("component", [])}
        if "valueQuantity" in o or set(component_codes) != {"8480-6", "8462-4"}:
            errors.append("bp: components systolic and diastolic, no value")
        if any(q["system"] != UCUM or q["code"] != "mm[Hg]" for q in component_codes.values()):
            errors.append("bp: UCUM mm[Hg]")
    else:  # vs-2, the parents' UCUM unit
        q = o.get("valueQuantity", {})
        if q.get("system") != UCUM or q.get("code") != UNITS[codes[0]] or "value" not in q:
            errors.append(f"valueQuantity: UCUM {UNITS.get(codes[0])} with a value")
    return errors


def _measure(b, kind="heart_rate", *, hours=1, actor=None, **values):
    from maillage.core.tests.factories import UserFactory

    values = values or ({"systolic": 130, "diastolic": 80} if kind == "blood_pressure"
                        else {"value": 72})
    return vital_sign_record(actor=actor or UserFactory(), beneficiary=b, kind=kind,
                             measured_at=timezone.now() - timedelta(hours=hours), **values)


def _aggir(b, gir=3, on=date(2025, 3, 1)):
    from maillage.core.tests.factories import UserFactory

    return AggirEvaluation.objects.create(
        crt=b.crt, beneficiary=b, evaluated_on=on, evaluator=UserFactory(), inputs={},
        codes="CCCCCCCCCC", illustrative_codes="CCCCCCC", rang=5, gir=gir)


def join_partner(b, partner):
    """Put the partner (a GP, one directory entry per CRT) in this person's care team."""
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.beneficiaries.tests.factories import join_care_team
    from maillage.territory.models import Professional

    pro = Professional.objects.filter(crt=b.crt, user=partner).first()
    if pro is None:
        return join_care_team(b, partner, {Role.PARTNER})
    return CareTeamMember.objects.create(crt=b.crt, beneficiary=b, professional=pro,
                                         role="Médecin traitant", start_date=date(2024, 1, 1))


@pytest.fixture
def doctor(users, crt_a):
    return bearer(users["doctor"], crt_a)


@pytest.fixture
def file(users, crt_a):
    """A person whose care team holds the doctor (and the partner), health shared."""
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    join_partner(b, users["partner"])
    return b


class TestObservationRead:
    def test_a_vital_sign_as_a_client_reads_it(self, client, file, doctor):
        sign = _measure(file, "blood_pressure", systolic=142, diastolic=88)
        response = client.get(f"{OBS}/{sign.public_id}", **doctor)
        assert response.status_code == 200
        assert response["ETag"] == 'W/"1"'
        o = response.json()
        assert o["meta"]["profile"] == [FR + "fr-core-observation-bp"]
        assert o["subject"] == {"reference": f"Patient/{file.public_id}"}
        assert o["code"]["coding"][0]["code"] == "85354-9"
        assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"])
                for c in o["component"]] == [("8480-6", 142), ("8462-4", 88)]
        assert fr.schema_errors(o) == [] and vital_sign_errors(o) == []

    @pytest.mark.parametrize("kind, value, code, unit", [
        ("body_weight", 61.5, "29463-7", "kg"), ("heart_rate", 72, "8867-4", "/min"),
        ("body_temperature", 37.8, "8310-5", "Cel"), ("oxygen_saturation", 95, "2708-6", "%"),
        ("blood_glucose", 1.12, "2339-0", "g/L")])
    def test_every_kind_validates(self, client, file, doctor, kind, value, code, unit):
        o = client.get(f"{OBS}/{_measure(file, kind, value=value).public_id}", **doctor).json()
        assert o["valueQuantity"]["value"] == value and o["valueQuantity"]["code"] == unit
        assert code in [c["code"] for c in o["code"]["coding"]]
        assert fr.schema_errors(o) == [] and vital_sign_errors(o) == []
        assert ("meta" in o and "profile" not in o["meta"]) == (kind == "blood_glucose")

    def test_a_gir_is_an_observation_of_the_survey_category(self, client, file, doctor):
        evaluation = _aggir(file, gir=2)
        o = client.get(f"{OBS}/{evaluation.public_id}", **doctor).json()
        assert o["valueInteger"] == 2 and o["effectiveDateTime"] == "2025-03-01"
        assert o["code"]["coding"][0] == {"system": "urn:maillage:codesystem:aggir",
                                          "code": "GIR",
                                          "display": "Groupe iso-ressources (grille AGGIR)"}
        assert fr.schema_errors(o) == [] and vital_sign_errors(o) == []

    def test_refusals(self, client, users, crt_a, crt_b, user_b, file, doctor):
        sign = _measure(file)
        url = f"{OBS}/{sign.public_id}"
        # The coordination does not read health data: 403 for the whole type.
        response = client.get(url, **bearer(users["coordinator"], crt_a))
        assert response.status_code == 403 and issue(response)["code"] == "forbidden"
        # A nurse outside the care team: not found.
        assert client.get(url, **bearer(users["nurse"], crt_a)).status_code == 404
        # Another CRT: not found.
        response = client.get(url, **bearer(user_b, crt_b))
        assert response.status_code == 404 and issue(response)["code"] == "not-found"

    def test_a_partner_sees_only_the_people_who_consented_to_health_sharing(
            self, client, users, crt_a):
        partner = users["partner"]
        consenting = shared_file(crt_a, partner, {Role.PARTNER})
        no_health = BeneficiaryFactory(crt=crt_a)
        consent(no_health)  # care-team sharing, without health data
        join_partner(no_health, partner)
        seen, hidden = _measure(consenting), _measure(no_health)
        headers = bearer(partner, crt_a)
        bundle = client.get(OBS, **headers).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(seen.public_id)]
        assert client.get(f"{OBS}/{hidden.public_id}", **headers).status_code == 404

    def test_search_by_patient_date_code_category_across_both_models(
            self, client, users, crt_a, file, doctor):
        other = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
        recent, old = _measure(file, hours=1), _measure(file, "body_weight", hours=24 * 40)
        gir = _aggir(file)
        _measure(other)

        def ids(**params):
            bundle = client.get(OBS, params, **doctor).json()
            assert fr.schema_errors(bundle) == []
            return {e["resource"]["id"] for e in bundle["entry"]}

        mine = {str(recent.public_id), str(old.public_id), str(gir.public_id)}
        assert ids(patient=f"Patient/{file.public_id}") == mine
        assert ids(patient=str(file.public_id), code=f"{LOINC}|8867-4") == {
            str(recent.public_id)}
        assert ids(patient=str(file.public_id), category="survey") == {str(gir.public_id)}
        assert ids(patient=str(file.public_id), category="vital-signs") == {
            str(recent.public_id), str(old.public_id)}
        week_ago = (timezone.localdate() - timedelta(days=7)).isoformat()
        assert ids(patient=str(file.public_id), date=f"ge{week_ago}") == {str(recent.public_id)}
        assert ids(patient=str(file.public_id), date="2025-03") == {str(gir.public_id)}
        assert ids(code="urn:maillage:codesystem:aggir|GIR") == {str(gir.public_id)}

    def test_paging_walks_both_models_once(self, client, users, crt_a, file, doctor):
        made = {str(_measure(file, hours=h).public_id) for h in range(1, 5)}
        made |= {str(_aggir(file, gir=g).public_id) for g in (2, 4, 5)}
        url, seen = f"{OBS}?_count=2", []
        while url:
            bundle = client.get(url, **doctor).json()
            assert bundle["total"] == 7
            seen += [e["resource"]["id"] for e in bundle["entry"]]
            url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"),
                       None)
        assert sorted(seen) == sorted(made) and len(seen) == 7

    @pytest.mark.parametrize("query, says", [
        ({"date": "hier"}, "Paramètre « date »"),
        ({"patient": "Practitioner/1"}, "Paramètre « patient »"),
        ({"value-quantity": "5"}, "non pris en charge pour Observation : value-quantity"),
    ])
    def test_bad_parameters_are_400_naming_them(self, client, doctor, query, says):
        response = client.get(OBS, query, **doctor)
        assert response.status_code == 400
        assert says in issue(response)["details"]["text"]

    def test_reads_are_in_who_read_my_file(self, client, users, crt_a, file, doctor):
        sign, gir = _measure(file), _aggir(file)
        client.get(f"{OBS}/{sign.public_id}", **doctor)
        client.get(OBS, {"patient": str(file.public_id)}, **doctor)
        events = AuditEvent.objects.filter(action="fhir.observation_read",
                                           beneficiary_public_id=file.public_id)
        assert events.count() == 3 and {e.actor for e in events} == {users["doctor"]}
        assert {e.object_id for e in events} >= {str(sign.public_id), str(gir.public_id)}
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[file.public_id]))
        assert "Consultation de constantes ou d&#x27;un GIR par l&#x27;API FHIR" \
            in page.content.decode()

    def test_query_budget(self, client, file, doctor, django_assert_max_num_queries):
        for hours in range(1, 31):
            _measure(file, hours=hours)
        for gir in range(1, 6):
            _aggir(file, gir=gir)
        # token, membership, rate limit, last use; per model a count and a page; one audit
        # insert: not one query per row.
        with django_assert_max_num_queries(16):
            bundle = client.get(OBS, {"_count": 35}, **doctor).json()
        assert len(bundle["entry"]) == 35


class TestObservationWrite:
    def test_create_as_a_partner(self, client, users, crt_a, file):
        headers = bearer(users["partner"], crt_a)
        response = post(client, OBS, blood_pressure(file.public_id, 151, 92), headers)
        assert response.status_code == 201, response.content
        sign = VitalSign.objects.get()
        assert response["Location"].endswith(f"/fhir/R4/Observation/{sign.public_id}/_history/1")
        assert response["ETag"] == 'W/"1"'
        assert (sign.kind, sign.systolic, sign.diastolic, sign.unit, sign.source,
                sign.recorded_by) == ("blood_pressure", 151, 92, "mm[Hg]", "partner",
                                      users["partner"])
        o = response.json()
        assert o["id"] == str(sign.public_id) and vital_sign_errors(o) == []
        event = AuditEvent.objects.get(action="vital_sign.recorded")
        assert (event.actor, event.beneficiary_public_id) == (users["partner"], file.public_id)

    def test_no_csrf_token_is_needed_with_a_bearer_token(self, file, doctor):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        assert post(strict, OBS, heart_rate(file.public_id), doctor).status_code == 201
        assert post(strict, COMM, communication(file.public_id), doctor).status_code == 201

    def test_a_device_makes_it_telemonitoring(self, client, file, doctor):
        body = heart_rate(file.public_id, device={"display": "Montre connectée"})
        assert post(client, OBS, body, doctor).status_code == 201
        assert VitalSign.objects.get().source == "telemonitoring"

    def test_the_file_shows_a_posted_measure(self, client, users, crt_a, file, client_for):
        post(client, OBS, blood_pressure(file.public_id, 151, 92), bearer(users["partner"],
                                                                         crt_a))
        page = client_for("doctor").get(reverse("beneficiaries:medical",
                                                args=[file.public_id]))
        text = page.content.decode()
        assert "Pression artérielle" in text and "151/92 mmHg" in text
        assert "Partenaire (API)" in text

    def test_update_with_if_match_then_stale_then_missing(self, client, file, doctor):
        sign = _measure(file, value=70)
        url = f"{OBS}/{sign.public_id}"
        body = heart_rate(file.public_id, 64, id=str(sign.public_id))
        response = put(client, url, body, doctor, if_match='W/"1"')
        assert response.status_code == 200, response.content
        assert response["ETag"] == 'W/"2"'
        assert response.json()["status"] == "amended"
        sign.refresh_from_db()
        assert (sign.value, sign.version, sign.status) == (64, 2, "amended")
        assert AuditEvent.objects.filter(action="vital_sign.updated").count() == 1
        # The version read before: 412, nothing changed.
        stale = put(client, url, heart_rate(file.public_id, 99, id=str(sign.public_id)),
                    doctor, if_match='W/"1"')
        assert stale.status_code == 412 and issue(stale)["code"] == "conflict"
        assert "If-Match" in issue(stale)["details"]["text"]
        missing = put(client, url, body, doctor)
        assert missing.status_code == 412 and "If-Match" in issue(missing)["details"]["text"]
        sign.refresh_from_db()
        assert (sign.value, sign.version) == (64, 2)

    def test_delete_leaves_a_tombstone_answered_410(self, client, file, doctor):
        sign = _measure(file)
        url = f"{OBS}/{sign.public_id}"
        assert client.delete(url, **doctor).status_code == 412  # If-Match required
        response = client.delete(url, HTTP_IF_MATCH='W/"1"', **doctor)
        assert response.status_code == 204
        sign.refresh_from_db()
        assert sign.status == "entered-in-error" and sign.deleted_at is not None
        gone = client.get(url, **doctor)
        assert gone.status_code == 410 and issue(gone)["code"] == "deleted"
        assert client.get(OBS, {"patient": str(file.public_id)}, **doctor).json()["total"] == 0
        again = put(client, url, heart_rate(file.public_id, id=str(sign.public_id)), doctor,
                    if_match='W/"2"')
        assert again.status_code == 410
        assert AuditEvent.objects.filter(action="vital_sign.retracted").count() == 1

    def test_another_crt_cannot_update_or_delete(self, client, file, crt_b, user_b, doctor):
        sign = _measure(file, value=70)
        url, headers = f"{OBS}/{sign.public_id}", bearer(user_b, crt_b)
        response = put(client, url, heart_rate(file.public_id, 50, id=str(sign.public_id)),
                       headers, if_match='W/"1"')
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        assert client.delete(url, HTTP_IF_MATCH='W/"1"', **headers).status_code == 404
        sign.refresh_from_db()
        assert (sign.value, sign.version, sign.deleted_at) == (70, 1, None)

    def test_a_gir_is_read_only(self, client, file, doctor):
        gir = _aggir(file)
        response = client.delete(f"{OBS}/{gir.public_id}", HTTP_IF_MATCH='W/"1"', **doctor)
        assert response.status_code == 405
        assert AggirEvaluation.objects.filter(pk=gir.pk).exists()

    def test_media_type_and_json_refusals(self, client, file, doctor):
        body = heart_rate(file.public_id)
        response = post(client, OBS, body, doctor, content_type="application/json")
        assert response.status_code == 415
        assert "application/fhir+json" in issue(response)["details"]["text"]
        response = post(client, OBS, "{pas du json", doctor)
        assert response.status_code == 400 and "JSON" in issue(response)["details"]["text"]
        response = post(client, OBS, {**body, "resourceType": "Patient"}, doctor)
        assert response.status_code == 400
        assert VitalSign.objects.count() == 0

    @pytest.mark.parametrize("change, expression, says", [
        ({"valueQuantity": {"value": 400, "unit": "/min", "system": UCUM, "code": "/min"}},
         "Observation.valueQuantity.value", "n'est pas une valeur plausible"),
        ({"code": {"coding": [{"system": LOINC, "code": "1234-5"}]}},
         "Observation.code", "Code de mesure non pris en charge"),
        ({"effectiveDateTime": "2025-03-01"}, "Observation.effectiveDateTime", "fuseau"),
        ({"effectiveDateTime": "2099-03-01T10:00:00+01:00"}, "Observation.effectiveDateTime",
         "dans le futur"),
        ({"effectiveDateTime": "0001-01-01T00:00:00Z"}, "Observation.effectiveDateTime",
         "La date de la mesure précède la naissance de la personne (12/05/1938)"),
        ({"effectiveDateTime": "1938-05-11T23:00:00+01:00"}, "Observation.effectiveDateTime",
         "précède la naissance"),
        ({"code": 3}, "Observation.code", "valeur de type incorrect (attendu : un objet)."),
        # A NUL (PostgreSQL stores none: a 500 there) or a bidirectional override.
        ({"identifier": [{"system": "urn:oid:1.2.3", "value": "m\x00123"}]},
         "Observation.identifier[0].value", "caractère de contrôle ou invisible non autorisé"),
        ({"identifier": [{"system": "urn:oid:1.2.3\u202e", "value": "m123"}]},
         "Observation.identifier[0].system", "caractère de contrôle ou invisible"),
        ({"category": [1]}, "Observation.category[0]", "attendu : un objet"),
        ({"status": "preliminary"}, "Observation.status", "Statut non pris en charge"),
        ({"subject": {"reference": "Group/1"}}, "Observation.subject", "Patient/<id>"),
        ({"valueQuantity": {"value": "soixante", "system": UCUM, "code": "/min"}},
         "Observation.valueQuantity.value", "invalide"),
        ({"bogus": 1}, "Observation", "élément inconnu de FHIR R4 : « bogus »."),
    ])
    def test_422_names_the_element_in_french(self, client, file, doctor, change, expression,
                                             says):
        response = post(client, OBS, {**heart_rate(file.public_id), **change}, doctor)
        assert response.status_code == 422, response.content
        found = response.json()["issue"][0]
        assert found["expression"] == [expression], found
        assert says in found["details"]["text"]
        assert "unexpected" not in found["details"]["text"]  # no English from the validator
        assert VitalSign.objects.count() == 0  # nothing half-saved
        assert not AuditEvent.objects.filter(action="vital_sign.recorded").exists()

    def test_blood_pressure_components_are_checked(self, client, file, doctor):
        response = post(client, OBS, blood_pressure(file.public_id, 80, 120), doctor)
        assert response.status_code == 422
        assert response.json()["issue"][0]["expression"] == [
            "Observation.component[1].valueQuantity.value"]
        assert "inférieure à la systolique" in issue(response)["details"]["text"]

    def test_who_may_not_post(self, client, users, crt_a, crt_b, user_b):
        partner = users["partner"]
        no_health = BeneficiaryFactory(crt=crt_a)
        consent(no_health)  # shared with the care team, but not the health data
        join_partner(no_health, partner)
        response = post(client, OBS, heart_rate(no_health.public_id), bearer(partner, crt_a))
        assert response.status_code == 404
        response = post(client, OBS, heart_rate(no_health.public_id),
                        bearer(users["coordinator"], crt_a))
        assert response.status_code == 403
        response = post(client, OBS, heart_rate(no_health.public_id), bearer(user_b, crt_b))
        assert response.status_code == 404
        assert VitalSign.objects.count() == 0


class TestObservationCorrectionRule:
    """PUT and DELETE follow the screens' rule (``access.can_correct_vital_sign``): whoever
    recorded the measure, or the doctor; 403 for the others, before the version is looked
    at; 404 from another CRT."""

    @pytest.fixture
    def team(self, users, crt_a, file, make_user):
        from maillage.beneficiaries.tests.factories import join_care_team

        colleague = make_user(crt_a, Role.NURSE, username="infirmiere-2")
        for user, role in ((users["nurse"], Role.NURSE), (colleague, Role.NURSE),
                           (users["care_aide"], Role.CARE_AIDE)):
            join_care_team(file, user, {role})
        return {"nurse": bearer(users["nurse"], crt_a), "colleague": bearer(colleague, crt_a),
                "care_aide": bearer(users["care_aide"], crt_a)}

    def _nurses_measure(self, client, file, team, value=70):
        response = post(client, OBS, heart_rate(file.public_id, value), team["nurse"])
        assert response.status_code == 201, response.content
        return VitalSign.objects.get(public_id=response.json()["id"])

    def test_the_recorder_corrects_and_retracts_her_measure(self, client, file, team):
        sign = self._nurses_measure(client, file, team)
        url = f"{OBS}/{sign.public_id}"
        response = put(client, url, heart_rate(file.public_id, 64, id=str(sign.public_id)),
                       team["nurse"], if_match='W/"1"')
        assert response.status_code == 200, response.content
        assert response.json()["valueQuantity"]["value"] == 64
        assert client.delete(url, HTTP_IF_MATCH='W/"2"', **team["nurse"]).status_code == 204

    def test_the_doctor_corrects_and_retracts_the_nurses(self, client, file, team, doctor):
        sign = self._nurses_measure(client, file, team)
        url = f"{OBS}/{sign.public_id}"
        response = put(client, url, heart_rate(file.public_id, 64, id=str(sign.public_id)),
                       doctor, if_match='W/"1"')
        assert response.status_code == 200, response.content
        assert client.delete(url, HTTP_IF_MATCH='W/"2"', **doctor).status_code == 204

    @pytest.mark.parametrize("who", ["colleague", "care_aide"])
    def test_another_recorder_is_refused_403(self, client, file, team, who):
        sign = self._nurses_measure(client, file, team)
        url, body = f"{OBS}/{sign.public_id}", heart_rate(file.public_id, 64,
                                                           id=str(sign.public_id))
        # They read it (health face of the file)…
        assert client.get(url, **team[who]).status_code == 200
        # … but neither correct nor retract it, whatever the version sent.
        for if_match in ('W/"1"', 'W/"7"'):
            response = put(client, url, body, team[who], if_match=if_match)
            assert response.status_code == 403
            assert issue(response)["code"] == "forbidden"
            assert issue(response)["details"]["text"] == (
                "Seule la personne qui a saisi cette mesure, ou le médecin, peut la corriger.")
            response = client.delete(url, HTTP_IF_MATCH=if_match, **team[who])
            assert response.status_code == 403
            assert issue(response)["details"]["text"] == (
                "Seule la personne qui a saisi cette mesure, ou le médecin, peut la retirer.")
        sign.refresh_from_db()
        assert (sign.value, sign.version, sign.deleted_at) == (70, 1, None)
        assert not AuditEvent.objects.filter(
            action__in=["vital_sign.updated", "vital_sign.retracted"]).exists()

    def test_another_crt_gets_404(self, client, file, team, crt_b, user_b):
        sign = self._nurses_measure(client, file, team)
        url, headers = f"{OBS}/{sign.public_id}", bearer(user_b, crt_b)
        response = put(client, url, heart_rate(file.public_id, 64, id=str(sign.public_id)),
                       headers, if_match='W/"1"')
        assert response.status_code == 404
        assert client.delete(url, HTTP_IF_MATCH='W/"1"', **headers).status_code == 404
        sign.refresh_from_db()
        assert (sign.value, sign.version) == (70, 1)


class TestCommunication:
    def test_read_search_and_visibility(self, client, users, crt_a, crt_b, user_b):
        coordinator = bearer(users["coordinator"], crt_a)
        b = shared_file(crt_a)
        author = users["nurse"]
        note = LiaisonNote.objects.create(crt=crt_a, beneficiary=b, author=author,
                                          author_role="Infirmier·ère", category="fall",
                                          text="Chute sans gravité ce matin.")
        reserved = LiaisonNote.objects.create(crt=crt_a, beneficiary=b, author=author,
                                              visibility="health", text="INR à 4,2")
        response = client.get(f"{COMM}/{note.public_id}", **coordinator)
        assert response.status_code == 200
        c = response.json()
        assert c["payload"] == [{"contentString": "Chute sans gravité ce matin."}]
        assert c["subject"] == {"reference": f"Patient/{b.public_id}"}
        assert c["category"][0]["coding"][0]["code"] == "fall"
        assert c["sender"]["display"].endswith("(Infirmier·ère)")
        assert fr.schema_errors(c) == []
        # Reserved to health professionals: the coordination does not see it; the doctor of
        # the care team does.
        assert client.get(f"{COMM}/{reserved.public_id}", **coordinator).status_code == 404
        from maillage.beneficiaries.tests.factories import join_care_team

        join_care_team(b, users["doctor"])
        doctor = bearer(users["doctor"], crt_a)
        r = client.get(f"{COMM}/{reserved.public_id}", **doctor).json()
        assert r["meta"]["security"][0]["code"] == "R"
        # Search: patient, sent, category.
        bundle = client.get(COMM, {"patient": f"Patient/{b.public_id}"}, **coordinator).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(note.public_id)]
        today = timezone.localdate().isoformat()
        assert client.get(COMM, {"sent": today, "category": "fall"},
                          **doctor).json()["total"] == 1
        assert client.get(COMM, {"sent": "lt2020"}, **doctor).json()["total"] == 0
        assert client.get(COMM, {"sent": "demain"}, **doctor).status_code == 400
        # Refusals: another CRT, a role without the notebook, the audit of the reads.
        assert client.get(f"{COMM}/{note.public_id}", **bearer(user_b, crt_b)).status_code \
            == 404
        response = client.get(COMM, **bearer(users["admin_staff"], crt_a))
        assert response.status_code == 403
        assert AuditEvent.objects.filter(action="fhir.communication_read",
                                         beneficiary_public_id=b.public_id).count() == 4

    def test_a_partner_sees_only_consenting_people(self, client, users, crt_a):
        partner = users["partner"]
        shared = shared_file(crt_a, partner, {Role.PARTNER})
        refusing = BeneficiaryFactory(crt=crt_a)
        join_partner(refusing, partner)
        for b in (shared, refusing):
            LiaisonNote.objects.create(crt=crt_a, beneficiary=b, author=users["nurse"],
                                       text="Passage fait.")
        bundle = client.get(COMM, **bearer(partner, crt_a)).json()
        assert [e["resource"]["subject"]["reference"] for e in bundle["entry"]] == [
            f"Patient/{shared.public_id}"]

    def test_create_through_the_notebook_service(self, client, users, crt_a):
        partner = users["partner"]
        b = shared_file(crt_a, partner, {Role.PARTNER})
        body = communication(b.public_id, "Pansement refait, cicatrisation correcte.",
                             category=[{"coding": [{
                                 "system": "urn:maillage:codesystem:liaison-note-category",
                                 "code": "care"}]}])
        response = post(client, COMM, body, bearer(partner, crt_a))
        assert response.status_code == 201, response.content
        note = LiaisonNote.objects.get()
        assert (note.author, note.category, note.visibility, note.text) == (
            partner, "care", "team", "Pansement refait, cicatrisation correcte.")
        assert response.json()["payload"][0]["contentString"] == note.text
        assert AuditEvent.objects.filter(action="note.added",
                                         beneficiary_public_id=b.public_id).count() == 1

    def test_create_refusals(self, client, users, crt_a):
        partner = users["partner"]
        b = shared_file(crt_a, partner, {Role.PARTNER})
        headers = bearer(partner, crt_a)
        response = post(client, COMM, communication(b.public_id, "   "), headers)
        assert response.status_code == 422
        assert response.json()["issue"][0]["expression"] == ["Communication.payload"]
        response = post(client, COMM, communication(b.public_id, "Pansement\x00 refait"),
                        headers)
        assert response.status_code == 422  # a 500 on PostgreSQL, which stores no NUL
        assert issue(response)["expression"] == ["Communication.payload[0].contentString"]
        assert "caractère de contrôle ou invisible" in issue(response)["details"]["text"]
        two_lines = post(client, COMM, communication(b.public_id, "Pansement refait.\r\n\t"
                                                                  "Cicatrisation correcte."),
                         headers)
        assert two_lines.status_code == 201  # line breaks and tabs are text
        LiaisonNote.objects.all().delete()
        refusing = BeneficiaryFactory(crt=crt_a)
        join_partner(refusing, partner)
        assert post(client, COMM, communication(refusing.public_id), headers).status_code \
            == 404
        assert LiaisonNote.objects.count() == 0


class TestCapabilityStatement:
    def test_interactions_per_type(self, client, db):
        statement = client.get("/fhir/R4/metadata").json()
        by_type = {r["type"]: r for r in statement["rest"][0]["resource"]}
        codes = {t: [i["code"] for i in r["interaction"]] for t, r in by_type.items()}
        assert codes["Patient"] == ["read", "search-type"]
        assert codes["Observation"] == ["read", "update", "delete", "create", "search-type"]
        assert codes["Communication"] == ["read", "create", "search-type"]
        assert by_type["Observation"]["versioning"] == "versioned-update"
        assert FR + "fr-core-observation-bp" in by_type["Observation"]["supportedProfile"]
        assert fr.schema_errors(statement) == []


class TestVitalSignRules:
    """Each rule of ``vital_sign_errors`` catches a crafted break of a valid resource."""

    @pytest.mark.parametrize("break_it", [
        lambda o: o.update(category=[{"coding": [{"system": VITAL_SIGNS, "code": "exam"}]}]),
        lambda o: o["code"]["coding"][0].update(code="8867-4"),
        lambda o: o.pop("effectiveDateTime"),
        lambda o: o.update(subject={"reference": "Group/1"}),
        lambda o: o.update(valueQuantity={"value": 1, "system": UCUM, "code": "mm[Hg]"}),
        lambda o: o["component"][0]["valueQuantity"].update(code="mmHg"),
        lambda o: o["component"].pop(),
    ], ids=["category", "code", "effective", "subject", "bp-value", "bp-unit", "bp-component"])
    def test_a_broken_blood_pressure_is_caught(self, client, file, doctor, break_it):
        o = client.get(f"{OBS}/{_measure(file, 'blood_pressure').public_id}", **doctor).json()
        assert vital_sign_errors(o) == []
        break_it(o)
        assert vital_sign_errors(o) != []

    def test_a_broken_quantity_is_caught(self, client, file, doctor):
        o = client.get(f"{OBS}/{_measure(file, 'body_weight', value=60).public_id}",
                       **doctor).json()
        o["valueQuantity"]["code"] = "[lb_av]"
        assert vital_sign_errors(o) != []


def test_communication_query_budget(client, users, crt_a, django_assert_max_num_queries):
    coordinator = bearer(users["coordinator"], crt_a)
    for _ in range(5):
        b = shared_file(crt_a)
        for text in ("Passage fait.", "Repas pris.", "Nuit calme.", "Toilette faite."):
            LiaisonNote.objects.create(crt=crt_a, beneficiary=b, author=users["nurse"],
                                       text=text)
    with django_assert_max_num_queries(12):
        assert len(client.get(COMM, {"_count": 20}, **coordinator).json()["entry"]) == 20


def test_the_api_and_the_notebook_screen_show_the_same_notes(users, crt_a):
    """``care.access.liaison_notes_visible`` (the API) agrees with the notebook's screen (the
    file's liaison face, then ``selectors.notes``) for every role."""
    from maillage.beneficiaries.access import file_access
    from maillage.care.access import liaison_notes_visible
    from maillage.care.selectors import notes

    for role in Role:
        user = users[role.value]
        b = shared_file(crt_a, user, {role})
        for visibility in ("team", "health", "caregiver"):
            LiaisonNote.objects.create(crt=crt_a, beneficiary=b, author=users["nurse"],
                                       visibility=visibility, text="Transmission.")
        access = file_access(user=user, roles={role}, beneficiary=b)
        screen = set(notes(beneficiary=b, user=user, access=access)) if access.liaison else set()
        api = set(liaison_notes_visible(crt=crt_a, user=user, roles={role}).filter(
            beneficiary=b))
        assert api == screen, role
