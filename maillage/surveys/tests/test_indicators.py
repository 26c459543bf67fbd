"""V2-14b, V2-15 and V2-16, the yearly volet 2 survey, on a scenario counted by hand; their
drill-down (the responses) through the responses' policy. The 2025 survey was asked on the
former five-point scale (its answers keep their meaning: satisfied = 4 or 5); the 2026 one mixes
a four-point questionnaire (satisfied = 3 or 4) with a five-point one."""

from datetime import date
from decimal import Decimal

import pytest

from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.surveys import services
from maillage.surveys.access import can_view_response, responses_visible
from maillage.surveys.models import Question, Questionnaire, Response
from maillage.surveys.yearly import yearly_collections, yearly_survey_open

from .factories import questionnaire

S, T = Question.Kind.SCALE, Question.Kind.COMMENT
#: The headline question first, a second scale (never counted), a comment: on the former
#: five-point scale.
QUESTIONS = [(S, "Dans l'ensemble, êtes-vous satisfait ?", [], True, 5),
             (S, "Les passages correspondent-ils à vos besoins ?", [], False, 5),
             (T, "Que pourrions-nous améliorer ?", [], False)]
#: The same on the four-point scale (the default).
QUESTIONS_4 = [(S, "Dans l'ensemble, êtes-vous satisfait ?", [], True),
               (S, "Les passages correspondent-ils à vos besoins ?", [], False),
               (T, "Que pourrions-nous améliorer ?", [], False)]

H2 = Period.half_year(2025, 2)


def _answer(collection, headline, second=5, comment=""):
    headline_q, second_q, comment_q = collection.questionnaire.questions.order_by("position")
    code = collection.codes.filter(used_at__isnull=True).order_by("id").first()
    values = {str(headline_q.public_id): headline, str(second_q.public_id): second}
    if comment:
        values[str(comment_q.public_id)] = comment
    return services.response_submit(code=code.code, values=values)


def _survey(crt, year, counts, grades):
    yearly_survey_open(actor=None, crt=crt, year=year, counts=counts,
                       opened_on=date(year, 10, 1))
    for collection in yearly_collections(crt=crt, year=year):
        for headline in grades.get(collection.category_key, ()):
            _answer(collection, headline, second=1 if headline >= 3 else 4)


@pytest.fixture
def survey(crt_a, crt_b):
    """The 2025 survey of CRT A opened on 01/10/2025: 4 codes to beneficiaries (answers 5, 4,
    1), 3 to caregivers (answer 3), 2 to professionals (answers 4, 5). The second scale is
    graded the other way round, to show it is never counted. The 2024 survey (one answer) and
    CRT B's 2025 survey are not counted."""
    for crt in (crt_a, crt_b):
        for audience in ("beneficiaries", "caregivers", "professionals"):
            questionnaire(crt, title=f"Enquête — {audience}", usage=Questionnaire.Usage.YEARLY,
                          audience=audience, questions=QUESTIONS)
    _survey(crt_a, 2025, {"beneficiaries": 4, "caregivers": 3, "professionals": 2},
            {"beneficiaries": [5, 4, 1], "caregivers": [3], "professionals": [4, 5]})
    _survey(crt_a, 2024, {"beneficiaries": 2}, {"beneficiaries": [5]})
    _survey(crt_b, 2025, {"beneficiaries": 2}, {"beneficiaries": [1, 1]})


def _result(code, crt, period=H2):
    return indicators.compute(indicators.get(code), crt=crt, period=period)


def _rows(result, code):
    return {r.label: r.value for r in next(b for b in result.breakdowns if b.code == code).rows}


def _extras(result):
    return {e.label: e.value for e in result.extras}


def test_beneficiaries_and_caregivers(survey, crt_a):
    r = _result("V2-15", crt_a)
    # 4 graded responses (5, 4, 1 and 3), 2 satisfied.
    assert (r.value, r.count, r.unit) == (Decimal("50.0"), 4, "% de satisfaits")
    assert _rows(r, "satisfied") == {
        "Satisfait ou très satisfait (3 ou 4 sur 4 ; 4 ou 5 sur 5)": 2,
        "Pas satisfait (1 ou 2 sur 4 ; 1 à 3 sur 5)": 2}
    assert _rows(r, "scale") == {"Échelle en 4 points (satisfait : 3 ou 4)": 0,
                                 "Ancienne échelle en 5 points (satisfait : 4 ou 5)": 4}
    assert _rows(r, "audience") == {"Bénéficiaires du volet 2": 3, "Aidants": 1,
                                    "Professionnels": 0}
    extras = _extras(r)
    assert (extras["Réponses reçues"], extras["Codes remis"], extras["Taux de réponse"]) == (
        4, 7, Decimal("57.1"))
    assert extras["Taux de réponse — bénéficiaire du volet 2"] == Decimal("75.0")  # 3 of 4
    assert extras["Taux de réponse — aidant"] == Decimal("33.3")  # 1 of 3
    assert extras["Réponses satisfaites (3 ou 4 sur 4 ; 4 ou 5 sur 5)"] == 2
    # Last year's survey (opened in October 2024) is the previous half-year's… of 2024: none.
    assert r.previous_value is None
    assert _result("V2-15", crt_a, Period.year(2024)).value == Decimal("100.0")


