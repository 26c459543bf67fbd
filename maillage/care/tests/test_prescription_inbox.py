"""The GP's answer to a prescription request, read from the CRT's MSSanté mailbox by IMAP (a
real local IMAP server): attached to the file once, the request closed, the requester told;
anything not recognised stays unread in the mailbox."""

import io
import zipfile
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from django.utils import timezone

from maillage.beneficiaries.models import Document
from maillage.beneficiaries.tests.factories import PDF, shared_file
from maillage.care.models import PrescriptionRequest
from maillage.care.tests.factories import GP_ADDRESS, prescription_request
from maillage.core.models import AuditEvent, Notification
from maillage.interop.models import MssanteIncoming
from maillage.interop.mssante import inbox as mssante_inbox


@pytest.fixture
def mailbox(imap_mailbox):
    return imap_mailbox


@pytest.fixture
def request_sent(crt_a, users):
    return prescription_request(shared_file(crt_a, users["nurse"]), users["nurse"],
                                kind="nursing_care", details="Soins infirmiers 3 mois")


def answer(req, *, sender=GP_ADDRESS, thread=True, subject=None, attachment=PDF,
           filename="ordonnance.pdf", message_id=None, xdm=False):
    msg = EmailMessage()
    msg["From"] = f"Dr Jean Martin <{sender}>"
    msg["To"] = "crt@crt-test.mssante.fr"
    msg["Subject"] = subject if subject is not None else "Re: Demande de prescription"
    msg["Message-ID"] = message_id or f"<{timezone.now().timestamp()}-{id(msg)}@medecin.test>"
    msg["Date"] = "Fri, 04 Dec 2026 09:30:00 +0100"
    if thread:
        msg["In-Reply-To"] = req.message.message_id
        msg["References"] = req.message.message_id
    msg.set_content("Bonjour, voici l'ordonnance. Cordialement.")
    if attachment is not None and xdm:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("README.TXT", "XDM")
            archive.writestr("IHE_XDM/SUBSET01/METADATA.XML", "<x/>")
            archive.writestr("IHE_XDM/SUBSET01/DOC0001.PDF", attachment)
        msg.add_attachment(buffer.getvalue(), maintype="application", subtype="zip",
                           filename="IHE_XDM.ZIP")
    elif attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=filename)
    return msg.as_bytes()


def test_answer_in_the_thread_is_attached_and_closes_the_request(mailbox, request_sent, users):
    mailbox.deliver(answer(request_sent))
    result = mssante_inbox.poll()
    assert (result.read, result.attached) == (1, 1)
    request_sent.refresh_from_db()
    assert request_sent.status == PrescriptionRequest.Status.ANSWERED
    doc = request_sent.answer_document
    assert doc.category == Document.Category.MEDICAL
    assert doc.title == (f"Réponse du médecin traitant — Renouvellement des soins infirmiers "
                         f"({request_sent.reference})")
    assert doc.file.read() == PDF
    assert doc.document_date == date(2026, 12, 4)
    assert Notification.objects.get(user=users["nurse"]).text.startswith(
        f"Le médecin a répondu à la demande de prescription {request_sent.reference}")
    assert AuditEvent.objects.filter(action="prescription.answered",
                                     beneficiary_public_id=request_sent.beneficiary.public_id
                                     ).exists()
    # The message is flagged as read; a second poll finds nothing more to do.
    assert mailbox.flags()[-1] is True
    assert mssante_inbox.poll().read == 0
    assert Document.objects.filter(beneficiary=request_sent.beneficiary).count() == 1


def test_the_same_message_twice_is_attached_once(mailbox, request_sent):
    raw = answer(request_sent, message_id="<unique-twice@medecin.test>")
    assert mssante_inbox.handle(raw) == "attached"
    # The poll died before flagging it: the next one sees it again and skips it.
    assert mssante_inbox.handle(raw) == "skipped"
    assert Document.objects.filter(beneficiary=request_sent.beneficiary).count() == 1
    assert MssanteIncoming.objects.get().outcome == MssanteIncoming.Outcome.ATTACHED


