"""A CRT's morning for the rounds tests: three carers, five home visits, two of them late."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.roles import Role
from maillage.territory.tests.factories import CommuneFactory, ProfessionalFactory
from maillage.visits.models import Visit
from maillage.visits.tests.factories import visit

# Around the base of the test CRTs, Segré-en-Anjou Bleu: Candé and Le Lion-d'Angers are
# ≈ 40 minutes apart, Ombrée d'Anjou is 20 minutes north-west of Segré.
COMMUNES = {"cande": ("49054", "Candé", "47.5596", "-1.0313", 20),
            "lion": ("49176", "Le Lion-d'Angers", "47.6340", "-0.7517", 15),
            "ombree": ("49248", "Ombrée d'Anjou", "47.7229", "-1.1128", 20),
            "saumur": ("49328", "Saumur", "47.2644", "-0.0839", 75)}


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=10)


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + \
        timedelta(hours=hour, minutes=minute)


@pytest.fixture
def town(crt_a):
    return {key: CommuneFactory(crt=crt_a, insee_code=code, name=name,
                                latitude=Decimal(lat), longitude=Decimal(lon),
                                travel_minutes=minutes)
            for key, (code, name, lat, lon, minutes) in COMMUNES.items()}


@pytest.fixture
def team(make_user, crt_a):
    return {"marie": make_user(crt_a, Role.CARE_AIDE, username="marie"),
            "lea": make_user(crt_a, Role.CARE_AIDE, username="lea"),
            "paul": make_user(crt_a, Role.NURSE, username="paul")}


@pytest.fixture
def morning(crt_a, town, team, day):
    """Marie and Léa each cross from Candé to Le Lion-d'Angers (or back) in 15 minutes."""
    def person(commune):
        return BeneficiaryFactory(crt=crt_a, commune=town[commune])

    visits = {
        "marie-1": visit(person("cande"), team["marie"], starts_at=at(day, 8), minutes=45),
        "marie-2": visit(person("lion"), team["marie"], starts_at=at(day, 8, 30)),
        "lea-1": visit(person("lion"), team["lea"], starts_at=at(day, 8), minutes=45),
        "lea-2": visit(person("cande"), team["lea"], starts_at=at(day, 8, 30)),
        "paul": visit(person("ombree"), team["paul"], starts_at=at(day, 9), minutes=20),
    }
    # Neither is the CRT's staff's to plan: a suspended visit, a directory nurse's own visit.
    visit(person("saumur"), team["marie"], starts_at=at(day, 10),
          status=Visit.Status.CANCELLED)
    visit(person("lion"), starts_at=at(day, 11), professional=ProfessionalFactory(crt=crt_a))
    return visits




@pytest.fixture
def three_rounds(crt_a, town, team, make_user, day):
    """Three care aides, each with her round in her own commune: six visits from 8:00, 40
    minutes apart (Marie in Ombrée d'Anjou, Léa in Candé, Jeanne in Le Lion-d'Angers)."""
    carers = {"marie": team["marie"], "lea": team["lea"],
              "jeanne": make_user(crt_a, Role.CARE_AIDE, username="jeanne")}
    communes = {"marie": "ombree", "lea": "cande", "jeanne": "lion"}
    return {name: [visit(BeneficiaryFactory(crt=crt_a, commune=town[communes[name]]), carer,
                         starts_at=at(day, 8) + timedelta(minutes=40 * i), minutes=30)
                   for i in range(6)]
            for name, carer in carers.items()}
