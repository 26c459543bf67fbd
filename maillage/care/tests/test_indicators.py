"""V1-03, the telehealth acts done or accompanied by EHPAD staff, on a scenario counted by
hand, with its drill-down through the file's health rule and the territory's acts' rule."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import TelehealthAct
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.outreach.tests.factories import attendee

from .factories import telehealth_act, territory_telehealth_act

H1 = Period.half_year(2025, 1)
CARRIER, PARTNER, OTHER = (TelehealthAct.PerformerEmployer.CARRIER,
                           TelehealthAct.PerformerEmployer.PARTNER_EHPAD,
                           TelehealthAct.PerformerEmployer.OTHER)


def _at(day: date):
    return timezone.make_aware(datetime.combine(day, time(10)))


@pytest.fixture
def acts(crt_a, crt_b, users):
    """CRT A (carried by an EHPAD), H1 2025: a teleconsultation for Mme A (volet 2) by the
    carrier's staff, a tele-expertise for M. B by a partner EHPAD, a telecare for Mme A by
    other staff, a teleconsultation for Odette (volet 1) by a partner EHPAD, an act recorded
    before the employer was asked; in August an act for Odette. The nurse is in Mme A's care
    team only. CRT B has an act too."""
    crt_a.carrier_type = "ehpad"
    crt_a.save()
    a = shared_file(crt_a, users[Role.NURSE])
    b = shared_file(crt_a)
    odette = attendee(crt_a)
    made = {
        "a_carrier": telehealth_act(a, performed_at=_at(date(2025, 2, 10))),
        "b_partner": telehealth_act(b, kind="teleexpertise", performer_employer=PARTNER,
                                    performed_at=_at(date(2025, 3, 15))),
        "odette": territory_telehealth_act(odette, kind="teleconsultation",
                                           performed_at=_at(date(2025, 4, 20))),
    }
    telehealth_act(a, kind="telecare", performer_employer=OTHER,
                   performed_at=_at(date(2025, 5, 2)))
    telehealth_act(b, performer_employer="", requester="", performed_at=_at(date(2025, 6, 1)))
    territory_telehealth_act(odette, performed_at=_at(date(2025, 8, 1)))
    telehealth_act(shared_file(crt_b), performed_at=_at(date(2025, 2, 10)))
    return made


def _rows(result, code):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == code).rows}


def test_acts_by_ehpad_staff(acts, crt_a):
    r = indicators.compute(indicators.get("V1-03"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (3, "actes")
    assert _rows(r, "kind") == {"Téléconsultation accompagnée": 2, "Téléexpertise": 1,
                                "Télésoin": 0}
    assert _rows(r, "volet") == {"Bénéficiaire du volet 2": 2,
                                 "Personne âgée du territoire (volet 1)": 1}
    assert _rows(r, "requester")["Médecin traitant"] == 2
    assert [(e.value, e.unit) for e in r.extras] == [(5, "actes")]
    assert indicators.compute(indicators.get("V1-03"), crt=crt_a,
                              period=Period.half_year(2025, 2)).value == 1


def test_a_carrier_that_is_not_an_ehpad_does_not_count_its_own_staff(acts, crt_a):
    crt_a.carrier_type = "sad"
    crt_a.save()
    r = indicators.compute(indicators.get("V1-03"), crt=crt_a, period=H1)
    assert r.value == 2  # the partner EHPAD's two acts


def test_drilldown_follows_the_health_rules(acts, crt_a, users):
    v103 = indicators.get("V1-03")

    def drill(role):
        return set(indicators.drilldown(v103, crt=crt_a, period=H1, user=users[role],
                                        roles={role}))

    # The nurse: Mme A's act (her care team) and Odette's (the territory's older people).
    assert drill(Role.NURSE) == {acts["a_carrier"], acts["odette"]}
    # The direction and the coordinator count the acts but read none; nor do the others.
    for role in (Role.DIRECTION, Role.COORDINATOR, Role.ACTIVITY_LEADER, Role.ARS,
                 Role.AUDITOR, Role.ADMIN_STAFF):
        assert drill(role) == set(), role
