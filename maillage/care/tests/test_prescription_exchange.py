"""A prescription request from end to end with a local MSSanté operator (TLS SMTP with a client
certificate) and the CRT's mailbox (IMAP): the nurse asks from the file, the letter reaches
the GP inside IHE_XDM.ZIP, the GP's answer comes back in the thread, the poll attaches it and
closes the request; unanswered, the request is reminded in the same thread."""

import hashlib
from datetime import date, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember, Document
from maillage.beneficiaries.tests.factories import PDF, shared_file
from maillage.care.models import PrescriptionRequest
from maillage.care.services.prescriptions import prescription_reminders
from maillage.care.tests.factories import GP_ADDRESS, with_gp
from maillage.core import outbox
from maillage.core.models import AuditEvent, Notification
from maillage.core.tests.helpers import visible_text
from maillage.interop.models import MssanteSending
from maillage.interop.mssante import inbox as mssante_inbox
from maillage.interop.tests.mssante_server import (
    TlsSmtpServer,
    attachments,
    unzip,
)
from maillage.territory.tests.factories import ProfessionalFactory


@pytest.fixture
def operator(mssante_operator):
    return mssante_operator


@pytest.fixture
def mailbox(imap_mailbox):
    return imap_mailbox


@pytest.fixture
def person(crt_a, users):
    b = shared_file(crt_a, users["nurse"])
    with_gp(b)
    return b


def url(name, b):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id})


def ask(client, nurse, b):
    client.force_login(nurse)
    response = client.post(url("prescription_add", b), {
        "kind": "nursing_care", "details": "Renouvellement des soins infirmiers pour 3 mois.",
        "context": "Plaie du talon en voie de cicatrisation."})
    assert response.status_code == 302, visible_text(response)
    return PrescriptionRequest.objects.get(beneficiary=b)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def gp_reply(received) -> bytes:
    """The GP answers the message received: same thread, the prescription in PDF."""
    reply = EmailMessage()
    reply["From"] = f"Dr Jean Martin <{GP_ADDRESS}>"
    reply["To"] = received["From"]
    reply["Subject"] = "Re: " + subject(received)
    reply["Message-ID"] = "<reponse-1@medecin.mssante.fr>"
    reply["In-Reply-To"] = received["Message-ID"]
    reply["References"] = received["Message-ID"]
    reply.set_content("Bonjour, ci-joint l'ordonnance. Bien confraternellement.")
    reply.add_attachment(PDF, maintype="application", subtype="pdf", filename="ordonnance.pdf")
    return reply.as_bytes()


def test_request_answer_attached_request_closed(client, users, person, operator, mailbox):
    files, port = operator
    req = ask(client, users["nurse"], person)
    with TlsSmtpServer(port, files) as server:
        assert outbox.flush(now=timezone.now()) == 1
    [received] = server.received
    assert received["To"] == GP_ADDRESS
    assert f"[Réf. {req.reference}]" in subject(received)
    parts = attachments(received)
    letter = parts[f"{req.reference}.pdf"]
    inside = unzip(parts["IHE_XDM.ZIP"])
    assert inside["IHE_XDM/SUBSET01/DOC0001.PDF"] == letter
    assert hashlib.sha1(letter).hexdigest() in (  # noqa: S324 - the XDS hash is SHA-1
        inside["IHE_XDM/SUBSET01/METADATA.XML"].decode())
    # The letter is among the file's MSSanté sendings.
    sending = MssanteSending.objects.get(beneficiary=person)
    assert (sending.document_kind, sending.document_id) == ("letter", req.public_id)

    page = visible_text(client.get(url("prescriptions", person)))
    assert "Envoyée, en attente de réponse" in page and "Envoyé" in page
    detail = reverse("beneficiaries:detail", kwargs={"public_id": person.public_id})
    assert f"Demande de prescription {req.reference}" in visible_text(client.get(detail))
    # The coordination (no health data) does not see the letter among the sendings.
    client.force_login(users["coordinator"])
    assert req.reference not in visible_text(client.get(detail))
    client.force_login(users["nurse"])

    mailbox.deliver(gp_reply(received))
    assert mssante_inbox.poll().attached == 1
    req.refresh_from_db()
    assert req.status == PrescriptionRequest.Status.ANSWERED
    assert req.answer_document.file.read() == PDF
    page = visible_text(client.get(url("prescriptions", person)))
    assert "Réponse reçue" in page and f"({req.reference})" in page
    assert Notification.objects.filter(user=users["nurse"],
                                       text__contains="Le médecin a répondu").exists()
    assert set(AuditEvent.objects.filter(beneficiary_public_id=person.public_id)
               .values_list("action", flat=True)) >= {
        "prescription.requested", "mssante.sent", "prescription.answered", "document.added"}


