"""The volet 1 pages: who sees what (allowed role, forbidden role, a partner's own sessions,
another CRT), bad input answered in French next to the field with nothing saved, the
attendance sheet, query budgets. (Every view × every role and another CRT's objects are also
walked by core/tests/test_access.py and test_tenancy.py.)"""

import io
import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    CaregiverFactory,
    consent,
    join_care_team,
)
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import field_error, table_text, visible_text
from maillage.outreach.models import Attendee, Participation, Session, SupportAction
from maillage.territory.tests.factories import CommuneFactory, ProfessionalFactory

from .factories import action, at, attendee, participation, session


@pytest.fixture
def commune(crt_a):
    return CommuneFactory(crt=crt_a, name="Segré", insee_code="49331")


def login(client, users, role):
    client.force_login(users[role])
    return client



def pdf_text(response) -> str:
    return " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(response.content)).pages)


class TestActionPages:
    def test_list_warns_and_stays_within_its_query_budget(
            self, client, users, crt_a, commune, django_assert_max_num_queries):
        for i in range(30):
            a = action(crt_a, title=f"Action {i:02d}", commune=commune)
            session(crt_a, a, days=1)
        login(client, users, "activity_leader")
        with django_assert_max_num_queries(12):
            response = client.get(reverse("outreach:actions"))
        text = visible_text(response)
        assert "aucune action avec une séance cette année pour l'axe « Lutte contre " \
               "l'isolement »" in text
        assert "aucune action de prévention des chutes cette année" in text
        assert "Action 00" in text and "Page 1 sur 2" in text

    def test_filter_by_field(self, client, users, crt_a, commune):
        action(crt_a, title="Café des aidants", field="caregivers", for_caregivers=True,
               commune=commune)
        action(crt_a, title="Atelier mémoire", field="care_prevention", commune=commune)
        response = login(client, users, "nurse").get(reverse("outreach:actions") +
                                                     "?axe=caregivers")
        text = table_text(response)
        assert "Café des aidants" in text and "Atelier mémoire" not in text

    def test_forbidden_roles(self, client, users):
        for role in ("ars", "auditor", "partner"):
            assert login(client, users, role).get(
                reverse("outreach:actions")).status_code == 403
        assert login(client, users, "nurse").get(
            reverse("outreach:action_create")).status_code == 403

    def test_create_with_bad_input_then_good(self, client, users, crt_a, commune):
        login(client, users, "activity_leader")
        url = reverse("outreach:action_create")
        data = {"title": "Atelier équilibre", "field": "care_prevention", "anti_fall": "on",
                "for_older_people": "on", "funding": "co_funded", "co_funder": "CARSAT",
                "co_funding_amount": "900", "total_cost": "800",
                "commune": str(commune.public_id), "status": "planned"}
        response = client.post(url, data)
        assert response.status_code == 400
        assert "Double financement" in visible_text(response)
        assert 'id="id_co_funding_amount_errors"' in response.content.decode()
        assert not SupportAction.objects.exists()
        response = client.post(url, {**data, "total_cost": "abc"})
        assert "Indiquez un montant en euros." in visible_text(response)
        response = client.post(url, {**data, "total_cost": "1200"})
        a = SupportAction.objects.get()
        assert response.status_code == 302
        text = visible_text(client.get(response["Location"]))
        # Amounts as French readers write them (thousands apart).
        assert ("CARSAT, 900,00 € sur un coût total de 1\u202f200,00 € (part du CRT : "
                "300,00 €)") in text
        assert a.anti_fall

    def test_training_institutes_only_for_professional_practices(
            self, client, users, crt_a, commune):
        login(client, users, "activity_leader")
        url = reverse("outreach:action_create")
        data = {"title": "Formation ICOPE", "field": "isolation", "for_professionals": "on",
                "training_institutes": ["ifsi", "medicine"], "funding": "own_budget",
                "commune": str(commune.public_id), "status": "planned"}
        response = client.post(url, data)
        assert response.status_code == 400
        assert "Les instituts de formation invités concernent l'axe « amélioration des " \
               "pratiques professionnelles »." in field_error(response, "training_institutes")
        response = client.post(url, {**data, "training_institutes": ["ecole"]})
        assert "Institut inconnu." in field_error(response, "training_institutes")
        assert not SupportAction.objects.exists()
        response = client.post(url, {**data, "field": "practices",
                                     "practice_kind": "training"})
        assert response.status_code == 302
        a = SupportAction.objects.get()
        assert (a.institute_ifsi, a.institute_medicine, a.institute_ifas) == (True, True, False)
        text = visible_text(client.get(response["Location"]))
        assert "Instituts de formation invités IFSI (soins infirmiers), Faculté de médecine " \
               "/ internes" in text
        edit = client.get(reverse("outreach:action_edit", kwargs={"public_id": a.public_id}))
        assert re.search(r'value="ifsi"[^>]*checked', edit.content.decode())
        assert not re.search(r'value="ifas"[^>]*checked', edit.content.decode())
        # None invited: said so.
        response = client.post(
            reverse("outreach:action_edit", kwargs={"public_id": a.public_id}),
            {**data, "field": "practices", "training_institutes": [], "version": a.version})
        assert response.status_code == 302
        assert "Instituts de formation invités Aucun" in visible_text(
            client.get(response["Location"]))

    def test_detail_shows_the_calendar_and_links_only_for_volet1_staff(
            self, client, users, crt_a, commune):
        a = action(crt_a, commune=commune)
        s = session(crt_a, a, days=3)
        url = reverse("outreach:action_detail", kwargs={"public_id": a.public_id})
        detail = reverse("outreach:session_detail", kwargs={"public_id": s.public_id})
        page = login(client, users, "nurse").get(url).content.decode()
        assert f"{s.starts_at.astimezone():%d/%m/%Y}" in page and detail not in page
        page = login(client, users, "activity_leader").get(url).content.decode()
        assert detail in page

    def test_detail_shows_the_sessions_by_pages_from_the_next_one(
            self, client, users, crt_a, commune, django_assert_max_num_queries):
        a = action(crt_a, commune=commune)
        for days in range(-27, 3):  # 27 past sessions, then today's and 2 to come
            session(crt_a, a, days=days)
        url = reverse("outreach:action_detail", kwargs={"public_id": a.public_id})
        login(client, users, "activity_leader").get(url)
        with django_assert_max_num_queries(25):
            text = visible_text(client.get(url))
        assert "Page 2 sur 2" in text and "Précédente" in text
        assert f"{at(2):%d/%m/%Y}" in text and f"{at(-1):%d/%m/%Y}" in text
        assert f"{at(-27):%d/%m/%Y}" not in text
        first = visible_text(client.get(url, {"page": 1}))
        assert "Page 1 sur 2" in first and f"{at(-27):%d/%m/%Y}" in first
        assert f"{at(2):%d/%m/%Y}" not in first