def test_professionals(survey, crt_a):
    r = _result("V2-16", crt_a)
    assert (r.value, r.count) == (Decimal("100.0"), 2)
    assert (_extras(r)["Codes remis"], _extras(r)["Taux de réponse"]) == (2, Decimal("100.0"))


def test_service_rendu_all_audiences(survey, crt_a, crt_b):
    r = _result("V2-14b", crt_a)
    assert (r.value, r.count) == (Decimal("66.7"), 6)  # 4 satisfied of 6
    assert _rows(r, "audience") == {"Bénéficiaires du volet 2": 3, "Aidants": 1,
                                    "Professionnels": 2}
    assert (_extras(r)["Réponses reçues"], _extras(r)["Codes remis"]) == (6, 9)
    assert _result("V2-14b", crt_b).value == Decimal("0.0")  # two answers graded 1


def test_no_answer_no_share(survey, crt_a):
    """No survey opened in the first half-year: no share (not 0 %), no response rate."""
    r = _result("V2-15", crt_a, Period.half_year(2025, 1))
    assert (r.value, r.count, r.change) == (None, 0, None)
    assert _extras(r)["Taux de réponse"] is None


def test_drilldown_lists_the_responses_for_the_team_only(survey, crt_a, crt_b, users, user_b):
    v214 = indicators.get("V2-14b")

    def drill(user, roles, crt=crt_a, **row):
        return indicators.drilldown(v214, crt=crt, period=H2, user=user, roles=roles, **row)

    mine = Response.objects.filter(crt=crt_a, collection__opened_on__year=2025)
    for role in (Role.DIRECTION, Role.COORDINATOR, Role.ACTIVITY_LEADER):
        assert set(drill(users[role], {role})) == set(mine), role
    assert drill(users[Role.DIRECTION], {Role.DIRECTION}, breakdown="satisfied",
                 key="yes").count() == 4
    # The ARS reads the aggregates only; the care team and the DPO nothing.
    for role in (Role.ARS, Role.NURSE, Role.AUDITOR, Role.PARTNER):
        assert not drill(users[role], {role}).exists(), role
    # Another CRT's team drills down to its own responses only.
    assert set(drill(user_b, set(Role), crt=crt_b)) == set(Response.objects.filter(crt=crt_b))


def test_a_mix_of_four_and_five_point_questionnaires(survey, crt_a, users):
    """2026: the beneficiaries' questionnaire was replaced by a four-point one, the caregivers'
    stayed on five points. Satisfied: 3 or 4 of the four points, 4 or 5 of the five."""
    questionnaire(crt_a, title="Enquête 2026 — bénéficiaires", usage=Questionnaire.Usage.YEARLY,
                  audience="beneficiaries", questions=QUESTIONS_4)
    _survey(crt_a, 2026, {"beneficiaries": 5, "caregivers": 3},
            {"beneficiaries": [4, 3, 2, 1], "caregivers": [5, 4, 3]})
    r = _result("V2-15", crt_a, Period.year(2026))
    # 4 + 3 graded responses: 2 satisfied on four points (4, 3), 2 on five (5, 4): 4 of 7.
    assert (r.value, r.count) == (Decimal("57.1"), 7)
    assert _rows(r, "satisfied") == {
        "Satisfait ou très satisfait (3 ou 4 sur 4 ; 4 ou 5 sur 5)": 4,
        "Pas satisfait (1 ou 2 sur 4 ; 1 à 3 sur 5)": 3}
    assert _rows(r, "scale") == {"Échelle en 4 points (satisfait : 3 ou 4)": 4,
                                 "Ancienne échelle en 5 points (satisfait : 4 ou 5)": 3}
    assert _extras(r)["Réponses satisfaites (3 ou 4 sur 4 ; 4 ou 5 sur 5)"] == 4
    assert _extras(r)["Taux de réponse"] == Decimal("87.5")  # 7 of 8 codes
    # The drill-down on « satisfied » lists the same four responses.
    drilled = indicators.drilldown(indicators.get("V2-15"), crt=crt_a, period=Period.year(2026),
                                   user=users[Role.DIRECTION], roles={Role.DIRECTION},
                                   breakdown="satisfied",
                                   key="yes")
    assert drilled.count() == 4


def test_responses_policy_faces_agree(survey, users, crt_a, crt_b):
    responses = list(Response.objects.filter(crt__in=[crt_a, crt_b]))
    for role, user in users.items():
        roles = frozenset({Role(role)})
        visible = set(responses_visible(crt=crt_a, user=user, roles=roles))
        for response in responses:
            assert (response in visible) == (response.crt_id == crt_a.id and can_view_response(
                user=user, roles=roles, response=response)), role