def test_reference_in_the_subject_is_enough(mailbox, request_sent):
    raw = answer(request_sent, thread=False,
                 subject=f"TR: votre demande [Réf. {request_sent.reference}]")
    assert mssante_inbox.handle(raw) == "attached"
    request_sent.refresh_from_db()
    assert request_sent.status == PrescriptionRequest.Status.ANSWERED


def test_document_inside_an_xdm_archive(mailbox, request_sent):
    assert mssante_inbox.handle(answer(request_sent, xdm=True)) == "attached"
    request_sent.refresh_from_db()
    assert request_sent.answer_document.file.read() == PDF
    assert request_sent.answer_document.original_name == "DOC0001.PDF"


def test_another_sender_is_not_attached_and_stays_unread(mailbox, request_sent):
    mailbox.deliver(answer(request_sent, sender="quelquun@autre.mssante.fr"))
    result = mssante_inbox.poll()
    assert (result.read, result.unmatched, result.attached) == (1, 1, 0)
    request_sent.refresh_from_db()
    assert request_sent.status == PrescriptionRequest.Status.SENT
    assert not Document.objects.filter(beneficiary=request_sent.beneficiary).exists()
    assert mailbox.flags()[-1] is False  # left for the team's webmail
    assert MssanteIncoming.objects.get().crt is None
    # Known by its Message-ID, the next polls skip it without downloading it again.
    assert (mssante_inbox.poll().skipped, MssanteIncoming.objects.count()) == (1, 1)


def test_a_refused_attachment_stays_unread_and_the_requester_is_told(mailbox, request_sent,
                                                                      users):
    raw = answer(request_sent, attachment=b"<html><script>alert(1)</script></html>",
                 filename="ordonnance.pdf")
    mailbox.deliver(raw)
    assert mssante_inbox.poll().refused == 1
    request_sent.refresh_from_db()
    assert request_sent.status == PrescriptionRequest.Status.SENT
    assert mailbox.flags()[-1] is False
    assert "n'a pas pu être rattachée" in Notification.objects.get(user=users["nurse"]).text


def test_a_message_without_any_document(mailbox, request_sent):
    assert mssante_inbox.handle(answer(request_sent, attachment=None)) == "refused"
    assert MssanteIncoming.objects.get().reason == (
        "Aucun document PDF, PNG ou JPEG dans le message.")


def test_a_nul_in_the_message_id_or_the_attachment_name_is_dropped(mailbox, request_sent):
    """A NUL in a header or an attachment's name (a sender's broken software): PostgreSQL
    cannot store it, nor even look it up, and the poll failed on this message at every
    turn, the messages after it never read."""
    raw = answer(request_sent, message_id="<abc\x01@medecin.test>", filename="ordo\x01.pdf")
    mailbox.deliver(raw.replace(b"\x01", b"\x00"))
    assert mssante_inbox.poll().attached == 1
    assert MssanteIncoming.objects.get().message_id == "<abc@medecin.test>"
    request_sent.refresh_from_db()
    assert request_sent.answer_document.original_name == "ordo.pdf"
    assert mssante_inbox.poll().read == 0