class TestSessionPages:
    def test_create_refuses_the_past_unless_recording_and_end_before_start(
            self, client, users, crt_a, commune):
        a = action(crt_a, commune=commune)
        login(client, users, "activity_leader")
        url = reverse("outreach:session_create", kwargs={"public_id": a.public_id})
        past = (at(-2)).date().isoformat()
        data = {"day": past, "start_time": "14:00", "end_time": "16:00",
                "commune": str(commune.public_id)}
        response = client.post(url, data)
        assert response.status_code == 400
        # Beside the date (it was only at the top of the form, the date not marked).
        assert field_error(response, "day").startswith("Cette date est passée")
        response = client.post(url, {**data, "end_time": "13:00"})
        assert field_error(response, "end_time") == (
            "La fin de la séance doit être après son début.")
        assert not Session.objects.exists()
        # Held before the CRT opened: a slip of the year, said next to the date.
        crt_a.opened_on = at(-1).date()
        crt_a.save()
        response = client.post(url, {**data, "record_held": "on"})
        assert response.status_code == 400
        assert (f"Le CRT a ouvert le {at(-1):%d/%m/%Y} : une séance tenue avant cette date ne "
                "s'enregistre pas ici.") in visible_text(response)
        assert not Session.objects.exists()
        crt_a.opened_on = at(-30).date()
        crt_a.save()
        response = client.post(url, {**data, "record_held": "on"})
        assert response.status_code == 302
        assert Session.objects.get().status == "held"

    def test_edit_cancels_a_session(self, client, users, crt_a):
        s = session(crt_a)
        participation(s, attendee(crt_a, last_name="Hamon", first_name="Jeanne"))
        login(client, users, "activity_leader")
        url = reverse("outreach:session_edit", kwargs={"public_id": s.public_id})
        start = s.starts_at.astimezone()
        data = {"day": start.date().isoformat(), "start_time": "14:00", "end_time": "16:00",
                "commune": str(s.commune.public_id), "status": "cancelled",
                "version": s.version}
        response = client.post(url, {**data, "version": s.version + 5})
        assert response.status_code == 409
        response = client.post(url, data)
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert "Annulée" in visible_text(page)
        assert "Inscrire une personne" not in visible_text(page)

    def test_capacity_below_the_registered_is_refused(self, client, users, crt_a):
        s = session(crt_a, capacity=5)
        for name in ("Hamon", "Oger", "Pineau"):
            participation(s, attendee(crt_a, last_name=name, first_name="Jeanne"))
        login(client, users, "activity_leader")
        url = reverse("outreach:session_edit", kwargs={"public_id": s.public_id})
        start = s.starts_at.astimezone()
        data = {"day": start.date().isoformat(), "start_time": "14:00", "end_time": "16:00",
                "commune": str(s.commune.public_id), "status": "planned",
                "version": s.version, "capacity": "2"}
        response = client.post(url, data)
        assert response.status_code == 400
        assert ("3 personnes sont déjà inscrites : la capacité ne peut pas être inférieure."
                in visible_text(response))
        s.refresh_from_db()
        assert s.capacity == 5
        response = client.post(url, {**data, "capacity": "3"})
        assert response.status_code == 302
        s.refresh_from_db()
        assert s.capacity == 3

    def test_session_detail_roles(self, client, users, crt_a, make_user):
        s = session(crt_a, partner_user=users["partner"])
        participation(s, attendee(crt_a, last_name="Hamon", first_name="Jeanne"))
        url = reverse("outreach:session_detail", kwargs={"public_id": s.public_id})
        for role in ("activity_leader", "direction", "coordinator", "admin_staff", "partner"):
            response = login(client, users, role).get(url)
            assert response.status_code == 200, role
            assert "HAMON Jeanne" in table_text(response)
        for role in ("nurse", "care_aide", "ars", "auditor"):
            assert login(client, users, role).get(url).status_code == 403, role
        other_partner = make_user(crt_a, "partner")
        ProfessionalFactory(crt=crt_a, user=other_partner)
        client.force_login(other_partner)
        assert client.get(url).status_code == 404
        assert AuditEvent.objects.filter(action="session.viewed").count() == 5

    def test_partner_list_shows_only_their_sessions(self, client, users, crt_a):
        mine = session(crt_a, action(crt_a, title="Atelier du partenaire"),
                       partner_user=users["partner"])
        session(crt_a, action(crt_a, title="Atelier d'un autre"))
        response = login(client, users, "partner").get(reverse("outreach:sessions"))
        text = table_text(response)
        assert "Atelier du partenaire" in text and "Atelier d'un autre" not in text
        assert reverse("outreach:session_detail", kwargs={"public_id": mine.public_id}) in \
            response.content.decode()
        # A partner reads; registering is the CRT's.
        assert client.get(reverse("outreach:session_register",
                                  kwargs={"public_id": mine.public_id})).status_code == 403

    def test_sessions_list_budget(self, client, users, crt_a, django_assert_max_num_queries):
        a = action(crt_a)
        for i in range(30):
            s = session(crt_a, a, days=i + 1)
            participation(s)
        login(client, users, "activity_leader")
        with django_assert_max_num_queries(12):
            response = client.get(reverse("outreach:sessions"))
        assert "Page 1 sur 2" in visible_text(response)

    def test_other_crt_gets_404(self, client, user_b, crt_a):
        s = session(crt_a)
        client.force_login(user_b)
        for name in ("session_detail", "session_register", "session_sheet"):
            assert client.get(reverse(f"outreach:{name}",
                                      kwargs={"public_id": s.public_id})).status_code == 404

    def test_attendance_sheet_lists_the_registered(self, client, users, crt_a):
        s = session(crt_a)
        participation(s, attendee(crt_a, last_name="Hamon", first_name="Jeanne"))
        participation(s, attendee(crt_a, last_name="Annulé", first_name="Paul"),
                      status=Participation.Status.CANCELLED)
        participation(s, beneficiary=BeneficiaryFactory(crt=crt_a, birth_name="Rousseau",
                                                        first_name="Marcel"))
        response = login(client, users, "activity_leader").get(
            reverse("outreach:session_sheet", kwargs={"public_id": s.public_id}))
        assert response["Content-Type"] == "application/pdf"
        text = pdf_text(response)
        assert "Feuille d'émargement" in text and "Signature" in text
        assert "HAMON Jeanne" in text and "ROUSSEAU Marcel" in text
        assert "ANNULÉ" not in text
        assert AuditEvent.objects.filter(action="session.sheet_printed").exists()


