"""Encounter (visits done) and Appointment (visits planned, cancelled or not done) as a client
sees them: the visit pages' policy, search, audit."""

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent, shared_file
from maillage.care.tests.factories import service
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.territory.tests.factories import ProfessionalFactory
from maillage.visits.models import Visit
from maillage.visits.tests.factories import visit

from .fhir_care_rules import ENCOUNTER, all_errors, schema_errors
from .helpers import bearer, issue

ENCOUNTERS, APPOINTMENTS = "/fhir/R4/Encounter", "/fhir/R4/Appointment"


def at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + \
        timedelta(hours=hour)


@pytest.fixture
def coordinator(users, crt_a):
    return bearer(users["coordinator"], crt_a)


def done(b, user=None, *, starts_at=None, **fields):
    starts_at = starts_at or timezone.now() - timedelta(hours=3)
    return visit(b, user, starts_at=starts_at, status=Visit.Status.DONE,
                 actual_start=starts_at + timedelta(minutes=5),
                 actual_end=starts_at + timedelta(minutes=40), **fields)


def one_of_each(b, user=None):
    """A visit done, one planned, one cancelled, one not done."""
    soon = timezone.now() + timedelta(days=1)
    return (done(b, user), visit(b, user, starts_at=soon),
            visit(b, user, starts_at=soon + timedelta(hours=2), status=Visit.Status.CANCELLED),
            visit(b, user, starts_at=timezone.now() - timedelta(days=1),
                  status=Visit.Status.NOT_DONE, not_done_reason="no_answer"))


