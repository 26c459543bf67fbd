"""A web worker killed under load: gunicorn (3 workers) serves the offline synchronisation API
to several phones at once, each sending its notes one by one and resending the same action
(same ``id``) when its connection is cut or the answer is not a success; one worker is killed
(SIGKILL) in the middle. The other workers keep serving, the master starts a new one, every
action is acknowledged, and the database holds each exactly once (0 lost, 0 duplicated).

Runs on both databases (a SQLite file shared by the workers, or the PostgreSQL test database)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
import time
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import LiaisonNote
from maillage.core.models import AuditEvent
from maillage.core.tests.processes import Gunicorn, SharedDatabase, wait_for
from maillage.offline.models import SyncedAction

pytestmark = pytest.mark.django_db(transaction=True)

PHONES = 4
NOTES_PER_PHONE = 12
KILL_AFTER = 12  # acknowledged actions before the kill


class Phone:
    """A nurse's phone: her session and CSRF token, its device; sends each action until it is
    acknowledged (``applied``), whatever happens to the connection."""

    def __init__(self, server: Gunicorn, *, session: str, csrf: str, device: str, person: str):
        self.server, self.device, self.person = server, device, person
        self.headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}",
                        "X-CSRFToken": csrf, "Content-Type": "application/json"}
        self.acknowledged: list[tuple[str, float]] = []  # (action id, when)
        self.failures: list[str] = []  # what made a send be repeated

    def send(self, action: dict) -> dict | None:
        body = json.dumps({"device": self.device, "actions": [action]})
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=20)
        try:
            connection.request("POST", "/hors-ligne/api/synchro/", body, self.headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:  # cut: reset, closed, refused
            self.failures.append(type(error).__name__)
            return None
        finally:
            connection.close()
        if response.status != 200:
            self.failures.append(str(response.status))
            return None
        return json.loads(payload)["results"][0]

    def run(self, count: int, deadline: float) -> None:
        for i in range(count):
            action = {"id": str(uuid.uuid4()), "kind": "note",
                      "at": timezone.now().isoformat(), "visit": None, "person": self.person,
                      "data": {"text": f"Transmission {i + 1} du téléphone"}}
            while time.monotonic() < deadline:
                result = self.send(action)
                if result is not None:
                    assert result == {"id": action["id"], "state": "applied", "message": ""}
                    self.acknowledged.append((action["id"], time.monotonic()))
                    break
                time.sleep(0.1)  # the same action again
            else:
                return


def _phone_session(crt, make_user, n: int) -> dict:
    from maillage.core.roles import Role

    nurse = make_user(crt, Role.NURSE, username=f"infirmiere-{n}")
    person = shared_file(crt, nurse)
    client = Client()
    client.force_login(nurse)
    device = client.post(reverse("offline:register")).json()["device"]
    csrf = client.get(reverse("offline:key")).json()["csrf"]
    return {"session": client.cookies["sessionid"].value, "csrf": csrf, "device": device,
            "person": str(person.public_id)}


def _access_lines(server: Gunicorn) -> list[str]:
    return server.access_log.read_text().splitlines()


def _busy(server: Gunicorn, n: int = 6) -> bool:
    """``n`` health checks at once."""
    threads = [threading.Thread(target=server.healthy) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return True


def _served(line: str) -> tuple[int, str, int] | None:
    """(worker pid, request line, status) of an access-log line."""
    match = re.fullmatch(r'pid=<(\d+)> "(.*)" (\d+)', line)
    return (int(match[1]), match[2], int(match[3])) if match else None


def test_a_killed_web_worker_loses_no_write_and_the_others_keep_serving(
        tmp_path, crt_a, make_user):
    shared = SharedDatabase(tmp_path)
    sessions = [_phone_session(crt_a, make_user, n) for n in range(PHONES)]
    shared.push()
    server = Gunicorn(tmp_path, shared.url(), workers=3)
    try:
        phones = [Phone(server, **s) for s in sessions]
        deadline = time.monotonic() + 40
        threads = [threading.Thread(target=p.run, args=(NOTES_PER_PHONE, deadline))
                   for p in phones]
        for thread in threads:
            thread.start()
        wait_for(lambda: sum(len(p.acknowledged) for p in phones) >= KILL_AFTER, 20,
                 "the first acknowledgements")
        before = server.workers()
        victim = max(before)
        # A marker in the access log (appended as gunicorn's lines are): what came after.
        with open(server.access_log, "a") as log:
            log.write(f"KILL pid={victim}\n")
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        replacement = wait_for(lambda: server.workers() - before, 15,
                               "the master to start a new worker")
        for thread in threads:
            thread.join(timeout=max(1, deadline - time.monotonic() + 5))
        assert not any(t.is_alive() for t in threads)
        new_pid = next(iter(replacement))
        # The new worker serves too, once it has loaded the application (a few concurrent
        # requests, so that an idle worker takes one).
        wait_for(lambda: _busy(server) and any(
            s and s[0] == new_pid and s[2] == 200 for s in map(_served, _access_lines(server))),
            20, "the new worker to answer")
        lines = _access_lines(server)
        after_kill = lines[lines.index(f"KILL pid={victim}") + 1:]
    finally:
        server.stop()

    total = PHONES * NOTES_PER_PHONE
    ids = [action for p in phones for action, _ in p.acknowledged]
    # Every action acknowledged, once each by the server's answer.
    assert len(ids) == total and len(set(ids)) == total, [p.failures for p in phones]
    # The surviving workers served during the kill: successes after it, before the new
    # worker answered anything (it loads the application first).
    survivors = before - {victim}
    served = [_served(line) for line in after_kill]
    first_new = next((i for i, s in enumerate(served) if s[0] == new_pid), len(served))
    meanwhile = [s for s in served[:first_new]
                 if s[0] in survivors and s[2] == 200 and "/synchro/" in s[1]]
    assert meanwhile, "\n".join(after_kill[:20])
    assert any(t > killed_at for p in phones for _, t in p.acknowledged)

    shared.pull()
    # The database holds each action once, applied, and one note (with its audit) for each.
    assert SyncedAction.objects.filter(state="applied").count() == total
    assert sorted(str(a) for a in SyncedAction.objects.values_list("action_id", flat=True)) \
        == sorted(ids)
    notes = {str(n) for n in LiaisonNote.objects.values_list("public_id", flat=True)}
    assert len(notes) == total
    synced = list(AuditEvent.objects.filter(action="offline.action_synced")
                  .values_list("object_id", flat=True))
    assert len(synced) == total and set(synced) == notes
    assert AuditEvent.objects.filter(action="note.added").count() == total
