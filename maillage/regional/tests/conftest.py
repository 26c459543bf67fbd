"""Fixtures of the regional view's tests: a region of CRT A and CRT B, its ARS agent, and the
agent of another region."""

import pytest

from maillage.core.models import Crt, Region, RegionMembership
from maillage.core.tests.factories import CrtFactory


@pytest.fixture
def region(crt_a, crt_b):
    region = Region.objects.create(name="Pays de la Loire", code="52")
    Crt.objects.filter(pk__in=[crt_a.pk, crt_b.pk]).update(region=region)
    return region


@pytest.fixture
def ars(region, make_user):
    """An ARS agent of the region: no CRT membership at all."""
    user = make_user(None, username="ars-pdl")
    RegionMembership.objects.create(user=user, region=region)
    return user


@pytest.fixture
def other_ars(make_user):
    """The ARS agent of another region, with its own CRT."""
    occitanie = Region.objects.create(name="Occitanie", code="76")
    CrtFactory(name="CRT Occitan", region=occitanie)
    user = make_user(None, username="ars-occitanie")
    RegionMembership.objects.create(user=user, region=occitanie)
    return user
