"""V2-11, the on-call service's activity, on a scenario counted by hand, with its drill-down
through the calls' policy."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

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
                     outcome="stayed_home", source="teleassistance", status="closed",
                     arrived_at=_at(date(2025, 1, 12)) + timedelta(minutes=20)),
        "discomfort": call(crt_a, nurse, b, received_at=_at(date(2025, 3, 3)),
                           reason="discomfort", call_out=True, outcome="hospitalised",
                           source="caregiver", status="closed",
                           arrived_at=_at(date(2025, 3, 3)) + timedelta(minutes=31)),
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
        "Délai médian de réponse": Decimal("0.7"),  # each answered after 40 seconds
        "Délai médian d'arrivée au domicile (déplacements)": Decimal("25.5"),  # 20 and 31
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


# --- V2-10 the on-call organisation ----------------------------------------------------------

WEEK = Period.custom(date(2025, 3, 3), date(2025, 3, 9))  # Monday to Sunday: 168 hours


@pytest.fixture
def rota(crt_a, crt_b, users):
    """The week of 3 March 2025, CRT A under the internal model: the nurse answers and
    travels Monday 0:00 to Thursday 0:00 (72 h, within the arrangement); the care aide
    answers Thursday 0:00–12:00; a partner nurse travels Thursday 0:00 to Friday 0:00; the
    nurse again from Friday 8:00 to the next Monday 8:00 (64 h in the week); the doctor is
    the recourse all week. Nobody answers Thursday 12:00 to Friday 8:00 (20 h), nobody
    travels Friday 0:00–8:00 (8 h). A February turn and CRT B's are not counted."""
    from maillage.organisation.tests.factories import position
    from maillage.territory.tests.factories import ProfessionalFactory

    from .factories import arrangement, shift

    def at(day, hour=0):
        return timezone.make_aware(datetime.combine(date(2025, 3, day), time(hour)))

    nurse, aide, doctor = users[Role.NURSE], users[Role.CARE_AIDE], users[Role.DOCTOR]
    position(crt_a, holder=nurse)
    position(crt_a, holder=aide, profession="care_aide")
    internal = arrangement(crt_a)
    partner_nurse = ProfessionalFactory(crt=crt_a)
    made = [
        shift(crt_a, nurse, start=at(3), hours=72, arrangement=internal),
        shift(crt_a, aide, start=at(6), hours=12, duty="answer"),
        shift(crt_a, None, start=at(6), hours=24, duty="travel", professional=partner_nurse),
        shift(crt_a, nurse, start=at(7, 8), hours=72),
        shift(crt_a, doctor, start=at(3), hours=168, duty="doctor"),
    ]
    shift(crt_a, nurse, start=at(3) - timedelta(days=20), hours=12)
    shift(crt_b, None, start=at(3), hours=12)
    return made


def test_on_call_organisation(rota, crt_a):
    r = indicators.compute(indicators.get("V2-10"), crt=crt_a, period=WEEK)
    assert (r.value, r.unit) == (5, "tours d'astreinte")
    assert _rows(r, "duty") == {"Répond et se déplace": 2, "Répond au téléphone": 1,
                                "Se déplace au domicile": 1, "Infirmier·ère de recours": 0,
                                "Médecin de recours": 1}
    assert _rows(r, "actor") == {"Équipe du CRT": 4, "Professionnel partenaire": 1}
    assert _rows(r, "arrangement")["Modèle 1 : AS/ASG et IDE d'astreinte du CRT"] == 1
    assert _rows(r, "arrangement")["Hors organisation déclarée"] == 4
    extras = {e.label: e.value for e in r.extras}
    assert "Organisation en vigueur : Modèle 1 : AS/ASG et IDE d'astreinte du CRT" in extras
    assert extras["Heures de la période"] == 168
    assert extras["Heures sans personne d'astreinte pour répondre"] == 20
    assert extras["Heures sans personne pour se déplacer au domicile"] == 8
    # 172 hours answering or travelling: the nurse 72 + 64, the aide 12, the partner 24.
    share = "Part des heures d'astreinte (réponse, déplacement) : "
    assert extras[share + "Infirmier·ère (IDE)"] == Decimal("79.1")
    assert extras[share + "Aide-soignant·e (AS)"] == Decimal("7.0")
    assert extras[share + "Infirmier·ère (IDEL ou salarié·e) (partenaire)"] == Decimal("14.0")


def test_an_empty_rota_is_uncovered_all_along(crt_a):
    r = indicators.compute(indicators.get("V2-10"), crt=crt_a, period=WEEK)
    extras = {e.label: e.value for e in r.extras}
    assert r.value == 0
    assert extras["Heures sans personne d'astreinte pour répondre"] == 168
    assert "Organisation en vigueur : aucune organisation déclarée" in extras


def test_rota_drilldown_follows_the_rota_policy(rota, crt_a, crt_b, users, user_b):
    v210 = indicators.get("V2-10")

    def drill(user, role, crt=crt_a):
        return set(indicators.drilldown(v210, crt=crt, period=WEEK, user=user, roles={role}))

    assert drill(users[Role.DIRECTION], Role.DIRECTION) == set(rota)
    assert drill(users[Role.ACTIVITY_LEADER], Role.ACTIVITY_LEADER) == set(rota)
    for role in (Role.PARTNER, Role.ARS, Role.AUDITOR):
        assert drill(users[role], role) == set(), role
    in_b = drill(user_b, Role.DIRECTION, crt=crt_b)
    assert len(in_b) == 1 and not in_b & set(rota)


def test_rota_queries_do_not_grow_with_the_turns(rota, crt_a, users):
    """The gaps are found by the database: more turns, the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .factories import shift

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            indicators.compute(indicators.get("V2-10"), crt=crt_a, period=WEEK)
        return len(ctx.captured_queries)

    before = queries()
    for hour in (13, 16, 19):
        shift(crt_a, users[Role.CARE_AIDE], hours=2, duty="answer",
              start=timezone.make_aware(datetime(2025, 3, 6, hour)))
    assert queries() == before <= 12
    extras = {e.label: e.value for e in indicators.compute(
        indicators.get("V2-10"), crt=crt_a, period=WEEK).extras}
    assert extras["Heures sans personne d'astreinte pour répondre"] == 14  # 20 − 3 × 2


def test_both_faces_of_the_rota_policy_agree(rota, crt_a, users):
    from maillage.oncall.access import can_view_shift, shifts_visible
    from maillage.oncall.models import Shift

    for role in Role:
        listed = set(shifts_visible(crt=crt_a, user=users[role], roles={role}))
        for s in Shift.objects.filter(crt=crt_a):
            assert (s in listed) == can_view_shift(user=users[role], roles={role},
                                                   shift=s), role