class TestRead:
    def test_a_visit_done_is_an_encounter(self, client, crt_a, users, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        v = done(b, users["care_aide"], service=service(crt_a, name="Aide à la toilette"))
        response = client.get(f"{ENCOUNTERS}/{v.public_id}", **coordinator)
        assert response.status_code == 200 and response["ETag"] == f'W/"{v.version}"'
        e = response.json()
        assert all_errors(e) == []
        assert e["meta"]["profile"] == [ENCOUNTER]
        assert e["status"] == "finished"
        assert e["class"] == {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                              "code": "HH", "display": "home health"}
        assert e["serviceType"] == {"text": "Aide à la toilette"}
        assert e["subject"] == {"reference": f"Patient/{b.public_id}"}
        assert e["period"] == {"start": v.actual_start.isoformat(),
                               "end": v.actual_end.isoformat()}
        assert e["participant"] == [{"individual": {"display":
                                                    users["care_aide"].get_full_name()}}]
        assert e["identifier"][0]["value"] == f"urn:uuid:{v.public_id}"
        # At the CRT rather than at home: ambulatory.
        at_crt = done(b, place="crt")
        assert client.get(f"{ENCOUNTERS}/{at_crt.public_id}",
                          **coordinator).json()["class"]["code"] == "AMB"

    def test_visits_not_done_are_appointments(self, client, crt_a, users, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        pro = ProfessionalFactory(crt=crt_a, first_name="Inès", last_name="Libérale")
        was_done, planned, cancelled, missed = one_of_each(b)
        Visit.objects.filter(pk=planned.pk).update(professional=pro, instructions="Sonner fort")

        def get(v):
            return client.get(f"{APPOINTMENTS}/{v.public_id}", **coordinator)

        a = get(planned).json()
        assert all_errors(a) == []
        assert a["meta"]["profile"] == [
            "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-appointment"]
        assert a["status"] == "booked"
        assert a["start"] == planned.starts_at.isoformat()
        assert a["end"] == planned.ends_at.isoformat()
        assert a["comment"] == "Sonner fort"
        assert a["participant"] == [
            {"actor": {"reference": f"Patient/{b.public_id}"}, "required": "required",
             "status": "accepted"},
            {"actor": {"display": f"Inès Libérale ({pro.organization.name})"
                       if pro.organization_id else "Inès Libérale"},
             "required": "required", "status": "accepted"}]
        assert get(cancelled).json()["status"] == "cancelled"
        noshow = get(missed).json()
        assert noshow["status"] == "noshow"
        assert noshow["cancelationReason"] == {"text": "Personne absente ou ne répondant pas"}
        assert all_errors(noshow) == []
        # Each visit is one or the other.
        assert get(was_done).status_code == 404
        assert client.get(f"{ENCOUNTERS}/{planned.public_id}", **coordinator).status_code == 404


class TestAccess:
    @pytest.mark.parametrize("role", ["auditor", "ars", "caregiver", "beneficiary"])
    def test_forbidden_role_is_403(self, client, users, crt_a, role):
        v = done(BeneficiaryFactory(crt=crt_a))
        for url in (ENCOUNTERS, APPOINTMENTS, f"{ENCOUNTERS}/{v.public_id}"):
            response = client.get(url, **bearer(users[role], crt_a))
            assert response.status_code == 403
            assert issue(response)["code"] == "forbidden"

    def test_other_crt_is_404_and_absent(self, client, crt_a, crt_b, user_b):
        theirs = one_of_each(BeneficiaryFactory(crt=crt_a))
        mine = one_of_each(BeneficiaryFactory(crt=crt_b))
        headers = bearer(user_b, crt_b)
        assert client.get(f"{ENCOUNTERS}/{theirs[0].public_id}", **headers).status_code == 404
        response = client.get(f"{APPOINTMENTS}/{theirs[1].public_id}", **headers)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        assert {e["resource"]["id"] for e in client.get(
            APPOINTMENTS, **headers).json()["entry"]} == {str(v.public_id) for v in mine[1:]}

    def test_partner_sees_only_consenting_people(self, client, users, crt_a):
        partner = users["partner"]
        consenting = shared_file(crt_a, partner, {Role.PARTNER})
        pro = CareTeamMember.objects.get(beneficiary=consenting).professional
        refusing, no_planning = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        consent(no_planning, share_planning=False)
        for b in (refusing, no_planning):
            CareTeamMember.objects.create(crt=crt_a, beneficiary=b, professional=pro,
                                          role="Médecin traitant", start_date=date(2024, 1, 1))
        seen = one_of_each(consenting)
        hidden = one_of_each(refusing) + one_of_each(no_planning)
        headers = bearer(partner, crt_a)
        assert [e["resource"]["id"] for e in client.get(ENCOUNTERS, **headers).json()[
            "entry"]] == [str(seen[0].public_id)]
        assert {e["resource"]["id"] for e in client.get(APPOINTMENTS, **headers).json()[
            "entry"]} == {str(v.public_id) for v in seen[1:]}
        for v in hidden:
            kind = ENCOUNTERS if v.status == Visit.Status.DONE else APPOINTMENTS
            assert client.get(f"{kind}/{v.public_id}", **headers).status_code == 404


class TestSearch:
    def test_parameters(self, client, crt_a, coordinator):
        b, other = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        monday = date(2025, 3, 3)
        e1 = done(b, starts_at=at(monday, 9))
        e2 = done(b, starts_at=at(monday + timedelta(days=1), 9))
        e3 = done(other, starts_at=at(monday, 18))
        booked = visit(b, starts_at=at(monday, 14))
        cancelled = visit(other, starts_at=at(monday, 15), status=Visit.Status.CANCELLED)
        missed = visit(b, starts_at=at(monday + timedelta(days=2), 8),
                       status=Visit.Status.NOT_DONE)

        def ids(url, **query):
            response = client.get(url, query, **coordinator)
            assert response.status_code == 200, response.json()
            bundle = response.json()
            assert schema_errors(bundle) == []
            assert bundle["total"] == len(bundle["entry"])
            return {e["resource"]["id"] for e in bundle["entry"]}

        def of(*visits):
            return {str(v.public_id) for v in visits}

        assert ids(ENCOUNTERS) == of(e1, e2, e3)
        assert ids(ENCOUNTERS, patient=f"Patient/{b.public_id}") == of(e1, e2)
        assert ids(ENCOUNTERS, date="2025-03-03") == of(e1, e3)
        assert ids(ENCOUNTERS, date="2025-03-03T09:00:00+01:00") == of(e1)
        assert ids(ENCOUNTERS, date=["ge2025-03-03T12:00:00+01:00", "lt2025-03-05"]) == \
            of(e2, e3)
        assert ids(ENCOUNTERS, patient=f"Patient/{other.public_id}", date="2025-03-04") == \
            set()
        assert ids(APPOINTMENTS, date="2025-03") == of(booked, cancelled, missed)
        assert ids(APPOINTMENTS, patient=str(b.public_id)) == of(booked, missed)
        assert ids(APPOINTMENTS, status="booked") == of(booked)
        assert ids(APPOINTMENTS, status="cancelled,noshow") == of(cancelled, missed)
        assert ids(APPOINTMENTS, status="fulfilled") == set()
        today = timezone.localdate().isoformat()
        assert ids(APPOINTMENTS, _lastUpdated=f"ge{today}") == of(booked, cancelled, missed)
        assert ids(ENCOUNTERS, _lastUpdated="lt2000") == set()

    @pytest.mark.parametrize("url", [ENCOUNTERS, APPOINTMENTS])
    @pytest.mark.parametrize("query, says", [
        ({"date": "03/03/2025"}, "Paramètre « date » : « 03/03/2025 » n'est pas une date FHIR"),
        ({"date": "2025-02-30"}, "Paramètre « date » : la date « 2025-02-30 » n'existe pas"),
        ({"patient": "Practitioner/1"}, "Paramètre « patient » : une référence « Patient/<id> »"),
        ({"subject": "Patient/1"}, "non pris en charge pour "),
    ])
    def test_bad_parameter_is_400_naming_it(self, client, coordinator, url, query, says):
        response = client.get(url, query, **coordinator)
        assert response.status_code == 400
        assert says in issue(response)["details"]["text"]

    def test_encounter_has_no_status_parameter(self, client, coordinator):
        response = client.get(ENCOUNTERS, {"status": "finished"}, **coordinator)
        assert response.status_code == 400
        assert "non pris en charge pour Encounter : status" in issue(response)["details"]["text"]

    @pytest.mark.parametrize("url", [ENCOUNTERS, APPOINTMENTS])
    def test_query_count_does_not_grow_with_the_page(self, client, crt_a, users, coordinator,
                                                     url, django_assert_max_num_queries):
        pro = ProfessionalFactory(crt=crt_a)
        for i in range(10):
            b = BeneficiaryFactory(crt=crt_a)
            one_of_each(b, users["nurse"])
            one_of_each(b)
            visit(b, professional=pro, starts_at=timezone.now() + timedelta(days=i + 2))
        # Token and rate limit, count, page (visits joined with their people, professionals
        # and services), and the audit (one insert).
        with django_assert_max_num_queries(12):
            bundle = client.get(url, {"_count": 30}, **coordinator).json()
        assert len(bundle["entry"]) == (20 if url == ENCOUNTERS else 30)


class TestAudit:
    def test_each_visit_read_is_in_who_read_my_file(self, client, users, crt_a, coordinator):
        b, other = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        was_done, planned, *_ = one_of_each(b)
        one_of_each(other)
        client.get(f"{ENCOUNTERS}/{was_done.public_id}", **coordinator)
        client.get(APPOINTMENTS, {"patient": f"Patient/{b.public_id}"}, **coordinator)
        assert AuditEvent.objects.filter(action="fhir.encounter_read",
                                         beneficiary_public_id=b.public_id).count() == 1
        assert AuditEvent.objects.filter(action="fhir.appointment_read",
                                         beneficiary_public_id=b.public_id).count() == 3
        assert not AuditEvent.objects.filter(action__startswith="fhir.",
                                             beneficiary_public_id=other.public_id).exists()
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id])).content
        assert "Consultation d&#x27;un passage réalisé par l&#x27;API FHIR" in page.decode()
