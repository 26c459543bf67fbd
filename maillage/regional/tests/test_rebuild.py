"""A hidden small count cannot be rebuilt from what else the regional view shows (INDICATORS
§5 rules 3 and 4): the QA rebuilt Baugeois's « < 5 » on V2-07 from Anjou's « Part de la file
active » and the region's total, and the unsatisfied answers of V2-15 / V2-14b from
« Réponses satisfaites » and « Réponses reçues ». Each test reads the page as the QA did and
tries the same arithmetic."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from maillage.beneficiaries.models import Beneficiary
from maillage.care.models import BasketItem
from maillage.care.tests.factories import service
from maillage.core.models import Crt, Region, RegionMembership
from maillage.core.tests.helpers import visible_text
from maillage.surveys import services as survey_services
from maillage.surveys.models import Question, Questionnaire
from maillage.surveys.tests.factories import questionnaire
from maillage.surveys.yearly import yearly_collections, yearly_survey_open

from .test_views import YEAR_2025, people, url


@pytest.fixture
def ars(crt_a, crt_b, make_user):
    """The agent of the region of CRT A and CRT B (as in ``test_views``)."""
    region = Region.objects.create(name="Pays de la Loire", code="52")
    Crt.objects.filter(pk__in=[crt_a.pk, crt_b.pk]).update(region=region)
    user = make_user(None, username="ars-pdl")
    RegionMembership.objects.create(user=user, region=region)
    return user


def _number(token: str) -> Decimal | None:
    """A figure as the page prints it (« 37,5 », « 1 234 »), None for « s », « < » or « — »."""
    token = token.replace("\u202f", "").replace("\xa0", "").replace(",", ".")
    try:
        return Decimal(token)
    except ArithmeticError:
        return None


def _cells(text: str, label: str, n: int) -> list[str]:
    """The ``n`` cells after ``label`` in the page's text (« < 5 » is one cell)."""
    found = re.search(re.escape(label) + rf" ((?:(?:< 5|\S+) ?){{{n}}})", text)
    assert found, label
    return re.findall(r"< 5|\S+", found.group(1))


def _optional_meals(crt, persons: int, with_meals: int):
    people(crt, persons)
    meals = service(crt, name="Portage de repas", funding="beneficiary",
                    price=Decimal("8.00"), price_unit="par repas")
    for b in Beneficiary.objects.filter(crt=crt).order_by("pk")[:with_meals]:
        BasketItem.objects.create(crt=crt, beneficiary=b, service=meals,
                                  start_date=date(2025, 1, 1))


def test_a_share_of_the_file_active_does_not_give_back_a_crt_hidden_by_difference(
        client, ars, crt_a, crt_b):
    """CRT A: 10 people, 6 paying for meals; CRT B: 6 people, 1 paying. V2-07 hides B
    (« < 5 ») and A (« s »: the region's 7 minus A would give B); A's share of its file
    active (shown by V2-01a) must not give A back."""
    _optional_meals(crt_a, 10, 6)
    _optional_meals(crt_b, 6, 1)
    client.force_login(ars)
    text = visible_text(client.get(url("overview"), YEAR_2025))
    file_active_a = _number(_cells(
        text, "Nombre de personnes dans la file active — sur la période personnes", 3)[0])
    assert file_active_a == 10
    response = client.get(url("indicator", code="V2-07"), YEAR_2025)
    text = visible_text(response)
    a, b, total = _cells(text, "Région V2-07", 3)
    assert (a, b, total) == ("s", "< 5", "7")
    share_a = _number(_cells(text, "Part de la file active %", 2)[0])
    # The QA's arithmetic: A = share × file active, B = region − A.
    rebuilt = None if share_a is None else int(total) - round(share_a * file_active_a / 100)
    assert rebuilt is None, f"CRT B rebuilt: {rebuilt}"
    assert "Part de la file active % s" in text
    # The export carries the same cells.
    book = load_workbook(BytesIO(client.get(url("indicator_export", code="V2-07", fmt="xlsx"),
                                            YEAR_2025).content))
    rows = {r[0]: r[2:] for r in book["Compléments"].iter_rows(values_only=True) if r[0]}
    assert rows["Part de la file active"][0] == "s"


SATISFIED_ROW = "Réponses satisfaites (3 ou 4 sur 4 ; 4 ou 5 sur 5)"
#: On the four-point scale: satisfied = 3 or 4.
YEARLY = [(Question.Kind.SCALE, "Dans l'ensemble, êtes-vous satisfait ?", [], True)]


def _yearly_survey(crt, grades: list[int], codes: int):
    """The 2025 survey of ``crt`` to its beneficiaries: ``codes`` handed out, ``grades``
    answered to the headline question."""
    for audience in ("beneficiaries", "caregivers", "professionals"):
        questionnaire(crt, title=f"Enquête — {audience}", usage=Questionnaire.Usage.YEARLY,
                      audience=audience, questions=YEARLY)
    yearly_survey_open(actor=None, crt=crt, year=2025, counts={"beneficiaries": codes},
                       opened_on=date(2025, 10, 1))
    collection, = yearly_collections(crt=crt, year=2025)
    question = collection.questionnaire.questions.get()
    for grade in grades:
        code = collection.codes.filter(used_at__isnull=True).order_by("id").first()
        survey_services.response_submit(code=code.code,
                                        values={str(question.public_id): grade})


