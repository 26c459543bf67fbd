"""V2-11, the on-call service's activity, on a scenario counted by hand, with its drill-down
through the calls' policy."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.oncall.models import Escalation

from .factories import call

H1 = Period.half_year(2025, 1)


def _at(day: date, hour: int = 23):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def calls(crt_a, crt_b, users):
    """H1 2025, CRT A, two people in the file active all the half-year (12 mois-forfait): a
    fall with a call-out, the person stayed home; a discomfort with a call-out, hospitalised,
    the SAMU called; an anxiety call answered by phone, still open; a call in July. CRT B has
    a call too."""
    a, b = BeneficiaryFactory(crt=crt_a), BeneficiaryFactory(crt=crt_a)
    enrolment(a, admitted_on=date(2024, 6, 1))
    enrolment(b, admitted_on=date(2024, 6, 1))
    forfait_months_refresh(crt=crt_a)
    nurse = users[Role.NURSE]
    made = {
        "fall": call(crt_a, nurse, a, received_at=_at(date(2025, 1, 12)), call_out=True,
                     outcome="stayed_home", source="teleassistance", status="closed"),
        "discomfort": call(crt_a, nurse, b, received_at=_at(date(2025, 3, 3)),
                           reason="discomfort", call_out=True, outcome="hospitalised",
                           source="caregiver", status="closed"),
        "anxiety": call(crt_a, nurse, a, received_at=_at(date(2025, 6, 29)), reason="anxiety",
                        source="beneficiary"),
    }
    Escalation.objects.create(crt=crt_a, call=made["discomfort"], to="samu",
                              at=_at(date(2025, 3, 3)))
    call(crt_a, nurse, a, received_at=_at(date(2025, 7, 2)))
    call(crt_b, users[Role.NURSE], received_at=_at(date(2025, 2, 2)))
    return made


def _rows(result, code):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == code).rows}


def test_on_call_activity(calls, crt_a, crt_b):
    r = indicators.compute(indicators.get("V2-11"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (3, "appels")
    assert _rows(r, "reason")["Chute"] == 1 and _rows(r, "reason")["Malaise"] == 1
    assert _rows(r, "source")["Centrale de téléassistance"] == 1
    assert _rows(r, "outcome") == {"Maintien à domicile": 1, "Hospitalisation": 1,
                                   "Chambre d'urgence temporaire": 0, "Autre": 0,
                                   "Appel en cours ou sans issue notée": 1}
    assert _rows(r, "call_out") == {"Oui": 2, "Non": 1}
    assert {e.label: e.value for e in r.extras} == {
        "Déplacements (levées de doute)": 2,
        "dont maintien à domicile après le déplacement": 1,
        "Hospitalisations": 1,
        "Appels avec un recours (médecin, 15, 18…)": 1,
        "Appels pour 100 mois-forfait": 25,  # 3 calls for 12 mois-forfait
    }
    assert indicators.compute(indicators.get("V2-11"), crt=crt_b, period=H1).value == 1


def test_drilldown_follows_the_calls_policy(calls, crt_a, users):
    v211 = indicators.get("V2-11")

    def drill(role):
        return set(indicators.drilldown(v211, crt=crt_a, period=H1, user=users[role],
                                        roles={role}))

    assert drill(Role.COORDINATOR) == set(calls.values())  # reads every call
    assert drill(Role.NURSE) == set(calls.values())  # answered them
    # The direction sees figures only, never a call; nor do the others.
    for role in (Role.DIRECTION, Role.ARS, Role.ACTIVITY_LEADER, Role.ADMIN_STAFF):
        assert drill(role) == set(), role
