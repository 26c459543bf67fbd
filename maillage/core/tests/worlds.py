"""A CRT with one signed-in user per role, committed once for a module of tests.

The long walks over every route (the permission matrix, the audit coverage) make thousands of
requests as the same dozen users: building them, signing them in and writing their unread
counters once per module, rather than once per test, is most of their cost. Each test still
runs in a rolled-back transaction (``db``) on top of the committed world."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from maillage.core.roles import Role

from .factories import CrtFactory, UserFactory, member


@dataclass
class World:
    crt: object
    users: dict[str, object]  # role code -> user (username = role code)
    sessions: dict[str, str]  # role code -> session key

    def sign_in(self, client: Client, role: str) -> Client:
        """``client`` as the user of ``role``, with the session opened for the module."""
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return client


@contextmanager
def committed_world(django_db_blocker, *, name: str = "CRT A"):
    """Yields a ``World`` committed in the test database inside ``django_db_blocker``'s
    unblocked scope (the caller may commit more there), emptied afterwards."""
    from maillage.care.services.unread import unread_counters_rebuild

    with django_db_blocker.unblock():
        crt = CrtFactory(name=name, phone="02 61 91 00 01")
        users, sessions = {}, {}
        for role in Role:
            users[role.value] = UserFactory(username=role.value)
            member(users[role.value], crt, role)
            client = Client()
            client.force_login(users[role.value])
            sessions[role.value] = client.cookies[settings.SESSION_COOKIE_NAME].value
        # The members' unread counters, as the nightly repair writes them (the badge of every
        # page reads one row).
        unread_counters_rebuild(crt=crt)
        try:
            yield World(crt, users, sessions)
        finally:
            call_command("flush", interactive=False, verbosity=0)
