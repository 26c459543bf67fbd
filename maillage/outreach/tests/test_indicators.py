"""T-01, people in both volets, on a scenario counted by hand, with its drill-down through the
volet 1 and volet 2 policies."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.models import AggirEvaluation
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role

from .factories import action, participation, session

H1 = Period.half_year(2025, 1)


def _at(day: date, hour: int = 14):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def world(crt_a, crt_b, users):
    """H1 2025. File active: A, B, C. A came to a prevention session (10/03) and an isolation
    one (10/04); C to an isolation session (20/05) and, after the period, to one in August; B
    was registered on 10/03 but absent; D (admitted in July) came on 10/03; a light record
    (no file) too. In CRT B, a person of its file active came to a session of CRT B."""
    people = {k: BeneficiaryFactory(crt=crt_a) for k in "ABCD"}
    enrolment(people["A"], admitted_on=date(2024, 10, 1))
    enrolment(people["B"], admitted_on=date(2025, 2, 10), ended_on=date(2025, 4, 15))
    enrolment(people["C"], admitted_on=date(2025, 1, 25))
    AggirEvaluation.objects.create(
        crt=crt_a, beneficiary=people["C"], evaluated_on=date(2025, 5, 2), gir=2, rang=3,
        evaluator=users[Role.DOCTOR], inputs={}, codes="AAAAAAAAAA", illustrative_codes="AAAAAAA")
    enrolment(people["D"], admitted_on=date(2025, 7, 1))
    prevention = action(crt_a, field="care_prevention")
    isolation = action(crt_a, field="isolation", title="Café des aînés")
    march = session(crt_a, prevention, starts_at=_at(date(2025, 3, 10)))
    participation(march, beneficiary=people["A"], status="present")
    participation(march, beneficiary=people["B"], status="absent")
    participation(march, beneficiary=people["D"], status="present")
    participation(march, status="present")
    april = session(crt_a, isolation, starts_at=_at(date(2025, 4, 10)),
                    partner_user=users[Role.PARTNER])
    participation(april, beneficiary=people["A"], status="present")
    may = session(crt_a, isolation, starts_at=_at(date(2025, 5, 20)))
    participation(may, beneficiary=people["C"], status="present")
    august = session(crt_a, isolation, starts_at=_at(date(2025, 8, 20)))
    participation(august, beneficiary=people["B"], status="present")
    other = BeneficiaryFactory(crt=crt_b)
    enrolment(other, admitted_on=date(2025, 1, 6))
    participation(session(crt_b, starts_at=_at(date(2025, 2, 3))), beneficiary=other,
                  status="present")
    return people


def _result(crt, period=H1):
    return indicators.compute(indicators.get("T-01"), crt=crt, period=period)


def test_people_in_both_volets(world, crt_a):
    r = _result(crt_a)
    assert (r.value, r.count, r.unit) == (2, 2, "personnes")  # A and C
    rows = {row.label: row.value for row in r.breakdowns[0].rows}
    assert rows["Accès aux soins et à la prévention"] == 1
    assert rows["Lutte contre l'isolement"] == 2
    assert rows["Amélioration des pratiques professionnelles"] == 0
    # A is in two fields: the rows (3) do not add up to the value (2), and say so.
    assert not r.breakdowns[0].exclusive and r.breakdowns[0].total == 3
    assert "ne s'additionnent pas" in r.breakdowns[0].note
    # A and C, born on 12/05/1938 (87 on 30/06/2025); A GIR 3 at entry, never evaluated; C
    # evaluated GIR 2 on 02/05/2025.
    ages = {row.label: row.value for row in r.breakdowns[1].rows}
    assert (ages["85 à 94 ans"], sum(ages.values())) == (2, 2)
    girs = {row.label: row.value for row in r.breakdowns[2].rows}
    assert (girs["GIR 2"], girs["GIR 3"], sum(girs.values())) == (1, 1, 2)
    assert r.breakdowns[1].exclusive and r.breakdowns[2].exclusive
    assert [(e.label, e.value, e.unit) for e in r.extras] == [
        ("Part de la file active de la période", Decimal("66.7"), "%")]  # 2 of A, B, C
    assert (r.previous_value, _result(crt_a, Period.half_year(2025, 2)).value) == (0, 0)


def test_drilldown(world, crt_a, crt_b, users, user_b):
    t01 = indicators.get("T-01")

    def drill(user, roles, crt=crt_a, **row):
        return set(indicators.drilldown(t01, crt=crt, period=H1, user=user,
                                        roles=frozenset(roles), **row))

    assert drill(users[Role.DIRECTION], {Role.DIRECTION}) == {world["A"], world["C"]}
    assert drill(users[Role.DIRECTION], {Role.DIRECTION}, breakdown="v1_field",
                 key="care_prevention") == {world["A"]}
    assert drill(users[Role.COORDINATOR], {Role.COORDINATOR}) == {world["A"], world["C"]}
    # The ARS and the DPO see no one; the partner facilitates the April session but does
    # not see the file active; the activity leader sees volet 1, not the file active.
    for role in (Role.ARS, Role.AUDITOR, Role.PARTNER, Role.ACTIVITY_LEADER, Role.NURSE):
        assert drill(users[role], {role}) == set(), role
    assert drill(user_b, set(Role), crt=crt_b) == {
        p.beneficiary for p in indicators.get("T-01").population(crt_b, H1)}
    assert _result(crt_b).value == 1