class TestRegistration:
    @pytest.fixture
    def s(self, crt_a):
        return session(crt_a, capacity=3)

    def url(self, s):
        return reverse("outreach:session_register", kwargs={"public_id": s.public_id})

    def test_new_light_record_then_duplicate_refused(self, client, users, crt_a, s, commune):
        login(client, users, "activity_leader")
        data = {"kind": "older_person", "last_name": "Hamon", "first_name": "Jeanne",
                "commune": str(commune.public_id), "age_band": "75_84", "sex": "F",
                "lives_alone": "true", "living_place": "home"}
        response = client.post(self.url(s), data)
        assert response.status_code == 302
        person = Attendee.objects.get()
        assert (person.age_band, person.lives_alone, person.commune) == ("75_84", True, commune)
        response = client.post(self.url(s), {"attendee": str(person.public_id)})
        assert response.status_code == 400
        assert "HAMON Jeanne est déjà inscrit·e à cette séance." in visible_text(response)
        assert Participation.objects.count() == 1

    def test_nothing_chosen_or_bad_record(self, client, users, s):
        login(client, users, "activity_leader")
        response = client.post(self.url(s), {})
        assert response.status_code == 400
        assert "Choisissez une personne, ou créez sa fiche" in visible_text(response)
        response = client.post(self.url(s), {"kind": "professional", "last_name": "Durand"})
        assert response.status_code == 400
        assert "Indiquez la structure du professionnel" in visible_text(response)
        assert not Attendee.objects.exists()  # nothing half-saved

    def test_full_session_keeps_no_orphan_record(self, client, users, crt_a):
        s = session(crt_a, capacity=1)
        participation(s)
        login(client, users, "activity_leader")
        response = client.post(self.url(s), {"kind": "caregiver", "last_name": "Morin"})
        assert response.status_code == 400
        assert "La séance est complète" in visible_text(response)
        assert not Attendee.objects.filter(last_name="Morin").exists()

    def test_beneficiary_search_shows_identity_only_and_link_is_audited(
            self, client, users, crt_a, s):
        b = BeneficiaryFactory(crt=crt_a, birth_name="Rousseau", first_name="Marcel", sex="M")
        join_care_team(b, users["activity_leader"])
        login(client, users, "activity_leader")
        response = client.get(reverse("outreach:register_pick"),
                              {"champ": "beneficiary", "beneficiary_q": "rous"})
        text = visible_text(response)
        assert f"ROUSSEAU Marcel (né le {b.birth_date:%d/%m/%Y})" in text
        assert reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}) not in \
            response.content.decode()
        response = client.post(self.url(s), {"beneficiary": str(b.public_id)})
        assert response.status_code == 302
        assert Participation.objects.get().beneficiary == b
        assert AuditEvent.objects.filter(action="participation.beneficiary_linked",
                                         beneficiary_public_id=b.public_id).exists()

    def test_new_older_person_gir_needs_its_source(self, client, users, crt_a, s, commune):
        login(client, users, "activity_leader")
        data = {"kind": "older_person", "last_name": "Hamon", "first_name": "Jeanne",
                "commune": str(commune.public_id), "gir": "4"}
        response = client.post(self.url(s), data)
        assert response.status_code == 400
        assert "Indiquez si le GIR est évalué" in field_error(response, "gir_source")
        response = client.post(self.url(s), {**data, "gir": "", "gir_source": "evaluated"})
        assert "« Évalué ou déclaré » va avec un GIR" in field_error(response, "gir_source")
        assert not Attendee.objects.exists()
        response = client.post(self.url(s), {**data, "gir_source": "declared"})
        assert response.status_code == 302
        assert Attendee.objects.get().gir_source == "declared"

    def test_volet2_caregiver_by_name_only_then_reused_and_audited(
            self, client, users, crt_a, crt_b, s):
        b = BeneficiaryFactory(crt=crt_a, birth_name="Rousseau", first_name="Marcel", sex="M")
        c = CaregiverFactory(crt=crt_a, beneficiary=b, last_name="Rousseau",
                             first_name="Hélène", relation="fille")
        join_care_team(b, users["activity_leader"])
        theirs = CaregiverFactory(crt=crt_b, beneficiary=BeneficiaryFactory(crt=crt_b),
                                  last_name="Rousseau", first_name="Autre")
        login(client, users, "activity_leader")
        response = client.get(reverse("outreach:register_pick"),
                              {"champ": "caregiver", "caregiver_q": "rouss"})
        text = visible_text(response)
        assert "ROUSSEAU Hélène — aidant d'un bénéficiaire du volet 2" in text
        assert "Marcel" not in text and "fille" not in text  # never the helped person
        assert "Autre" not in text and str(theirs.public_id) not in response.content.decode()
        response = client.post(self.url(s), {"caregiver": str(theirs.public_id)})
        assert response.status_code == 400
        assert "Aidant inconnu." in field_error(response, "caregiver")
        response = client.post(self.url(s), {"caregiver": str(c.public_id),
                                             "kind": "caregiver", "last_name": "Morin"})
        assert response.status_code == 400
        assert "Une seule personne à la fois" in visible_text(response)
        assert not Attendee.objects.exists()
        response = client.post(self.url(s), {"caregiver": str(c.public_id)})
        assert response.status_code == 302
        person = Attendee.objects.get()
        assert (person.caregiver, person.kind, person.helps_volet2_beneficiary) == (
            c, "caregiver", True)
        text = table_text(client.get(response["Location"]))
        assert "ROUSSEAU Hélène aidant d'un bénéficiaire du volet 2" in text
        assert "Marcel" not in text
        event = AuditEvent.objects.get(action="participation.caregiver_linked")
        assert event.beneficiary_public_id == b.public_id
        # Another session: the same light record, found by typing the name (no JavaScript).
        other = session(crt_a)
        response = client.post(self.url(other), {"caregiver_q": "hélène"})
        assert response.status_code == 302
        assert Attendee.objects.count() == 1
        assert Participation.objects.filter(attendee=person).count() == 2
        page = client.get(reverse("outreach:attendee_edit",
                                  kwargs={"public_id": person.public_id}))
        assert "Aidant d'un bénéficiaire du volet 2 : sa fiche reprend son identité" in \
            visible_text(page)
        assert "La personne aidée est accompagnée au volet 2" not in visible_text(page)

    def test_volet2_caregivers_only_for_those_who_register(self, client, users, crt_a, s,
                                                           user_b):
        CaregiverFactory(crt=crt_a, beneficiary=BeneficiaryFactory(crt=crt_a),
                         last_name="Rousseau")
        url = reverse("outreach:register_pick")
        for role in ("nurse", "partner", "coordinator"):
            response = login(client, users, role).get(url, {"champ": "caregiver",
                                                            "caregiver_q": "rous"})
            assert response.status_code == 403, role
        client.force_login(user_b)  # another CRT: none of CRT A's caregivers
        response = client.get(url, {"champ": "caregiver", "caregiver_q": "rous"})
        assert "ROUSSEAU" not in visible_text(response)
        assert client.get(self.url(s)).status_code == 404

    def test_volet2_people_offered_through_the_file_policy(self, client, users, crt_a, crt_b,
                                                          s):
        """The activity leader is offered the people she accompanies (and their caregivers),
        not one who objected to sharing nor one outside her care team; a tampered id of those
        is refused next to its field. The direction sees every person of the CRT."""
        leader = users["activity_leader"]
        mine = BeneficiaryFactory(crt=crt_a, birth_name="Esnault", first_name="Mine")
        join_care_team(mine, leader)
        objected = BeneficiaryFactory(crt=crt_a, birth_name="Esnault", first_name="Opposée")
        join_care_team(objected, leader)
        consent(objected, granted=False)
        other = BeneficiaryFactory(crt=crt_a, birth_name="Esnault", first_name="Autre")
        theirs = BeneficiaryFactory(crt=crt_b, birth_name="Esnault",
                                    first_name="Ailleurs")
        helpers = {b: CaregiverFactory(crt=b.crt, beneficiary=b, last_name="Esnault",
                                       first_name=f"Aidant{b.first_name}")
                   for b in (mine, objected, other, theirs)}
        url = reverse("outreach:register_pick")

        def offered(role_client):
            people = visible_text(role_client.get(
                url, {"champ": "beneficiary", "beneficiary_q": "esnault"}))
            carers = visible_text(role_client.get(
                url, {"champ": "caregiver", "caregiver_q": "esnault"}))
            return ({n for n in ("Mine", "Opposée", "Autre", "Ailleurs") if n in people},
                    {n for n in ("Mine", "Opposée", "Autre", "Ailleurs")
                     if f"Aidant{n}" in carers})

        assert offered(login(client, users, "activity_leader")) == ({"Mine"}, {"Mine"})
        for tampered in (objected, other, theirs):
            response = client.post(self.url(s), {"beneficiary": str(tampered.public_id)})
            assert response.status_code == 400
            assert "Bénéficiaire inconnu." in field_error(response, "beneficiary")
            response = client.post(self.url(s), {"caregiver": str(helpers[tampered].public_id)})
            assert response.status_code == 400
            assert "Aidant inconnu." in field_error(response, "caregiver")
        assert not Participation.objects.exists()
        assert offered(login(client, users, "direction")) == (
            {"Mine", "Opposée", "Autre"}, {"Mine", "Opposée", "Autre"})

    def test_attendee_search_by_typed_name_without_javascript(self, client, users, crt_a, s):
        person = attendee(crt_a, last_name="Guérin", first_name="Paul")
        login(client, users, "activity_leader")
        response = client.post(self.url(s), {"attendee_q": "guérin"})
        assert response.status_code == 302
        assert Participation.objects.get().attendee == person


