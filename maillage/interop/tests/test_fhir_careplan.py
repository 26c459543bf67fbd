"""CarePlan as a client sees it: one per plan version (draft, in force, replaced), goals and
problems contained, actions as activities; the plan pages' policy, search, audit."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
    shared_file,
)
from maillage.care.models import Goal, PlannedAction, Problem
from maillage.care.tests.factories import domain, filled, plan_version, service
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.territory.tests.factories import ProfessionalFactory

from .fhir_care_rules import all_errors, schema_errors
from .helpers import bearer, issue

PLANS = "/fhir/R4/CarePlan"


def read_url(version) -> str:
    return f"{PLANS}/{version.public_id}"


@pytest.fixture
def coordinator(users, crt_a):
    return bearer(users["coordinator"], crt_a)


def history(b, user):
    """Version 1 validated a year ago, replaced by version 2 (in force), and a draft 3."""
    a_year_ago = timezone.now() - timedelta(days=365)
    v1 = filled(plan_version(b, status="validated", number=1, validated_at=a_year_ago), user)
    v2 = filled(plan_version(b, status="validated", number=2, based_on=v1,
                             validated_at=timezone.now() - timedelta(days=30),
                             situation_summary="Vit seule, chutes la nuit.",
                             wishes="Rester chez elle.", referent=user), user)
    v3 = plan_version(b, status="draft", number=3, based_on=v2)
    return v1, v2, v3


class TestRead:
    def test_the_plan_in_force_as_a_client_reads_it(self, client, crt_a, users, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        _, v2, _ = history(b, users["nurse"])
        Goal.objects.filter(version=v2).update(status=Goal.Status.ACHIEVED)
        pro = ProfessionalFactory(crt=crt_a, first_name="Paul", last_name="Kiné")
        PlannedAction.objects.create(
            crt=crt_a, version=v2, domain=domain(crt_a), service=service(crt_a),
            description="Rééducation à la marche", professional=pro, frequency="2 fois par semaine",
            start_date=date(2025, 1, 6), end_date=date(2025, 3, 28))
        response = client.get(read_url(v2), **coordinator)
        assert response.status_code == 200
        assert response["ETag"] == f'W/"{v2.version}"'
        plan = response.json()
        assert all_errors(plan) == []
        assert plan["status"] == "active" and plan["intent"] == "plan"
        assert plan["subject"] == {"reference": f"Patient/{b.public_id}"}
        assert plan["title"] == "Plan personnalisé — version 2"
        assert plan["description"] == "Vit seule, chutes la nuit."
        assert plan["period"] == {"start": v2.validated_at.isoformat()}
        assert plan["author"]["display"] == users["nurse"].get_full_name()
        assert plan["note"] == [{"text": "Souhaits et attentes de la personne : Rester chez elle."}]
        assert plan["replaces"] == [{"reference": f"CarePlan/{v2.based_on.public_id}"}]
        contained = {c["id"]: c for c in plan["contained"]}
        (problem,) = [c for c in contained.values() if c["resourceType"] == "Condition"]
        assert problem["code"] == {"text": "Chutes nocturnes"}
        (goal,) = [c for c in contained.values() if c["resourceType"] == "Goal"]
        assert goal["description"] == {"text": "Aucune chute en 3 mois"}
        assert goal["lifecycleStatus"] == "completed"
        assert goal["achievementStatus"]["coding"][0]["code"] == "achieved"
        assert goal["target"] == [{"dueDate": "2026-03-01"}]
        assert plan["goal"] == [{"reference": f"#{goal['id']}"}]
        assert plan["addresses"] == [{"reference": f"#{problem['id']}"}]
        evening, walking = (a["detail"] for a in plan["activity"])
        assert evening["code"] == {"text": "Passage du soir"}
        assert evening["status"] == "in-progress"
        assert evening["scheduledTiming"] == {"code": {"text": "Tous les jours à 19 h"}}
        assert evening["performer"] == [{"display": users["nurse"].get_full_name()}]
        assert walking["status"] == "completed"  # ended in March 2025
        assert walking["performer"] == [{"display": "Paul Kiné"}]
        assert walking["scheduledTiming"]["repeat"] == {
            "boundsPeriod": {"start": "2025-01-06", "end": "2025-03-28"}}
        assert walking["description"].endswith(" — Passage d'aide-soignante")

    def test_replaced_versions_and_drafts(self, client, crt_a, users, coordinator):
        b = BeneficiaryFactory(crt=crt_a)
        v1, v2, v3 = history(b, users["nurse"])
        old = client.get(read_url(v1), **coordinator).json()
        assert old["status"] == "revoked"
        assert old["period"] == {"start": v1.validated_at.isoformat(),
                                 "end": v2.validated_at.isoformat()}
        assert {a["detail"]["status"] for a in old["activity"]} == {"stopped"}
        draft = client.get(read_url(v3), **coordinator).json()
        assert draft["status"] == "draft" and "period" not in draft
        assert all_errors(old) == [] and all_errors(draft) == []


class TestAccess:
    @pytest.mark.parametrize("role", ["auditor", "ars", "caregiver", "beneficiary"])
    def test_forbidden_role_is_403(self, client, users, crt_a, role):
        v = plan_version(BeneficiaryFactory(crt=crt_a))
        for url in (PLANS, read_url(v)):
            response = client.get(url, **bearer(users[role], crt_a))
            assert response.status_code == 403
            assert issue(response)["code"] == "forbidden"

    def test_other_crt_is_404_and_absent(self, client, crt_a, crt_b, user_b):
        v = plan_version(BeneficiaryFactory(crt=crt_a))
        mine = plan_version(BeneficiaryFactory(crt=crt_b))
        headers = bearer(user_b, crt_b)
        response = client.get(read_url(v), **headers)
        assert response.status_code == 404 and issue(response)["code"] == "not-found"
        bundle = client.get(PLANS, **headers).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(mine.public_id)]

    def test_partner_sees_only_consenting_people(self, client, users, crt_a):
        partner = users["partner"]
        consenting = shared_file(crt_a, partner, {Role.PARTNER})
        pro = CareTeamMember.objects.get(beneficiary=consenting).professional
        refusing = BeneficiaryFactory(crt=crt_a)  # in the care team, no consent
        no_planning = BeneficiaryFactory(crt=crt_a)  # consent without the planning
        consent(no_planning, share_planning=False)
        for b in (refusing, no_planning):
            CareTeamMember.objects.create(crt=crt_a, beneficiary=b, professional=pro,
                                          role="Médecin traitant", start_date=date(2024, 1, 1))
        seen, hidden, hidden_too = (plan_version(b) for b in (consenting, refusing, no_planning))
        headers = bearer(partner, crt_a)
        bundle = client.get(PLANS, **headers).json()
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(seen.public_id)]
        assert client.get(read_url(seen), **headers).status_code == 200
        assert client.get(read_url(hidden), **headers).status_code == 404
        assert client.get(read_url(hidden_too), **headers).status_code == 404
        consent(consenting, withdrawn_at=timezone.now())
        consenting.consents.update(withdrawn_at=timezone.now())
        assert client.get(read_url(seen), **headers).status_code == 404

    def test_the_problems_are_for_whoever_reads_health_data(self, client, users, crt_a):
        """A plan's problems are health data (``care.health_data``): a partner without the
        health category, the activity leader, do not get them; the coordination does."""
        partner, leader = users["partner"], users["activity_leader"]
        b = shared_file(crt_a, partner, {Role.PARTNER})
        b.consents.update(share_health=False)
        join_care_team(b, leader, {Role.ACTIVITY_LEADER})
        version = plan_version(b)
        Problem.objects.create(crt=crt_a, version=version, description="Chutes nocturnes")

        def conditions(user):
            resource = client.get(read_url(version), **bearer(user, crt_a)).json()
            return [c["code"]["text"] for c in resource.get("contained", [])
                    if c["resourceType"] == "Condition"]

        assert conditions(users["coordinator"]) == ["Chutes nocturnes"]
        assert conditions(partner) == []
        assert conditions(leader) == []
        b.consents.update(share_health=True)
        assert conditions(partner) == ["Chutes nocturnes"]

    def test_the_activity_leader_sees_only_the_people_they_accompany(self, client, users,
                                                                     crt_a):
        leader = users["activity_leader"]
        mine = plan_version(shared_file(crt_a, leader, {Role.ACTIVITY_LEADER}))
        other = plan_version(BeneficiaryFactory(crt=crt_a))
        headers = bearer(leader, crt_a)
        assert [e["resource"]["id"] for e in client.get(PLANS, **headers).json()["entry"]] == \
            [str(mine.public_id)]
        assert client.get(read_url(other), **headers).status_code == 404


class TestSearch:
    def test_parameters(self, client, crt_a, users, coordinator):
        b, other = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        v1, v2, v3 = (str(v.public_id) for v in history(b, users["nurse"]))
        o1 = str(plan_version(other, status="validated", validated_at=timezone.now()).public_id)

        def ids(**query):
            response = client.get(PLANS, query, **coordinator)
            assert response.status_code == 200, response.json()
            bundle = response.json()
            assert schema_errors(bundle) == []
            assert bundle["total"] == len(bundle["entry"])
            return {e["resource"]["id"] for e in bundle["entry"]}

        assert ids() == {v1, v2, v3, o1}
        assert ids(patient=f"Patient/{b.public_id}") == {v1, v2, v3}
        assert ids(patient=str(other.public_id)) == {o1}
        assert ids(patient=f"http://testserver/fhir/R4/Patient/{other.public_id}") == {o1}
        assert ids(status="active") == {v2, o1}
        assert ids(status="revoked") == {v1}
        assert ids(status="draft,revoked", patient=f"Patient/{b.public_id}") == {v1, v3}
        assert ids(status="completed") == set()
        today = timezone.localdate()
        assert ids(date=f"ge{(today - timedelta(days=40)).isoformat()}") == {v2, o1}
        assert ids(date=f"lt{(today - timedelta(days=40)).isoformat()}") == {v1}
        assert ids(date=today.isoformat()) == {o1}
        assert ids(_lastUpdated=f"ge{today.isoformat()}") == {v1, v2, v3, o1}
        assert ids(_lastUpdated="lt2000") == set()

    @pytest.mark.parametrize("query, says", [
        ({"date": "hier"}, "Paramètre « date » : « hier » n'est pas une date FHIR"),
        ({"patient": "Organization/1"}, "Paramètre « patient » : une référence « Patient/<id> »"),
        ({"patient": "pas-un-id"}, "Paramètre « patient » : « pas-un-id »"),
        ({"subject": "Patient/1"}, "non pris en charge pour CarePlan : subject"),
        ({"_lastUpdated": "2025-13"}, "Paramètre « _lastUpdated »"),
    ])
    def test_bad_parameter_is_400_naming_it(self, client, coordinator, query, says):
        response = client.get(PLANS, query, **coordinator)
        assert response.status_code == 400
        assert says in issue(response)["details"]["text"]

    def test_query_count_does_not_grow_with_the_page(self, client, crt_a, users, coordinator,
                                                     django_assert_max_num_queries):
        for _ in range(12):
            history(BeneficiaryFactory(crt=crt_a), users["nurse"])
        # Token and rate limit, count, page, four prefetches, and the audit (one insert).
        with django_assert_max_num_queries(16):
            bundle = client.get(PLANS, {"_count": 36}, **coordinator).json()
        assert len(bundle["entry"]) == 36


class TestAudit:
    def test_each_plan_read_is_in_who_read_my_file(self, client, users, crt_a, coordinator):
        b, other = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
        v = plan_version(b, status="validated", validated_at=timezone.now())
        plan_version(other)
        client.get(read_url(v), **coordinator)
        client.get(PLANS, {"patient": f"Patient/{b.public_id}"}, **coordinator)
        events = AuditEvent.objects.filter(action="fhir.careplan_read",
                                           beneficiary_public_id=b.public_id)
        assert events.count() == 2
        assert {e.actor for e in events} == {users["coordinator"]}
        assert not AuditEvent.objects.filter(action="fhir.careplan_read",
                                             beneficiary_public_id=other.public_id).exists()
        client.force_login(users["coordinator"])
        page = client.get(reverse("beneficiaries:access_log", args=[b.public_id])).content
        assert "Consultation du plan personnalisé par l&#x27;API FHIR" in page.decode()
