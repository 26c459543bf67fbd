"""The durable outbox: written in the caller's transaction, sent after commit, retried while
the mail server is down, delivered once when it is back; the « Messages sortants » page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from maillage.core import outbox
from maillage.core.models import AuditEvent, OutboxMessage, PeriodicRun
from maillage.core.notify import send_email
from maillage.core.queue import claim_slot, slot_of
from maillage.core.tests.helpers import visible_text
from maillage.core.tests.smtp import SmtpServer, free_port

pytestmark = pytest.mark.django_db


def test_written_with_the_change_and_sent_after_commit(crt_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_email(crt=crt_a, to="orienteur@example.fr", subject="Demande reçue",
                             body="Bonjour, votre demande est bien arrivée.")
        assert mail.outbox == []  # nothing leaves before the commit
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT and message.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["orienteur@example.fr"]
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{message.public_id}@maillage>"


def test_nothing_is_written_nor_sent_when_the_change_rolls_back(
        crt_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            send_email(crt=crt_a, to="orienteur@example.fr", subject="Objet", body="Texte")
            raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists() and mail.outbox == []


def test_smtp_down_then_up_every_message_delivered_once(crt_a, settings):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    sent = [send_email(crt=crt_a, to=f"partenaire{i}@example.fr", subject=f"Message {i}",
                       body="Données personnelles : ne pas journaliser.") for i in range(3)]
    now = timezone.now()
    # The server is down: every attempt fails, the messages stay pending with the error, and
    # the next attempts come later and later.
    for attempt in (1, 2, 3):
        now += timedelta(hours=2)
        assert outbox.flush(now=now) == 0
        rows = list(OutboxMessage.objects.order_by("pk"))
        assert {(m.state, m.attempts) for m in rows} == {("pending", attempt)}
        assert all(m.last_error.startswith(
            "Serveur de messagerie injoignable (connexion refusée). Détail technique : ")
            for m in rows)
    assert outbox.backoff(1) < outbox.backoff(2) < outbox.backoff(3) <= outbox.MAX_DELAY
    assert outbox.flush(now=timezone.now()) == 0  # not due yet: no new attempt
    assert {m.attempts for m in OutboxMessage.objects.all()} == {3}
    # The server comes back: each message is delivered, once.
    with SmtpServer(port) as server:
        now += timedelta(hours=2)
        assert outbox.flush(now=now) == 3
        assert outbox.flush(now=now + timedelta(hours=2)) == 0
        received = sorted(server.received, key=lambda m: m["Subject"])
    assert [m["Subject"] for m in received] == ["Message 0", "Message 1", "Message 2"]
    assert [m["Message-ID"] for m in received] == [f"<{m.public_id}@maillage>" for m in sent]
    assert {(m.state, m.last_error) for m in OutboxMessage.objects.all()} == {("sent", "")}


def test_after_the_last_attempt_the_message_is_failed(crt_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    message = send_email(crt=crt_a, to="x@example.fr", subject="Objet", body="Texte")
    now = timezone.now()
    for _ in range(outbox.MAX_ATTEMPTS):
        now += timedelta(hours=2)
        outbox.flush(now=now)
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert outbox.flush(now=now + timedelta(days=1)) == 0  # failed: only a person retries


def test_a_sender_presumed_dead_leaves_the_message_to_another(crt_a, settings):
    message = send_email(crt=crt_a, to="x@example.fr", subject="Objet", body="Texte")
    now = timezone.now()
    assert outbox._take(message.pk, now)  # a worker took it, then died
    assert outbox.deliver(message.pk, now=now) is None  # still its lease: nobody else sends
    assert mail.outbox == []
    later = now + outbox.lease() + timedelta(seconds=1)
    assert outbox.deliver(message.pk, now=later) == "sent"
    assert len(mail.outbox) == 1
    assert outbox.deliver(message.pk, now=later + timedelta(hours=1)) is None


def test_sent_messages_are_deleted_after_90_days(crt_a):
    old = send_email(crt=crt_a, to="a@example.fr", subject="Objet", body="Texte")
    recent = send_email(crt=crt_a, to="b@example.fr", subject="Objet", body="Texte")
    failed = _failed(crt_a)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=old.pk).update(state="sent", sent_at=now - timedelta(days=91))
    OutboxMessage.objects.filter(pk=recent.pk).update(state="sent",
                                                      sent_at=now - timedelta(days=89))
    failed.created_at = now - timedelta(days=365)
    failed.save()
    assert outbox.prune(now=now) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}


# --- Periodic tasks: once per slot ------------------------------------------------------------


def test_a_periodic_task_runs_once_per_slot():
    from maillage.core.tasks import outbox_flush

    slot = slot_of(timezone.now(), 1)
    outbox_flush()  # Huey runs it (immediately in tests), through the guard
    outbox_flush()  # a second worker's run for the same minute
    run = PeriodicRun.objects.get(name="outbox_flush")
    if run.slot == slot:  # (not across a minute boundary)
        assert run.skipped == 1
    assert claim_slot("outbox_flush", run.slot) is False
    assert claim_slot("outbox_flush", run.slot + timedelta(minutes=1)) is True


def test_slots():
    at = datetime(2026, 12, 3, 14, 7, 31, tzinfo=UTC)
    assert slot_of(at, 5) == at.replace(minute=5, second=0)
    assert slot_of(at, 1440) == at.replace(hour=0, minute=0, second=0)


# --- The « Messages sortants » page -----------------------------------------------------------


def _failed(crt, **fields):
    return OutboxMessage.objects.create(
        crt=crt, to="partenaire@example.fr", subject="CRT A : décision sur votre demande",
        body="Texte avec des données personnelles", state=OutboxMessage.State.FAILED,
        attempts=outbox.MAX_ATTEMPTS, last_error="SMTPRecipientsRefused: boîte inconnue",
        **fields)


def test_coordination_sees_the_outbox_and_retries_a_failed_message(
        client_for, crt_a, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    message = _failed(crt_a)
    send_email(crt=crt_a, to="autre@example.fr", subject="CRT A : demande reçue", body="Texte")
    client = client_for("coordinator")
    with django_assert_max_num_queries(15):
        response = client.get(reverse("core:outbox"))
    text = visible_text(response)
    assert "Messages sortants" in text and "partenaire@example.fr" in text
    assert "Échec" in text and "SMTPRecipientsRefused: boîte inconnue" in text
    assert "En attente" in text and "Réessayer" in text
    assert "données personnelles" not in text  # the body is never shown
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:outbox_retry", args=[message.public_id]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.state == "sent" and [m.to for m in mail.outbox] == [["partenaire@example.fr"]]
    event = AuditEvent.objects.get(action="outbox.retried")
    assert "données" not in event.object_label
    text = visible_text(client.get(reverse("core:outbox")))
    assert "Nouvel envoi demandé" in text and "Envoyé" in text
    # Retrying a message that is not failed changes nothing.
    response = client.post(reverse("core:outbox_retry", args=[message.public_id]), follow=True)
    assert "rien à réessayer" in visible_text(response)


def test_the_direction_sees_it_a_nurse_does_not(client_for, crt_a):
    _failed(crt_a)
    assert client_for("direction").get(reverse("core:outbox")).status_code == 200
    client = client_for("nurse")
    assert client.get(reverse("core:outbox")).status_code == 403
    message = _failed(crt_a)
    assert client.post(reverse("core:outbox_retry", args=[message.public_id])).status_code == 403
    message.refresh_from_db()
    assert message.state == "failed"


def test_another_crt_message_is_not_found(client_for, crt_b):
    other = _failed(crt_b)
    client = client_for("coordinator")
    assert client.post(reverse("core:outbox_retry", args=[other.public_id])).status_code == 404
    assert "partenaire@example.fr" not in visible_text(client.get(reverse("core:outbox")))
    other.refresh_from_db()
    assert other.state == "failed"
