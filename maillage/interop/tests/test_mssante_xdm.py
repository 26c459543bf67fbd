"""MSSanté sending (INTEROP.md §8): the IHE-XDM archive (file list, METADATA.XML valid against
the OASIS ebRIM 3.0 schemas, hash and size of each document), the INS only for a qualified
identity, the X-MSS headers per case, and the message through a local operator (aiosmtpd, TLS
with a trustme CA, client certificate required) with the outbox's retries."""

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from lxml import etree

from maillage.beneficiaries.identity import IdentityStatus, InsOid
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, document
from maillage.core import outbox
from maillage.core.models import AuditEvent, OutboxMessage
from maillage.interop.models import MssanteSending
from maillage.interop.mssante import documents as docs
from maillage.interop.mssante import services
from maillage.interop.mssante.xdm import (
    DE_PATIENT_ID,
    LCM,
    RIM,
    SS_PATIENT_ID,
    Code,
    XdmAuthor,
    XdmDocument,
    XdmPatient,
    build_xdm,
    cx,
    mss_headers,
)

from .mssante_server import TlsSmtpServer, attachments, tls_files, unzip

XSD_DIR = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "ebrim30" / "ebRS"
NS = {"lcm": LCM, "rim": RIM}
MATRICULE = "235034933100136"


@pytest.fixture(scope="module")
def lcm_schema():
    return etree.XMLSchema(etree.parse(str(XSD_DIR / "lcm.xsd")))


def _doc(content=b"%PDF-1.4 un document", **fields):
    return XdmDocument(**{
        "mime_type": "application/pdf", "content": content, "title": "Compte rendu",
        "class_code": docs.CLASS_OTHER, "type_code": docs.NOTE_TYPE,
        "format_code": docs.PDF_FORMAT, "created_at": datetime(2026, 3, 1, 10, tzinfo=UTC),
        **fields})


def _patient(ins=""):
    return XdmPatient(source_id=cx("abc", "1.2.250.1.999.1", "PI"), family="DUPONT",
                      given="Jeanne", birth_date="19380512", sex="F", ins=ins)


def _build(documents, patient=None):
    return build_xdm(documents=documents, patient=patient or _patient(),
                     author=XdmAuthor(person="^MARTIN^Anne", institution="CRT A"),
                     title="Envoi", source_oid="1.2.250.1.999.1", sender="crt@mssante.fr",
                     software="Maillage")


def _slot(element, name):
    return element.xpath(f"rim:Slot[@name='{name}']/rim:ValueList/rim:Value/text()",
                         namespaces=NS)


def test_the_archive_holds_the_ihe_xdm_files_and_valid_ebrim(lcm_schema):
    pdf, cda = _doc(), _doc(content=b"<ClinicalDocument/>", mime_type="text/xml",
                            title="DLU (CDA)", cda_code="74207-2")
    xdm = _build([cda, pdf])
    files = unzip(xdm.content)
    assert sorted(files) == ["IHE_XDM/SUBSET01/DOC0001.XML", "IHE_XDM/SUBSET01/DOC0002.PDF",
                             "IHE_XDM/SUBSET01/METADATA.XML", "INDEX.HTM", "README.TXT"]
    assert files["IHE_XDM/SUBSET01/DOC0002.PDF"] == pdf.content
    assert "crt@mssante.fr" in files["README.TXT"].decode()
    assert "DOC0001.XML" in files["INDEX.HTM"].decode()
    metadata = etree.fromstring(files["IHE_XDM/SUBSET01/METADATA.XML"])
    assert lcm_schema.validate(metadata), lcm_schema.error_log
    entries = metadata.findall(".//rim:ExtrinsicObject", NS)
    assert len(entries) == 2
    for entry in entries:
        uri = _slot(entry, "URI")[0]
        content = files[f"IHE_XDM/SUBSET01/{uri}"]
        assert _slot(entry, "size") == [str(len(content))]
        assert _slot(entry, "hash") == [hashlib.sha1(content).hexdigest()]  # noqa: S324
    # One SubmissionSet, one HasMember association per document, pointing at the entries.
    package = metadata.find(".//rim:RegistryPackage", NS)
    associations = metadata.findall(".//rim:Association", NS)
    assert {a.get("sourceObject") for a in associations} == {package.get("id")}
    assert {a.get("targetObject") for a in associations} == {e.get("id") for e in entries}
    type_codes = metadata.xpath(
        "//rim:ExtrinsicObject/rim:Classification[@classificationScheme="
        "'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983']/@nodeRepresentation", namespaces=NS)
    assert type_codes == ["34109-9", "34109-9"]


