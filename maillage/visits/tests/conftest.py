"""Fixtures shared by the visits' tests."""

import pytest

from maillage.core.roles import Role
from maillage.core.tests.factories import member


@pytest.fixture
def nurse(crt_a, crt_b, make_user):
    """The night nurse shared by CRT A and CRT B (a nurse in both), as in the demo."""
    user = make_user(crt_a, Role.NURSE, username="night_nurse", first_name="Laure",
                     last_name="Bellanger")
    member(user, crt_b, Role.NURSE)
    return user

