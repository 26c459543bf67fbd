"""Shared fixtures: the "three people" — users of each role in CRT A, a user of CRT B, and
someone with no access."""

import pytest

from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member


@pytest.fixture
def crt_a(db):
    return CrtFactory(name="CRT A", phone="02 61 91 00 01")


@pytest.fixture
def crt_b(db):
    return CrtFactory(name="CRT B", phone="02 61 91 00 02")


@pytest.fixture
def make_user(db):
    def make(crt=None, *roles, **fields):
        user = UserFactory(**fields)
        if crt is not None:
            member(user, crt, *roles)
        return user

    return make


@pytest.fixture
def users(crt_a, make_user):
    """One user per role in CRT A, username = role code."""
    return {role.value: make_user(crt_a, role, username=role.value) for role in Role}


@pytest.fixture
def user_b(crt_b, make_user):
    """A user of CRT B holding every role: only tenancy can stop them."""
    return make_user(crt_b, *Role, username="everything-b")


@pytest.fixture
def client_for(client, users):
    """A logged-in test client for a role of CRT A."""

    def login(role: str):
        client.force_login(users[role])
        return client

    return login



@pytest.fixture(scope="session")
def demo_snapshot():
    from maillage.core.tests.demo_snapshot import DemoSnapshot

    return DemoSnapshot()


@pytest.fixture
def demo(transactional_db, demo_snapshot):
    """The demo (scale 1), committed in the test database for a browser journey or a test that
    needs the whole demo; the database is emptied after the test. Loaded once per run, then
    restored from a snapshot (see ``maillage/core/tests/demo_snapshot.py``)."""
    return demo_snapshot.restore()


@pytest.fixture(scope="module")
def demo_module(django_db_setup, django_db_blocker, demo_snapshot):
    """The demo for a module of read-only tests (each test still runs in a rolled-back
    transaction with ``db``); the database is emptied after the module. Yields the progress
    lines of the load."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        lines = demo_snapshot.restore()
        yield lines
        call_command("flush", interactive=False, verbosity=0)
