"""T-02, the team's FTE over a period, on a scenario counted by hand, with its drill-down
through the positions' policy."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.core.tests.factories import UserFactory

from .factories import meeting, position

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


# --- T-03 partners and governance ------------------------------------------------------------


@pytest.fixture
def partners(crt_a, crt_b, users):
    """H1 2025, CRT A: a SSIAD in Mme A's care team and party to an agreement; an MSP that
    referred someone in February; an EHPAD partner of a volet 1 action whose session was held
    in March; a SAD providing a service in a basket; an EHPAD carrying the shared night nurse.
    Not active: an HAD whose care-team membership ended in 2024, a CLIC with no record, CRT
    B's SSIAD. Meetings: two COPIL (4 present and a users' representative; 1 present), an
    admission commission (2 present), a commission in 2024."""
    from django.utils import timezone

    from maillage.admissions.tests.factories import ReferralFactory
    from maillage.beneficiaries.models import CareTeamMember
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.care.models import BasketItem
    from maillage.care.tests.factories import service
    from maillage.oncall.tests.factories import arrangement
    from maillage.outreach.tests.factories import action, session
    from maillage.territory.tests.factories import (
        OrganizationFactory,
        ProfessionalFactory,
        agreement,
    )

    def org(kind, crt=crt_a):
        return OrganizationFactory(crt=crt, kind=kind)

    made = {kind: org(kind) for kind in ("ssiad", "msp", "ehpad", "sad")}
    made["night"] = org("ehpad")
    had, _ = org("had"), org("clic")
    a = BeneficiaryFactory(crt=crt_a)
    for organization, end in ((made["ssiad"], None), (had, date(2024, 12, 31))):
        CareTeamMember.objects.create(
            crt=crt_a, beneficiary=a, role="Soins", start_date=date(2024, 1, 1), end_date=end,
            professional=ProfessionalFactory(crt=crt_a, organization=organization))
    agreement(crt_a, organizations=[made["ssiad"]])
    ReferralFactory(crt=crt_a, referrer_kind="msp", referrer_organization=made["msp"],
                    received_at=timezone.make_aware(datetime(2025, 2, 10, 10)))
    workshop = action(crt_a)
    workshop.partners.add(made["ehpad"])
    session(crt_a, workshop, status="held",
            starts_at=timezone.make_aware(datetime(2025, 3, 12, 14)))
    BasketItem.objects.create(crt=crt_a, beneficiary=a, start_date=date(2025, 1, 1),
                              service=service(crt_a, provider=made["sad"]))
    arrangement(crt_a, model="shared_night_nurse", partner=made["night"],
                start_date=date(2024, 1, 1))
    b_ssiad = org("ssiad", crt_b)
    agreement(crt_b, organizations=[b_ssiad])
    copil = meeting(crt_a, kind="copil", held_on=date(2025, 3, 4), representatives=[
        {"name": "M. Roche", "quality": "Représentant des usagers"}])
    copil.team_participants.set([users[Role.DIRECTION], users[Role.COORDINATOR],
                                 users[Role.DOCTOR]])
    copil.partner_participants.set([ProfessionalFactory(crt=crt_a)])
    meeting(crt_a, kind="copil", held_on=date(2025, 6, 10)).team_participants.set(
        [users[Role.DIRECTION]])
    meeting(crt_a, held_on=date(2025, 2, 1)).team_participants.set(
        [users[Role.DIRECTION], users[Role.COORDINATOR]])
    meeting(crt_a, held_on=date(2024, 11, 5))
    return made


def _t03_rows(result, code):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == code).rows}


def test_partners_and_governance(partners, crt_a, crt_b):
    r = indicators.compute(indicators.get("T-03"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (5, "structures partenaires")
    types = _t03_rows(r, "partner_type")
    assert (types["EHPAD"], types["SSIAD"], types["Hospitalisation à domicile (HAD)"],
            types["CLIC"]) == (2, 1, 0, 0)
    assert _t03_rows(r, "activity") == {
        "Membre d'un cercle de soins": 1, "Convention en vigueur": 1,
        "Orientation d'une demande d'admission": 1,
        "Partenaire d'une action du volet 1 (séance tenue)": 1,
        "Prestataire d'une prestation au panier": 1, "Porteur du dispositif IDE de nuit": 1}
    extras = {e.label: e.value for e in r.extras}
    assert extras["Réunions tenues : Comité de pilotage (COPIL)"] == 2
    assert extras["Participants de l'équipe et partenaires par réunion : Comité de pilotage "
                  "(COPIL)"] == Decimal("2.5")
    assert extras["Réunions tenues : Commission d'admission"] == 1
    assert extras["Participants de l'équipe et partenaires par réunion : Commission "
                  "d'admission"] == 2
    assert extras["COPIL avec des représentants des usagers ou d'autres participants"] == 1
    assert indicators.compute(indicators.get("T-03"), crt=crt_b, period=H1).value == 1


def test_a_meeting_planned_later_in_the_period_is_not_held(partners, crt_a):
    """A COPIL dated after today is planned: the current period does not count it (it was
    counted as « tenue », and its participants in the mean), nor does the report's
    governance section, until its day comes."""
    import time_machine

    from maillage.steering.reports import build_snapshot

    meeting(crt_a, kind="copil", held_on=date(2025, 6, 20), representatives=[
        {"name": "Mme Roux", "quality": "Représentante des usagers"}])
    t03 = indicators.get("T-03")
    with time_machine.travel(date(2025, 6, 15)):
        extras = {e.label: e.value for e in indicators.compute(t03, crt=crt_a,
                                                                period=H1).extras}
        assert extras["Réunions tenues : Comité de pilotage (COPIL)"] == 2
        assert extras["COPIL avec des représentants des usagers ou d'autres participants"] == 1
        copil = next(g for g in build_snapshot(crt=crt_a, kind="half_year", start=H1.start,
                                               end=H1.end)["governance"]
                     if g["kind"].startswith("Comité"))
        assert (copil["meetings"], copil["dates"]) == (2, ["04/03/2025", "10/06/2025"])
    with time_machine.travel(date(2025, 7, 1)):
        extras = {e.label: e.value for e in indicators.compute(t03, crt=crt_a,
                                                                period=H1).extras}
        assert extras["Réunions tenues : Comité de pilotage (COPIL)"] == 3


def test_partners_drilldown_follows_the_directory_policy(partners, crt_a, users):
    t03 = indicators.get("T-03")

    def drill(role, **row):
        return set(indicators.drilldown(t03, crt=crt_a, period=H1, user=users[role],
                                        roles={role}, **row))

    assert drill(Role.DIRECTION) == set(partners.values())
    assert drill(Role.ADMIN_STAFF, breakdown="activity", key="oncall") == {partners["night"]}
    for role in (Role.PARTNER, Role.ARS, Role.AUDITOR):
        assert drill(role) == set(), role


def test_both_faces_of_the_directory_policy_agree(partners, crt_a, users):
    from maillage.territory.access import can_view_organization, organizations_visible
    from maillage.territory.models import Organization

    every = list(Organization.objects.filter(crt=crt_a))
    for role in Role:
        listed = set(organizations_visible(crt=crt_a, user=users[role], roles={role}))
        for organization in every:
            assert (organization in listed) == can_view_organization(
                user=users[role], roles={role}, organization=organization), role