def test_a_changed_byte_breaks_the_hash(lcm_schema):
    xdm = _build([_doc()])
    files = unzip(xdm.content)
    entry = etree.fromstring(files["IHE_XDM/SUBSET01/METADATA.XML"]).find(
        ".//rim:ExtrinsicObject", NS)
    assert _slot(entry, "hash") != [hashlib.sha1(b"%PDF-1.4 un documenT").hexdigest()]  # noqa: S324


@pytest.mark.parametrize("status", list(IdentityStatus))
def test_the_ins_is_the_patient_id_only_for_a_qualified_identity(crt_a, status):
    b = BeneficiaryFactory(crt=crt_a, ins_matricule=MATRICULE, ins_oid=InsOid.TEST_NIR,
                           identity_status=status)
    patient = services._patient(b)
    metadata = etree.fromstring(_build([_doc()], patient).metadata)
    ids = metadata.xpath("//rim:ExternalIdentifier/@identificationScheme", namespaces=NS)
    text = etree.tostring(metadata).decode()
    qualified = status == IdentityStatus.QUAL
    assert (DE_PATIENT_ID in ids) == qualified and (SS_PATIENT_ID in ids) == qualified
    assert (MATRICULE in text) == qualified
    if qualified:
        assert patient.ins == f"{MATRICULE}^^^&1.2.250.1.213.1.4.10&ISO^NH"
    # The local id always names the person.
    entry = metadata.find(".//rim:ExtrinsicObject", NS)
    assert _slot(entry, "sourcePatientId") == [f"{b.public_id}^^^&1.2.250.1.999.1&ISO^PI"]
    assert (services.patient_box(b) == f"{MATRICULE}@patient.mssante.fr") == qualified


@pytest.mark.parametrize(("documents", "qualified", "patient_box", "block", "expected"), [
    # A PDF only: X-MSS-NIL alone.
    ([_doc()], True, False, False, {"X-MSS-NIL": "NIL-1"}),
    # A CDA in the archive: its code and whether a qualified INS is in.
    ([_doc(cda_code="74207-2", mime_type="text/xml"), _doc()], True, False, False,
     {"X-MSS-NIL": "NIL-1", "X-MSS-CODECDA": "74207-2", "X-MSS-INS": "O"}),
    ([_doc(cda_code="74207-2", mime_type="text/xml")], False, False, False,
     {"X-MSS-NIL": "NIL-1", "X-MSS-CODECDA": "74207-2", "X-MSS-INS": "N"}),
    ([_doc(cda_code="74207-2"), _doc(cda_code="11488-4")], True, False, False,
     {"X-MSS-NIL": "NIL-1", "X-MSS-CODECDA": "74207-2,11488-4", "X-MSS-INS": "O"}),
    # To Mon espace santé with replies blocked.
    ([_doc()], True, True, True, {"X-MSS-NIL": "NIL-1", "X-MSS-MES": "FIN"}),
    ([_doc()], True, True, False, {"X-MSS-NIL": "NIL-1"}),
    # Replies blocked means nothing to a professional's box.
    ([_doc()], True, False, True, {"X-MSS-NIL": "NIL-1"}),
])
def test_the_x_mss_headers_per_case(documents, qualified, patient_box, block, expected):
    assert mss_headers(documents=documents, ins_qualified=qualified, nil="NIL-1",
                       patient_box=patient_box, block_replies=block) == expected


def test_no_document_no_archive():
    with pytest.raises(ValueError, match="at least one"):
        _build([])


