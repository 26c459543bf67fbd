"""Governance: COPIL and admission commission meetings, their participants and minutes, the
decisions followed until done (overdue ones on the home page), and the admission decided by a
commission."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import Enrolment
from maillage.admissions.tests.factories import ReferralFactory
from maillage.beneficiaries.tests.factories import PDF, BeneficiaryFactory, consent
from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.tests.factories import UserFactory
from maillage.core.tests.helpers import field_error, table_text, visible_text
from maillage.organisation import selectors, services
from maillage.organisation.access import (
    can_close_decision,
    can_view_decision,
    can_view_meeting,
    decisions_visible,
    meetings_visible,
)
from maillage.organisation.models import Decision, Meeting
from maillage.territory.tests.factories import ProfessionalFactory

from .factories import decision, meeting

TODAY = timezone.localdate()


def meeting_data(users, **changes):
    values = {
        "kind": "copil", "held_on": "2026-02-12", "place": "Salle du conseil",
        "agenda": "Bilan d'activité", "representatives_text": "Jeanne Roux ; représentante "
        "des usagers\nMarcel Biotteau ; représentant des familles",
        "team_participants": [str(users["direction"].public_id),
                              str(users["coordinator"].public_id)],
    }
    values.update(changes)
    return values


class TestMeetings:
    def test_coordinator_records_a_copil_with_minutes(self, client, users, crt_a):
        pro = ProfessionalFactory(crt=crt_a, last_name="Besnard", first_name="Anne")
        client.force_login(users["coordinator"])
        minutes = SimpleUploadedFile("CR COPIL.pdf", PDF, content_type="application/pdf")
        response = client.post(reverse("organisation:meeting_create"), {
            **meeting_data(users, partner_participants=[str(pro.public_id)]),
            "minutes_file": minutes})
        assert response.status_code == 302, visible_text(response)
        m = Meeting.objects.get(crt=crt_a)
        assert m.representatives == [
            {"name": "Jeanne Roux", "quality": "représentante des usagers"},
            {"name": "Marcel Biotteau", "quality": "représentant des familles"}]
        page = visible_text(client.get(response["Location"]))
        assert "Comité de pilotage (COPIL) du 12/02/2026" in page
        assert "Jeanne Roux (représentante des usagers)" in page and "Anne Besnard" in page
        download = client.get(reverse("organisation:meeting_minutes", args=[m.public_id]))
        assert b"".join(download.streaming_content) == PDF
        assert AuditEvent.objects.filter(action="meeting.minutes_downloaded").count() == 1

    @pytest.mark.parametrize(("changes", "message"), [
        ({"held_on": ""}, "Indiquez la date de la réunion."),
        ({"held_on": "31/02/2026"}, "Date invalide"),
        ({"kind": ""}, "Choisissez l'instance."),
        ({"representatives_text": "Jeanne Roux"}, "Ligne 1 : indiquez « nom ; qualité »"),
        ({"team_participants": ["00000000-0000-0000-0000-000000000000"]},
         "Choisissez les participants dans la liste."),
    ])
    def test_bad_input(self, client, users, crt_a, changes, message):
        """Each message beside its field (the representatives' line was only at the top)."""
        client.force_login(users["coordinator"])
        response = client.post(reverse("organisation:meeting_create"),
                               meeting_data(users, **changes))
        assert response.status_code == 400
        assert field_error(response, next(iter(changes))).startswith(message)
        assert not Meeting.objects.exists()

    def test_minutes_must_be_a_pdf(self, client, users):
        client.force_login(users["coordinator"])
        png = SimpleUploadedFile("cr.pdf", b"GIF89a not a pdf", content_type="application/pdf")
        response = client.post(reverse("organisation:meeting_create"),
                               {**meeting_data(users), "minutes_file": png})
        assert response.status_code == 400
        assert "Type de fichier refusé" in visible_text(response)
        assert not Meeting.objects.exists()

    def test_stale_edit_is_a_conflict(self, client, users, crt_a):
        m = meeting(crt_a, kind="copil")
        client.force_login(users["coordinator"])
        url = reverse("organisation:meeting_edit", args=[m.public_id])
        form = meeting_data(users, version=str(m.version), place="Mairie")
        assert client.post(url, form).status_code == 302
        response = client.post(url, {**form, "place": "Ailleurs"})
        assert response.status_code == 409
        m.refresh_from_db()
        assert (m.place, m.version) == ("Mairie", 2)

    def test_a_participant_who_left_stays_on_the_meeting(self, client, users, crt_a,
                                                         make_user):
        gone = make_user(crt_a, "nurse", username="parti", first_name="Paul",
                         last_name="Parti")
        m = meeting(crt_a, kind="copil")
        m.team_participants.set([gone, users["coordinator"]])
        gone.memberships.update(is_active=False)
        client.force_login(users["coordinator"])
        url = reverse("organisation:meeting_edit", args=[m.public_id])
        assert "Paul Parti" in visible_text(client.get(url))
        form = meeting_data(users, version=str(m.version), team_participants=[
            str(gone.public_id), str(users["coordinator"].public_id)])
        assert client.post(url, form).status_code == 302
        assert set(m.team_participants.all()) == {gone, users["coordinator"]}
        # A new meeting cannot name them.
        response = client.post(reverse("organisation:meeting_create"), form)
        assert response.status_code == 400

    def test_list_query_budget_and_filter(self, client, users, crt_a,
                                          django_assert_max_num_queries):
        for n in range(30):
            m = meeting(crt_a, held_on=date(2025, 1, 1) + timedelta(days=n * 10))
            decision(m, users["nurse"])
        meeting(crt_a, kind="copil", held_on=date(2026, 1, 15))
        client.force_login(users["coordinator"])
        url = reverse("organisation:meeting_list")
        with django_assert_max_num_queries(11):
            response = client.get(url)
        assert "Commission d'admission" in table_text(response)
        text = table_text(client.get(url, {"instance": "copil"}))
        assert "15/01/2026" in text and "Commission d'admission" not in text


class TestDecisions:
    def test_decision_followed_until_done(self, client, users, crt_a):
        m = meeting(crt_a, kind="copil", held_on=TODAY - timedelta(days=40))
        client.force_login(users["coordinator"])
        response = client.post(reverse("organisation:decision_add", args=[m.public_id]), {
            "text": "Relancer le SAD pour sa convention",
            "owner": str(users["nurse"].public_id),
            "due_on": (TODAY - timedelta(days=5)).isoformat()})
        assert response.status_code == 302, visible_text(response)
        d = Decision.objects.get()
        page = visible_text(client.get(response["Location"]))
        assert "Relancer le SAD pour sa convention" in page and "En retard" in page
        # Overdue: on the owner's home and on the coordinator's.
        client.force_login(users["nurse"])
        home = visible_text(client.get(reverse("core:home")))
        assert "Décisions en retard" in home and "Relancer le SAD" in home
        client.force_login(users["coordinator"])
        assert "Relancer le SAD" in visible_text(client.get(reverse("core:home")))
        client.force_login(users["doctor"])  # neither owner nor coordination
        assert "Relancer le SAD" not in visible_text(client.get(reverse("core:home")))
        # The owner marks it done; it leaves the open list.
        client.force_login(users["nurse"])
        url = reverse("organisation:decision_done", args=[d.public_id])
        response = client.post(url, {"done_on": TODAY.isoformat(), "done_note": "Fait",
                                     "version": str(d.version)})
        assert response.status_code == 302
        d.refresh_from_db()
        assert d.done_on == TODAY
        assert "Relancer le SAD" not in table_text(
            client.get(reverse("organisation:decision_list")))
        assert "Décisions en retard" not in visible_text(client.get(reverse("core:home")))
        again = client.post(url, {"done_on": TODAY.isoformat(), "version": str(d.version)})
        assert again.status_code == 409

    def test_someone_else_may_not_mark_it_done(self, client, users, crt_a):
        d = decision(meeting(crt_a, kind="copil"), users["nurse"])
        client.force_login(users["care_aide"])
        assert client.get(reverse("organisation:decision_done", args=[d.public_id])) \
            .status_code == 403

    @pytest.mark.parametrize(("changes", "message"), [
        ({"text": ""}, "Indiquez la décision prise."),
        ({"owner": ""}, "Choisissez qui porte la décision."),
        ({"due_on": "2020-01-01"}, "L'échéance ne peut pas précéder la réunion."),
    ])
    def test_bad_input(self, client, users, crt_a, changes, message):
        m = meeting(crt_a, held_on=date(2026, 1, 6))
        client.force_login(users["coordinator"])
        data = {"text": "Décision", "owner": str(users["nurse"].public_id),
                "due_on": "2026-02-01", **changes}
        response = client.post(reverse("organisation:decision_add", args=[m.public_id]), data)
        assert response.status_code == 400
        assert message in visible_text(response)
        assert not Decision.objects.exists()

    def test_done_date_rules(self, users, crt_a):
        d = decision(meeting(crt_a, held_on=date(2026, 1, 6)), users["nurse"])
        with pytest.raises(DomainError, match="dans le futur"):
            services.decision_done(actor=users["nurse"], decision=d, version=d.version,
                                   done_on=TODAY + timedelta(days=1))
        with pytest.raises(DomainError, match="avant la réunion"):
            services.decision_done(actor=users["nurse"], decision=d, version=d.version,
                                   done_on=date(2026, 1, 5))

    def test_open_decisions_list_query_budget(self, client, users, crt_a,
                                              django_assert_max_num_queries):
        m = meeting(crt_a, kind="copil")
        for n in range(30):
            decision(m, users["nurse"], text=f"Décision {n}")
        client.force_login(users["nurse"])
        with django_assert_max_num_queries(11):
            response = client.get(reverse("organisation:decision_list"), {"miennes": "1"})
        assert "Décision 0" in table_text(response)


class TestAdmissionLink:
    @pytest.fixture
    def ready(self, crt_a, users):
        """A referral on the emergency path with the person's agreement: admissible."""
        b = BeneficiaryFactory(crt=crt_a, current_gir=3)
        consent(b)
        referral = ReferralFactory(crt=crt_a, status="waiting", beneficiary=b, known_gir=3,
                                   received_at=timezone.now() - timedelta(days=60),
                                   hospital_discharge=True)
        return referral

    def _agree(self, client, referral):
        return client.post(reverse("admissions:step_add", args=[referral.public_id]), {
            "kind": "agreement", "done_on": TODAY.isoformat(), "agreed_by": "person",
            "agreement_method": "oral"})

    def test_the_admission_names_its_commission(self, client, users, crt_a, crt_b, ready):
        commission = meeting(crt_a, held_on=TODAY - timedelta(days=2))
        meeting(crt_a, kind="copil", held_on=TODAY - timedelta(days=1))
        to_come = meeting(crt_a, held_on=TODAY + timedelta(days=5))
        theirs = meeting(crt_b, held_on=TODAY - timedelta(days=2))
        client.force_login(users["coordinator"])
        assert self._agree(client, ready).status_code == 302
        url = reverse("admissions:admit", args=[ready.public_id])
        form = client.get(url).content.decode()
        assert f'value="{commission.public_id}"' in form
        assert "Comité de pilotage" not in form and str(theirs.public_id) not in form
        assert str(to_come.public_id) not in form
        response = client.post(url, {"admitted_on": TODAY.isoformat(),
                                     "referent": str(users["nurse"].public_id),
                                     "admission_meeting": str(commission.public_id)})
        assert response.status_code == 302, visible_text(response)
        e = Enrolment.objects.get()
        assert e.admission_meeting == commission
        detail = visible_text(client.get(response["Location"]))
        assert f"Décidée par Commission d'admission du {commission.held_on:%d/%m/%Y}" in detail
        meeting_page = visible_text(client.get(
            reverse("organisation:meeting_detail", args=[commission.public_id])))
        assert "Demandes examinées par cette commission" in meeting_page
        assert str(ready) in meeting_page

    def test_a_commission_after_the_admission_or_another_crt_is_refused(
            self, client, users, crt_a, crt_b, ready):
        later = meeting(crt_a, held_on=TODAY)
        client.force_login(users["coordinator"])
        self._agree(client, ready)
        url = reverse("admissions:admit", args=[ready.public_id])
        response = client.post(url, {"admitted_on": (TODAY - timedelta(days=1)).isoformat(),
                                     "referent": str(users["nurse"].public_id),
                                     "admission_meeting": str(later.public_id)})
        assert response.status_code == 400
        assert "se tient après la date d'admission" in visible_text(response)
        theirs = meeting(crt_b, held_on=TODAY - timedelta(days=3))
        response = client.post(url, {"admitted_on": TODAY.isoformat(),
                                     "referent": str(users["nurse"].public_id),
                                     "admission_meeting": str(theirs.public_id)})
        assert response.status_code == 400
        assert "Choisissez une commission d'admission dans la liste." in visible_text(response)
        assert not Enrolment.objects.exists()

    def test_without_a_commission_still_possible(self, client, users, ready):
        client.force_login(users["coordinator"])
        self._agree(client, ready)
        response = client.post(reverse("admissions:admit", args=[ready.public_id]), {
            "admitted_on": TODAY.isoformat(), "referent": str(users["nurse"].public_id)})
        assert response.status_code == 302
        assert Enrolment.objects.get().admission_meeting is None


class TestCommissionRequests:
    """A commission's page lists the requests it examined (here the admissions it decided; the
    refusals, redirections and opinions: admissions/tests/test_commission_examined.py), with
    their decision and a link to each request, a page at a time, as the admissions app shows
    the requests to whoever reads it."""

    def _admitted(self, crt, commission, n):
        from maillage.admissions.models import AdmissionStep
        from maillage.admissions.tests.factories import enrolment

        b = BeneficiaryFactory(crt=crt)
        referral = ReferralFactory(crt=crt, status="admitted", beneficiary=b,
                                   received_at=timezone.now() - timedelta(days=60),
                                   person_last_name=f"Examinée{n:02d}")
        if n == 0:
            AdmissionStep.objects.create(crt=crt, referral=referral, kind="team_opinion",
                                         done_on=commission.held_on, done_by=UserFactory(),
                                         outcome="reserved")
        enrolment(b, referral=referral, admission_meeting=commission,
                  admitted_on=commission.held_on + timedelta(days=n % 20 + 1))
        return referral

    def test_the_commission_shows_the_requests_it_examined(self, client, users, crt_a):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        commission = meeting(crt_a, held_on=date(2026, 3, 3))
        other = meeting(crt_a, held_on=date(2026, 4, 7))
        referrals = [self._admitted(crt_a, commission, n) for n in range(21)]
        elsewhere = self._admitted(crt_a, other, 30)
        url = reverse("organisation:meeting_detail", args=[commission.public_id])
        client.force_login(users["coordinator"])
        response = client.get(url)
        page = visible_text(response)
        assert "Demandes examinées par cette commission" in page
        rows = table_text(response)
        # The earliest admitted first; the request's team opinion and its decision.
        assert rows.startswith("EXAMINÉE00 Lucienne"), rows[:200]
        assert "Favorable avec réserves Admise admis·e le 04/03/2026" in rows
        assert rows.count("Admise") == 20 and "EXAMINÉE30" not in rows.upper()
        html = response.content.decode()
        detail = reverse("admissions:referral_detail", args=[referrals[0].public_id])
        assert f'href="{detail}"' in html
        assert str(elsewhere.public_id) not in html
        assert "Page 1 sur 2" in page
        with CaptureQueriesContext(connection) as second:
            rows = table_text(client.get(url, {"page": 2}))
        assert rows.count("Admise") == 1 and "EXAMINÉE19" in rows
        # Computed by the database: as many queries for twenty rows as for one.
        with CaptureQueriesContext(connection) as first:
            client.get(url)
        assert len(first) == len(second)

    def test_only_the_requests_the_reader_may_see(self, client, users, crt_a, crt_b):
        """The requests go through the admissions' policy (``referrals_visible``): those of
        another CRT never show, even linked by mistake; a role without the admissions does not
        see the commission at all."""
        commission = meeting(crt_a, held_on=date(2026, 3, 3))
        self._admitted(crt_a, commission, 1)
        self._admitted(crt_b, commission, 2)  # linked by mistake
        client.force_login(users["coordinator"])
        url = reverse("organisation:meeting_detail", args=[commission.public_id])
        rows = table_text(client.get(url))
        assert "EXAMINÉE01" in rows and "EXAMINÉE02" not in rows
        client.force_login(users["activity_leader"])
        assert client.get(url).status_code == 404


class TestAccess:
    def test_views_allowed_forbidden_other_crt(self, client, users, crt_a, crt_b):
        copil = meeting(crt_a, kind="copil")
        commission = meeting(crt_a)
        client.force_login(users["activity_leader"])  # the team, without admissions
        assert client.get(reverse("organisation:meeting_detail", args=[copil.public_id])) \
            .status_code == 200
        assert client.get(reverse("organisation:meeting_detail",
                                  args=[commission.public_id])).status_code == 404
        assert "Commission" not in table_text(client.get(reverse("organisation:meeting_list")))
        assert client.get(reverse("organisation:meeting_create")).status_code == 403
        for role in ("partner", "ars", "auditor"):
            client.force_login(users[role])
            assert client.get(reverse("organisation:meeting_list")).status_code == 403
        theirs = meeting(crt_b)
        client.force_login(users["coordinator"])
        for name in ("meeting_detail", "meeting_edit", "decision_add", "meeting_minutes"):
            assert client.get(reverse(f"organisation:{name}", args=[theirs.public_id])) \
                .status_code == 404
        their_decision = decision(theirs, users["coordinator"])
        assert client.get(reverse("organisation:decision_done",
                                  args=[their_decision.public_id])).status_code == 404

    def test_both_faces_agree(self, users, crt_a, crt_b):
        meetings = [meeting(crt_a), meeting(crt_a, kind="copil"), meeting(crt_b)]
        decisions = [decision(m, users["nurse"]) for m in meetings]
        decisions.append(decision(meetings[0], users["activity_leader"]))
        for role, user in users.items():
            roles = frozenset({role})
            seen = set(meetings_visible(crt=crt_a, user=user, roles=roles))
            for m in meetings:
                allowed = m.crt_id == crt_a.id and can_view_meeting(user=user, roles=roles,
                                                                    meeting=m)
                assert (m in seen) == allowed, (role, m)
            seen = set(decisions_visible(crt=crt_a, user=user, roles=roles))
            for d in decisions:
                allowed = d.crt_id == crt_a.id and can_view_decision(user=user, roles=roles,
                                                                     decision=d)
                assert (d in seen) == allowed, (role, d)
        leader = {"user": users["activity_leader"], "roles": frozenset({"activity_leader"})}
        assert set(decisions_visible(crt=crt_a, **leader)) == {decisions[1], decisions[3]}
        assert can_close_decision(**leader, decision=decisions[3])
        assert not can_view_meeting(**leader, meeting=meetings[0])
        assert can_close_decision(user=users["nurse"], roles={"nurse"}, decision=decisions[1])
        assert not can_close_decision(user=users["doctor"], roles={"doctor"},
                                      decision=decisions[1])

    def test_owner_sees_and_closes_a_decision_of_a_meeting_they_do_not_see(
            self, client, users, crt_a, user_b, make_user):
        """An activity leader (no admissions) given a decision by an admission commission:
        the decision in « Mes décisions », marked done from there, back to that list; never
        the commission's page. Another activity leader sees nothing of it."""
        commission = meeting(crt_a, held_on=TODAY - timedelta(days=10))
        d = decision(commission, users["activity_leader"], text="Présenter le café des aidants",
                     due_on=TODAY + timedelta(days=5))
        other = decision(commission, users["nurse"], text="Rappeler la famille Morin")
        client.force_login(users["activity_leader"])
        response = client.get(reverse("organisation:decision_list"), {"miennes": "1"})
        text = table_text(response)
        assert "Présenter le café des aidants" in text
        assert f"Commission d'admission du {commission.held_on:%d/%m/%Y}" in text
        assert "Rappeler la famille Morin" not in text
        page = response.content.decode()
        meeting_url = reverse("organisation:meeting_detail", args=[commission.public_id])
        done_url = reverse("organisation:decision_done", args=[d.public_id])
        assert meeting_url not in page and done_url in page
        assert "Rappeler la famille Morin" not in table_text(
            client.get(reverse("organisation:decision_list")))
        assert client.get(meeting_url).status_code == 404
        assert client.get(reverse("organisation:decision_done", args=[other.public_id])) \
            .status_code == 404
        form = client.get(done_url)
        assert form.status_code == 200 and "Mes décisions" in visible_text(form)
        response = client.post(done_url, {"done_on": TODAY.isoformat(), "done_note": "Fait",
                                          "version": str(d.version)})
        assert response.status_code == 302
        assert response["Location"] == reverse("organisation:decision_list") + "?miennes=1"
        d.refresh_from_db()
        assert d.done_on == TODAY
        assert "Présenter le café des aidants" not in table_text(client.get(response["Location"]))
        # Another activity leader: not the owner, not the kind.
        client.force_login(make_user(crt_a, "activity_leader", username="leader-2"))
        d.done_on = None
        d.save()
        assert "Présenter le café des aidants" not in table_text(
            client.get(reverse("organisation:decision_list")))
        assert client.get(done_url).status_code == 404
        # Another CRT's user, whatever their roles.
        client.force_login(user_b)
        assert client.get(done_url).status_code == 404
        assert "Présenter le café des aidants" not in table_text(
            client.get(reverse("organisation:decision_list")))

    def test_the_coordinator_still_goes_back_to_the_meeting(self, client, users, crt_a):
        commission = meeting(crt_a, held_on=TODAY - timedelta(days=10))
        d = decision(commission, users["activity_leader"], text="Présenter le café")
        client.force_login(users["coordinator"])
        response = client.post(reverse("organisation:decision_done", args=[d.public_id]),
                               {"done_on": TODAY.isoformat(), "version": str(d.version)})
        assert response["Location"] == reverse("organisation:meeting_detail",
                                               args=[commission.public_id])

    def test_open_decisions_selector_orders_by_due_date(self, users, crt_a):
        m = meeting(crt_a, kind="copil", held_on=date(2025, 1, 1))
        late = decision(m, users["nurse"], text="B", due_on=date(2025, 2, 1))
        none = decision(m, users["nurse"], text="C", due_on=None)
        early = decision(m, users["doctor"], text="A", due_on=date(2025, 1, 15))
        decision(m, users["nurse"], text="D", done_on=date(2025, 1, 10))
        coord = {"user": users["coordinator"], "roles": frozenset({"coordinator"})}
        assert list(selectors.open_decisions(crt=crt_a, **coord)) == [early, late, none]
        assert list(selectors.open_decisions(crt=crt_a, **coord, owner=users["nurse"],
                                             overdue_on=date(2025, 3, 1))) == [late]


def test_the_empty_choice_reads_a_dash_not_django_s(client, users):
    """« Instance » offered « --------- », Django's empty choice; every select says « — »."""
    client.force_login(users["coordinator"])
    html = client.get(reverse("organisation:meeting_create")).content.decode()
    assert '<option value="" selected>—</option>' in html
    assert "---------" not in html
