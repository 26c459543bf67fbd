"""T-04, the agreements in force over a period, on a scenario counted by hand, with its
drill-down through the agreements' policy."""

from datetime import date

import pytest

from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.territory.models import Agreement, Organization

from .factories import OrganizationFactory, agreement

H1 = Period.half_year(2025, 1)


@pytest.fixture
def agreements(crt_a, crt_b):
    """H1 2025 in CRT A: a home-care agreement with a SAD and a SSIAD (in force), a DAC one
    ending on 31/07 (to renew), a partner EHPAD one expired on 31/03, a transport one
    terminated on 15/05, a training one signed to start in July, one still in draft, and one
    ended in 2024. CRT B has one in force."""
    sad, ssiad = OrganizationFactory(crt=crt_a), OrganizationFactory(
        crt=crt_a, kind=Organization.Kind.SSIAD)
    made = {
        "home_care": agreement(crt_a, organizations=[sad, ssiad]),
        "dac": agreement(crt_a, subject=Agreement.Subject.DAC, ends_on=date(2025, 7, 31),
                         organizations=[OrganizationFactory(crt=crt_a,
                                                            kind=Organization.Kind.DAC)]),
        "ehpad": agreement(crt_a, subject=Agreement.Subject.PARTNER_EHPAD,
                           ends_on=date(2025, 3, 31), status=Agreement.Status.EXPIRED,
                           organizations=[OrganizationFactory(crt=crt_a,
                                                              kind=Organization.Kind.EHPAD)]),
        "transport": agreement(crt_a, subject=Agreement.Subject.TRANSPORT,
                               status=Agreement.Status.TERMINATED,
                               terminated_on=date(2025, 5, 15)),
    }
    agreement(crt_a, subject=Agreement.Subject.TRAINING, starts_on=date(2025, 7, 1))
    agreement(crt_a, status=Agreement.Status.DRAFT)
    agreement(crt_a, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31),
              status=Agreement.Status.EXPIRED)
    agreement(crt_b)
    return made


def _rows(result, code):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == code).rows}


def test_agreements_in_force_during_the_period(agreements, crt_a, crt_b):
    r = indicators.compute(indicators.get("T-04"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (4, "conventions")
    subjects = _rows(r, "subject")
    assert (subjects["Intervention quotidienne d'un service à domicile (volet 2)"],
            subjects["Dispositif d'appui à la coordination (DAC)"], subjects["EHPAD partenaire"],
            subjects["Transport"], subjects["Formation"]) == (1, 1, 1, 1, 0)
    # The home-care agreement binds a SAD and a SSIAD: the rows do not add up.
    partners = _rows(r, "partner_type")
    assert (partners["Service autonomie à domicile (SAD)"], partners["SSIAD"],
            partners["EHPAD"], partners["DAC (dispositif d'appui à la coordination)"]) == (
        2, 1, 1, 1)
    assert _rows(r, "state") == {"En vigueur": 1, "À renouveler (sous 90 jours)": 1,
                                 "Échue ou résiliée": 2}
    assert r.previous_value == 1  # H2 2024: the one that ended on 31/12/2024
    assert indicators.compute(indicators.get("T-04"), crt=crt_b, period=H1).value == 1
    # H2: the home-care, DAC and training agreements.
    assert indicators.compute(indicators.get("T-04"), crt=crt_a,
                              period=Period.half_year(2025, 2)).value == 3


def test_drilldown_follows_the_agreements_policy(agreements, crt_a, users):
    t04 = indicators.get("T-04")
    director = users[Role.DIRECTION]
    assert set(indicators.drilldown(t04, crt=crt_a, period=H1, user=director,
                                    roles={Role.DIRECTION}, breakdown="state",
                                    key="to_renew")) == {agreements["dac"]}
    for role in (Role.ARS, Role.PARTNER, Role.CARE_AIDE):
        assert not indicators.drilldown(t04, crt=crt_a, period=H1, user=users[role],
                                        roles={role}).exists(), role