def test_codes_are_written_with_their_scheme():
    metadata = etree.fromstring(_build([_doc(class_code=Code("11", "1.2.3", "Synthèse"))])
                                .metadata)
    c = metadata.xpath("//rim:Classification[@nodeRepresentation='11']", namespaces=NS)[0]
    assert _slot(c, "codingScheme") == ["1.2.3"]
    assert c.find("rim:Name/rim:LocalizedString", NS).get("value") == "Synthèse"


# --- Sending through the outbox and a local operator --------------------------------------------


@pytest.fixture
def operator(mssante_operator):
    return mssante_operator


def _send(users, crt_a, b, *, recipient=None, **kwargs):
    doc = document(b, title="Compte rendu de visite")
    sendable = docs.Sendable("document", doc, doc.title, doc.document_date)
    recipient = recipient or services.Recipient("professional", "dr.martin@medecin.mssante.fr",
                                                "Dr Martin")
    return services.mssante_send(actor=users["nurse"], roles={"nurse"}, beneficiary=b,
                                 sendable=sendable, recipient=recipient, message="Bonjour,",
                                 **kwargs), doc


def test_sent_through_tls_with_the_client_certificate(crt_a, users, operator, lcm_schema):
    files, port = operator
    b = BeneficiaryFactory(crt=crt_a, ins_matricule=MATRICULE, ins_oid=InsOid.TEST_NIR,
                           identity_status=IdentityStatus.QUAL)
    with TlsSmtpServer(port, files) as server:
        sending, doc = _send(users, crt_a, b)
        assert outbox.flush(now=timezone.now()) == 1
        assert len(server.received) == 1
    received = server.received[0]
    assert received["To"] == "dr.martin@medecin.mssante.fr"
    assert received["From"] == "crt-a@crt-a.mssante.fr"
    assert received["X-MSS-NIL"] == "MAILLAGE-NIL-TEST"
    assert received["X-MSS-CODECDA"] is None and received["X-MSS-INS"] is None  # no CDA yet
    assert received["Message-ID"] == sending.outbox.message_id
    parts = attachments(received)
    assert sorted(parts) == ["IHE_XDM.ZIP", "attestation.pdf"]
    files_in = unzip(parts["IHE_XDM.ZIP"])
    metadata = etree.fromstring(files_in["IHE_XDM/SUBSET01/METADATA.XML"])
    assert lcm_schema.validate(metadata), lcm_schema.error_log
    entry = metadata.find(".//rim:ExtrinsicObject", NS)
    pdf = files_in["IHE_XDM/SUBSET01/DOC0001.PDF"]
    assert pdf == parts["attestation.pdf"] == doc.file.open("rb").read()
    assert _slot(entry, "size") == [str(len(pdf))]
    assert _slot(entry, "hash") == [hashlib.sha1(pdf).hexdigest()]  # noqa: S324
    assert MATRICULE in etree.tostring(metadata).decode()  # qualified: the INS travels
    package = metadata.find(".//rim:RegistryPackage", NS)
    assert _slot(package, "intendedRecipient") == ["||^^Internet^dr.martin@medecin.mssante.fr"]
    sending.refresh_from_db()
    assert sending.state == "sent" and sending.ins_sent
    assert mail.outbox == []  # never through the ordinary e-mail backend
    event = AuditEvent.objects.get(action="mssante.sent")
    assert event.beneficiary_public_id == b.public_id
    assert event.details["destinataire"] == "dr.martin@medecin.mssante.fr"


def test_implicit_tls(crt_a, users, operator, settings):
    files, port = operator
    settings.MSSANTE_SECURITY = "tls"
    with TlsSmtpServer(port, files, implicit=True) as server:
        sending, _ = _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
        assert outbox.flush(now=timezone.now()) == 1
    assert [m["To"] for m in server.received] == ["dr.martin@medecin.mssante.fr"]
    # A STARTTLS client at an implicit-TLS port fails, and is retried (not sent in clear). It
    # waits for a greeting that never comes (the server waits for the TLS handshake) until its
    # timeout: one second is plenty on a local socket.
    settings.MSSANTE_SECURITY, settings.MSSANTE_TIMEOUT = "starttls", 1
    with TlsSmtpServer(port, files, implicit=True) as server:
        again, _ = _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
        assert outbox.flush(now=timezone.now()) == 0
    again.outbox.refresh_from_db()
    assert again.outbox.state == "pending" and again.outbox.last_error
    assert len(server.received) == 0


