"""Tests of ICOPE step 1 screening (pure Python, no database)."""

import pytest

from maillage.beneficiaries import icope


def test_domains_in_order():
    assert icope.DOMAIN_CODES == (
        "cognition",
        "mobilite",
        "nutrition",
        "vision",
        "audition",
        "humeur",
    )
    assert all(domain.questions for domain in icope.DOMAINS)


def test_question_codes_are_unique_and_prefixed_by_domain():
    assert len(icope.QUESTION_CODES) == len(set(icope.QUESTION_CODES))
    for question in icope.QUESTIONS:
        assert question.code.startswith(f"{question.domain}.")
        assert question.code.isascii()
        assert question.label.endswith("?")


def test_key_questions():
    questions = icope.QUESTIONS_BY_CODE
    assert "14 secondes" in questions["mobilite.levers_chaise"].label
    assert questions["mobilite.levers_chaise"].positive_answer is False
    assert "3 kg" in questions["nutrition.perte_poids"].label
    assert questions["nutrition.perte_poids"].positive_answer is True
    assert questions["cognition.rappel_trois_mots"].positive_answer is False
    assert questions["audition.test_chuchotement"].positive_answer is False
    assert "deux dernières semaines" in questions["humeur.tristesse"].label


def test_no_flag_when_all_negative():
    assert icope.domains_needing_follow_up(icope.negative_answers()) == []


@pytest.mark.parametrize("question", icope.QUESTIONS, ids=lambda q: q.code)
def test_each_positive_answer_flags_its_domain_only(question):
    answers = icope.negative_answers()
    answers[question.code] = question.positive_answer
    assert icope.domains_needing_follow_up(answers) == [question.domain]


def test_all_positive_flags_every_domain_in_order():
    answers = {q.code: q.positive_answer for q in icope.QUESTIONS}
    assert icope.domains_needing_follow_up(answers) == list(icope.DOMAIN_CODES)


def test_several_domains_returned_in_domain_order():
    answers = icope.negative_answers()
    answers["humeur.perte_interet"] = True
    answers["mobilite.levers_chaise"] = False  # failed the chair rise test
    answers["nutrition.perte_appetit"] = True
    assert icope.domains_needing_follow_up(answers) == ["mobilite", "nutrition", "humeur"]


def test_failed_recall_flags_cognition():
    answers = icope.negative_answers()
    answers["cognition.rappel_trois_mots"] = False
    assert icope.domains_needing_follow_up(answers) == ["cognition"]


def test_unknown_question_raises():
    answers = icope.negative_answers()
    answers["cognition.inconnue"] = True
    with pytest.raises(ValueError, match="Questions ICOPE inconnues : cognition.inconnue"):
        icope.domains_needing_follow_up(answers)


def test_missing_question_raises():
    answers = icope.negative_answers()
    del answers["vision.troubles_vision"]
    with pytest.raises(ValueError, match="Réponses ICOPE manquantes : vision.troubles_vision"):
        icope.domains_needing_follow_up(answers)


def test_empty_answers_raise():
    with pytest.raises(ValueError, match="Réponses ICOPE manquantes"):
        icope.domains_needing_follow_up({})


@pytest.mark.parametrize("value", [None, "oui", 1, 0])
def test_non_boolean_answer_raises(value):
    answers = icope.negative_answers()
    answers["humeur.tristesse"] = value
    with pytest.raises(ValueError, match="doivent être oui ou non : humeur.tristesse"):
        icope.domains_needing_follow_up(answers)


def test_non_mapping_raises():
    with pytest.raises(ValueError, match="Les réponses au dépistage ICOPE sont attendues"):
        icope.domains_needing_follow_up(["cognition.rappel_trois_mots"])