def _xdm_with(entry: bytes, *, encrypted: bool = False, method: int | None = None) -> bytes:
    """An XDM archive whose document is marked encrypted, or compressed by another method
    (the fields written over in the local header and the central directory: Python's
    ``zipfile`` writes neither)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("IHE_XDM/SUBSET01/DOC0001.PDF", entry)
    data = bytearray(buffer.getvalue())
    central = data.rindex(b"PK\x01\x02")
    for at in (0, central + 2):  # the central header has one more field first
        if encrypted:
            data[at + 6] |= 0x1
        if method is not None:
            data[at + 8:at + 10] = method.to_bytes(2, "little")
    return bytes(data)


@pytest.mark.parametrize("archive", [
    pytest.param({"encrypted": True}, id="encrypted"),
    pytest.param({"method": 99}, id="unknown-compression"),
])
def test_an_xdm_entry_that_cannot_be_read_is_refused(mailbox, request_sent, users, archive):
    msg = EmailMessage()
    msg["From"] = f"Dr Jean Martin <{GP_ADDRESS}>"
    msg["Subject"] = "Re: Demande de prescription"
    msg["Message-ID"] = "<xdm-unreadable@medecin.test>"
    msg["In-Reply-To"] = request_sent.message.message_id
    msg.set_content("Ci-joint.")
    msg.add_attachment(_xdm_with(PDF, **archive), maintype="application", subtype="zip",
                       filename="IHE_XDM.ZIP")
    mailbox.deliver(msg.as_bytes())
    assert mssante_inbox.poll().refused == 1
    assert MssanteIncoming.objects.get().reason == (
        "Aucun document PDF, PNG ou JPEG dans le message.")
    assert "n'a pas pu être rattachée" in Notification.objects.get(user=users["nurse"]).text
    assert mailbox.flags()[-1] is False


def test_a_message_that_cannot_be_handled_does_not_block_the_next(mailbox, request_sent,
                                                                    crt_a, users, monkeypatch):
    """Something nobody foresaw in one message (here the ZIP library failing on its XDM
    archive) leaves that message unread for the webmail; the answers after it are read."""
    other = prescription_request(shared_file(crt_a, users["nurse"]), users["nurse"],
                                 kind="nursing_care", details="Pansements")
    mailbox.deliver(answer(request_sent, xdm=True))
    mailbox.deliver(answer(other))

    class Broken:
        def __init__(self, *args, **kwargs):
            raise MemoryError

    monkeypatch.setattr(zipfile, "ZipFile", Broken)
    result = mssante_inbox.poll()
    assert (result.read, result.failed, result.attached) == (2, 1, 1)
    assert mailbox.flags() == [False, True]
    other.refresh_from_db()
    request_sent.refresh_from_db()
    assert other.status == PrescriptionRequest.Status.ANSWERED
    assert request_sent.status == PrescriptionRequest.Status.SENT
    monkeypatch.undo()
    assert mssante_inbox.poll().attached == 1


def test_a_wrong_password_fails_the_poll_without_losing_anything(mailbox, request_sent, settings):
    mailbox.deliver(answer(request_sent))
    settings.MSSANTE_IMAP_PASSWORD = "faux"
    with pytest.raises(Exception):  # noqa: B017, PT011 - imaplib's error, the task logs it
        mssante_inbox.poll()
    from maillage.interop.tasks import mssante_inbox_poll

    assert mssante_inbox_poll.call_local() == 0  # the periodic task logs and waits
    settings.MSSANTE_IMAP_PASSWORD = mailbox.settings()["MSSANTE_IMAP_PASSWORD"]
    assert mssante_inbox.poll().attached == 1


def test_an_answer_after_cancellation_is_still_kept(mailbox, request_sent):
    PrescriptionRequest.objects.filter(pk=request_sent.pk).update(
        status=PrescriptionRequest.Status.CANCELLED)
    assert mssante_inbox.handle(answer(request_sent)) == "attached"
    request_sent.refresh_from_db()
    assert request_sent.status == PrescriptionRequest.Status.CANCELLED
    assert Document.objects.filter(beneficiary=request_sent.beneficiary).count() == 1


def test_not_configured_reads_nothing(settings):
    settings.MSSANTE_IMAP_HOST = ""
    assert mssante_inbox.poll().read == 0


def test_received_date_in_the_future_is_today(request_sent):
    raw = answer(request_sent).replace(b"Fri, 04 Dec 2026", b"Mon, 04 Dec 2034")
    assert mssante_inbox.handle(raw) == "attached"
    request_sent.refresh_from_db()
    assert request_sent.answered_at <= timezone.now() + timedelta(seconds=1)
