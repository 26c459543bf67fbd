"""The CRT's MSSanté mailbox, read by IMAP: the GPs' answers to prescription requests come in
here and are attached to the person's file (``care.services.prescriptions``), and the receipts
of what Maillage sent are shown on the sendings (``mssante.services.mssante_acknowledged``).

Every five minutes (``interop.tasks.mssante_inbox_poll``) the poll reads the unread messages of
the folder. For each one, by its Message-ID:

- already recorded (``MssanteIncoming``): skipped — a message is handled once, even when the poll
  died between attaching its document and flagging it as read;
- an answer to an open request (same thread, or the request's reference in the subject) **from
  the GP's MSSanté address the request went to**: its PDF/PNG/JPEG documents — attached directly
  or inside an ``IHE_XDM.ZIP`` — are checked like an upload and attached to the file, the request
  is closed, the requester told; the message is flagged as read;
- a delivery status notification or a read receipt (``multipart/report``) naming one of our
  messages: the sending shows « accusé de réception » or « non remis » with the reason, in the
  file and on the person's MSSanté page; the report is flagged as read;
- anything else (another sender, no reference, a document we refuse): recorded and left unread in
  the mailbox, where the team reads it with its MSSanté webmail. Nothing is deleted.

The messages' text is never logged; the record keeps the sender and what became of it.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import io
import logging
import re
import ssl
import zipfile
import zlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from hashlib import sha256

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.core.errors import DomainError
from maillage.core.validators import without_control_characters

from ..models import MssanteIncoming

logger = logging.getLogger(__name__)

#: Documents taken from a message (the upload rules then judge their content).
DOCUMENT_TYPES = {"application/pdf", "image/png", "image/jpeg"}
MAX_DOCUMENTS = 10
XDM_NAMES = {"ihe_xdm.zip"}


@dataclass
class PollResult:
    read: int = 0
    attached: int = 0
    receipt: int = 0
    unmatched: int = 0
    refused: int = 0
    skipped: int = 0
    failed: int = 0
    outcomes: list[str] = field(default_factory=list)


def configured() -> bool:
    return bool(settings.MSSANTE_IMAP_HOST)


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.MSSANTE_IMAP_CA_FILE or None)
    if settings.MSSANTE_IMAP_CERT_FILE:
        context.load_cert_chain(settings.MSSANTE_IMAP_CERT_FILE,
                                settings.MSSANTE_IMAP_KEY_FILE or None)
    return context


def connect() -> imaplib.IMAP4:
    host, port = settings.MSSANTE_IMAP_HOST, settings.MSSANTE_IMAP_PORT
    timeout = settings.MSSANTE_IMAP_TIMEOUT
    security = settings.MSSANTE_IMAP_SECURITY
    if security == "ssl":
        imap = imaplib.IMAP4_SSL(host, port, ssl_context=_ssl_context(), timeout=timeout)
    else:
        imap = imaplib.IMAP4(host, port, timeout=timeout)
        if security == "starttls":
            imap.starttls(ssl_context=_ssl_context())
        elif security != "none":
            raise ValueError(f"MSSANTE_IMAP_SECURITY inconnu : {security!r}")
    imap.login(settings.MSSANTE_IMAP_USER, settings.MSSANTE_IMAP_PASSWORD)
    return imap


def poll(*, limit: int = 100) -> PollResult:
    """Read the unread messages of the folder once. Raises on a connection failure (the
    periodic task logs it and the next poll tries again)."""
    result = PollResult()
    if not configured():
        return result
    imap = connect()
    try:
        typ, _ = imap.select(settings.MSSANTE_IMAP_FOLDER)
        if typ != "OK":
            raise imaplib.IMAP4.error(f"dossier {settings.MSSANTE_IMAP_FOLDER!r} introuvable")
        _, data = imap.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split()[:limit]
        for uid in uids:
            result.read += 1
            outcome = _handle_uid_alone(imap, uid)
            result.outcomes.append(outcome)
            setattr(result, outcome, getattr(result, outcome) + 1)
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):  # the server already went away
            pass
    return result


def _fetch(imap: imaplib.IMAP4, uid: bytes, what: str) -> bytes:
    _, data = imap.uid("FETCH", uid, f"({what})")
    for part in data:
        if isinstance(part, tuple):
            return part[1]
    return b""


def _handle_uid_alone(imap: imaplib.IMAP4, uid: bytes) -> str:
    """One message, its failure its own: a message we cannot handle (a bug, something nobody
    foresaw) is logged, left unread for the webmail, and the next ones are still read. A
    failure of the connection stops the poll (the next one tries again)."""
    try:
        with transaction.atomic():
            return _handle_uid(imap, uid)
    except (imaplib.IMAP4.error, OSError):
        raise
    except Exception as exc:  # noqa: BLE001 - one message must not block the mailbox
        logger.error("MSSanté message %s not handled: %s", uid.decode(errors="replace"),
                     type(exc).__name__)
        return "failed"


def _handle_uid(imap: imaplib.IMAP4, uid: bytes) -> str:
    # A message already recorded (left unread for the webmail) is not downloaded again.
    head = email.message_from_bytes(
        _fetch(imap, uid, "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"), policy=email.policy.default)
    known = _header_id(head)
    if known and MssanteIncoming.objects.filter(message_id=known).exists():
        return "skipped"
    raw = _fetch(imap, uid, "BODY.PEEK[]")
    outcome = handle(raw)
    if outcome in ("attached", "receipt"):
        imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    return outcome


def _header_id(message: EmailMessage) -> str:
    """The Message-ID as we keep it: control characters dropped (a NUL in a header cannot be
    stored, nor even looked for, in PostgreSQL)."""
    return without_control_characters((message.get("Message-ID") or "").strip())[:300]


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = _header_id(message)
    return value or f"<sha256-{sha256(raw).hexdigest()}@sans-message-id>"


def _received_at(message: EmailMessage):
    try:
        when = parsedate_to_datetime(message.get("Date", ""))
    except (TypeError, ValueError):
        return timezone.now()
    if when is None or timezone.is_naive(when):
        return timezone.now()
    return min(when, timezone.now())


def documents_of(message: EmailMessage) -> list[tuple[str, bytes]]:
    """The documents a message carries: PDF/PNG/JPEG attachments, and those inside an IHE-XDM
    archive (``IHE_XDM/SUBSET*/``), bounded in number and size."""
    found: list[tuple[str, bytes]] = []
    limit = settings.MSSANTE_MAX_ATTACHMENT_BYTES
    for part in message.iter_attachments():
        name = without_control_characters(part.get_filename() or "")
        ctype = part.get_content_type()
        payload = part.get_payload(decode=True) or b""
        if name.lower() in XDM_NAMES or ctype in {"application/zip",
                                                  "application/x-zip-compressed"}:
            found.extend(_xdm_documents(payload, limit))
        elif ctype in DOCUMENT_TYPES or name.lower().endswith((".pdf", ".png", ".jpg", ".jpeg")):
            if len(payload) <= limit:
                found.append((name, payload))
    return found[:MAX_DOCUMENTS]


def _xdm_documents(payload: bytes, limit: int) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile:
        return []
    found = []
    for info in archive.infolist()[:50]:
        parts = info.filename.upper().split("/")
        if (len(parts) != 3 or parts[0] != "IHE_XDM" or not parts[1].startswith("SUBSET")
                or info.is_dir() or info.file_size > limit):
            continue
        if parts[2].endswith((".PDF", ".PNG", ".JPG", ".JPEG")):
            try:
                content = archive.read(info)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error,
                    EOFError):  # encrypted, an unknown compression, or damaged: unreadable
                continue
            found.append((without_control_characters(info.filename.rsplit("/", 1)[-1]),
                          content))
    return found


#: Our messages' Message-IDs (``OutboxMessage.message_id``), wherever a report quotes them.
_OUR_IDS = re.compile(r"<[0-9a-fA-F-]{36}@maillage>")
_ACTION = re.compile(r"^Action:\s*([A-Za-z]+)", re.MULTILINE)
_STATUS = re.compile(r"^Status:\s*([0-9.]+)", re.MULTILINE)
_DIAGNOSTIC = re.compile(r"^Diagnostic-Code:\s*(?:[\w-]+;\s*)?(.+)$", re.MULTILINE)


def report_of(message: EmailMessage, raw: bytes) -> tuple[list[str], str] | None:
    """A delivery status notification (RFC 3464) or a read receipt (RFC 8098) about our
    messages: (their Message-IDs, the failure in French or "" for an acknowledgement), or None
    when the message is not a report, or a report that says nothing yet (``delayed``)."""
    if message.get_content_type() != "multipart/report":
        return None
    text = raw.decode("utf-8", errors="replace")
    ids = list(dict.fromkeys(_OUR_IDS.findall(text)))
    kind = (message.get_param("report-type") or "").lower()
    if kind == "delivery-status":
        actions = {a.lower() for a in _ACTION.findall(text)}
        if "failed" in actions:
            status = _STATUS.search(text)
            diagnostic = _DIAGNOSTIC.search(text)
            reason = "le serveur du destinataire a refusé le message"
            if status:
                reason += f" (code {status.group(1)}"
                reason += f" : {diagnostic.group(1).strip()[:150]})" if diagnostic else ")"
            return ids, reason
        if not actions & {"delivered", "relayed", "expanded"}:
            return None
    elif kind != "disposition-notification":
        return None
    return ids, ""


def handle(raw: bytes) -> str:
    """Handle one message (its raw bytes); returns ``attached``, ``receipt``, ``unmatched``,
    ``refused`` or ``skipped`` (already recorded)."""
    from maillage.care.services.prescriptions import find_answered, prescription_answer

    message = email.message_from_bytes(raw, policy=email.policy.default)
    message_id = _message_id(message, raw)
    if MssanteIncoming.objects.filter(message_id=message_id).exists():
        return "skipped"
    sender = parseaddr(message.get("From", ""))[1]
    thread = f"{message.get('In-Reply-To', '')} {message.get('References', '')}".split()
    received_at = _received_at(message)
    record = MssanteIncoming(message_id=message_id, sender=sender[:254],
                             received_at=received_at)
    report = report_of(message, raw)
    if report is not None:
        return _receipt(record, *report)
    req = find_answered(sender=sender, subject=message.get("Subject", ""), thread_ids=thread)
    if req is None:
        record.outcome = MssanteIncoming.Outcome.UNMATCHED
        return _save(record)
    record.crt, record.answers = req.crt, req.public_id
    documents = documents_of(message)
    if not documents:
        record.outcome = MssanteIncoming.Outcome.REFUSED
        record.reason = "Aucun document PDF, PNG ou JPEG dans le message."
        return _refused(record, req)
    try:
        with transaction.atomic():
            for name, content in documents:
                prescription_answer(req=req, filename=name, content=content,
                                    received_at=received_at)
            record.outcome = MssanteIncoming.Outcome.ATTACHED
            record.documents = len(documents)
            record.save()
    except DomainError as exc:
        record.outcome = MssanteIncoming.Outcome.REFUSED
        record.reason = exc.message[:300]
        return _refused(record, req)
    except IntegrityError:  # another poll recorded it meanwhile: its documents are attached
        return "skipped"
    return "attached"


def _receipt(record: MssanteIncoming, ids: list[str], error: str) -> str:
    """A delivery or read notification: the sendings it names show it."""
    from .services import mssante_acknowledged

    sending = None
    with transaction.atomic():
        for message_id in ids:
            sending = mssante_acknowledged(message_id=message_id, at=record.received_at,
                                           error=error) or sending
    if sending is None:
        record.outcome = MssanteIncoming.Outcome.UNMATCHED
        return _save(record)
    record.outcome, record.crt = MssanteIncoming.Outcome.RECEIPT, sending.crt
    record.reason = error[:300]
    outcome = _save(record)
    return "receipt" if outcome != "skipped" else outcome


def _save(record: MssanteIncoming) -> str:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        return "skipped"
    return record.outcome


def _refused(record: MssanteIncoming, req) -> str:
    """A message from the GP we could not attach: recorded, the requester told to read it in
    the MSSanté webmail."""
    from maillage.core.notifications import notify

    outcome = _save(record)
    if outcome != "skipped" and req.created_by_id:
        notify(crt=req.crt, users=[req.created_by], beneficiary=req.beneficiary, face="health",
               text=f"Le médecin a répondu à la demande de prescription {req.reference}, mais "
                    "sa pièce jointe n'a pas pu être rattachée : consultez la messagerie MSSanté.")
    logger.info("MSSanté message for %s not attached: %s", req.reference, record.reason)
    return "refused" if outcome != "skipped" else outcome