def warning_buttons(response) -> dict[str, dict[str, str]]:
    """The buttons of the « Une fiche existe peut-être déjà » warning: their text → what
    their form posts (hidden inputs, the CSRF token aside)."""
    html = response.content.decode()
    section = re.search(r'<section[^>]*aria-labelledby="doublons".*?</section>', html, re.S)
    if not section:
        return {}
    buttons = {}
    for form in re.findall(r"<form method=\"post\">(.*?)</form>", section.group(0), re.S):
        inputs = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
        inputs.pop("csrfmiddlewaretoken", None)
        text = re.search(r"<button[^>]*>(.*?)</button>", form, re.S).group(1)
        buttons[unescape(text).strip()] = inputs
    return buttons


class TestPossibleDuplicates:
    """A new light record that may be someone already known (a light record of the same kind,
    a volet 2 beneficiary the user may see) is not created: the page shows who, with a button
    to register them instead, and a box to tick to create the record anyway."""

    @pytest.fixture
    def s(self, crt_a):
        return session(crt_a, capacity=3)

    def url(self, s):
        return reverse("outreach:session_register", kwargs={"public_id": s.public_id})

    def new(self, commune, **fields):
        return {"kind": "older_person", "last_name": "Gohier", "first_name": "Simone",
                "commune": str(commune.public_id), "age_band": "85_94", "sex": "F",
                **fields}

    def test_the_same_person_three_times_gives_one_record_and_one_place(
            self, client, users, crt_a, s, commune):
        login(client, users, "activity_leader")
        assert client.post(self.url(s), self.new(commune)).status_code == 302
        person = Attendee.objects.get()
        for typed in ({}, {"last_name": "GÔHIER", "first_name": "simone"}):
            response = client.post(self.url(s), self.new(commune, **typed))
            assert response.status_code == 409
            text = visible_text(response)
            assert "Une fiche existe peut-être déjà :" in text
            assert ("GOHIER Simone — fiche du volet 1 (personne âgée, Segré, 85 à 94 ans, "
                    "femme) déjà inscrit·e à cette séance") in text
            assert "Cette personne a peut-être déjà une fiche" in field_error(
                response, "duplicates_checked")
            assert warning_buttons(response) == {}  # already registered: nothing to press
        assert Attendee.objects.get() == person
        assert Participation.objects.get().attendee == person
        assert "1 inscrit" in visible_text(client.get(
            reverse("outreach:session_detail", kwargs={"public_id": s.public_id})))

    def test_register_the_existing_record_from_the_warning(self, client, users, crt_a, s,
                                                           commune):
        known = attendee(crt_a, last_name="Dupré-Lefèvre", first_name="Hélène",
                         commune=commune)
        login(client, users, "activity_leader")
        response = client.post(self.url(s), self.new(commune, last_name="dupre lefevre",
                                                     first_name="HELENE", encore="1"))
        assert response.status_code == 409
        assert not Participation.objects.exists()
        assert Attendee.objects.count() == 1  # nothing half-saved
        buttons = warning_buttons(response)
        assert buttons == {"Inscrire DUPRÉ-LEFÈVRE Hélène": {
            "attendee": str(known.public_id), "encore": "1"}}
        response = client.post(self.url(s), buttons["Inscrire DUPRÉ-LEFÈVRE Hélène"])
        assert response.status_code == 302
        assert response["Location"] == self.url(s)  # « et en inscrire une autre » kept
        assert Participation.objects.get().attendee == known
        assert Attendee.objects.count() == 1

    def test_create_anyway_with_the_confirmation(self, client, users, crt_a, s, commune):
        known = attendee(crt_a, last_name="Gohier", first_name="Simone")
        login(client, users, "activity_leader")
        page = client.get(self.url(s))
        assert "Ce n'est pas la même personne" not in visible_text(page)
        response = client.post(self.url(s), self.new(commune))
        assert response.status_code == 409
        assert "Ce n'est pas la même personne : créer une nouvelle fiche" in \
            visible_text(response)
        response = client.post(self.url(s), self.new(commune, duplicates_checked="on"))
        assert response.status_code == 302
        new = Attendee.objects.exclude(pk=known.pk).get()
        assert (new.last_name, new.age_band) == ("Gohier", "85_94")
        assert Participation.objects.get().attendee == new

    def test_a_volet2_beneficiary_she_accompanies_is_offered(self, client, users, crt_a, s,
                                                             commune):
        b = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone", sex="F",
                               birth_date="1938-10-22")
        join_care_team(b, users["activity_leader"])
        login(client, users, "activity_leader")
        response = client.post(self.url(s), self.new(commune))
        assert response.status_code == 409
        assert "GOHIER Simone (née le 22/10/1938) — bénéficiaire du volet 2" in \
            visible_text(response)
        assert reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}) not in \
            response.content.decode()  # identity only, no way into the file
        buttons = warning_buttons(response)
        assert buttons == {"Inscrire GOHIER Simone": {"beneficiary": str(b.public_id)}}
        response = client.post(self.url(s), buttons["Inscrire GOHIER Simone"])
        assert response.status_code == 302
        assert Participation.objects.get().beneficiary == b
        assert not Attendee.objects.exists()
        # Registered as a beneficiary, she cannot come in again as a new light record.
        response = client.post(self.url(s), self.new(commune))
        assert response.status_code == 409
        assert "GOHIER Simone (née le 22/10/1938) — bénéficiaire du volet 2 déjà inscrit·e " \
            "à cette séance" in visible_text(response)
        assert not Attendee.objects.exists()

    def test_volet2_people_she_may_not_see_are_never_shown(self, client, users, crt_a,
                                                           crt_b, s, commune):
        leader = users["activity_leader"]
        objected = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        join_care_team(objected, leader)
        consent(objected, granted=False)
        BeneficiaryFactory(crt=crt_a, birth_name="Martin", used_name="Gohier",
                           first_name="Simone")  # outside her care team
        BeneficiaryFactory(crt=crt_b, birth_name="Gohier", first_name="Simone")
        login(client, users, "activity_leader")
        response = client.post(self.url(s), self.new(commune))
        # No warning at all: even « someone exists » would tell her about them.
        assert response.status_code == 302
        assert Attendee.objects.get().last_name == "Gohier"
        # The direction sees every file of the CRT: they are shown to her.
        login(client, users, "direction")
        response = client.post(self.url(session(crt_a)), self.new(commune))
        assert response.status_code == 409
        text = visible_text(response)
        assert text.count("— bénéficiaire du volet 2") == 2
        assert "GOHIER Simone — fiche du volet 1" in text

    def test_bad_input_still_refused(self, client, users, crt_a, crt_b, s, commune):
        attendee(crt_a, last_name="Gohier", first_name="Simone")
        other_crt_person = attendee(crt_b, last_name="Gohier", first_name="Simone")
        login(client, users, "activity_leader")
        response = client.post(self.url(s), self.new(commune, last_name="",
                                                     duplicates_checked="on"))
        assert response.status_code == 400
        assert "Indiquez le nom de la nouvelle personne." in field_error(response,
                                                                         "last_name")
        response = client.post(self.url(s), self.new(commune, gir="4"))
        assert response.status_code == 400
        assert "Indiquez si le GIR est évalué" in field_error(response, "gir_source")
        response = client.post(self.url(s), self.new(commune, phone="02 41"))
        assert response.status_code == 400
        assert field_error(response, "phone")
        # A tampered warning button (another CRT's record) is refused next to its field.
        response = client.post(self.url(s), {"attendee": str(other_crt_person.public_id)})
        assert response.status_code == 400
        assert "Personne inconnue." in field_error(response, "attendee")
        # Confirmed, but the session is full: no record kept without its registration.
        participation(s), participation(s), participation(s)
        response = client.post(self.url(s), self.new(commune, duplicates_checked="on"))
        assert response.status_code == 400
        assert "La séance est complète" in visible_text(response)
        assert Attendee.objects.filter(crt=crt_a, last_name="Gohier").count() == 1


