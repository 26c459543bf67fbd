"""F-01, F-03, F-04, F-05, F-06 and F-02's comparison with the volet 2 expenses, on a budget
counted by hand (first half-year 2026); their drill-down is the expenses (``budget.view``)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.care.tests.factories import domain, service
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.organisation.tests.factories import position
from maillage.steering.models import Expense, Nature, Volet
from maillage.visits.models import Visit
from maillage.visits.tests.factories import visit

from .factories import allocation, expense

D = Decimal
H1 = Period.half_year(2026, 1)


def _at(day: date, hour: int = 10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def budget(crt_a, crt_b, users):
    """Allocation 2026: 400,000 € notified (76,000 / 324,000 planned), 15,000 € of starter
    credits, 30,000 € of other earmarked credits. Expenses of H1 2026 (28,930 € in 10 lines):

    ====  ======================  ======  ========  ===========  ======================
    date  nature                  volet   domain    amount (€)   note
    ====  ======================  ======  ========  ===========  ======================
    10/1  staff_care              2       —         10,000.00    spread by minutes
    15/2  staff_coordination      2       —          5,000.00    spread by minutes
    10/3  teleassistance          2       sécurité     312.00    direct
    12/3  digital_equipment       2       —          6,480.00    starter credits
    20/3  software                2       suivi      1,200.00    direct, investment
    05/4  staff_lead              2       —          2,000.00    outside the forfait
    06/4  premises_vehicles       shared  —          3,000.00    outside the forfait
    07/4  external_providers      1       —            800.00
    08/4  transport               2       —            150.00    « non réparti »
    09/4  teleassistance          2       sécurité     -12.00    credit note
    ====  ======================  ======  ========  ===========  ======================

    Outside H1: 4,000 € in July, 9,999 € in December 2025, 500 € in CRT B. Visits done by the
    team in H1: two of 30 min on a « sécurité » service, one on « suivi » planned 90 min but
    traced 120 min; not counted: a partner's visit, a visit not done, a visit in July. One
    person of the file active all year: 6 mois-forfait in H1. Positions: a nurse 1 FTE
    volet 2, an activity leader 0.5 FTE volet 1 (both all H1)."""
    allocation(crt_a, starter_amount=D("15000.00"), earmarked_amount=D("30000.00"),
               earmarked_label="Forfait psychologue")
    allocation(crt_a, year=2025, notified_amount=D("200000.00"),
               volet1_planned=D("38000.00"), volet2_planned=D("162000.00"))
    securite = domain(crt_a, "securite", "Sécurisation", 1)
    suivi = domain(crt_a, "suivi", "Suivi renforcé", 3)
    rows = [
        (date(2026, 1, 10), Nature.STAFF_CARE, Volet.VOLET2, None, "10000.00", False),
        (date(2026, 2, 15), Nature.STAFF_COORDINATION, Volet.VOLET2, None, "5000.00", False),
        (date(2026, 3, 10), Nature.TELEASSISTANCE, Volet.VOLET2, securite, "312.00", False),
        (date(2026, 3, 12), Nature.DIGITAL_EQUIPMENT, Volet.VOLET2, None, "6480.00", True),
        (date(2026, 3, 20), Nature.SOFTWARE, Volet.VOLET2, suivi, "1200.00", False),
        (date(2026, 4, 5), Nature.STAFF_LEAD, Volet.VOLET2, None, "2000.00", False),
        (date(2026, 4, 6), Nature.PREMISES_VEHICLES, Volet.SHARED, None, "3000.00", False),
        (date(2026, 4, 7), Nature.EXTERNAL_PROVIDERS, Volet.VOLET1, None, "800.00", False),
        (date(2026, 4, 8), Nature.TRANSPORT, Volet.VOLET2, None, "150.00", False),
        (date(2026, 4, 9), Nature.TELEASSISTANCE, Volet.VOLET2, securite, "-12.00", False),
        (date(2026, 7, 10), Nature.STAFF_CARE, Volet.VOLET2, None, "4000.00", False),
        (date(2025, 12, 20), Nature.STAFF_CARE, Volet.VOLET2, None, "9999.00", False),
    ]
    for day, nature, volet, domain_, amount, starter in rows:
        expense(crt_a, spent_on=day, label=f"{nature} {day}", nature=nature, volet=volet,
                domain=domain_, amount=D(amount), on_starter_credits=starter)
    expense(crt_b, amount=D("500.00"))
    person = BeneficiaryFactory(crt=crt_a)
    enrolment(person, admitted_on=date(2025, 11, 3))
    forfait_months_refresh(crt=crt_a)
    on_securite, on_suivi = service(crt_a, domain=securite), service(
        crt_a, name="Visite de coordination", domain=suivi)
    nurse = users[Role.NURSE]
    for day in (date(2026, 2, 2), date(2026, 5, 4)):
        visit(person, nurse, starts_at=_at(day), minutes=30, service=on_securite, status="done")
    start = _at(date(2026, 3, 3))
    visit(person, nurse, starts_at=start, minutes=90, service=on_suivi, status="done",
          actual_start=start, actual_end=start + timedelta(minutes=120))
    visit(person, nurse, starts_at=_at(date(2026, 3, 4)), minutes=60, service=on_suivi,
          status="not_done")
    visit(person, nurse, starts_at=_at(date(2026, 7, 6)), minutes=60, service=on_suivi,
          status="done")
    from maillage.territory.tests.factories import ProfessionalFactory

    visit(person, starts_at=_at(date(2026, 3, 5)), minutes=60, service=on_suivi,
          status="done", professional=ProfessionalFactory(crt=crt_a))
    assert Visit.objects.filter(crt=crt_a).count() == 6
    position(crt_a, holder=nurse, starts_on=date(2025, 6, 1))
    position(crt_a, holder=users[Role.ACTIVITY_LEADER], profession="activity_leader",
             fte=D("0.50"), fte_volet1=D("0.50"), fte_volet2=D("0"), starts_on=date(2026, 1, 1))


def _result(code, crt, period=H1):
    return indicators.compute(indicators.get(code), crt=crt, period=period)


def _rows(result, code):
    return {r.label: (r.value, r.amount)
            for r in next(b for b in result.breakdowns if b.code == code).rows}


def _extras(result):
    return {e.label: e.value for e in result.extras}


def test_allocation_spent_and_remaining(budget, crt_a, crt_b):
    r = _result("F-01", crt_a)
    assert (r.value, r.count, r.unit) == (D("28930.00"), 10, "€ dépensés")
    volets = _rows(r, "volet")
    assert volets == {"Volet 1": (1, D("800.00")), "Volet 2": (8, D("25130.00")),
                      "Commun aux deux volets": (1, D("3000.00"))}
    assert _rows(r, "funding") == {"Dotation et crédits fléchés": (9, D("22450.00")),
                                   "Crédits d'amorçage": (1, D("6480.00"))}
    extras = _extras(r)
    assert (extras["Montant notifié"], extras["Crédits d'amorçage"],
            extras["Autres crédits fléchés"], extras["Total reçu"]) == (
        D("400000.00"), D("15000.00"), D("30000.00"), D("445000.00"))
    assert (extras["Répartition prévue — volet 1"], extras["Répartition prévue — volet 2"]) == (
        D("76000.00"), D("324000.00"))
    assert extras["Répartition réelle — volet 2 (part des dépenses)"] == D("86.9")
    assert extras["Dépensé du 01/01/2026 au 30/06/2026"] == D("28930.00")
    assert extras["Reste au 30/06/2026"] == D("416070.00")
    # The whole year: the July expense too; last year: December's only, against 200,000 €.
    assert _result("F-01", crt_a, Period.year(2026)).value == D("32930.00")
    assert (r.previous_period.label, r.previous_value) == ("2e semestre 2025", D("9999.00"))
    last = _result("F-01", crt_a, Period.year(2025))
    assert (last.value, _extras(last)["Reste au 31/12/2025"]) == (D("9999.00"), D("190001.00"))
    assert _result("F-01", crt_b).value == D("500.00")


def test_running_and_investment_of_volet2(budget, crt_a):
    r = _result("F-03", crt_a)
    # Volet 2 without the project lead and premises: 23,130 €, of which 7,680 € invested
    # (telehealth kit, software) and 15,450 € running.
    assert (r.value, r.count, r.unit) == (D("66.8"), 7, "% de fonctionnement")
    assert _rows(r, "kind") == {"Fonctionnement": (5, D("15450.00")),
                                "Investissement": (2, D("7680.00"))}
    extras = _extras(r)
    assert (extras["Total des dépenses du volet 2 dans le forfait"],
            extras["Part d'investissement"]) == (D("23130.00"), D("33.2"))
    assert _result("F-03", crt_a, Period.half_year(2025, 1)).value is None  # nothing spent


def test_cost_per_domain(budget, crt_a):
    r = _result("F-04", crt_a)
    assert (r.value, r.count) == (D("23130.00"), 7)
    assert _rows(r, "spread") == {
        "Dépense directe d'un domaine": (3, D("1500.00")),
        "Personnel, réparti au prorata des minutes de passage": (2, D("15000.00")),
        "Non réparti (ni domaine, ni personnel)": (2, D("6630.00"))}
    assert _rows(r, "domain") == {"Sécurisation": (2, D("300.00")),
                                  "Suivi renforcé": (1, D("1200.00")),
                                  "Sans domaine": (4, D("21630.00"))}
    extras = _extras(r)
    # Minutes: sécurité 60, suivi 120 (traced): the 15,000 € of staff split 5,000 / 10,000.
    assert extras["Mois-forfait de la période"] == 6
    assert extras["Sécurisation — minutes de passage de l'équipe"] == 60
    assert extras["Suivi renforcé — minutes de passage de l'équipe"] == 120
    assert extras["Sécurisation — coût (dépenses directes + personnel réparti)"] == D("5300.00")
    assert extras["Suivi renforcé — coût (dépenses directes + personnel réparti)"] == D(
        "11200.00")
    assert extras["Sécurisation — coût par mois-forfait"] == D("883.33")
    assert extras["Suivi renforcé — coût par mois-forfait"] == D("1866.67")
    assert extras["Personnel non réparti (aucun passage de l'équipe dans la période)"] == 0
    assert extras["Non réparti (dépenses sans domaine hors personnel)"] == D("6630.00")


def test_analytic_account(budget, crt_a):
    r = _result("F-05", crt_a)
    assert (r.value, r.count) == (D("28930.00"), 10)
    cells = _rows(r, "volet_nature")
    assert len(cells) == 3 * len(Nature)  # every cell shown, even at 0
    assert cells["Volet 2 — Personnel soignant et d'accompagnement (IDE, AS, ASG, AES)"] == (
        1, D("10000.00"))
    assert cells["Volet 2 — Téléassistance"] == (2, D("300.00"))
    assert cells["Commun aux deux volets — Locaux et véhicules (hors forfait)"] == (
        1, D("3000.00"))
    assert cells["Volet 1 — Téléassistance"] == (0, D("0.00"))
    assert sum(amount for _, amount in cells.values()) == r.value
    assert _rows(r, "kind")["Investissement"] == (2, D("7680.00"))
    extras = _extras(r)
    # FTE over H1: volet 1 0.5, volet 2 1.0: the 3,000 € shared go 1,000 / 2,000.
    assert (extras["ETP du volet 1 (clé de répartition)"],
            extras["ETP du volet 2 (clé de répartition)"]) == (D("0.50"), D("1.00"))
    assert (extras["Dépenses communes réparties au volet 1"],
            extras["Dépenses communes réparties au volet 2"]) == (D("1000.00"), D("2000.00"))
    assert (extras["Volet 1 après répartition"], extras["Volet 2 après répartition"]) == (
        D("1800.00"), D("27130.00"))
    # In 2024 nobody was in post: what is shared stays « non réparti » (nothing here).
    assert _extras(_result("F-05", crt_a, Period.year(2024)))[
        "Dépenses communes non réparties (aucun ETP de volet dans la période)"] == 0


def test_starter_credits(budget, crt_a):
    r = _result("F-06", crt_a)
    assert (r.value, r.count) == (D("6480.00"), 1)
    assert _rows(r, "nature")["Équipement numérique et télésanté"] == (1, D("6480.00"))
    extras = _extras(r)
    assert (extras["Crédits d'amorçage reçus (2026)"],
            extras["Dépensé sur ces crédits du 01/01/2026 au 30/06/2026"],
            extras["Reste au 30/06/2026"]) == (D("15000.00"), D("6480.00"), D("8520.00"))


def test_forfait_against_volet2_expenses(budget, crt_a):
    r = _result("F-02", crt_a)
    assert r.value == D("5400.00")  # 6 mois-forfait × 900 €
    extras = _extras(r)
    assert extras["Dépenses du volet 2 de la période (budget)"] == D("25130.00")
    assert extras["Forfait moins dépenses du volet 2"] == D("-19730.00")


def test_drilldown_is_the_expenses_for_the_budget_readers(budget, crt_a, crt_b, users, user_b):
    f01 = indicators.get("F-01")
    h1 = set(Expense.objects.filter(crt=crt_a, spent_on__year=2026, spent_on__month__lte=6))
    for role in (Role.DIRECTION, Role.COORDINATOR):
        assert set(indicators.drilldown(f01, crt=crt_a, period=H1, user=users[role],
                                        roles={role})) == h1, role
    volet1 = indicators.drilldown(f01, crt=crt_a, period=H1, user=users[Role.DIRECTION],
                                  roles={Role.DIRECTION}, breakdown="volet", key="1")
    assert [e.nature for e in volet1] == [Nature.EXTERNAL_PROVIDERS]
    starter = indicators.drilldown(indicators.get("F-06"), crt=crt_a, period=H1,
                                   user=users[Role.COORDINATOR], roles={Role.COORDINATOR})
    assert [e.amount for e in starter] == [D("6480.00")]
    for code in ("F-01", "F-03", "F-04", "F-05", "F-06"):
        for role in (Role.ARS, Role.NURSE, Role.ACTIVITY_LEADER, Role.PARTNER, Role.AUDITOR):
            assert not indicators.drilldown(indicators.get(code), crt=crt_a, period=H1,
                                            user=users[role], roles={role}).exists(), (
                code, role)
    assert set(indicators.drilldown(f01, crt=crt_b, period=H1, user=user_b,
                                    roles=set(Role))) == set(Expense.objects.filter(crt=crt_b))


def test_amount_rows_in_the_json(budget, crt_a):
    data = _result("F-05", crt_a).as_dict()
    rows = {r["key"]: r for r in data["breakdowns"]["volet"]["rows"]}
    assert rows["shared"] == {"key": "shared", "label": "Commun aux deux volets", "value": 1,
                              "amount": 3000.0}
    assert data["value"] == 28930.0 and data["unit"] == "€"


def test_bounded_queries(budget, crt_a, django_assert_max_num_queries):
    """Whatever the number of expenses: the count and the sum, one grouped query per
    breakdown, the previous period's two, the extras' few aggregates."""
    for code, most in (("F-01", 9), ("F-04", 11), ("F-05", 12)):
        with django_assert_max_num_queries(most):
            indicators.compute(indicators.get(code), crt=crt_a, period=H1)


def test_the_indicator_page_shows_the_amounts_and_lists_the_expenses(budget, client, users):
    """The dashboard's page of an amount: each row's sum beside its count; the records behind
    a row are the expenses, linked to their edit page for the direction."""
    from django.urls import reverse

    from maillage.core.tests.helpers import visible_text

    client.force_login(users[Role.DIRECTION])
    query = "periode=semestre&annee=2026&semestre=1"
    text = visible_text(client.get(f"{reverse('steering:indicator', args=['F-01'])}?{query}"))
    assert "Volet Nombre Montant Part du montant" in text
    # The share of an amount is of the euros (25,130 of 28,930 €), not of the expenses (8 of
    # 10: the QA found « 55,6 % » beside « Répartition réelle — volet 2 : 84,7 % »).
    assert "Volet 2 8 25\u202f130,00 € 86,9 %" in text
    assert "Répartition réelle — volet 2 (part des dépenses) 86,9 %" in text
    records = client.get(f"{reverse('steering:indicator_records', args=['F-01'])}?{query}"
                         "&ventilation=volet&cle=1")
    text = visible_text(records)
    assert "Date Libellé Montant Nature Volet Domaine" in text
    assert "07/04/2026 external_providers 2026-04-07 800,00 € Intervenants extérieurs" in text


@pytest.mark.parametrize("code", [code for code, i in indicators.registry().items()
                                  if i.summed is not None])
def test_every_amount_s_share_is_of_the_euros(budget, client, users, crt_a, code):
    """On the page of every summed indicator, the « Part du montant » of an exclusive
    breakdown's row is its amount over the rows' amounts (never its count of expenses)."""
    from django.urls import reverse

    from maillage.core.tests.helpers import visible_text
    from maillage.steering.dashboard import number, with_unit

    client.force_login(users[Role.DIRECTION])
    query = "periode=semestre&annee=2026&semestre=1"
    text = visible_text(client.get(f"{reverse('steering:indicator', args=[code])}?{query}"))
    result = indicators.compute(indicators.get(code), crt=crt_a, period=H1)
    shown = 0
    for b in result.breakdowns:
        if not b.exclusive:
            continue
        assert f"{b.label} Nombre Montant Part du montant" in text, (code, b.code)
        whole = sum(r.amount for r in b.rows)
        for r in b.rows:
            share = (f" {number(indicators.quantize(r.amount * 100 / whole, '0.1'))} %"
                     if whole else "")
            assert f"{r.label} {number(r.value)} {with_unit(r.amount, '€')}{share}" in text, (
                code, b.code, r.label)
            shown += 1
    assert shown, code


def test_the_allocation_indicator_says_its_value_is_what_was_spent(budget, client, users, crt_a):
    """F-01 is named after the allocation, but its value is the expenses (the allocation is
    among its figures): « € » alone read as the allocation (QA)."""
    from django.urls import reverse

    from maillage.core.tests.helpers import visible_text
    from maillage.steering.dashboard import number

    client.force_login(users[Role.DIRECTION])
    query = "periode=semestre&annee=2026&semestre=1"
    text = visible_text(client.get(f"{reverse('steering:indicator', args=['F-01'])}?{query}"))
    value = indicators.compute(indicators.get("F-01"), crt=crt_a, period=H1).value
    assert "unité : € dépensés" in text
    assert f"{number(value)} € dépensés" in text
