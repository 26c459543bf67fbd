"""The durable outbox: every message to the outside is a row written in the caller's
transaction, sent by the task queue after commit.

Life of a message: ``pending`` (written; due at ``next_attempt_at``) → ``sending`` (taken by a
worker until ``lease_until``) → ``sent``; a failed attempt puts it back to ``pending`` with the
error and a later ``next_attempt_at`` (exponential backoff: 1, 2, 4… minutes, at most one hour
apart), and after ``MAX_ATTEMPTS`` it is ``failed``, shown to the coordination with a « Réessayer »
button. Nothing is lost when the mail server is down, when the enqueue after commit is lost or
when a worker dies: the periodic ``outbox_flush`` takes every due message again.

Delivery is **at least once, not exactly once**. A worker takes a message by a conditional
``UPDATE`` (``pending`` and due, or ``sending`` with an expired lease → ``sending``), so two
workers never send the same message at the same time, and a worker killed before or while
talking to the mail server leaves a ``sending`` row whose lease expires and which is sent again.
The one window left is a worker killed after the server accepted the message and before the row
is marked ``sent``: the message is then sent twice. SMTP gives no way to close it (no
transaction spans our database and the remote server); it is a few milliseconds wide, and every
attempt carries the same ``Message-ID`` (the row's public id), so a duplicate is detectable and
mail systems that deduplicate drop it. Exactly once would mean losing messages instead, which is
worse for a referral decision or an access link.

The body may carry personal data: it is never logged, never in an audit label, never in an
error kept on the row (only what went wrong, ``describe_failure``: a French sentence and the
exception's class and message from the transport).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxAttachment, OutboxMessage
from .validators import is_mssante_address

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_DELAY = timedelta(hours=1)


def lease() -> timedelta:
    """How long a worker keeps a message it is sending before another may take it again."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: ``OUTBOX_FIRST_RETRY_SECONDS`` (one
    minute), doubled at each failure, at most an hour."""
    first = timedelta(seconds=settings.OUTBOX_FIRST_RETRY_SECONDS)
    return min(first * 2 ** max(attempts - 1, 0), MAX_DELAY)


def outbox_add(*, crt, to: str, subject: str, body: str,
               kind: str = OutboxMessage.Kind.EMAIL, headers: dict[str, str] | None = None,
               attachments: list[tuple[str, bytes, str]] = ()) -> OutboxMessage:
    """Write the message in the current transaction; once it commits, ask the queue to send it
    (if that request is lost, ``outbox_flush`` sends it within a minute). ``attachments``:
    (file name, bytes, content type), stored with the message."""
    if kind == OutboxMessage.Kind.EMAIL and is_mssante_address(to):
        # The MSSanté space is closed: an e-mail to one of its addresses (a referrer's, a
        # partner's) leaves by the MSSanté transport, never by the ordinary e-mail backend.
        kind = OutboxMessage.Kind.MSSANTE
    message = OutboxMessage.objects.create(crt=crt, kind=kind, to=to, subject=subject[:300],
                                           body=body, headers=headers or {})
    OutboxAttachment.objects.bulk_create([
        OutboxAttachment(message=message, filename=name, content=bytes(data), content_type=ctype)
        for name, data, ctype in attachments])
    transaction.on_commit(lambda: enqueue(message.pk))
    return message


def enqueue(pk: int, *, eta=None) -> None:
    from .tasks import outbox_send

    try:
        if eta is None:
            outbox_send(pk)
        else:
            outbox_send.schedule((pk,), eta=eta)
    except Exception:  # noqa: BLE001 - the periodic flush sends it anyway
        logger.exception("Outbox message %s could not be queued; the flush will send it", pk)


def _take(pk: int, now) -> bool:
    """Take the message for sending: one worker wins (conditional UPDATE, both databases)."""
    return bool(OutboxMessage.objects.filter(pk=pk).filter(
        Q(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        | Q(state=OutboxMessage.State.SENDING, lease_until__lt=now),
    ).update(state=OutboxMessage.State.SENDING, lease_until=now + lease(),
             attempts=F("attempts") + 1))


#: The transports of the kinds other than e-mail, registered by the app that owns them (core
#: never imports a domain app): kind → function sending one message or raising.
TRANSPORTS: dict[str, Callable[[OutboxMessage], None]] = {}


def register_transport(kind: str, send: Callable[[OutboxMessage], None]) -> None:
    TRANSPORTS[kind] = send


class SaidError(Exception):
    """A failure whose message is a French sentence for the coordination (« messagerie
    MSSanté non configurée… »): shown as it is."""


class NoTransportError(SaidError):
    pass


def describe_failure(exc: Exception) -> str:
    """What the coordination reads of a failed attempt (the outbox page, the file): what went
    wrong in French, then the transport's own words for whoever repairs it."""
    if isinstance(exc, SaidError):
        text = str(exc)
        return (text[:1].upper() + text[1:])[:500]
    if isinstance(exc, ssl.SSLCertVerificationError):
        said = "Certificat du serveur refusé (autorité inconnue ou certificat invalide)"
    elif isinstance(exc, ssl.SSLError):
        said = "Échec de la connexion chiffrée (TLS) avec le serveur de messagerie"
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        said = "Le serveur ne propose pas de connexion chiffrée : rien n'est envoyé en clair"
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        said = "Identifiants refusés par le serveur de messagerie"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        said = "Adresse du destinataire refusée par le serveur de messagerie"
    elif isinstance(exc, smtplib.SMTPException):
        said = "Le serveur de messagerie a refusé l'envoi"
    elif isinstance(exc, ConnectionRefusedError):
        said = "Serveur de messagerie injoignable (connexion refusée)"
    elif isinstance(exc, TimeoutError):
        said = "Le serveur de messagerie ne répond pas (délai dépassé)"
    elif isinstance(exc, OSError):
        said = "Serveur de messagerie injoignable"
    else:
        said = "Échec de l'envoi"
    return f"{said}. Détail technique : {type(exc).__name__}: {exc}"[:500]


