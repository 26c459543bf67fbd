"""The questionnaire engine: one answer per code, bad input, the rule of answered
questionnaires, results computed by the database against a hand-computed scenario, anonymity of
the yearly survey."""

import threading

import pytest
from django.db import connection

from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.surveys import selectors, services
from maillage.surveys.defaults import default_questionnaires_install
from maillage.surveys.models import Answer, AnswerCode, Collection, Question, Response
from maillage.surveys.yearly import yearly_survey_open

from .factories import answer, collection, questionnaire, values

COORD = frozenset({Role.COORDINATOR})


class TestCodes:
    def test_codes_are_short_unguessable_and_typeable(self, crt_a):
        c = collection(crt_a, codes=50)
        codes = list(c.codes.values_list("code", flat=True))
        assert len(set(codes)) == 50
        assert all(len(x) == 8 and set(x) <= set(services.CODE_ALPHABET) for x in codes)
        assert not set("0O1IL") & set(services.CODE_ALPHABET)
        first = c.codes.first()
        # Typed with a dash, spaces and in lower case: the same code.
        typed = f" {first.display.lower()} "
        assert services.code_for_answer(typed).pk == first.pk

    def test_one_answer_per_code(self, crt_a):
        c = collection(crt_a, codes=1)
        code = c.codes.get()
        services.response_submit(code=code.code, values=values(c, scale=4))
        with pytest.raises(DomainError, match="déjà servi"):
            services.response_submit(code=code.code, values=values(c, scale=2))
        assert Response.objects.filter(collection=c).count() == 1
        assert Answer.objects.get(response__collection=c).scale == 4

    def test_the_database_refuses_a_second_response_on_a_code(self, crt_a):
        """The race the lock prevents: even past the checks, one code stores one response."""
        c = collection(crt_a, codes=1)
        code = c.codes.get()
        services.response_submit(code=code.code, values=values(c, scale=4))
        code.used_at = None  # as seen by a request that read it before the first commit
        with pytest.raises(DomainError, match="déjà servi"):
            services._store(actor=None, collection=c, code=code, channel="online",
                            values=values(c, scale=1))
        assert Response.objects.filter(collection=c).count() == 1

    @pytest.mark.skipif(connection.vendor != "postgresql",
                        reason="real concurrent transactions: PostgreSQL")
    @pytest.mark.django_db(transaction=True)
    def test_two_simultaneous_submissions_store_one(self, crt_a):
        c = collection(crt_a, codes=1)
        code = c.codes.get().code
        barrier, outcomes = threading.Barrier(2), []

        def submit(grade):
            from django.db import connections
            try:
                barrier.wait()
                services.response_submit(code=code, values=values(c, scale=grade))
                outcomes.append("ok")
            except DomainError as error:
                outcomes.append(error.message)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=submit, args=(g,)) for g in (3, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1, outcomes
        assert Response.objects.filter(collection=c).count() == 1

    def test_closed_collection_and_unknown_code(self, crt_a):
        c = collection(crt_a, codes=1)
        services.collection_set_open(actor=None, collection=c, version=c.version,
                                     is_open=False)
        with pytest.raises(DomainError, match="fermé"):
            services.response_submit(code=c.codes.get().code, values=values(c, scale=4))
        with pytest.raises(DomainError, match="inconnu"):
            services.code_for_answer("ZZZZ-ZZZZ")


class TestBadInput:
    @pytest.mark.parametrize("kwargs, message", [
        ({}, "Répondez à cette question."),
        ({"scale": 7}, "note de 1 à 4"),
        ({"scale": 5}, "note de 1 à 4"),  # the question is on four points
        ({"scale": 0}, "note de 1 à 4"),
        ({"scale": "x"}, "note de 1 à 4"),
        ({"scale": 3, "choice": 9}, "une des options"),
        ({"scale": 3, "yes": "peut-être"}, "oui ou par non"),
        ({"scale": 3, "comment": "x" * 2001}, "2 000 caractères"),
    ])
    def test_refused_next_to_the_question_and_nothing_stored(self, crt_a, kwargs, message):
        c = collection(crt_a, codes=1)
        with pytest.raises(DomainError, match=message) as caught:
            services.response_submit(code=c.codes.get().code, values=values(c, **kwargs))
        assert caught.value.field.startswith("q_")
        assert not Response.objects.exists() and not Answer.objects.exists()
        assert c.codes.get().used_at is None

    def test_paper_answer_with_a_code_of_another_collection(self, crt_a, users):
        q = questionnaire(crt_a)
        c1, c2 = collection(crt_a, q=q, subject="a"), collection(crt_a, q=q, subject="b")
        with pytest.raises(DomainError, match="n'appartient pas") as caught:
            services.response_record_paper(actor=users["coordinator"], collection=c1,
                                           code=c2.codes.first().code, values=values(c1, scale=3))
        assert caught.value.field == "code"
        r = services.response_record_paper(actor=users["coordinator"], collection=c1,
                                           code="", values=values(c1, scale=3))
        assert (r.channel, r.code) == ("paper", None)
        assert AuditEvent.objects.filter(action="survey_response.typed").count() == 1


class TestAnsweredQuestionnaire:
    def test_questions_frozen_once_answered(self, crt_a):
        c = collection(crt_a, codes=1)
        q = c.questionnaire
        first = q.questions.get(position=1)
        # Before any answer: everything may change.
        services.question_update(actor=None, question=first, version=q.version,
                                 text="Êtes-vous satisfait ?")
        q.refresh_from_db()
        answer(c, scale=4)
        for act in (
            lambda: services.question_update(actor=None, question=first, version=q.version,
                                             kind="yes_no"),
            lambda: services.question_remove(actor=None, question=first, version=q.version),
            lambda: services.question_move(actor=None, question=first, version=q.version,
                                           up=False),
            lambda: services.question_add(actor=None, questionnaire=q, version=q.version,
                                          kind="scale", text="Nouvelle", required=True),
            lambda: services.questionnaire_update(actor=None, questionnaire=q,
                                                  version=q.version, audience="caregivers"),
        ):
            with pytest.raises(DomainError, match="déjà des réponses"):
                act()
        first.refresh_from_db()
        assert (first.kind, first.text) == ("scale", "Êtes-vous satisfait ?")
        # Allowed: an optional question at the end; the title.
        added = services.question_add(actor=None, questionnaire=q, version=q.version,
                                      kind="comment", text="Autre chose ?")
        assert added.position == 5
        q.refresh_from_db()
        services.questionnaire_update(actor=None, questionnaire=q, version=q.version,
                                      title="Satisfaction (séances)")

    def test_stale_edit_is_a_conflict(self, crt_a):
        q = questionnaire(crt_a)
        stale = q.version
        services.question_add(actor=None, questionnaire=q, version=stale, kind="yes_no",
                              text="Question A")
        with pytest.raises(DomainError) as caught:
            services.question_add(actor=None, questionnaire=q, version=stale, kind="yes_no",
                                  text="Question B")
        assert caught.value.code == "conflict"

    def test_new_version_copies_the_questions(self, crt_a):
        c = collection(crt_a, codes=1)
        answer(c, scale=4)
        copy = services.questionnaire_duplicate(actor=None, questionnaire=c.questionnaire)
        c.questionnaire.refresh_from_db()
        assert copy.title == "Satisfaction séance (v2)" and not c.questionnaire.is_active
        assert list(copy.questions.values_list("text", flat=True)) == list(
            c.questionnaire.questions.values_list("text", flat=True))
        services.question_remove(actor=None, question=copy.questions.first(),
                                 version=copy.version)
        assert list(copy.questions.values_list("position", flat=True)) == [1, 2, 3]

    def test_choice_needs_two_options(self, crt_a):
        q = questionnaire(crt_a)
        with pytest.raises(DomainError, match="deux options") as caught:
            services.question_add(actor=None, questionnaire=q, kind="choice",
                                  text="Laquelle ?", choices=["Une"])
        assert caught.value.field == "choices"


class TestResults:
    """Hand-computed scenario, on the former five-point scale (answers given before the
    four-point one, counted as they were): action A (field « chutes ») has two sessions, action
    B (field « isolement ») one.
    A1: grades 5, 4 ; choices 0, 0 ; yes, no ; one comment.
    A2: grades 4, 2, 5 ; choice 1 ; yes.
    B1: grade 3 ; no comment.
    Action A: 5 answers, mean (5+4+4+2+5)/5 = 4.0, grades 1:0 2:1 3:0 4:2 5:2, 4 of 5
    satisfied (80 %); 6 codes handed out → response rate 5/6 = 83 %;
    choices: option 0 ×2, option 1 ×1; yes 2, no 1.
    Field view: the same (one action per field). All together: 6 answers, mean 23/6 ≈ 3.8."""

    @pytest.fixture
    def scenario(self, crt_a):
        q = questionnaire(crt_a, points=5)
        a1 = collection(crt_a, q=q, subject="a1", group_key="A", group_label="Action A",
                        category_key="falls", category_label="Chutes")
        a2 = collection(crt_a, q=q, subject="a2", group_key="A", group_label="Action A",
                        category_key="falls", category_label="Chutes")
        b1 = collection(crt_a, q=q, subject="b1", group_key="B", group_label="Action B",
                        category_key="isolation", category_label="Isolement")
        answer(a1, scale=5, choice=0, yes="oui", comment="Très bien")
        answer(a1, scale=4, choice=0, yes="non")
        answer(a2, scale=4, choice=1, yes="oui")
        answer(a2, scale=2)
        answer(a2, scale=5)
        answer(b1, scale=3)
        return q

    def test_per_action(self, crt_a, users, scenario, django_assert_max_num_queries):
        with django_assert_max_num_queries(9):
            groups = selectors.results_for(crt=crt_a, user=users["coordinator"], roles=COORD,
                                           subject_kind="outreach.session", group_by="group")
        a, b = groups
        assert (a.label, a.collections, a.responses) == ("Action A", 2, 5)
        scale, choice, yes_no, comment = a.questions
        assert scale.count == 5 and scale.mean == pytest.approx(4.0)
        assert (scale.satisfied, scale.satisfied_percent) == (4, 80)
        assert (a.codes, a.response_rate) == (6, 83)
        assert scale.by_respondent == [("Non précisé", 5, 80)]
        assert [bar.count for bar in scale.bars] == [0, 1, 0, 2, 2]
        assert [bar.percent for bar in scale.bars] == [0, 20, 0, 40, 40]
        assert [(bar.label, bar.count) for bar in choice.bars] == [
            ("Par le CRT", 2), ("Par un professionnel", 1), ("Autrement", 0)]
        assert [(bar.label, bar.count) for bar in yes_no.bars] == [("Oui", 2), ("Non", 1)]
        assert comment.count == 1 and comment.comments == []  # not asked
        assert (b.label, b.responses, b.questions[0].mean) == ("Action B", 1, 3.0)
        assert a.satisfaction.questions == [scale]
        assert (a.satisfaction.satisfied_grades, a.satisfaction.mean_label) == (
            "4 ou 5 sur 5", "4,0 / 5")

    def test_per_field_and_restricted_keys(self, crt_a, users, scenario):
        groups = selectors.results_for(crt=crt_a, user=users["coordinator"], roles=COORD,
                                       subject_kind="outreach.session", group_by="category",
                                       keys=["falls"])
        assert [(g.label, g.responses, g.questions[0].mean_label) for g in groups] == [
            ("Chutes", 5, "4,0 / 5")]
        every = selectors.results_for(crt=crt_a, user=users["coordinator"], roles=COORD,
                                      subject_kind="outreach.session", group_by="all")
        assert every[0].responses == 6
        assert every[0].questions[0].mean == pytest.approx(23 / 6)

    def test_comments_only_to_allowed_roles_and_audited(self, crt_a, users, scenario):
        before = AuditEvent.objects.filter(action="survey_comments.viewed").count()
        groups = selectors.results_for(crt=crt_a, user=users["coordinator"], roles=COORD,
                                       subject_kind="outreach.session", with_comments=True)
        assert groups[0].questions[3].comments == ["Très bien"]
        assert AuditEvent.objects.filter(action="survey_comments.viewed").count() == before + 1
        # The ARS reads satisfaction as indicators in the regional view only (INDICATORS §5).
        assert selectors.results_for(crt=crt_a, user=users["ars"], roles={Role.ARS},
                                     subject_kind="outreach.session", with_comments=True) == []
        assert selectors.results_for(crt=crt_a, user=users["nurse"], roles={Role.NURSE},
                                     subject_kind="outreach.session") == []
        assert selectors.results_for(crt=crt_a, user=users["auditor"], roles={Role.AUDITOR},
                                     subject_kind="outreach.session") == []

    def test_other_crt_sees_nothing(self, crt_b, make_user, scenario):
        user = make_user(crt_b, Role.COORDINATOR)
        assert selectors.results_for(crt=crt_b, user=user, roles=COORD,
                                     subject_kind="outreach.session") == []


def test_headline_of_a_field_mixing_the_two_scales(crt_a, users):
    """The field « chutes » ran sessions on the former five-point questionnaire (grades 5, 4,
    3: 2 satisfied) then on its four-point new version (grades 4, 3, 2, 1: 2 satisfied). The
    headline counts both questions, each by its own scale: 4 satisfied of 7; no mean of both."""
    def run(q, subject, grades):
        c = collection(crt_a, q=q, subject=subject, codes=len(grades), category_key="falls",
                       category_label="Chutes")
        for grade in grades:
            answer(c, scale=grade)

    old = questionnaire(crt_a, points=5)
    run(old, "s1", (5, 4, 3))
    # Its new version asks on four points.
    new = services.questionnaire_duplicate(actor=None, questionnaire=old)
    assert new.questions.get(position=1).points == 4
    run(new, "s2", (4, 3, 2, 1))
    (group,) = selectors.results_for(crt=crt_a, user=users["coordinator"], roles=COORD,
                                     subject_kind="outreach.session", group_by="category")
    headline = group.satisfaction
    assert (headline.count, headline.satisfied, headline.satisfied_percent) == (7, 4, 57)
    assert headline.satisfied_grades == "3 ou 4 sur 4 ; 4 ou 5 sur 5"
    assert (headline.mean, headline.mean_label) == (None, "—")
    five, four = (r for r in group.questions if r.question.kind == Question.Kind.SCALE
                  and r.question.position == 1)
    assert [b.label for b in four.bars] == [
        "1 — Pas du tout satisfait", "2 — Peu satisfait", "3 — Satisfait", "4 — Très satisfait"]
    assert (four.satisfied, four.mean_label) == (2, "2,5 / 4")
    assert len(five.bars) == 5 and (five.satisfied, five.mean_label) == (2, "4,0 / 5")


def test_migration_keeps_the_answered_questions_on_five_points(crt_a):
    """Migration 0002: a questionnaire already answered keeps its five points (its answers keep
    their meaning); one not answered yet moves to four."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("maillage.surveys.migrations.0002_question_points")
    crt = crt_a
    answered = collection(crt, q=questionnaire(crt, points=5), subject="a")
    answer(answered, scale=3)  # « Moyennement satisfait » of five: not satisfied
    waiting = collection(crt, q=questionnaire(crt, points=5), subject="b")
    migration.unanswered_to_four_points(apps, None)
    scales = Question.objects.filter(kind=Question.Kind.SCALE)
    assert set(scales.filter(questionnaire=answered.questionnaire).values_list(
        "points", flat=True)) == {5}
    assert set(scales.filter(questionnaire=waiting.questionnaire).values_list(
        "points", flat=True)) == {4}
    (group,) = selectors.results(collections_qs=Collection.objects.filter(pk=answered.pk))
    assert (group.satisfaction.count, group.satisfaction.satisfied) == (1, 0)


def test_satisfied_per_respondent(crt_a, users):
    """Codes handed to two older people and a caregiver, on four points: grades 4 and 2, and
    3 (« Satisfait »: satisfied on four points)."""
    c = collection(crt_a, codes={"older_person": 2, "caregiver": 1})
    for code, grade in zip(c.codes.order_by("respondent", "id"), (3, 4, 2), strict=True):
        services.response_submit(code=code.code, values=values(c, scale=grade))
    assert sorted(Response.objects.values_list("respondent", flat=True)) == [
        "caregiver", "older_person", "older_person"]
    services.response_record_paper(actor=users["coordinator"], collection=c,
                                   respondent="professional", values=values(c, scale=1))
    with pytest.raises(DomainError) as caught:
        services.response_record_paper(actor=users["coordinator"], collection=c,
                                       respondent="voisin", values=values(c, scale=1))
    assert caught.value.field == "respondent"
    (group,) = selectors.results_for(crt=crt_a, user=users["coordinator"], roles=COORD,
                                     subject_kind="outreach.session", group_by="all")
    assert group.questions[0].by_respondent == [
        ("Personne âgée", 2, 50), ("Aidant", 1, 100), ("Professionnel", 1, 0)]


def test_collection_opens_with_the_questionnaire_in_service(crt_a, users):
    with pytest.raises(DomainError, match="Aucun questionnaire"):
        services.collection_open(actor=None, crt=crt_a, subject_kind="outreach.session",
                                 subject_public_id="x", subject_label="Séance x")
    default_questionnaires_install(actor=users["coordinator"], crt=crt_a)
    c = services.collection_open(actor=None, crt=crt_a, subject_kind="outreach.session",
                                 subject_public_id="x", subject_label="Séance x", codes=2)
    assert c.questionnaire.usage == "session" and c.codes.count() == 2
    again = services.collection_open(actor=None, crt=crt_a, subject_kind="outreach.session",
                                      subject_public_id="x", subject_label="Séance x",
                                      codes={"caregiver": 1})
    assert again == c and c.codes.filter(respondent="caregiver").count() == 1


def test_relabel_follows_the_subject(crt_a):
    q = questionnaire(crt_a)
    c = collection(crt_a, q=q, subject="s9", group_key="A", group_label="Atelier",
                   category_key="falls", category_label="Chutes")
    assert services.collection_relabel(
        actor=None, crt=crt_a, subject_kind="outreach.session", subject_public_id="s9",
        subject_label="Atelier — 14/03/2027", category_key="isolation",
        category_label="Isolement") == 1
    c.refresh_from_db()
    assert (c.subject_label, c.group_label, c.category_key, c.category_label, c.version) == (
        "Atelier — 14/03/2027", "Atelier", "isolation", "Isolement", 2)
    assert services.collection_relabel(
        actor=None, crt=crt_a, subject_kind="outreach.session", subject_public_id="s9",
        subject_label="Atelier — 14/03/2027") == 0


class TestYearlySurvey:
    def test_open_answer_and_no_link_to_a_person(self, crt_a, users):
        coordinator = users["coordinator"]
        default_questionnaires_install(actor=coordinator, crt=crt_a)
        yearly_survey_open(actor=coordinator, crt=crt_a, year=2026,
                           counts={"beneficiaries": 3, "caregivers": 2, "professionals": 0})
        collections = {c.category_key: c for c in selectors.collections(
            crt=crt_a, user=coordinator, roles=COORD, subject_kind="volet2.yearly")}
        assert set(collections) == {"beneficiaries", "caregivers"}
        assert collections["beneficiaries"].codes.count() == 3
        events = AuditEvent.objects.count()
        c = collections["beneficiaries"]
        first = c.questionnaire.questions.order_by("position").first()
        r = services.response_submit(code=c.codes.first().code,
                                     values={str(first.public_id): 4})
        # Nothing of the person: no account, no audit event (address, minute), and no field
        # of a response or an answer points outside the questionnaire engine but the CRT and
        # the staff who typed a paper answer.
        assert AuditEvent.objects.count() == events
        assert r.created_by is None and r.updated_by is None
        for model in (Response, Answer, AnswerCode):
            for field in model._meta.concrete_fields:
                if field.is_relation:
                    assert field.related_model._meta.app_label in {"surveys", "core", "auth",
                                                                   "accounts"}, field
                assert "ip" not in field.name and "beneficiary" not in field.name
        from django.contrib.auth import get_user_model
        relations = {f.related_model for m in (Response, Answer) for f in
                     m._meta.concrete_fields if f.is_relation}
        assert relations <= {get_user_model(), type(crt_a), Response,
                             Question, AnswerCode, type(c)}

    def test_needs_a_yearly_questionnaire(self, crt_a, users):
        with pytest.raises(DomainError, match="Aucun questionnaire annuel") as caught:
            yearly_survey_open(actor=users["coordinator"], crt=crt_a, year=2026,
                               counts={"caregivers": 2})
        assert caught.value.field == "caregivers"

    def test_defaults_install_once(self, crt_a, users):
        assert len(default_questionnaires_install(actor=users["coordinator"], crt=crt_a)) == 4
        assert default_questionnaires_install(actor=users["coordinator"], crt=crt_a) == []
        assert Question.objects.filter(crt=crt_a).count() == 20
        # Every satisfaction question of the defaults is on the ARS's four-point scale.
        scales = Question.objects.filter(crt=crt_a, kind=Question.Kind.SCALE)
        assert scales.count() == 10 and set(scales.values_list("points", flat=True)) == {4}


def test_every_default_scale_question_is_asked_in_the_terms_of_its_answers():
    """The scale's answers are « Pas du tout satisfait » to « Très satisfait »: each default
    scale question asks for a satisfaction (« Les informations vous seront-elles utiles ? »
    answered « Très satisfait » read wrong)."""
    from maillage.surveys.defaults import DEFAULTS

    scales = [text for d in DEFAULTS for kind, text, *_ in d["questions"]
              if kind == Question.Kind.SCALE]
    assert len(scales) == 10
    assert [t for t in scales if "satisfait" not in t] == []