def _unsatisfied(text: str, code: str) -> int | None:
    """The QA's arithmetic on the complements of CRT A: answers received (or graded: the
    breakdown's total) minus answers satisfied; or from the share shown."""
    satisfied = _number(_cells(text, f"{SATISFIED_ROW} réponses", 2)[0])
    received = _number(_cells(text, "Réponses reçues réponses", 2)[0])
    share = _number(_cells(text, f"Région {code}", 2)[0])
    if satisfied is not None and received is not None:
        return int(received - satisfied)
    if share is not None and received is not None:
        return int(received - round(share * received / 100))
    return None


def test_the_unsatisfied_answers_cannot_be_rebuilt_from_the_complements(client, ars, crt_a,
                                                                        crt_b):
    """CRT A: 10 answers, 9 satisfied (1 not); CRT B: 2 answers. V2-15 hides both values;
    its complements must not give the one unsatisfied answer of A back; nor V2-14b."""
    _yearly_survey(crt_a, [4, 4, 4, 3, 3, 3, 3, 4, 4, 2], codes=12)
    _yearly_survey(crt_b, [4, 3], codes=3)
    client.force_login(ars)
    for code in ("V2-15", "V2-14b"):
        text = visible_text(client.get(url("indicator", code=code), YEAR_2025))
        assert _cells(text, f"Région {code}", 2) == ["s", "s"], code
        assert _unsatisfied(text, code) is None, code
        assert f"{SATISFIED_ROW} réponses s s" in text


def test_a_share_whose_rest_is_small_is_hidden_even_alone_in_its_region(client, ars, crt_a):
    """Only CRT A answered: 10 answers, 9 satisfied. « 90 % » of the 10 answers the
    breakdown shows is 1 unsatisfied answer: the share is hidden, and so is its numerator;
    the overview and the exports say the same."""
    _yearly_survey(crt_a, [4, 4, 4, 3, 3, 3, 3, 4, 4, 2], codes=10)
    client.force_login(ars)
    text = visible_text(client.get(url("indicator", code="V2-15"),
                                   {**YEAR_2025, "ventilation": "satisfied"}))
    a, b = _cells(text, "Région V2-15", 2)
    assert a == "s"
    assert _unsatisfied(text, "V2-15") is None
    assert "Pas satisfait (1 ou 2 sur 4 ; 1 à 3 sur 5) < 5" in text
    overview = visible_text(client.get(url("overview"), YEAR_2025))
    assert "Satisfaction des bénéficiaires / aidants % de satisfaits s" in overview
    content = b"".join(client.get(url("overview_export", fmt="csv"),
                                  YEAR_2025).streaming_content).decode()
    assert "V2-15;Satisfaction des bénéficiaires / aidants;% de satisfaits;s;" in content


def _charged_stays(crt, n: int):
    """``n`` more people of the file active, each with a 2025 stay in the temporary room at
    20 € a day (a participation of the person, V2-07's second row)."""
    from maillage.lodging.models import Stay
    from maillage.lodging.tests.factories import stay

    before = set(Beneficiary.objects.filter(crt=crt).values_list("pk", flat=True))
    people(crt, n)
    for b in Beneficiary.objects.filter(crt=crt).exclude(pk__in=before):
        stay(crt, b, planned_start=date(2025, 6, 2), planned_end=date(2025, 6, 6),
             actual_start=date(2025, 6, 2), actual_end=date(2025, 6, 6),
             status=Stay.Status.ENDED, daily_charge=Decimal("20.00"))


def test_one_optional_service_does_not_give_back_its_hidden_row(client, ars, crt_a, crt_b):
    """CRT A: 6 people paying for meals, 5 for a stay; CRT B: 1 and 6. Both values are shown
    (11 and 7), but the row « Prestation optionnelle au panier » hides B (« < 5 ») and A
    (« s »: 7 − A would give B). A's only optional service counts the same 6 people: it is
    hidden too, or 7 − 6 gives B's 1 back."""
    _optional_meals(crt_a, 6, 6)
    _charged_stays(crt_a, 5)
    _optional_meals(crt_b, 1, 1)
    _charged_stays(crt_b, 6)
    client.force_login(ars)
    response = client.get(url("indicator", code="V2-07"),
                          {**YEAR_2025, "ventilation": "kind"})
    text = visible_text(response)
    assert _cells(text, "Région V2-07", 3) == ["11", "7", "18"]
    assert _cells(text, "Prestation optionnelle au panier", 3) == ["s", "< 5", "7"]
    meals = "Prestation optionnelle : Portage de repas — 8,00 € par repas personnes"
    assert _cells(text, meals, 2) == ["s", "s"]
    book = load_workbook(BytesIO(client.get(url("indicator_export", code="V2-07", fmt="xlsx"),
                                            YEAR_2025).content))
    rows = {r[0]: r[2:] for r in book["Compléments"].iter_rows(values_only=True) if r[0]}
    assert rows["Prestation optionnelle : Portage de repas — 8,00 € par repas"][:2] == \
        ("s", "s")
