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


# --- T-05 territory --------------------------------------------------------------------------


@pytest.fixture
def territory(crt_a, crt_b):
    """CRT A (35 minutes at most for volet 2): a commune of both volets 10 minutes away (1,000
    inhabitants), a volet 1 one 25 minutes away (500), a volet 2 one 40 minutes away (200), a
    commune of Mayenne of both volets 50 minutes away (population unknown), and one not
    covered. File active in H1 2025: someone in each covered commune, the one in Mayenne
    admitted with a justified derogation; someone 40 minutes away left in 2024."""
    from maillage.admissions.tests.factories import ReferralFactory, enrolment
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory

    from .factories import CommuneFactory

    def commune(v1, v2, minutes, population=None, **fields):
        return CommuneFactory(crt=crt_a, covers_volet1=v1, covers_volet2=v2,
                              travel_minutes=minutes, population=population, **fields)

    # Maine-et-Loire codes given (a factory code's department depends on its sequence).
    near = commune(True, True, 10, 1000, insee_code="49007")
    volet1 = commune(True, False, 25, 500, insee_code="49099")
    far = commune(False, True, 40, 200, insee_code="49200")
    mayenne = commune(True, True, 50, insee_code="53130", postal_code="53000")
    commune(False, False, 50)
    CommuneFactory(crt=crt_b)
    for place in (near, far, volet1):
        enrolment(BeneficiaryFactory(crt=crt_a, commune=place))
    enrolment(BeneficiaryFactory(crt=crt_a, commune=mayenne), referral=ReferralFactory(
        crt=crt_a, eligibility_override="Aucune autre solution, astreinte du SSIAD voisin"))
    enrolment(BeneficiaryFactory(crt=crt_a, commune=far), admitted_on=date(2024, 1, 6),
              ended_on=date(2024, 12, 31))
    return {near, volet1, far, mayenne}


def test_territory(territory, crt_a, crt_b):
    r = indicators.compute(indicators.get("T-05"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (4, "communes")
    assert _rows(r, "volet") == {"Volet 1": 3, "Volet 2": 3}
    assert _rows(r, "department") == {"49": 3, "53": 1}
    assert _rows(r, "travel") == {"15 min ou moins": 1, "16 à 30 min": 1, "31 à 45 min": 1,
                                  "Plus de 45 min": 1}
    extras = {e.label: e.value for e in r.extras}
    assert extras["Communes du volet 2 au-delà du trajet maximal (35 min)"] == 2
    assert extras["Population municipale des communes du volet 1 (INSEE, si renseignée)"] \
        == 1500
    assert extras["Population municipale des communes du volet 2 (INSEE, si renseignée)"] \
        == 1200
    assert extras["Personnes de la file active vivant au-delà du trajet maximal (35 min)"] == 2
    assert extras["dont admises avec une dérogation justifiée"] == 1
    assert extras["Personnes de la file active hors des communes du volet 2"] == 1
    assert indicators.compute(indicators.get("T-05"), crt=crt_b, period=H1).value == 1


def test_territory_drilldown_follows_the_communes_list_policy(territory, crt_a, users):
    t05 = indicators.get("T-05")

    def drill(role, **row):
        return set(indicators.drilldown(t05, crt=crt_a, period=H1, user=users[role],
                                        roles={role}, **row))

    assert drill(Role.DIRECTION) == territory
    assert len(drill(Role.ACTIVITY_LEADER, breakdown="volet", key="volet2")) == 3
    for role in (Role.PARTNER, Role.ARS, Role.AUDITOR):
        assert drill(role) == set(), role