class TestLightRecords:
    def test_edit_a_light_record(self, client, users, crt_a):
        s = session(crt_a)
        person = attendee(crt_a, last_name="Hamonn", first_name="Jeanne")
        participation(s, person)
        login(client, users, "activity_leader")
        url = reverse("outreach:attendee_edit", kwargs={"public_id": person.public_id})
        page = client.get(url + f"?seance={s.public_id}")
        assert "Tranche d'âge" in visible_text(page)
        assert "Type de structure" not in visible_text(page)
        # The same choices as at registration: « — » for none, the GIR from a list, sex
        # « Femme » or « Homme » only.
        html = page.content.decode()
        assert "---------" not in html and "Indéterminé" not in html
        assert '<select name="gir"' in html and '<option value="4">GIR 4</option>' in html
        response = client.post(url + f"?seance={s.public_id}",
                               {"last_name": "", "version": person.version})
        assert response.status_code == 400
        assert "Indiquez le nom de la personne." in visible_text(response)
        data = {"last_name": "Hamon", "first_name": "Jeanne", "gir": "4",
                "lives_alone": "unknown", "version": person.version}
        response = client.post(url + f"?seance={s.public_id}", data)
        assert response.status_code == 400
        assert "Indiquez si le GIR est évalué (grille AGGIR, par un professionnel) ou " \
               "déclaré (par la personne ou un proche)." in field_error(response, "gir_source")
        response = client.post(url, {**data, "gir": "", "gir_source": "declared"})
        assert "« Évalué ou déclaré » va avec un GIR" in field_error(response, "gir_source")
        response = client.post(url + f"?seance={s.public_id}",
                               {**data, "gir_source": "evaluated"})
        assert response["Location"] == reverse("outreach:session_detail",
                                               kwargs={"public_id": s.public_id})
        person.refresh_from_db()
        assert (person.last_name, person.gir, person.gir_source) == ("Hamon", 4, "evaluated")
        page = client.get(url).content.decode()
        assert re.search(r'<option value="evaluated" selected>Évalué \(grille AGGIR',
                         page)
        for role in ("coordinator", "partner", "nurse"):
            assert login(client, users, role).get(url).status_code == 403


class TestSameNameInSession:
    def test_a_beneficiary_and_a_light_record_of_the_same_name(self, client, users, crt_a):
        """The direction registered Simone Gohier from her volet 2 file; the activity leader
        picks the light record « GOHIER Simone »: warned, she registers her only when she
        confirms it is someone else."""
        s = session(crt_a)
        b = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        participation(s, beneficiary=b)
        light = attendee(crt_a, last_name="Gohier", first_name="Simone")
        login(client, users, "activity_leader")
        url = reverse("outreach:session_register", kwargs={"public_id": s.public_id})
        response = client.post(url, {"attendee": str(light.public_id)})
        assert response.status_code == 409
        text = visible_text(response)
        assert "Une personne de même nom est déjà inscrite à cette séance : GOHIER Simone — " \
               "bénéficiaire du volet 2, inscrit·e" in text
        assert "Ce n'est pas la même personne : l'inscrire quand même" in text
        assert "elle serait comptée deux fois" in field_error(response, "duplicates_checked")
        assert Participation.objects.filter(session=s).count() == 1
        response = client.post(url, {"attendee": str(light.public_id),
                                     "duplicates_checked": "on"})
        assert response.status_code == 302
        assert Participation.objects.filter(session=s, attendee=light).exists()


def merge_url(kept, duplicate) -> str:
    return reverse("outreach:attendee_merge", kwargs={"public_id": kept.public_id,
                                                      "duplicate_id": duplicate.public_id})


