"""The admission commission names the requests it examined: the team opinion it gave and the
review it made (on the waiting list, declined, redirected) are linked to it, as the admissions it
decided are; its page lists them all with what it did."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.admissions import services
from maillage.admissions.models import AdmissionStep, Referral
from maillage.admissions.tests.factories import ReferralFactory, enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.factories import UserFactory
from maillage.core.tests.helpers import field_error, table_text, visible_text
from maillage.organisation.tests.factories import meeting
from maillage.territory.tests.factories import OrganizationFactory

TODAY = timezone.localdate()


def referral_before(**fields):
    """A request received three weeks ago: before the commissions of these tests (a
    commission held before a request came in did not examine it)."""
    fields.setdefault("received_at", timezone.now() - timedelta(days=21))
    return ReferralFactory(**fields)


@pytest.fixture
def commission(crt_a):
    return meeting(crt_a, held_on=TODAY - timedelta(days=3))


def waiting(crt, name="Lemaire"):
    b = BeneficiaryFactory(crt=crt, current_gir=3)
    return referral_before(crt=crt, status="waiting", beneficiary=b, known_gir=3,
                           person_last_name=name, person_agrees=True)


def detail(referral):
    return reverse("admissions:referral_detail", args=[referral.public_id])


def meeting_url(m):
    return reverse("organisation:meeting_detail", args=[m.public_id])


def opinion_post(client, referral, **data):
    return client.post(reverse("admissions:step_add", args=[referral.public_id]), {
        "kind": "team_opinion", "done_on": TODAY.isoformat(), "outcome": "unfavourable",
        "version": referral.version, **data})


class TestRecording:
    def test_the_opinion_names_its_commission(self, client, users, crt_a, commission):
        referral = waiting(crt_a)
        client.force_login(users["coordinator"])
        form = client.get(reverse("admissions:step_add", args=[referral.public_id]),
                          {"etape": "team_opinion"}).content.decode()
        assert f'value="{commission.public_id}"' in form
        response = opinion_post(client, referral, meeting=str(commission.public_id))
        assert response.status_code == 302, visible_text(response)
        step = AdmissionStep.objects.get(referral=referral)
        assert step.meeting == commission and step.outcome == "unfavourable"
        event = AuditEvent.objects.get(action="admission_step.recorded")
        assert event.details["commission d'admission"] == str(commission)
        page = client.get(detail(referral))
        assert (f"avis : défavorable, Commission d'admission du "
                f"{commission.held_on:%d/%m/%Y}") in visible_text(page)
        assert f'href="{meeting_url(commission)}"' in page.content.decode()

    def test_the_review_names_its_commission(self, client, users, crt_a, commission):
        referral = referral_before(crt=crt_a, known_gir=5, person_agrees=True)
        client.force_login(users["coordinator"])
        response = client.post(detail(referral), {
            "form": "decision", "version": referral.version, "decision": "decline",
            "reason": "GIR 5 : relève d'un service d'aide à domicile.",
            "meeting": str(commission.public_id)})
        assert response.status_code == 302, visible_text(response)
        referral.refresh_from_db()
        assert referral.status == "declined" and referral.decision_meeting == commission
        assert AuditEvent.objects.get(action="referral.declined") \
            .details["commission d'admission"] == str(commission)
        text = visible_text(client.get(detail(referral)))
        assert f"Examinée par Commission d'admission du {commission.held_on:%d/%m/%Y}" in text

    def test_another_crt_or_another_kind_is_refused(self, client, users, crt_a, crt_b,
                                                     commission):
        referral = waiting(crt_a)
        theirs = meeting(crt_b, held_on=TODAY - timedelta(days=3))
        copil = meeting(crt_a, kind="copil", held_on=TODAY - timedelta(days=3))
        client.force_login(users["coordinator"])
        for wrong in (theirs, copil):
            response = opinion_post(client, referral, meeting=str(wrong.public_id))
            assert response.status_code == 400
            assert field_error(response, "team_opinion_meeting") == \
                "Choisissez une commission d'admission dans la liste."
        received = referral_before(crt=crt_a, known_gir=3, person_agrees=True)
        response = client.post(detail(received), {
            "form": "decision", "version": received.version, "decision": "decline",
            "reason": "Hors territoire.", "meeting": str(copil.public_id)})
        assert response.status_code == 400
        assert field_error(response, "meeting") == \
            "Choisissez une commission d'admission dans la liste."
        # The service says it too, whoever calls it (the API, the demo).
        for wrong in (theirs, copil):
            with pytest.raises(DomainError) as error:
                services.step_record(actor=users["coordinator"], referral=referral,
                                     kind="team_opinion", done_on=TODAY,
                                     outcome="favourable", meeting=wrong)
            assert (error.value.field, str(error.value)) == (
                "meeting", "Choisissez une commission d'admission du CRT.")
            with pytest.raises(DomainError) as error:
                services.referral_decide(actor=users["coordinator"], referral=received,
                                         version=received.version, decision="decline",
                                         reason="Hors territoire.", meeting=wrong)
            assert (error.value.field, str(error.value)) == (
                "meeting", "Choisissez une commission d'admission du CRT.")
        with pytest.raises(DomainError, match="se tient après la date de l'avis") as error:
            services.step_record(actor=users["coordinator"], referral=referral,
                                 kind="team_opinion", done_on=commission.held_on - timedelta(1),
                                 outcome="favourable", meeting=commission)
        assert error.value.field == "meeting"
        # Nothing saved.
        assert not AdmissionStep.objects.exists()
        received.refresh_from_db()
        assert received.status == "received" and received.decision_meeting is None
        assert not AuditEvent.objects.filter(action__in=["admission_step.recorded",
                                                          "referral.declined"]).exists()


def test_a_commission_held_before_the_request_came_in_did_not_examine_it(client, users, crt_a):
    """Not offered, and refused by the services: the QA admitted a request received on
    28/11/2026 « by » the commission of 04/11/2025."""
    old = meeting(crt_a, held_on=TODAY - timedelta(days=40))
    recent = meeting(crt_a, held_on=TODAY - timedelta(days=2))
    referral = referral_before(crt=crt_a, known_gir=3, person_agrees=True,
                               received_at=timezone.now() - timedelta(days=10))
    client.force_login(users["coordinator"])
    page = client.get(detail(referral)).content.decode()
    assert f'value="{recent.public_id}"' in page and f'value="{old.public_id}"' not in page
    with pytest.raises(DomainError) as error:
        services.referral_decide(actor=users["coordinator"], referral=referral,
                                 version=referral.version, decision="decline",
                                 reason="Hors territoire.", meeting=old)
    assert error.value.field == "meeting"
    assert str(error.value) == (
        f"La commission d'admission choisie s'est tenue le {old.held_on:%d/%m/%Y}, avant la "
        f"réception de la demande (le {TODAY - timedelta(days=10):%d/%m/%Y}) : elle ne l'a "
        "pas examinée.")
    referral.refresh_from_db()
    assert referral.status == "received" and referral.decision_meeting is None
    services.referral_decide(actor=users["coordinator"], referral=referral,
                             version=referral.version, decision="decline",
                             reason="Hors territoire.", meeting=recent)
    referral.refresh_from_db()
    assert referral.decision_meeting == recent


class TestCommissionPage:
    @pytest.fixture
    def examined(self, crt_a, users, commission):
        """What one commission examined: an admission, a refusal, a redirection, an
        unfavourable opinion on a request still waiting; and a refusal by another one."""
        actor = users["coordinator"]
        admitted = referral_before(crt=crt_a, status="admitted", person_last_name="Admise",
                                   beneficiary=BeneficiaryFactory(crt=crt_a))
        enrolment(admitted.beneficiary, referral=admitted, admission_meeting=commission,
                  admitted_on=commission.held_on + timedelta(days=1))
        declined = referral_before(crt=crt_a, person_last_name="Refusee", known_gir=5)
        services.referral_decide(actor=actor, referral=declined, version=declined.version,
                                 decision="decline", reason="GIR 5.", meeting=commission)
        had = OrganizationFactory(crt=crt_a, name="HAD du Segréen")
        redirected = referral_before(crt=crt_a, person_last_name="Reorientee")
        services.referral_decide(actor=actor, referral=redirected,
                                 version=redirected.version, decision="redirect",
                                 reason="Soins techniques.", redirected_to=had,
                                 meeting=commission)
        opinion = waiting(crt_a, "Avisee")
        services.step_record(actor=actor, referral=opinion, kind="team_opinion",
                             done_on=commission.held_on, outcome="unfavourable",
                             meeting=commission)
        later = meeting(crt_a, held_on=TODAY - timedelta(days=1))
        elsewhere = referral_before(crt=crt_a, person_last_name="Ailleurs")
        services.referral_decide(actor=actor, referral=elsewhere, version=elsewhere.version,
                                 decision="decline", reason="Hors territoire.", meeting=later)
        return {"admitted": admitted, "declined": declined, "redirected": redirected,
                "opinion": opinion, "elsewhere": elsewhere}

    def test_lists_declined_and_admitted_requests_with_their_outcome(
            self, client, users, commission, examined):
        client.force_login(users["coordinator"])
        response = client.get(meeting_url(commission))
        rows = table_text(response)
        decided = f"{timezone.localtime(examined['declined'].decided_at):%d/%m/%Y}"
        received = f"{TODAY - timedelta(days=21):%d/%m/%Y}"
        assert f"REFUSEE Lucienne {received} — Refusée refusée le {decided}" in rows, rows
        assert f"Réorientée réorientée le {decided} vers HAD du Segréen" in rows
        assert ("Défavorable En liste d'attente avis défavorable, décision d'admission en "
                "attente") in rows
        assert f"Admise admis·e le {commission.held_on + timedelta(days=1):%d/%m/%Y}" in rows
        assert "AILLEURS" not in rows
        html = response.content.decode()
        for key in ("admitted", "declined", "redirected", "opinion"):
            assert f'href="{detail(examined[key])}"' in html

    def test_paginated_by_the_database(self, client, users, crt_a, commission, examined):
        for n in range(20):
            r = referral_before(crt=crt_a, person_last_name=f"Refus{n:02d}")
            services.referral_decide(actor=users["coordinator"], referral=r,
                                     version=r.version, decision="decline", reason="GIR 5.",
                                     meeting=commission)
        client.force_login(users["coordinator"])
        url = meeting_url(commission)
        assert "Page 1 sur 2" in visible_text(client.get(url))  # (the session's first page)
        with CaptureQueriesContext(connection) as first:
            # In the order examined: the opinion and the admission, then the refusals.
            rows = table_text(client.get(url))
        assert rows.startswith("AVISEE ") and rows.count("REFUS") == 17, rows  # 20 rows
        with CaptureQueriesContext(connection) as second:
            rows = table_text(client.get(url, {"page": 2}))
        assert rows.count("refusée le") == 4, rows  # 24 examined: 20 + 4
        assert "REFUS19" in rows
        # As many queries for twenty rows as for four.
        assert len(first) == len(second)

    def test_a_reader_without_the_requests_does_not_see_them(self, client, users, commission,
                                                             examined):
        client.force_login(users["coordinator"])
        assert "REFUSEE" in table_text(client.get(meeting_url(commission)))
        # The activity leader (the team, without referral.view): not the commission at all.
        client.force_login(users["activity_leader"])
        response = client.get(meeting_url(commission))
        assert response.status_code == 404
        assert "REFUSEE" not in response.content.decode().upper()

    def test_another_crt_sees_nothing(self, client, users, user_b, crt_b, commission,
                                      examined):
        # A request of CRT B linked to this commission by mistake never shows.
        theirs = referral_before(crt=crt_b, person_last_name="Autrecrt",
                                 status=Referral.Status.DECLINED, decision_meeting=commission,
                                 decided_at=timezone.now(), decided_by=UserFactory())
        client.force_login(users["coordinator"])
        rows = table_text(client.get(meeting_url(commission)))
        assert "REFUSEE" in rows and "AUTRECRT" not in rows
        assert str(theirs.public_id) not in rows
        client.force_login(user_b)
        assert client.get(meeting_url(commission)).status_code == 404
