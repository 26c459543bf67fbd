"""The MSSanté SMTP transport of the outbox (kind ``mssante``): its own server, TLS and client
certificate, all from the environment (``MSSANTE_*`` settings), separate from the ordinary
e-mail backend. Registered with ``core.outbox.register_transport`` by the app's ``ready()``;
retries, backoff and the lease are the outbox's (``core.outbox.deliver``).

- ``MSSANTE_SECURITY``: ``starttls`` (SMTP then STARTTLS, port 587 by default) or ``tls``
  (implicit TLS, port 465); never clear text.
- ``MSSANTE_CERT_FILE`` / ``MSSANTE_KEY_FILE``: the box's IGC Santé certificate and key
  (client authentication at the TLS handshake); ``MSSANTE_CA_FILE``: the CA bundle the
  operator's server certificate is checked against (the system's when empty). The server's
  name is always checked.
- ``MSSANTE_USERNAME`` / ``MSSANTE_PASSWORD``: SMTP AUTH, for an operator that asks for it
  besides the certificate (optional).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from django.conf import settings

from maillage.core.models import OutboxMessage
from maillage.core.outbox import SaidError


class NotConfiguredError(SaidError):
    pass


def configured() -> bool:
    return bool(settings.MSSANTE_HOST and settings.MSSANTE_SENDER)


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.MSSANTE_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.MSSANTE_CERT_FILE:
        context.load_cert_chain(settings.MSSANTE_CERT_FILE, settings.MSSANTE_KEY_FILE or None)
    return context


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.MSSANTE_SENDER
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    for name, value in message.headers.items():
        email[name] = value
    if "X-MSS-NIL" not in message.headers and settings.MSSANTE_NIL:
        # On every message, also the plain e-mails the outbox routed here (``outbox_add``).
        email["X-MSS-NIL"] = settings.MSSANTE_NIL
    email.set_content(message.body)
    for attachment in message.attachments.all():
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(bytes(attachment.content), maintype=maintype,
                             subtype=subtype or "octet-stream", filename=attachment.filename)
    return email


def send(message: OutboxMessage) -> None:
    """Send one message to the MSSanté operator, or raise (the outbox retries)."""
    if not configured():
        raise NotConfiguredError("messagerie MSSanté non configurée (MSSANTE_HOST, MSSANTE_SENDER)")
    email = build_email(message)
    host, port, timeout = settings.MSSANTE_HOST, settings.MSSANTE_PORT, settings.MSSANTE_TIMEOUT
    context = tls_context()
    if settings.MSSANTE_SECURITY == "tls":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if settings.MSSANTE_SECURITY != "tls":
            client.ehlo()
            client.starttls(context=context)  # raises when the server does not offer it
            client.ehlo()
        if settings.MSSANTE_USERNAME:
            client.login(settings.MSSANTE_USERNAME, settings.MSSANTE_PASSWORD)
        client.send_message(email)
