"""A volet 1 session's satisfaction questionnaire: one code per participant, printed on slips
with the attendance sheet, answered through the public link, results on the action's page."""

from collections import Counter

import pytest
from django.urls import reverse

from maillage.core.errors import DomainError
from maillage.core.tests.helpers import visible_text
from maillage.outreach import satisfaction
from maillage.outreach.models import Attendee, Participation, Session
from maillage.surveys.defaults import default_questionnaires_install
from maillage.surveys.models import Question
from maillage.surveys.services import response_submit

from .factories import action, attendee, participation, session
from .test_views import login, pdf_text


@pytest.fixture
def questionnaires(crt_a, users):
    return default_questionnaires_install(actor=users["coordinator"], crt=crt_a)


@pytest.fixture
def full(crt_a):
    """A session with two older people, a caregiver, a professional and a cancelled one."""
    s = session(crt_a, days=-1)
    participation(s, attendee(crt_a, last_name="Hamon"))
    participation(s, attendee(crt_a, last_name="Rousseau"))
    participation(s, attendee(crt_a, Attendee.Kind.CAREGIVER, last_name="Aubry"))
    participation(s, attendee(crt_a, Attendee.Kind.PROFESSIONAL, last_name="Roy"))
    participation(s, attendee(crt_a, last_name="Annulé"),
                  status=Participation.Status.CANCELLED)
    return s


def _kinds(collection) -> Counter:
    return Counter(collection.codes.values_list("respondent", flat=True))


def test_one_code_per_participant_by_who_they_are_and_never_twice(
        full, users, questionnaires, crt_a):
    leader = users["activity_leader"]
    collection = satisfaction.session_satisfaction_open(actor=leader, session=full)
    assert _kinds(collection) == {"older_person": 2, "caregiver": 1, "professional": 1}
    assert collection.group_key == str(full.action.public_id)
    assert collection.category_key == full.action.field
    again = satisfaction.session_satisfaction_open(actor=leader, session=full)
    assert again.pk == collection.pk and _kinds(again).total() == 4
    participation(full, attendee(crt_a, Attendee.Kind.CAREGIVER, last_name="Nouvel"))
    satisfaction.session_satisfaction_open(actor=leader, session=full)
    assert _kinds(collection) == {"older_person": 2, "caregiver": 2, "professional": 1}


def test_refused_without_participants_when_cancelled_or_without_questionnaire(
        crt_a, users, full):
    leader = users["activity_leader"]
    with pytest.raises(DomainError, match="questionnaire"):
        satisfaction.session_satisfaction_open(actor=leader, session=full)  # none installed
    default_questionnaires_install(actor=users["coordinator"], crt=crt_a)
    empty = session(crt_a)
    with pytest.raises(DomainError, match="Inscrivez d'abord"):
        satisfaction.session_satisfaction_open(actor=leader, session=empty)
    Session.objects.filter(pk=full.pk).update(status=Session.Status.CANCELLED)
    full.refresh_from_db()
    with pytest.raises(DomainError, match="annulée"):
        satisfaction.session_satisfaction_open(actor=leader, session=full)


class TestPages:
    def url(self, s, name="outreach:session_satisfaction"):
        return reverse(name, kwargs={"public_id": s.public_id})

    def test_leader_prepares_then_the_sheet_prints_a_slip_per_participant(
            self, client, users, full, questionnaires):
        c = login(client, users, "activity_leader")
        page = visible_text(c.get(self.url(full, "outreach:session_detail")))
        assert "Préparer le questionnaire (un code par participant)" in page
        response = c.post(self.url(full), follow=True)
        page = visible_text(response)
        assert "Questionnaire de satisfaction prêt" in page and "4 codes remis, 0 réponse" in page
        text = pdf_text(c.get(self.url(full, "outreach:session_sheet")))
        assert "Votre avis nous intéresse" in text and "/enquetes/r/" in text
        collection = satisfaction.collection_of(full)
        for code in collection.codes.all():
            assert code.display in text

    def test_the_sheet_has_no_slips_before_the_questionnaire(self, client, users, full,
                                                            questionnaires):
        text = pdf_text(login(client, users, "activity_leader").get(
            self.url(full, "outreach:session_sheet")))
        assert "Feuille d'émargement" in text and "Votre avis" not in text

    def test_care_staff_may_not_open_it_and_another_crt_gets_404(
            self, client, users, full, questionnaires, user_b):
        assert login(client, users, "care_aide").post(self.url(full)).status_code == 403
        client.force_login(user_b)
        assert client.post(self.url(full)).status_code == 404
        assert satisfaction.collection_of(full) is None

    def test_an_answer_shows_on_the_session_and_the_action(self, client, users, full,
                                                          questionnaires):
        collection = satisfaction.session_satisfaction_open(actor=users["activity_leader"],
                                                            session=full)
        scale = collection.questionnaire.questions.filter(kind=Question.Kind.SCALE).first()
        response_submit(code=collection.codes.first().code,
                        values={str(scale.public_id): 4})
        c = login(client, users, "activity_leader")
        assert "4 codes remis, 1 réponse" in visible_text(
            c.get(self.url(full, "outreach:session_detail")))
        page = visible_text(c.get(reverse("outreach:action_detail",
                                          kwargs={"public_id": full.action.public_id})))
        assert "1 réponse au questionnaire (25 % des codes remis)" in page
        assert "moyenne 4,0 / 4, 100 % satisfaits (3 ou 4 sur 4)" in page

    def test_no_results_box_for_a_role_without_survey_results(self, client, users, full,
                                                             questionnaires, crt_a):
        satisfaction.session_satisfaction_open(actor=users["activity_leader"], session=full)
        other = action(crt_a)
        page = visible_text(login(client, users, "care_aide").get(
            reverse("outreach:action_detail", kwargs={"public_id": other.public_id})))
        assert "Satisfaction des participants" not in page


def test_the_session_page_costs_the_same_with_more_participants(
        client, users, full, questionnaires, crt_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    satisfaction.session_satisfaction_open(actor=users["activity_leader"], session=full)
    c = login(client, users, "activity_leader")
    url = reverse("outreach:session_detail", kwargs={"public_id": full.public_id})
    c.get(url)
    with CaptureQueriesContext(connection) as few:
        c.get(url)
    for n in range(12):
        participation(full, attendee(crt_a, last_name=f"Nouveau{n}"))
    with CaptureQueriesContext(connection) as many:
        page = visible_text(c.get(url))
    assert "Ajouter les codes des 12 nouveaux participants" in page
    assert len(many) == len(few)


def test_the_questionnaire_s_page_leads_back_to_its_session(client, users, full, questionnaires):
    """From the codes and results of a session's questionnaire, the way back to that session
    (the page offered only the list of every session)."""
    collection = satisfaction.session_satisfaction_open(actor=users["activity_leader"],
                                                        session=full)
    back = reverse("outreach:session_detail", kwargs={"public_id": full.public_id})
    c = login(client, users, "activity_leader")
    page = c.get(reverse("surveys:collection_detail", kwargs={"public_id": collection.public_id}))
    assert f'<a href="{back}">Retour à la séance</a>' in page.content.decode()
    assert c.get(back).status_code == 200
