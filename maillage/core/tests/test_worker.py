"""Real task-queue consumers (``maillage worker`` in subprocesses) on the test database: a worker
killed in the middle of sending an e-mail → the task is redone after restart and the e-mail
arrives once; two consumers → a periodic task runs once per slot.

The consumers are other processes on the test database (``processes.SharedDatabase``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.utils import timezone
from huey import SqliteHuey
from huey.contrib.djhuey import HUEY

from maillage.core.models import OutboxMessage, PeriodicRun
from maillage.core.tasks import outbox_send
from maillage.core.tests.factories import CrtFactory
from maillage.core.tests.processes import SharedDatabase, wait_for
from maillage.core.tests.smtp import Recorder, SmtpServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "maillage-test"


@pytest.fixture
def shared_db(tmp_path):
    return SharedDatabase(tmp_path)


@pytest.fixture
def workers(tmp_path, shared_db):
    """Start ``maillage worker`` processes on the shared database and a queue file."""
    started: list[subprocess.Popen] = []
    queue_file = tmp_path / "huey.sqlite3"

    def start(*args: str, smtp_port: int = 1, name: str = "worker",
              **extra_env: str) -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": shared_db.url(), "HUEY_IMMEDIATE": "0",
               "HUEY_NAME": QUEUE, "HUEY_FILE": str(queue_file), "HUEY_WORKERS": "1",
               "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
               "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "EMAIL_TIMEOUT": "10",
               "OUTBOX_LEASE_SECONDS": "2", "MAILLAGE_TESTING": "0", **extra_env}
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "maillage.cli", "worker", *args],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    start.queue = SqliteHuey(QUEUE, filename=str(queue_file))
    start.logs = lambda name: (tmp_path / f"{name}.log").read_text()
    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_a_worker_killed_while_sending_the_task_is_redone_and_the_email_arrives_once(
        shared_db, workers):
    crt = CrtFactory()
    message = OutboxMessage.objects.create(crt=crt, to="orienteur@example.fr",
                                           subject="Décision", body="Texte")
    shared_db.push()
    state = "select state, attempts from core_outboxmessage where id = ?"
    with SmtpServer(free_port(), Recorder(slow_first_ehlo=8)) as server:
        # The message's task is queued; a worker (periodic tasks off) takes it and is killed
        # while the mail server has not answered yet.
        workers.queue.storage.enqueue(HUEY.serialize_task(outbox_send.s(message.pk)))
        first = workers("--sans-periodiques", smtp_port=server.port, name="first")
        assert server.recorder.ehlo_started.wait(20), workers.logs("first")
        assert shared_db.rows(state, message.pk) == [("sending", 1)]
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert server.received == []
        time.sleep(2.5)  # the dead worker's lease runs out
        # A worker restarts: its periodic flush finds the half-sent message and sends it.
        second = workers(smtp_port=server.port, name="second")
        wait_for(lambda: server.received, 20, "the e-mail after restart")
        time.sleep(1.5)  # nothing more comes
        second.send_signal(signal.SIGINT)
        second.wait(timeout=15)
        assert len(server.received) == 1
        assert server.received[0]["Message-ID"] == f"<{message.public_id}@maillage>"
    shared_db.pull()
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 2)


def test_smtp_down_the_worker_keeps_the_messages_and_delivers_each_once_when_it_is_back(
        shared_db, workers):
    """A real consumer, a mail server down then up: the messages stay pending with the error and
    are retried later and later (first retry after 1 s here, a minute by default), then each
    arrives once."""
    crt = CrtFactory()
    messages = [OutboxMessage.objects.create(crt=crt, to=f"partenaire{i}@example.fr",
                                             subject=f"Message {i}", body="Texte")
                for i in range(3)]
    shared_db.push()
    port = free_port()  # nothing listens there yet: the mail server is down
    for message in messages:
        workers.queue.storage.enqueue(HUEY.serialize_task(outbox_send.s(message.pk)))
    worker = workers("--sans-periodiques", smtp_port=port, name="smtp",
                     OUTBOX_FIRST_RETRY_SECONDS="1", EMAIL_TIMEOUT="3")
    states = "select state, attempts, last_error from core_outboxmessage order by id"
    wait_for(lambda: all(state == "pending" and attempts >= 2
                         for state, attempts, _ in shared_db.rows(states)), 30,
             "two failed attempts each:\n" + workers.logs("smtp"))
    assert all("Connection refused" in error or "ConnectionRefused" in error
               for _, _, error in shared_db.rows(states))
    with SmtpServer(port) as server:  # the server is back
        wait_for(lambda: len(server.received) == 3, 40,
                 "the three messages:\n" + workers.logs("smtp"))
        time.sleep(2)  # nothing more comes
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=15)
        received = sorted(m["Subject"] for m in server.received)
    assert received == ["Message 0", "Message 1", "Message 2"]
    assert {state for state, _, _ in shared_db.rows(states)} == {"sent"}
    # What the worker logged: JSON lines naming the messages' ids, never their recipients.
    log = workers.logs("smtp")
    assert "partenaire" not in log and "Outbox message" in log


def test_two_workers_run_a_periodic_task_once_per_slot(shared_db, workers):
    if timezone.now().second > 48:  # both start within the same minute
        time.sleep(61 - timezone.now().second)
    shared_db.push()
    first, second = workers(name="first"), workers(name="second")
    runs = "select slot, skipped from core_periodicrun where name = 'outbox_flush'"
    wait_for(lambda: shared_db.rows(runs) and shared_db.rows(runs)[0][1] >= 1, 25,
             "both workers' outbox_flush:\n" + workers.logs("first") + workers.logs("second"))
    for process in (first, second):
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    shared_db.pull()
    run = PeriodicRun.objects.get(name="outbox_flush")  # one run for the slot…
    assert run.skipped == 1  # …and the other worker's run of it was refused
