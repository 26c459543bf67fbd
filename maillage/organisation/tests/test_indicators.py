"""T-02, the team's FTE over a period, on a scenario counted by hand, with its drill-down
through the positions' policy."""

from datetime import date
from decimal import Decimal

import pytest

from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.core.tests.factories import UserFactory

from .factories import position

H1 = Period.half_year(2025, 1)  # 181 days


@pytest.fixture
def team(crt_a, crt_b):
    """H1 2025: a nurse (1 FTE, volet 2) all along; a coordinator (0.8: 0.5 volet 2, 0.3
    coordination) from 01/04 (91 days); an activity leader (0.5, volet 1) until 31/03 (90
    days); a psychologist made available by a partner (0.2, volet 2) all along; a vacant care
    aide position (1 FTE); a position ended in 2024. CRT B has a nurse."""
    made = [
        position(crt_a, holder=UserFactory()),
        position(crt_a, profession="coordinator", holder=UserFactory(), fte=Decimal("0.80"),
                 fte_volet2=Decimal("0.50"), fte_coordination=Decimal("0.30"),
                 starts_on=date(2025, 4, 1)),
        position(crt_a, profession="activity_leader", holder=UserFactory(), fte=Decimal("0.50"),
                 fte_volet1=Decimal("0.50"), fte_volet2=Decimal("0"),
                 starts_on=date(2024, 1, 1), ends_on=date(2025, 3, 31)),
        position(crt_a, profession="psychologist", holder=UserFactory(), fte=Decimal("0.20"),
                 fte_volet2=Decimal("0.20"), employment="made_available"),
    ]
    position(crt_a, profession="care_aide")
    position(crt_a, holder=UserFactory(), starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31))
    position(crt_b, holder=UserFactory())
    return made


def test_team_fte_over_the_period(team, crt_a, crt_b):
    r = indicators.compute(indicators.get("T-02"), crt=crt_a, period=H1)
    # (1 × 181 + 0.8 × 91 + 0.5 × 90 + 0.2 × 181) ÷ 181 = 335 ÷ 181
    assert (r.value, r.count, r.unit) == (Decimal("1.85"), 4, "ETP")
    assert {e.label: e.value for e in r.extras} == {
        "dont volet 1": Decimal("0.25"),  # 45 ÷ 181
        "dont volet 2": Decimal("1.45"),  # (181 + 45.5 + 36.2) ÷ 181
        "dont coordination": Decimal("0.15"),  # 27.3 ÷ 181
        "dont mis à disposition par un partenaire": Decimal("0.20"),
        "Postes vacants (ETP, au prorata des jours)": Decimal("1.00"),
    }
    professions = {row.label: row.value for row in r.breakdowns[0].rows}
    assert (professions["Infirmier·ère (IDE)"], professions["Coordinateur·rice (IDE, IDEC)"],
            professions["Psychologue"], sum(professions.values())) == (1, 1, 1, 4)
    assert r.previous_value == Decimal("1.50")  # H2 2024: the leader and the ended nurse
    assert indicators.compute(indicators.get("T-02"), crt=crt_b, period=H1).value == Decimal(
        "1.00")


def test_drilldown_follows_the_positions_policy(team, crt_a, users):
    t02 = indicators.get("T-02")
    assert set(indicators.drilldown(t02, crt=crt_a, period=H1, user=users[Role.DIRECTION],
                                    roles={Role.DIRECTION})) == set(team)
    for role in (Role.ARS, Role.NURSE, Role.PARTNER):
        assert not indicators.drilldown(t02, crt=crt_a, period=H1, user=users[role],
                                        roles={role}).exists(), role
