"""V2-05 (prestations réalisées) and V2-09 (organisational model), on a scenario counted by
hand, with their drill-down through the visits' and the file active's policies."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.care.tests.factories import domain, service, telehealth_act
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.lodging.tests.factories import stay
from maillage.oncall.tests.factories import call
from maillage.territory.tests.factories import ProfessionalFactory

from .factories import visit

H1 = Period.half_year(2025, 1)


def _at(day: date, hour: int = 9):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def scenario(crt_a, crt_b, users):
    """H1 2025, CRT A: Mme A and M. B in the file active since June 2024 (6 mois-forfait
    each), Mme C admitted on 1 March (4). Socle visits done: Mme A three of « sécurisation »
    by the nurse at home and one of « suivi » by a partner nurse at the CRT; M. B one of
    « sécurisation ». Not counted: M. B's visit not done, his optional meal, Mme A's visit in
    July, a visit in CRT B. Beside them: a call-out for Mme A, a stay of M. B, a telehealth
    act for Mme C."""
    a, b, c = (BeneficiaryFactory(crt=crt_a) for _ in range(3))
    enrolment(a, admitted_on=date(2024, 6, 1))
    enrolment(b, admitted_on=date(2024, 6, 1))
    enrolment(c, admitted_on=date(2025, 3, 1))
    forfait_months_refresh(crt=crt_a)
    securite = service(crt_a, name="Passage du soir")
    suivi = service(crt_a, name="Visite de coordination",
                    domain=domain(crt_a, code="suivi", name="Suivi renforcé", position=3))
    meal = service(crt_a, name="Portage de repas", funding="beneficiary", price=8)
    nurse = users[Role.NURSE]
    partner_nurse = ProfessionalFactory(crt=crt_a)
    done = {"status": "done"}
    made = [visit(a, nurse, service=securite, starts_at=_at(date(2025, m, 10)), **done)
            for m in (1, 2, 3)]
    made.append(visit(a, service=suivi, professional=partner_nurse, place="crt",
                      starts_at=_at(date(2025, 4, 2)), **done))
    made.append(visit(b, nurse, service=securite, starts_at=_at(date(2025, 6, 30), 20), **done))
    visit(b, nurse, service=securite, starts_at=_at(date(2025, 5, 5)), status="not_done")
    visit(b, nurse, service=meal, starts_at=_at(date(2025, 5, 6)), **done)
    visit(a, nurse, service=securite, starts_at=_at(date(2025, 7, 1)), **done)
    other = BeneficiaryFactory(crt=crt_b)
    enrolment(other, admitted_on=date(2025, 1, 6))
    visit(other, service=service(crt_b), starts_at=_at(date(2025, 2, 1)), **done)
    call(crt_a, nurse, a, received_at=_at(date(2025, 2, 14), 23), call_out=True)
    stay(crt_a, b, planned_start=date(2025, 4, 1), planned_end=date(2025, 4, 8),
         actual_start=date(2025, 4, 1), actual_end=date(2025, 4, 8), status="ended")
    telehealth_act(c, performed_at=_at(date(2025, 5, 20)))
    return made


def _rows(result, code):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == code).rows}


def test_prestations_done(scenario, crt_a, crt_b):
    r = indicators.compute(indicators.get("V2-05"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (5, "passages réalisés")
    assert _rows(r, "domain") == {"Sécurisation de l'environnement": 4, "Suivi renforcé": 1}
    assert _rows(r, "actor") == {"Équipe du CRT": 4, "Professionnel partenaire": 1}
    assert _rows(r, "place") == {"Au domicile": 4, "Au CRT": 1}
    extras = {e.label: e.value for e in r.extras}
    assert extras["Déplacements de l'astreinte (levées de doute, domaine sécurisation)"] == 1
    assert extras["Séjours en chambre temporaire commencés (domaine crise et aidants)"] == 1
    assert extras["Actes de télésanté des bénéficiaires (domaine suivi)"] == 1
    assert extras["Total des prestations réalisées (passages et prestations ci-dessus)"] == 8
    # 8 prestations for 3 people and 16 mois-forfait (6 + 6 + 4).
    assert extras["Prestations réalisées par personne de la file active"] == Decimal("2.7")
    assert extras["Prestations réalisées par mois-forfait"] == Decimal("0.5")
    # Visits per person: Mme C 0, M. B 1, Mme A 4 — median 1, 90th percentile the 3rd.
    assert extras["Passages réalisés par personne — médiane"] == 1
    assert extras["Passages réalisés par personne — 90e centile"] == 4
    assert indicators.compute(indicators.get("V2-05"), crt=crt_b, period=H1).value == 1


def test_organisational_model(scenario, crt_a):
    r = indicators.compute(indicators.get("V2-09"), crt=crt_a, period=H1)
    assert r.value == 80  # 4 of the 5 socle visits by the CRT team
    assert r.count == 5
    extras = {e.label: e.value for e in r.extras}
    assert extras["Passages du socle réalisés par des partenaires"] == 1
    assert any(label.startswith("Modèle déclaré : ") for label in extras)


def test_no_visit_is_no_share(crt_b):
    """A CRT without any visit done: no share (« — » on the dashboard), not « 0 % by the
    team »."""
    r = indicators.compute(indicators.get("V2-09"), crt=crt_b, period=H1)
    assert (r.count, r.value) == (0, None)


@pytest.mark.parametrize("code", ["V2-05", "V2-09"])
def test_drilldown_follows_the_visits_policy(scenario, crt_a, crt_b, users, user_b, code):
    indicator = indicators.get(code)

    def drill(user, role, **row):
        return set(indicators.drilldown(indicator, crt=crt_a, period=H1, user=user,
                                        roles={role}, **row))

    assert drill(users[Role.DIRECTION], Role.DIRECTION) == set(scenario)
    assert drill(users[Role.DIRECTION], Role.DIRECTION, breakdown="actor",
                 key="partner") == {scenario[3]}
    for role in (Role.PARTNER, Role.ARS, Role.AUDITOR, Role.ACTIVITY_LEADER):
        assert drill(users[role], role) == set(), role
    # Another CRT's director holds no role in CRT A, and drills down in CRT B to B's visit.
    in_b = indicators.drilldown(indicator, crt=crt_b, period=H1, user=user_b,
                                roles={Role.DIRECTION})
    assert in_b.count() == 1 and not set(in_b) & set(scenario)


@pytest.mark.parametrize("code", ["V2-05", "V2-09"])
def test_queries_do_not_grow_with_the_records(scenario, crt_a, users, code):
    """The figures are aggregates: more people and visits, the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            indicators.compute(indicators.get(code), crt=crt_a, period=H1)
        return len(ctx.captured_queries)

    before = queries()
    svc = scenario[0].service
    for _ in range(3):
        person = BeneficiaryFactory(crt=crt_a)
        enrolment(person, admitted_on=date(2025, 1, 6))
        for month in (2, 3):
            visit(person, users[Role.NURSE], service=svc, status="done",
                  starts_at=_at(date(2025, month, 1)))
    assert queries() == before <= 16