def test_never_in_clear_text(crt_a, users, operator):
    from maillage.core.tests.smtp import SmtpServer

    _, port = operator
    with SmtpServer(port) as server:  # a server that offers no STARTTLS
        sending, _ = _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
        assert outbox.flush(now=timezone.now()) == 0
    assert server.received == []
    sending.outbox.refresh_from_db()
    assert sending.outbox.last_error.startswith(
        "Le serveur ne propose pas de connexion chiffrée : rien n'est envoyé en clair. "
        "Détail technique : SMTPNotSupportedError: ")
    assert "STARTTLS" in sending.outbox.last_error


def test_without_the_client_certificate_the_operator_refuses_and_it_is_retried(
        crt_a, users, operator, settings):
    files, port = operator
    settings.MSSANTE_CERT_FILE = ""
    b = BeneficiaryFactory(crt=crt_a)
    with TlsSmtpServer(port, files) as server:
        sending, _ = _send(users, crt_a, b)
        assert outbox.flush(now=timezone.now()) == 0
        assert server.received == []
        message = OutboxMessage.objects.get(pk=sending.outbox_id)
        assert (message.state, message.attempts) == ("pending", 1)
        assert message.last_error  # the TLS refusal, kept for the file
        # The certificate is installed: the next attempt goes through, once.
        settings.MSSANTE_CERT_FILE = str(files.client_file)
        assert outbox.flush(now=timezone.now() + timedelta(hours=2)) == 1
        assert outbox.flush(now=timezone.now() + timedelta(hours=4)) == 0
        assert len(server.received) == 1


def test_a_server_that_does_not_know_our_ca_is_refused(crt_a, users, operator, settings,
                                                       tmp_path):
    files, port = operator
    (tmp_path / "other").mkdir()
    other = tls_files(tmp_path / "other")
    settings.MSSANTE_CA_FILE = str(other.ca_file)  # we trust another CA: not this server
    with TlsSmtpServer(port, files) as server:
        sending, _ = _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
        assert outbox.flush(now=timezone.now()) == 0
        assert server.received == []
    sending.outbox.refresh_from_db()
    assert sending.outbox.last_error.startswith(
        "Certificat du serveur refusé (autorité inconnue ou certificat invalide).")
    assert "CERTIFICATE_VERIFY_FAILED" in sending.outbox.last_error


def test_operator_down_pending_with_the_error_then_delivered_once(crt_a, users, operator):
    files, port = operator
    sending, _ = _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
    now = timezone.now()
    for attempt in (1, 2):
        now += timedelta(hours=2)
        assert outbox.flush(now=now) == 0
        sending.outbox.refresh_from_db()
        assert (sending.outbox.state, sending.outbox.attempts) == ("pending", attempt)
        assert "Connection refused" in sending.outbox.last_error or \
            "ConnectionRefused" in sending.outbox.last_error
    assert sending.state_label == "En attente"
    with TlsSmtpServer(port, files) as server:
        now += timedelta(hours=2)
        assert outbox.flush(now=now) == 1
        assert outbox.flush(now=now + timedelta(hours=2)) == 0
    assert len(server.received) == 1
    sending.outbox.refresh_from_db()
    assert (sending.outbox.state, sending.outbox.last_error) == ("sent", "")


def test_the_sending_outlives_the_pruned_message(crt_a, users, operator):
    sending, _ = _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
    OutboxMessage.objects.filter(pk=sending.outbox_id).update(
        state="sent", sent_at=timezone.now() - timedelta(days=100))
    assert outbox.prune() == 1
    sending = MssanteSending.objects.get(pk=sending.pk)
    assert sending.outbox is None and sending.state_label == "Envoyé"