def _transport(message: OutboxMessage) -> None:
    if message.kind != OutboxMessage.Kind.EMAIL:
        # Never through the e-mail backend: an MSSanté message that has no transport waits
        # (and is retried) rather than leaving by ordinary e-mail.
        send = TRANSPORTS.get(message.kind)
        if send is None:
            raise NoTransportError(
                f"aucun moyen d'envoi pour les messages de type « {message.kind} »")
        send(message)
        return
    headers = {**message.headers, "Message-ID": message.message_id}
    email = EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL,
                         [message.to], headers=headers)
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    email.send(fail_silently=False)


def deliver(pk: int, *, now=None) -> str | None:
    """Send one message if it is due and nobody else is sending it. Returns its new state, or
    None when there was nothing to do (already sent, not due, taken by another worker)."""
    now = now or timezone.now()
    if not _take(pk, now):
        return None
    message = OutboxMessage.objects.get(pk=pk)
    try:
        _transport(message)
    except Exception as exc:  # noqa: BLE001 - every transport failure is retried
        error = describe_failure(exc)
        failed = message.attempts >= MAX_ATTEMPTS
        retry_at = timezone.now() + backoff(message.attempts)
        OutboxMessage.objects.filter(pk=pk, state=OutboxMessage.State.SENDING).update(
            state=OutboxMessage.State.FAILED if failed else OutboxMessage.State.PENDING,
            last_error=error, next_attempt_at=retry_at, lease_until=None)
        logger.warning("Outbox message %s: attempt %s failed (%s)", message.public_id,
                       message.attempts, type(exc).__name__)
        if not failed:
            enqueue(pk, eta=retry_at)
        return (OutboxMessage.State.FAILED if failed else OutboxMessage.State.PENDING)
    OutboxMessage.objects.filter(pk=pk).update(state=OutboxMessage.State.SENT,
                                               sent_at=timezone.now(), lease_until=None,
                                               last_error="")
    return OutboxMessage.State.SENT


def due(*, now=None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    return list(OutboxMessage.objects.filter(
        Q(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        | Q(state=OutboxMessage.State.SENDING, lease_until__lt=now),
    ).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def flush(*, now=None) -> int:
    """Send every due message (and those a dead worker left half-sent). Returns how many were
    sent."""
    return sum(deliver(pk, now=now) == OutboxMessage.State.SENT for pk in due(now=now))


#: Sent messages are kept this long (their text may carry personal data), then deleted.
KEEP_SENT = timedelta(days=90)


def prune(*, now=None) -> int:
    """Delete the messages sent more than ``KEEP_SENT`` ago. Failed and pending ones stay."""
    now = now or timezone.now()
    deleted = OutboxMessage.objects.filter(state=OutboxMessage.State.SENT,
                                           sent_at__lt=now - KEEP_SENT).delete()[1]
    return deleted.get(OutboxMessage._meta.label, 0)  # the messages, not their attachments


# --- The coordination's page -------------------------------------------------------------------


def messages_for(*, crt):
    """The CRT's outbox, newest first (the page paginates it)."""
    return OutboxMessage.objects.filter(crt=crt).order_by("-created_at", "-id").only(
        "public_id", "kind", "to", "subject", "state", "attempts", "last_error",
        "next_attempt_at", "created_at", "sent_at")


@transaction.atomic
def outbox_retry(*, actor, message: OutboxMessage) -> OutboxMessage:
    """A new series of attempts for a message that failed (the address was corrected, the mail
    server is back…), queued after the commit."""
    from .audit import audit_log
    from .errors import DomainError

    updated = OutboxMessage.objects.filter(pk=message.pk, state=OutboxMessage.State.FAILED).update(
        state=OutboxMessage.State.PENDING, attempts=0, next_attempt_at=timezone.now())
    if not updated:
        raise DomainError("Ce message n'est pas en échec : il n'y a rien à réessayer.",
                          code="conflict")
    audit_log(actor=actor, action="outbox.retried", obj=message, crt=message.crt)
    transaction.on_commit(lambda: enqueue(message.pk))
    message.refresh_from_db()
    return message