class TestMergePages:
    """« Fusionner avec un doublon… » on a light record's page: the possible duplicates, the
    record kept, what the merge does, the confirmation."""

    @pytest.fixture
    def twins(self, crt_a, commune):
        kept = attendee(crt_a, last_name="Lemaire", first_name="Odette", commune=commune)
        duplicate = attendee(crt_a, last_name="LEMAIRE", first_name="Odette",
                             phone="02 41 92 11 22")
        attendee(crt_a, last_name="Lemaire", first_name="Paulette")  # someone else
        return kept, duplicate

    def test_merge_from_the_record_page(self, client, users, crt_a, twins):
        kept, duplicate = twins
        together, apart = session(crt_a, days=-2), session(crt_a, days=-9)
        participation(together, kept, status="absent")
        participation(together, duplicate, status="present")
        participation(apart, duplicate, status="present")
        login(client, users, "activity_leader")
        page = client.get(reverse("outreach:attendee_edit",
                                  kwargs={"public_id": kept.public_id}))
        pick = re.search(r'href="([^"]+)">Fusionner avec un doublon…', page.content.decode())
        page = client.get(pick.group(1))
        text = visible_text(page)
        assert "Fiche ouverte : LEMAIRE Odette — personne âgée, Segré" in text
        assert "LEMAIRE Odette — personne âgée, 02 41 92 11 22" in text
        assert "Paulette" not in text
        links = dict((unescape(re.sub(r"<[^>]+>", "", label)).strip(), href) for href, label
                     in re.findall(r'href="([^"]+)">(Conserver [^<]*<span[^>]*>[^<]*</span>)',
                                   page.content.decode()))
        assert links["Conserver la fiche ouverte et y fusionner celle-ci"] == merge_url(
            kept, duplicate)
        assert links["Conserver celle-ci et y fusionner la fiche ouverte"] == merge_url(
            duplicate, kept)
        summary = client.get(merge_url(kept, duplicate))
        text = visible_text(summary)
        assert "Fiche conservée LEMAIRE Odette" in text
        assert "Inscriptions (2)" in text and "Inscriptions (1)" in text
        assert "aussi sur l'autre fiche" in text
        assert "Inscrite sous les deux fiches à 1 séance : une seule inscription reste" in text
        # Only what differs is asked; the empty phone of the kept record gives way.
        assert "Commune" in text and "Téléphone" in text and "Prénom" not in text
        html = summary.content.decode()
        assert re.search(r'name="take_phone" value="duplicate"[^>]*checked', html)
        assert re.search(r'name="take_commune" value="kept"[^>]*checked', html)
        response = client.post(merge_url(kept, duplicate), {
            "kept_version": kept.version, "duplicate_version": duplicate.version,
            "take_phone": "duplicate", "take_commune": "kept", "take_last_name": "kept"})
        assert response.status_code == 302
        assert response["Location"] == reverse("outreach:attendee_edit",
                                               kwargs={"public_id": kept.public_id})
        page = client.get(response["Location"])
        assert "Fiches fusionnées : LEMAIRE Odette a 2 inscriptions. La fiche en double est " \
               "supprimée." in visible_text(page)
        kept.refresh_from_db()
        assert (kept.phone, kept.commune.name) == ("02 41 92 11 22", "Segré")
        text = table_text(client.get(reverse("outreach:session_detail",
                                             kwargs={"public_id": together.public_id})))
        assert text.count("Personne âgée") == 1  # one row left
        assert "LEMAIRE Odette Personne âgée Segré Présent·e" in text

    def test_the_secretariat_merges_without_reading_the_gir(self, client, users, crt_a):
        """The secretariat merges records (administrative data) but never reads a GIR (health
        data): the GIR is not asked, the kept record's stays, or the duplicate's fills an
        empty one."""
        kept = attendee(crt_a, last_name="Lemaire", first_name="Odette")
        duplicate = attendee(crt_a, last_name="Lemaire", first_name="Odette", gir=3,
                             gir_source="declared", phone="02 41 92 11 22")
        login(client, users, "admin_staff")
        summary = client.get(merge_url(kept, duplicate))
        assert summary.status_code == 200
        text = visible_text(summary)
        assert "Téléphone" in text and "GIR" not in text and "déclaré" not in text.lower()
        response = client.post(merge_url(kept, duplicate), {
            "kept_version": kept.version, "duplicate_version": duplicate.version,
            "take_phone": "duplicate", "take_gir": "kept"})
        assert response.status_code == 302
        kept.refresh_from_db()
        assert (kept.phone, kept.gir, kept.gir_source) == ("02 41 92 11 22", 3, "declared")
        # The activity leader is asked.
        other = attendee(crt_a, last_name="Morin", first_name="Jean", gir=2,
                         gir_source="evaluated")
        twin = attendee(crt_a, last_name="Morin", first_name="Jean", gir=4,
                        gir_source="declared")
        login(client, users, "activity_leader")
        assert "GIR" in visible_text(client.get(merge_url(other, twin)))

    def test_forbidden_roles_and_another_crt(self, client, users, crt_a, crt_b, user_b,
                                             twins):
        kept, duplicate = twins
        pick = reverse("outreach:attendee_merge_pick", kwargs={"public_id": kept.public_id})
        for role in ("coordinator", "partner", "nurse"):
            login(client, users, role)
            assert client.get(pick).status_code == 403, role
            response = client.post(merge_url(kept, duplicate), {
                "kept_version": kept.version, "duplicate_version": duplicate.version})
            assert response.status_code == 403, role
        client.force_login(user_b)
        assert client.get(pick).status_code == 404
        assert client.get(merge_url(kept, duplicate)).status_code == 404
        # Another CRT's record is never reached, even beside one of the user's CRT.
        theirs = attendee(crt_b, last_name="Lemaire", first_name="Odette")
        login(client, users, "activity_leader")
        assert str(theirs.public_id) not in client.get(pick).content.decode()
        for url in (merge_url(kept, theirs), merge_url(theirs, kept)):
            assert client.get(url).status_code == 404
            assert client.post(url, {"kept_version": 0, "duplicate_version": 0}
                               ).status_code == 404
        assert Attendee.objects.filter(crt=crt_b).get() == theirs
        assert Attendee.objects.filter(crt=crt_a).count() == 3

    def test_two_people_merging_at_once(self, client, users, crt_a, twins):
        kept, duplicate = twins
        participation(session(crt_a), duplicate)
        data = {"kept_version": kept.version, "duplicate_version": duplicate.version}
        # Both opened the summary; the direction confirms first.
        login(client, users, "direction")
        assert client.post(merge_url(kept, duplicate), data).status_code == 302
        login(client, users, "activity_leader")
        response = client.post(merge_url(kept, duplicate), data)
        assert response.status_code == 409
        text = visible_text(response)
        assert "La fiche de LEMAIRE Odette a déjà été fusionnée avec une autre par quelqu'un " \
               "d'autre : rien n'a été fait." in text
        assert "Ouvrir la fiche conservée (LEMAIRE Odette)" in text
        # The kept record changed since the summary was opened (merged with a third record).
        third = attendee(crt_a, last_name="Lemaire", first_name="Odette")
        kept.refresh_from_db()
        seen = {"kept_version": kept.version, "duplicate_version": third.version}
        client.post(reverse("outreach:attendee_edit", kwargs={"public_id": kept.public_id}),
                    {"last_name": "Lemaire", "first_name": "Odette", "phone": "02 41 00 00 00",
                     "version": kept.version})
        response = client.post(merge_url(kept, third), seen)
        assert response.status_code == 409
        assert "L'une des deux fiches a été modifiée ou fusionnée par quelqu'un d'autre " \
               "pendant que vous prépariez la fusion : rien n'a été fusionné." in \
               visible_text(response)
        assert Attendee.objects.filter(pk=third.pk).exists()

    def test_bad_posts_are_answered_in_french(self, client, users, crt_a, twins):
        kept, duplicate = twins
        login(client, users, "activity_leader")
        url = merge_url(kept, duplicate)
        for data in ({}, {"kept_version": "abc", "duplicate_version": duplicate.version}):
            response = client.post(url, data)
            assert response.status_code == 400
            assert "La fusion n'a pas pu être lue : rechargez la page, puis confirmez de " \
                   "nouveau." in visible_text(response)
        response = client.post(url, {"kept_version": kept.version,
                                     "duplicate_version": duplicate.version,
                                     "take_phone": "les deux"})
        assert response.status_code == 400
        assert "Choisissez l'une des deux valeurs." in field_error(response, "take_phone")
        assert client.get(merge_url(kept, kept)).status_code == 404
        # Records of two kinds: said on the page, refused if posted anyway.
        helper = attendee(crt_a, kind=Attendee.Kind.CAREGIVER, last_name="Lemaire")
        text = visible_text(client.get(merge_url(kept, helper)))
        assert "ne sont pas du même type" in text and "Fusionner les deux fiches" not in text
        response = client.post(merge_url(kept, helper), {"kept_version": kept.version,
                                                         "duplicate_version": helper.version})
        assert response.status_code == 400
        assert "ne sont pas du même type" in visible_text(response)
        assert Attendee.objects.filter(crt=crt_a).count() == 4


def join_url(light) -> str:
    return reverse("outreach:attendee_join", kwargs={"public_id": light.public_id})