def test_unanswered_request_is_reminded_in_the_thread(client, users, person, operator,
                                                      settings):
    files, port = operator
    settings.PRESCRIPTION_REMINDER_DAYS, settings.PRESCRIPTION_MAX_REMINDERS = 7, 2
    req = ask(client, users["nurse"], person)
    first_id = req.message.message_id
    now = timezone.now()
    assert prescription_reminders(now=now + timedelta(days=6)) == 0
    assert prescription_reminders(now=now + timedelta(days=7, minutes=1)) == 1
    # Twice the same day: once.
    assert prescription_reminders(now=now + timedelta(days=7, minutes=2)) == 0
    with TlsSmtpServer(port, files) as server:
        assert outbox.flush(now=timezone.now()) == 2
    reminder = next(m for m in server.received if m["In-Reply-To"])
    assert reminder["In-Reply-To"] == first_id and reminder["References"] == first_id
    assert subject(reminder).startswith("Relance 1 — Demande de prescription")
    req.refresh_from_db()
    assert req.reminders == 1
    # The reminder is the software's (the periodic task), the first letter the nurse's.
    senders = AuditEvent.objects.filter(action="mssante.sent").values_list("actor", flat=True)
    assert sorted(senders, key=str) == sorted([None, users["nurse"].pk], key=str)
    assert "relance n° 1 envoyée" in Notification.objects.get(user=users["nurse"]).text
    # At most PRESCRIPTION_MAX_REMINDERS reminders.
    assert prescription_reminders(now=now + timedelta(days=15)) == 1
    assert prescription_reminders(now=now + timedelta(days=30)) == 0


def test_a_request_without_gp_or_address_is_refused_and_nothing_saved(client, users, crt_a,
                                                                      operator):
    b = shared_file(crt_a, users["nurse"])
    client.force_login(users["nurse"])
    data = {"kind": "biology", "details": "NFS", "context": ""}
    response = client.post(url("prescription_add", b), data)
    assert response.status_code == 400
    assert "Le médecin traitant n'est pas renseigné dans le cercle de soins" in (
        visible_text(response))
    gp = ProfessionalFactory(crt=crt_a, last_name="Durand", profession="gp", mssante_email="")
    CareTeamMember.objects.create(crt=crt_a, beneficiary=b, professional=gp, is_gp=True,
                                  role="Médecin traitant", start_date=date(2024, 1, 1))
    response = client.post(url("prescription_add", b), data)
    assert response.status_code == 400
    assert "Le Dr DURAND n'a pas d'adresse MSSanté dans l'annuaire" in visible_text(response)
    assert not PrescriptionRequest.objects.exists() and not MssanteSending.objects.exists()