def test_mon_espace_sante_only_with_a_qualified_identity(crt_a, users, operator):
    from maillage.core.errors import DomainError

    b = BeneficiaryFactory(crt=crt_a, ins_matricule=MATRICULE, ins_oid=InsOid.TEST_NIR,
                           identity_status=IdentityStatus.VALI)
    with pytest.raises(DomainError, match="identité qualifiée"):
        services.find_recipient("patient", beneficiary=b)
    forged = services.Recipient("patient", f"{MATRICULE}@patient.mssante.fr", "MES")
    with pytest.raises(DomainError, match="identité qualifiée"):
        _send(users, crt_a, b, recipient=forged)
    assert not MssanteSending.objects.exists() and not OutboxMessage.objects.exists()
    b.identity_status = IdentityStatus.QUAL
    b.save()
    recipient = services.find_recipient("patient", beneficiary=b)
    sending, _ = _send(users, crt_a, b, recipient=recipient, block_replies=True)
    assert sending.outbox.to == f"{MATRICULE}@patient.mssante.fr"
    assert sending.outbox.headers == {"X-MSS-NIL": "MAILLAGE-NIL-TEST", "X-MSS-MES": "FIN"}


def test_not_configured_nothing_written(crt_a, users, settings):
    from maillage.core.errors import DomainError

    settings.MSSANTE_HOST = ""
    with pytest.raises(DomainError, match="pas configurée"):
        _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
    assert not OutboxMessage.objects.exists()


def test_an_mssante_message_without_transport_waits(crt_a, monkeypatch):
    # Were the interop app's transport missing, the message must not leave by e-mail.
    monkeypatch.delitem(outbox.TRANSPORTS, OutboxMessage.Kind.MSSANTE)
    message = outbox.outbox_add(crt=crt_a, to="x@medecin.mssante.fr", subject="Objet",
                                body="Texte", kind=OutboxMessage.Kind.MSSANTE)
    assert outbox.deliver(message.pk) == "pending"
    message.refresh_from_db()
    assert message.last_error == "Aucun moyen d'envoi pour les messages de type « mssante »"
    assert mail.outbox == []


def test_without_an_operator_the_message_waits_and_says_why_in_french(crt_a, users, operator,
                                                                       settings, client):
    from django.urls import reverse

    from maillage.core.tests.helpers import visible_text

    _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
    settings.MSSANTE_HOST = ""  # the box's settings gone since (the demo has none)
    assert outbox.flush(now=timezone.now()) == 0
    client.force_login(users["coordinator"])
    text = visible_text(client.get(reverse("core:outbox")))
    assert "Messagerie MSSanté non configurée (MSSANTE_HOST, MSSANTE_SENDER)" in text
    assert "Error" not in text  # no exception's name


def test_the_outbox_page_shows_an_mssante_message_for_what_it_is(client, users, crt_a,
                                                                 operator):
    from django.urls import reverse

    from maillage.core.tests.helpers import visible_text

    _send(users, crt_a, BeneficiaryFactory(crt=crt_a))
    client.force_login(users["coordinator"])
    text = visible_text(client.get(reverse("core:outbox")))
    assert "dr.martin@medecin.mssante.fr MSSanté" in text
    assert "Document transmis par CRT A" in text and "Compte rendu de visite" not in text


def test_an_email_to_an_mssante_address_leaves_by_mssante(crt_a, operator):
    from maillage.core.notify import send_email

    files, port = operator
    with TlsSmtpServer(port, files) as server:
        message = send_email(crt=crt_a, to="dr.martin@medecin.mssante.fr", subject="Demande reçue",
                             body="Votre demande est bien arrivée.")
        assert message.kind == OutboxMessage.Kind.MSSANTE
        assert outbox.flush(now=timezone.now()) == 1
    assert mail.outbox == []  # not the ordinary e-mail backend
    [received] = server.received
    assert received["X-MSS-NIL"] == "MAILLAGE-NIL-TEST"
    assert received["From"] == "crt-a@crt-a.mssante.fr"
    # An ordinary address stays an e-mail.
    assert send_email(crt=crt_a, to="orienteur@example.fr", subject="Objet",
                      body="Texte").kind == OutboxMessage.Kind.EMAIL
