"""V2-17, the temporary rooms, on a scenario counted by hand, with its drill-down through the
stays' policy."""

from datetime import date
from decimal import Decimal

import pytest

from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.roles import Role
from maillage.lodging.models import Room

from .factories import room, stay

H1 = Period.half_year(2025, 1)  # 181 days


def _stay(crt, person, room_, start, end, status="ended", **fields):
    planned_end = end if end > start else date.fromordinal(start.toordinal() + 1)
    return stay(crt, person, room_=room_, planned_start=start, planned_end=planned_end,
                actual_start=start, actual_end=end, status=status, **fields)


@pytest.fixture
def stays(crt_a, crt_b):
    """CRT A: the emergency room (30 days max), an HT place (90) and an HTSH place (30) no
    longer available. In H1 2025: M. B 10 nights in the emergency room in January; a guest
    whose caregiver was hospitalised from 25 December (4 nights in 2025); Mme C 35 nights in
    the HTSH place from 20 June (11 in H1, beyond its maximum); Mme A a same-day stay in the
    HT place. Not counted: a cancelled stay, a planned stay whose dates passed, CRT B's."""
    a, b, c = (BeneficiaryFactory(crt=crt_a) for _ in range(3))
    emergency = room(crt_a)
    ht = room(crt_a, kind=Room.Kind.PARTNER_HT)
    htsh = room(crt_a, kind=Room.Kind.PARTNER_HTSH, is_active=False)
    made = [
        _stay(crt_a, b, emergency, date(2025, 1, 10), date(2025, 1, 20)),
        _stay(crt_a, None, emergency, date(2024, 12, 25), date(2025, 1, 5)),
        _stay(crt_a, c, htsh, date(2025, 6, 20), date(2025, 7, 25),
              over_max_justification="Attente d'une place en EHPAD"),
        _stay(crt_a, a, ht, date(2025, 3, 3), date(2025, 3, 3)),
    ]
    stay(crt_a, a, room_=emergency, planned_start=date(2025, 3, 10),
         planned_end=date(2025, 3, 12), status="cancelled", cancel_reason="Retour anticipé")
    stay(crt_a, a, room_=ht, planned_start=date(2025, 2, 10), planned_end=date(2025, 2, 12))
    _stay(crt_b, None, room(crt_b), date(2025, 2, 1), date(2025, 2, 5))
    return made


def _rows(result, code):
    return {row.label: row.value for row in next(
        b for b in result.breakdowns if b.code == code).rows}


def test_rooms_and_stays(stays, crt_a):
    r = indicators.compute(indicators.get("V2-17"), crt=crt_a, period=H1)
    assert (r.value, r.unit) == (4, "séjours")
    assert _rows(r, "kind") == {"Chambre d'urgence temporaire du CRT": 2,
                                "Hébergement temporaire (HT) d'un partenaire": 1,
                                "Hébergement temporaire en sortie d'hospitalisation (HTSH) "
                                "d'un partenaire": 1}
    assert _rows(r, "person") == {"Bénéficiaire du volet 2": 3,
                                  "Personne non bénéficiaire (aidant indisponible…)": 1}
    assert _rows(r, "beyond_max") == {"Oui": 1, "Non": 3}
    extras = {e.label: e.value for e in r.extras}
    assert extras["Places : Chambre d'urgence temporaire du CRT"] == 1
    # 10 + 4 + 11 + 1 nights over 3 places × 181 days.
    assert extras["Nuits occupées dans la période"] == 26
    assert extras["Nuits-places disponibles (places × jours de la période)"] == 543
    assert extras["Taux d'occupation"] == Decimal("4.8")
    assert extras["Durée moyenne de séjour"] == Decimal("14.3")  # (10 + 11 + 35 + 1) ÷ 4
    assert extras["Bénéficiaires accueillis"] == 3
    assert extras["Durée maximale de séjour en vigueur : Hébergement temporaire (HT) d'un "
                  "partenaire"] == 90
    assert extras["Durée de conservation de la place (réglage du CRT)"] == 90


def test_drilldown_follows_the_stays_policy(stays, crt_a, crt_b, users, user_b):
    v217 = indicators.get("V2-17")

    def drill(user, role, crt=crt_a, **row):
        return set(indicators.drilldown(v217, crt=crt, period=H1, user=user, roles={role},
                                        **row))

    assert drill(users[Role.DIRECTION], Role.DIRECTION) == set(stays)
    assert drill(users[Role.COORDINATOR], Role.COORDINATOR, breakdown="beyond_max",
                 key="oui") == {stays[2]}
    for role in (Role.PARTNER, Role.ARS, Role.AUDITOR, Role.ACTIVITY_LEADER):
        assert drill(users[role], role) == set(), role
    in_b = drill(user_b, Role.DIRECTION, crt=crt_b)
    assert len(in_b) == 1 and not in_b & set(stays)


def test_queries_do_not_grow_with_the_stays(stays, crt_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            indicators.compute(indicators.get("V2-17"), crt=crt_a, period=H1)
        return len(ctx.captured_queries)

    before = queries()
    for day in (2, 9, 16):
        _stay(crt_a, None, room(crt_a), date(2025, 5, day), date(2025, 5, day + 3))
    assert queries() == before <= 12