class TestJoinFilePages:
    """« Rattacher à un dossier du volet 2… » on a light record's page: the file chosen among
    those the user may read, what joining does, the confirmation."""

    @pytest.fixture
    def simone(self, crt_a, commune):
        return attendee(crt_a, last_name="Gohier", first_name="Simone", commune=commune)

    @pytest.fixture
    def her_file(self, crt_a, users):
        """Her volet 2 file, in the activity leader's care team (so she may read it)."""
        b = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        join_care_team(b, users["activity_leader"])
        return b

    def test_join_from_the_record_page(self, client, users, crt_a, simone, her_file):
        from maillage.care.models import TelehealthAct
        from maillage.care.tests.factories import territory_telehealth_act

        alone, both = session(crt_a, days=-9), session(crt_a, days=-2)
        participation(alone, simone, status="present")
        participation(both, simone, status="present")
        participation(both, beneficiary=her_file, status="absent")
        act = territory_telehealth_act(simone, staff=users["nurse"])
        # Another Gohier whom the activity leader does not accompany: never offered.
        BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Marthe")
        login(client, users, "activity_leader")
        page = client.get(reverse("outreach:attendee_edit",
                                  kwargs={"public_id": simone.public_id}))
        link = re.search(r'href="([^"]+)">Rattacher à un dossier du volet 2…',
                         page.content.decode())
        assert link.group(1) == join_url(simone)
        page = client.get(join_url(simone))
        assert page.status_code == 200
        assert "Dossier du volet 2 de la personne" in visible_text(page)
        picked = client.get(reverse("outreach:register_pick"),
                            {"champ": "beneficiary", "beneficiary_q": "gohier"})
        assert "GOHIER Simone" in visible_text(picked) and "Marthe" not in visible_text(picked)
        summary = client.post(join_url(simone), {"beneficiary": str(her_file.public_id)})
        assert summary.status_code == 200
        text = visible_text(summary)
        assert "Rattacher la fiche au dossier de GOHIER Simone" in text
        assert "2 inscriptions de la fiche passent à son dossier, dont 1 à une séance où son " \
               "dossier est déjà inscrit : une seule inscription y reste" in text
        # The telehealth acts are health data the activity leader does not see.
        assert "Ses actes de télésanté, s'il y en a (données de santé, que vous ne voyez " \
               "pas), passent aussi à son dossier." in text
        assert Attendee.objects.filter(pk=simone.pk).exists()  # nothing done yet
        response = client.post(join_url(simone), {
            "beneficiary": str(her_file.public_id), "attendee_version": simone.version,
            "beneficiary_version": her_file.version, "confirmer": "1"})
        assert response.status_code == 302
        assert response["Location"] == reverse("beneficiaries:detail",
                                               kwargs={"public_id": her_file.public_id})
        assert "La fiche de GOHIER Simone est rattachée au dossier du volet 2 de GOHIER " \
               "Simone : 2 inscriptions reprises. La fiche légère est supprimée." in \
               visible_text(client.get(response["Location"]))
        assert not Attendee.objects.filter(pk=simone.pk).exists()
        assert set(Participation.objects.values_list("session", "beneficiary", "status")) == {
            (alone.pk, her_file.pk, "present"), (both.pk, her_file.pk, "present")}
        assert TelehealthAct.objects.get(pk=act.pk).beneficiary == her_file
        joined = AuditEvent.objects.get(action="attendee.joined_file")
        assert joined.beneficiary_public_id == her_file.public_id
        assert joined.details["actes de télésanté"] == 1
        assert AuditEvent.objects.get(action="attendee.joined_away").object_id == str(
            simone.public_id)

    def test_the_secretariat_joins_and_a_health_professional_sees_the_acts(
            self, client, users, crt_a, make_user, simone):
        """The secretariat reads every file's identity (beneficiaries/access.py): joining is
        an identity decision. The number of telehealth acts is said only to a reader of
        them (here an activity leader who is also a nurse)."""
        from maillage.care.tests.factories import territory_telehealth_act
        from maillage.core.roles import Role

        b = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        territory_telehealth_act(simone, staff=users["nurse"])
        both = make_user(crt_a, Role.ACTIVITY_LEADER, Role.NURSE, username="animatrice-ide")
        client.force_login(both)
        join_care_team(b, both)
        text = visible_text(client.post(join_url(simone), {"beneficiary": str(b.public_id)}))
        assert "1 acte de télésanté passe à son dossier." in text
        login(client, users, "admin_staff")
        text = visible_text(client.post(join_url(simone), {"beneficiary": str(b.public_id)}))
        assert "0 inscription de la fiche passe à son dossier" in text
        assert "acte de télésanté passe" not in text
        response = client.post(join_url(simone), {
            "beneficiary": str(b.public_id), "attendee_version": simone.version,
            "beneficiary_version": b.version, "confirmer": "1"})
        assert response.status_code == 302
        assert not Attendee.objects.filter(pk=simone.pk).exists()

    def test_forbidden_roles_and_another_crt(self, client, users, crt_a, crt_b, user_b,
                                             simone, her_file):
        data = {"beneficiary": str(her_file.public_id), "attendee_version": simone.version,
                "beneficiary_version": her_file.version, "confirmer": "1"}
        for role in ("care_aide", "partner", "nurse", "coordinator"):
            login(client, users, role)
            assert client.get(join_url(simone)).status_code == 403, role
            assert client.post(join_url(simone), data).status_code == 403, role
        client.force_login(user_b)
        assert client.get(join_url(simone)).status_code == 404
        assert client.post(join_url(simone), data).status_code == 404
        assert Attendee.objects.filter(pk=simone.pk).exists()

    def test_bad_input_is_answered_in_french_and_nothing_is_joined(
            self, client, users, crt_a, crt_b, simone, her_file):
        participation(session(crt_a), simone)
        theirs = BeneficiaryFactory(crt=crt_b, birth_name="Gohier", first_name="Simone")
        not_hers = BeneficiaryFactory(crt=crt_a, birth_name="Gohier", first_name="Simone")
        login(client, users, "activity_leader")
        response = client.post(join_url(simone), {"confirmer": "1"})
        assert response.status_code == 400
        assert "Choisissez le dossier du volet 2 de la personne." in field_error(
            response, "beneficiary")
        # Another CRT's file, and a file of her CRT she may not read (not accompanied).
        for other in (theirs, not_hers):
            for data in ({"beneficiary": str(other.public_id)},
                         {"beneficiary": str(other.public_id), "attendee_version":
                          simone.version, "beneficiary_version": other.version,
                          "confirmer": "1"}):
                response = client.post(join_url(simone), data)
                assert response.status_code == 400
                assert "Bénéficiaire inconnu : choisissez-le dans la liste." in field_error(
                    response, "beneficiary")
        response = client.post(join_url(simone), {"beneficiary": str(her_file.public_id),
                                                  "attendee_version": "abc",
                                                  "confirmer": "1"})
        assert response.status_code == 400
        assert "Le rattachement n'a pas pu être lu : rechargez la page, puis confirmez de " \
               "nouveau." in visible_text(response)
        assert Participation.objects.get().attendee == simone
        assert not AuditEvent.objects.filter(action__startswith="attendee.joined").exists()
        # A caregiver's record has no volet 2 file to be joined to.
        helper = attendee(crt_a, kind=Attendee.Kind.CAREGIVER, last_name="Gohier")
        page = client.get(reverse("outreach:attendee_edit",
                                  kwargs={"public_id": helper.public_id}))
        assert "Rattacher à un dossier du volet 2" not in visible_text(page)
        assert "Seule la fiche d'une personne âgée se rattache à un dossier du volet 2" in \
            visible_text(client.get(join_url(helper)))
        response = client.post(join_url(helper), {
            "beneficiary": str(her_file.public_id), "attendee_version": helper.version,
            "beneficiary_version": her_file.version, "confirmer": "1"})
        assert response.status_code == 400
        assert Attendee.objects.filter(pk=helper.pk).exists()

    def test_two_people_joining_at_once(self, client, users, crt_a, simone, her_file):
        participation(session(crt_a), simone)
        data = {"beneficiary": str(her_file.public_id), "attendee_version": simone.version,
                "beneficiary_version": her_file.version, "confirmer": "1"}
        # The record changed since the summary was opened.
        login(client, users, "activity_leader")
        client.post(reverse("outreach:attendee_edit", kwargs={"public_id": simone.public_id}),
                    {"last_name": "Gohier", "first_name": "Simone",
                     "phone": "02 41 00 00 00", "version": simone.version})
        response = client.post(join_url(simone), data)
        assert response.status_code == 409
        assert "La fiche ou le dossier du volet 2 a été modifié par quelqu'un d'autre pendant " \
               "que vous prépariez le rattachement : rien n'a été rattaché." in \
               visible_text(response)
        assert Participation.objects.get().attendee == simone
        # Both opened the summary again; the direction confirms first.
        simone.refresh_from_db()
        data["attendee_version"] = simone.version
        login(client, users, "direction")
        assert client.post(join_url(simone), data).status_code == 302
        login(client, users, "activity_leader")
        response = client.post(join_url(simone), data)
        assert response.status_code == 409
        text = visible_text(response)
        assert "La fiche de GOHIER Simone a déjà été rattachée à un dossier du volet 2 par " \
               "quelqu'un d'autre : rien n'a été fait." in text
        assert "Ouvrir le dossier de GOHIER Simone" in text
        assert Participation.objects.get().beneficiary == her_file