def test_missing_details_shown_next_to_the_field(client, users, person, operator):
    client.force_login(users["nurse"])
    response = client.post(url("prescription_add", person),
                           {"kind": "biology", "details": "  ", "context": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_details_errors"' in html
    assert not PrescriptionRequest.objects.exists()


def test_mssante_not_configured_is_said_and_nothing_saved(client, users, person, settings):
    settings.MSSANTE_HOST = ""
    client.force_login(users["nurse"])
    response = client.post(url("prescription_add", person),
                           {"kind": "biology", "details": "NFS", "context": ""})
    assert response.status_code == 400
    assert "La messagerie MSSanté n'est pas configurée" in visible_text(response)
    assert not PrescriptionRequest.objects.exists()
    assert not Document.objects.exists()


def report(kind: str, original_id: str, fields: str) -> bytes:
    """A notification as mail servers write them: multipart/report with the machine-readable
    part (RFC 3464 delivery status, RFC 8098 read receipt)."""
    boundary = "=_rapport"
    second = ("message/delivery-status" if kind == "delivery-status"
              else "message/disposition-notification")
    return (
        f"From: Mail Delivery System <MAILER-DAEMON@medecin.mssante.fr>\r\n"
        f"To: crt-a@crt-a.mssante.fr\r\nSubject: Notification\r\n"
        f"Message-ID: <rapport-{kind}-{original_id.strip('<>')}@medecin.mssante.fr>\r\n"
        f"Date: Fri, 04 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={kind}; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNotification.\r\n"
        f"--{boundary}\r\nContent-Type: {second}\r\n\r\n{fields}\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\nSubject: Demande\r\n\r\n"
        f"--{boundary}--\r\n").encode()


def test_receipts_and_non_delivery_shown_on_the_sendings(client, users, person, operator,
                                                         mailbox):
    first = ask(client, users["nurse"], person)
    first_id = first.message.message_id
    mailbox.deliver(report("disposition-notification", first_id,
                           f"Reporting-UA: medecin.mssante.fr\r\nOriginal-Message-ID: {first_id}"
                           "\r\nDisposition: manual-action/MDN-sent-manually; displayed"))
    bounce_id = "<" + "0" * 8 + "-0000-0000-0000-" + "0" * 12 + "@maillage>"  # not ours
    mailbox.deliver(report("delivery-status", bounce_id,
                           "Reporting-MTA: dns; mx.medecin.mssante.fr\r\n\r\n"
                           "Final-Recipient: rfc822; x@medecin.mssante.fr\r\nAction: failed\r\n"
                           "Status: 5.1.1"))
    result = mssante_inbox.poll()
    assert (result.receipt, result.unmatched) == (1, 1)
    sending = MssanteSending.objects.get(beneficiary=person)
    assert sending.acknowledged_at is not None and sending.delivery_error == ""
    assert mailbox.flags() == [True, False]  # the unknown report stays for the webmail

    PrescriptionRequest.objects.all().delete()
    MssanteSending.objects.all().delete()
    second = ask(client, users["nurse"], person)
    second_id = second.message.message_id
    mailbox.deliver(report("delivery-status", second_id,
                           "Reporting-MTA: dns; mx.medecin.mssante.fr\r\n\r\n"
                           f"Final-Recipient: rfc822; {GP_ADDRESS}\r\nAction: failed\r\n"
                           "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 Boîte inconnue"))
    assert mssante_inbox.poll().receipt == 1
    sending = MssanteSending.objects.get(beneficiary=person)
    assert sending.delivery_error == ("le serveur du destinataire a refusé le message "
                                      "(code 5.1.1 : 550 5.1.1 Boîte inconnue)")
    page = visible_text(client.get(reverse("beneficiaries:detail",
                                           kwargs={"public_id": person.public_id})))
    assert "non remis : le serveur du destinataire a refusé le message" in page


def test_a_delayed_notice_changes_nothing(client, users, person, operator, mailbox):
    req = ask(client, users["nurse"], person)
    mailbox.deliver(report("delivery-status", req.message.message_id,
                           "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
                           "Action: delayed\r\nStatus: 4.4.1"))
    assert mssante_inbox.poll().unmatched == 1
    sending = MssanteSending.objects.get(beneficiary=person)
    assert (sending.acknowledged_at, sending.delivery_error) == (None, "")


def test_a_reminder_waits_while_mssante_is_not_configured(client, users, person, operator,
                                                          settings):
    req = ask(client, users["nurse"], person)
    later = timezone.now() + timedelta(days=8)
    settings.MSSANTE_HOST = ""
    assert prescription_reminders(now=later) == 0
    req.refresh_from_db()
    assert req.reminders == 0  # nothing half-saved: the next run tries again
    settings.MSSANTE_HOST = "127.0.0.1"
    assert prescription_reminders(now=later) == 1
    req.refresh_from_db()
    assert req.reminders == 1
