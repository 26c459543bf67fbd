"""The « Plan personnalisé (PPCS) » step of the admission checklist leads to the person's real
plan (care app): it opens it when it exists, or starts it for who may write it — its first
version taking the referent chosen at admission."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.admissions import services
from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent
from maillage.care.models import CarePlanVersion
from maillage.care.tests.factories import plan_version
from maillage.core.tests.helpers import visible_text

TODAY = timezone.localdate()


@pytest.fixture
def b(crt_a):
    person = BeneficiaryFactory(crt=crt_a, birth_name="LEMAIRE", first_name="Odette",
                                current_gir=3)
    consent(person)
    return person


def detail(referral):
    return reverse("admissions:referral_detail", kwargs={"public_id": referral.public_id})


def plan_step(html: str) -> str:
    """The HTML of the checklist's plan step."""
    found = re.search(r'id="etape-plan_drafted".*?</li>', html, re.S)
    assert found, "no plan step on the page"
    return found.group(0)


def test_a_step_recorded_as_text_opens_the_plan_written_since(client, users, crt_a, b):
    referral = ReferralFactory(crt=crt_a, status="waiting", beneficiary=b, known_gir=3)
    services.step_record(actor=users["coordinator"], referral=referral, kind="plan_drafted",
                         done_on=TODAY, plan_summary="Passages matin et soir.")
    plan_version(b, status="validated")
    client.force_login(users["coordinator"])
    step = plan_step(client.get(detail(referral)).content.decode())
    plan_url = reverse("care:plan", kwargs={"public_id": b.public_id})
    assert re.search(rf'<a [^>]*href="{plan_url}"[^>]*>Ouvrir le plan personnalisé</a>', step)
    assert "version 1, validée" in step
    page = client.get(plan_url)
    assert page.status_code == 200
    assert "Plan personnalisé de coordination — LEMAIRE Odette" in visible_text(page)


def test_no_plan_yet_the_coordinator_starts_it_with_the_admission_referent(client, users,
                                                                           crt_a, b):
    # The emergency path: admitted first, the plan written after.
    referral = ReferralFactory(crt=crt_a, status="admitted", beneficiary=b, known_gir=3,
                               hospital_discharge=True)
    enrolment(b, referent=users["nurse"], referral=referral, admitted_on=TODAY)
    client.force_login(users["coordinator"])
    step = plan_step(client.get(detail(referral)).content.decode())
    start_url = reverse("care:plan_start", kwargs={"public_id": b.public_id})
    assert re.search(rf'<form method="post" action="{start_url}"', step)
    assert "Rédiger le plan personnalisé" in step
    response = client.post(start_url)
    version_url = reverse("care:plan_version", kwargs={"public_id": b.public_id, "number": 1})
    assert response.status_code == 302 and response.url == version_url
    text = visible_text(client.get(version_url))
    assert f"Référent PPCS {users['nurse'].get_full_name()}" in text
    assert CarePlanVersion.objects.get(plan__beneficiary=b).referent == users["nurse"]
    # Back on the admission: the step now opens that plan.
    step = plan_step(client.get(detail(referral)).content.decode())
    assert "Ouvrir le plan personnalisé" in step and "version 1, en brouillon" in step


def test_a_referent_who_left_the_team_is_not_carried_over(users, crt_a, b, make_user):
    from maillage.care.services import careplan_new_version

    gone = make_user(None, username="partie")
    enrolment(b, referent=gone, admitted_on=TODAY)
    draft = careplan_new_version(actor=users["coordinator"], beneficiary=b)
    assert draft.referent is None


def test_who_may_not_write_the_plan_reads_that_it_is_not_written(client, users, crt_a, b):
    referral = ReferralFactory(crt=crt_a, status="waiting", beneficiary=b, known_gir=3)
    client.force_login(users["admin_staff"])  # reads the admissions, does not write plans
    step = plan_step(client.get(detail(referral)).content.decode())
    assert "Le plan personnalisé de la personne n'est pas encore rédigé." in step
    assert "plan_start" not in step and "nouvelle-version" not in step


def test_without_a_file_yet_the_step_says_where_the_plan_is_written(client, users, crt_a):
    referral = ReferralFactory(crt=crt_a, status="waiting")
    client.force_login(users["coordinator"])
    step = plan_step(client.get(detail(referral)).content.decode())
    assert ("Le plan personnalisé se rédige dans le dossier de la personne, une fois celui-ci "
            "ouvert ou relié (première étape).") in step


def test_a_plan_drafted_before_admission_takes_the_admission_referent(client, users, crt_a,
                                                                      b, make_user):
    """Drafted while she waits (no referent yet: none was chosen), then admitted with the nurse
    as referent: the draft names the nurse. A referent the draft already names is kept."""
    from maillage.care.services import careplan_new_version

    draft = careplan_new_version(actor=users["coordinator"], beneficiary=b)
    assert draft.referent is None
    services.enrolment_open(actor=users["coordinator"], beneficiary=b, admitted_on=TODAY,
                            referent=users["nurse"], gir_at_entry=3)
    client.force_login(users["coordinator"])
    version_url = reverse("care:plan_version", kwargs={"public_id": b.public_id, "number": 1})
    assert f"Référent PPCS {users['nurse'].get_full_name()}" in visible_text(
        client.get(version_url))

    other = BeneficiaryFactory(crt=crt_a, current_gir=2)
    consent(other)
    chosen = careplan_new_version(actor=users["coordinator"], beneficiary=other)
    chosen.referent = users["coordinator"]
    chosen.save()
    services.enrolment_open(actor=users["coordinator"], beneficiary=other, admitted_on=TODAY,
                            referent=users["nurse"], gir_at_entry=2)
    chosen.refresh_from_db()
    assert chosen.referent == users["coordinator"]