class TestAttendanceAndTransport:
    def test_attendance_then_transport(self, client, users, crt_a):
        s = session(crt_a, days=-1, starts_at=at(0, 0) - timedelta(days=1))
        p = participation(s, attendee(crt_a, last_name="Hamon", first_name="Jeanne"))
        login(client, users, "activity_leader")
        url = reverse("outreach:session_attendance", kwargs={"public_id": s.public_id})
        response = client.post(url, {f"p_{p.public_id}": "present", "anonymous_count": "2",
                                     "version": s.version})
        assert response.status_code == 302
        p.refresh_from_db()
        assert p.status == "present"
        turl = reverse("outreach:participation_transport", kwargs={"public_id": p.public_id})
        response = client.post(turl, {"transport_mode": "taxi", "transport_provider": "Taxi",
                                      "transport_cost": "-3", "version": p.version})
        assert response.status_code == 400
        assert "Le coût ne peut pas être négatif." in visible_text(response)
        taxi = {"transport_mode": "taxi", "transport_provider": "Taxi Martin",
                "transport_cost": "18,40", "version": p.version}
        response = client.post(turl, taxi)
        assert response.status_code == 400
        assert "Le CRT organise le transport seulement quand la personne n'a aucune autre " \
               "solution : indiquez pourquoi." in field_error(response, "transport_reason")
        response = client.post(turl, {**taxi, "transport_reason": "other"})
        assert "Précisez pourquoi la personne n'a pas d'autre solution." in field_error(
            response, "transport_reason_detail")
        p.refresh_from_db()
        assert p.transport_mode == ""  # nothing saved
        response = client.post(turl, {**taxi, "transport_reason": "no_public"})
        assert response.status_code == 302
        text = table_text(client.get(response["Location"]))
        assert "HAMON Jeanne" in text and "Taxi (Taxi Martin), 18,40 € — aucune autre " \
            "solution : pas de transport en commun adapté" in text
        p.refresh_from_db()
        response = client.post(turl, {**taxi, "version": p.version, "transport_reason": "other",
                                      "transport_reason_detail": "Sort de l'hôpital"})
        assert response.status_code == 302
        assert "aucune autre solution : autre (Sort de l'hôpital)" in table_text(
            client.get(response["Location"]))
        # A reason without a transport is refused.
        p.refresh_from_db()
        response = client.post(turl, {"transport_reason": "no_vehicle", "version": p.version})
        assert response.status_code == 400
        assert "Le motif va avec un transport organisé" in field_error(response,
                                                                        "transport_reason")
        # The transport page: who may, who may not, another CRT.
        for role in ("nurse", "partner"):
            assert login(client, users, role).get(turl).status_code == 403, role

    def test_attendance_before_the_session_is_refused(self, client, users, crt_a):
        s = session(crt_a, days=3)
        p = participation(s)
        login(client, users, "activity_leader")
        response = client.post(
            reverse("outreach:session_attendance", kwargs={"public_id": s.public_id}),
            {f"p_{p.public_id}": "present", "version": s.version})
        assert response.status_code == 400
        assert "pas encore commencé" in visible_text(response)
        p.refresh_from_db()
        assert p.status == "registered"


class TestSecretariat:
    """The secretariat takes registrations by phone: it opens the sessions, registers and
    unregisters people, corrects their light records (identity, contacts), prints the sheet —
    never the GIR of a light record (health data, SPEC §3)."""

    @pytest.fixture
    def s(self, crt_a):
        return session(crt_a, action(crt_a, title="Atelier mémoire"), capacity=10)

    def test_opens_the_sessions_and_registers_someone_by_phone(self, client, users, crt_a, s,
                                                              commune):
        participation(s, attendee(crt_a, last_name="Hamon", first_name="Jeanne"))
        login(client, users, "admin_staff")
        assert "Atelier mémoire" in table_text(client.get(reverse("outreach:sessions")))
        detail = reverse("outreach:session_detail", kwargs={"public_id": s.public_id})
        page = client.get(detail)
        assert page.status_code == 200
        assert "HAMON Jeanne" in table_text(page)
        assert "Inscrire une personne" in visible_text(page)
        url = reverse("outreach:session_register", kwargs={"public_id": s.public_id})
        form = client.get(url).content.decode()
        assert 'name="phone"' in form
        assert 'name="gir"' not in form and 'name="gir_source"' not in form
        response = client.post(url, {
            "kind": "older_person", "last_name": "Morin", "first_name": "Lucienne",
            "phone": "02 41 00 00 00", "commune": str(commune.public_id),
            "gir": "4", "gir_source": "declared"})  # typed by hand: ignored
        assert response.status_code == 302
        assert "MORIN Lucienne est inscrit·e." in visible_text(client.get(response["Location"]))
        person = Attendee.objects.get(last_name="Morin")
        assert (person.phone, person.commune, person.gir, person.gir_source) == (
            "02 41 00 00 00", commune, None, "")
        assert Participation.objects.get(attendee=person).session == s
        assert AuditEvent.objects.filter(action="participation.created",
                                         actor=users["admin_staff"]).exists()

    def test_unregisters_someone(self, client, users, crt_a, s):
        p = participation(s, attendee(crt_a, last_name="Hamon", first_name="Jeanne"))
        login(client, users, "admin_staff")
        response = client.post(
            reverse("outreach:session_attendance", kwargs={"public_id": s.public_id}),
            {f"p_{p.public_id}": "cancelled", "version": s.version})
        assert response.status_code == 302
        p.refresh_from_db()
        assert p.status == Participation.Status.CANCELLED
        assert "Inscription annulée" in table_text(client.get(response["Location"]))

    def test_corrects_a_light_record_without_its_gir(self, client, users, crt_a, s):
        person = attendee(crt_a, last_name="Hamonn", first_name="Jeanne", gir=2,
                          gir_source="evaluated")
        participation(s, person)
        login(client, users, "admin_staff")
        url = reverse("outreach:attendee_edit", kwargs={"public_id": person.public_id})
        page = client.get(url)
        assert page.status_code == 200
        text = visible_text(page)
        assert "Téléphone" in text and "GIR" not in text and "Évalué" not in text
        response = client.post(url, {"last_name": "Hamon", "first_name": "Jeanne",
                                     "phone": "06 12 34 56 78", "gir": "", "gir_source": "",
                                     "version": person.version})
        assert response.status_code == 302
        person.refresh_from_db()
        assert (person.last_name, person.phone, person.gir, person.gir_source) == (
            "Hamon", "06 12 34 56 78", 2, "evaluated")  # the GIR stays as it was
        # The activity leader still reads and types it.
        login(client, users, "activity_leader")
        assert '<option value="2" selected>GIR 2</option>' in client.get(url).content.decode()

    def test_prints_the_attendance_sheet(self, client, users, crt_a, s):
        participation(s, attendee(crt_a, last_name="Hamon", first_name="Jeanne", gir=3,
                                  gir_source="declared"))
        login(client, users, "admin_staff")
        response = client.get(reverse("outreach:session_sheet",
                                      kwargs={"public_id": s.public_id}))
        assert response["Content-Type"] == "application/pdf"
        text = pdf_text(response)
        assert "HAMON Jeanne" in text and "GIR" not in text

    def test_forbidden_roles_and_another_crt(self, client, users, s, crt_b, make_user):
        participation(s)
        names = ("session_detail", "session_register", "session_attendance", "session_sheet")
        for role in ("nurse", "care_aide", "ars"):
            login(client, users, role)
            for name in names:
                response = client.get(reverse(f"outreach:{name}",
                                              kwargs={"public_id": s.public_id}))
                assert response.status_code == 403, (role, name)
        client.force_login(make_user(crt_b, "admin_staff"))  # CRT B's secretariat
        for name in names:
            response = client.get(reverse(f"outreach:{name}", kwargs={"public_id": s.public_id}))
            assert response.status_code == 404, name
