"""« Envoyer par MSSanté » from a person's file: who may send and see the sendings (health
professionals and coordination, within the documents they may read), the bad input answered in
French next to the field with nothing written, and a DLU and a plan sent from the page to a
local operator."""

import hashlib
from email.header import decode_header, make_header

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from maillage.beneficiaries.identity import IdentityStatus, InsOid
from maillage.beneficiaries.models import Document
from maillage.beneficiaries.tests.factories import document, shared_file
from maillage.care.tests.factories import plan_version
from maillage.core import outbox
from maillage.core.models import AuditEvent, OutboxMessage
from maillage.core.tests.helpers import visible_text
from maillage.interop.models import MssanteSending
from maillage.oncall.models import EmergencyFile
from maillage.territory.tests.factories import OrganizationFactory, ProfessionalFactory

from .mssante_server import TlsSmtpServer, attachments, unzip

pytestmark = pytest.mark.django_db
DR = "dr.martin@medecin.mssante.fr"


@pytest.fixture
def operator(mssante_operator):
    return mssante_operator


@pytest.fixture
def directory(crt_a):
    ProfessionalFactory(crt=crt_a, last_name="Martin", first_name="Luc", profession="gp",
                        mssante_email=DR)
    OrganizationFactory(crt=crt_a, name="SSIAD du Segréen", mssante_email="ssiad@ssiad.mssante.fr")
    ProfessionalFactory(crt=crt_a, last_name="Sansbal", profession="gp", mssante_email="")


def _url(b):
    return reverse("mssante:file", kwargs={"public_id": b.public_id})


def _file(crt, user, **fields):
    b = shared_file(crt, user)
    for name, value in fields.items():
        setattr(b, name, value)
    b.save()
    return b


def test_a_nurse_of_the_care_team_sends_a_document(client, users, crt_a, operator, directory):
    nurse = users["nurse"]
    b = _file(crt_a, nurse)
    doc = document(b, Document.Category.MEDICAL, title="Bilan infirmier")
    client.force_login(nurse)
    page = client.get(_url(b))
    assert page.status_code == 200
    text = visible_text(page)
    assert "Bilan infirmier (10/01/2025)" in text
    assert f"Luc Martin (Médecin généraliste) — {DR}" in text
    assert "SSIAD du Segréen — ssiad@ssiad.mssante.fr" in text
    assert "Sansbal" not in text  # no MSSanté address: not offered
    assert "indisponible : identité non qualifiée" in text
    response = client.post(_url(b), {"document": f"document:{doc.public_id}",
                                     "recipient": DR, "message": "Bonjour, pour information."})
    assert response.status_code == 302
    sending = MssanteSending.objects.get()
    assert (sending.recipient_address, sending.document_title) == (DR, "Bilan infirmier")
    assert sending.outbox.kind == OutboxMessage.Kind.MSSANTE
    assert sending.outbox.body.startswith("Bonjour, pour information.")
    # The outbox page shows subjects: a stored document's title stays inside the message.
    assert sending.outbox.subject == "Document transmis par CRT A"
    assert "Bilan infirmier" in sending.outbox.body
    event = AuditEvent.objects.get(action="mssante.sent")
    assert event.details["destinataire"] == DR and event.beneficiary_public_id == b.public_id
    text = visible_text(client.get(_url(b)))
    assert "Bilan infirmier" in text and DR in text
    assert "En attente" in text or "Envoyé" in text
    # The file shows its last sendings too.
    text = visible_text(client.get(reverse("beneficiaries:detail",
                                           kwargs={"public_id": b.public_id})))
    assert "Envois MSSanté" in text
    assert f"Bilan infirmier à Luc Martin (Médecin généraliste) ({DR}) : en attente" in text


def test_the_recipient_search(client, users, crt_a, operator, directory):
    b = _file(crt_a, users["nurse"])
    document(b)
    client.force_login(users["nurse"])
    text = visible_text(client.get(_url(b), {"q": "ssiad"}))
    assert "SSIAD du Segréen" in text and DR not in text


@pytest.mark.parametrize("role", ["direction", "admin_staff", "activity_leader", "partner",
                                  "caregiver"])
def test_forbidden_roles(client, users, crt_a, operator, role):
    b = _file(crt_a, users[role])
    client.force_login(users[role])
    assert client.get(_url(b)).status_code in (403, 404)
    assert client.post(_url(b), {"recipient": DR}).status_code in (403, 404)
    assert not MssanteSending.objects.exists()


def test_another_crt_gets_404(client, users, crt_a, user_b, operator):
    b = _file(crt_a, users["nurse"])
    client.force_login(user_b)
    assert client.get(_url(b)).status_code == 404
    assert client.post(_url(b), {"recipient": DR}).status_code == 404


def test_the_coordination_sends_what_it_reads_only(client, users, crt_a, operator, directory):
    b = _file(crt_a, users["nurse"])
    EmergencyFile.objects.create(crt=crt_a, beneficiary=b, kept_at="Entrée")
    medical = document(b, Document.Category.MEDICAL, title="Compte rendu d'hospitalisation")
    admin = document(b, title="Attestation APA")
    # A medical document sent by the nurse: the coordinator does not see it was sent.
    client.force_login(users["nurse"])
    assert client.post(_url(b), {"document": f"document:{medical.public_id}",
                                 "recipient": DR}).status_code == 302
    client.force_login(users["coordinator"])
    page = client.get(_url(b))
    assert page.status_code == 200
    text = visible_text(page)
    assert "Attestation APA" in text
    assert "Compte rendu d'hospitalisation" not in text
    assert "DLU" not in text  # the DLU: the care team's health face only
    response = client.post(_url(b), {"document": f"document:{medical.public_id}",
                                     "recipient": DR})
    assert response.status_code == 400
    assert "Choisissez un document de la liste." in visible_text(response)
    assert client.post(_url(b), {"document": f"document:{admin.public_id}",
                                 "recipient": DR}).status_code == 302
    assert MssanteSending.objects.count() == 2


def test_a_care_aide_sends_no_dlu(client, users, crt_a, operator, directory):
    """The DLU leaves only with its whole medical section: a care aide, who reads it without
    the history nor the medical synthesis, is not offered it (nor may post it)."""
    b = _file(crt_a, users["care_aide"])
    ef = EmergencyFile.objects.create(crt=crt_a, beneficiary=b, kept_at="Entrée")
    document(b, title="Attestation APA")
    client.force_login(users["care_aide"])
    page = client.get(_url(b))
    assert page.status_code == 200
    assert "Attestation APA" in visible_text(page) and "DLU" not in visible_text(page)
    response = client.post(_url(b), {"document": f"dlu:{ef.public_id}", "recipient": DR})
    assert response.status_code == 400
    assert "Choisissez un document de la liste." in visible_text(response)
    assert not MssanteSending.objects.exists()


def test_bad_input_in_french_next_to_the_field(client, users, crt_a, operator, directory):
    nurse = users["nurse"]
    b = _file(crt_a, nurse, ins_matricule="235034933100136", ins_oid=InsOid.TEST_NIR,
              identity_status=IdentityStatus.VALI)
    doc = document(b)
    client.force_login(nurse)
    response = client.post(_url(b), {"document": f"document:{doc.public_id}", "recipient": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_recipient_errors"' in html and "Choisissez un destinataire." in html
    response = client.post(_url(b), {"document": f"document:{doc.public_id}",
                                     "recipient": "patient"})
    assert response.status_code == 400
    errors = etree.HTML(response.content).xpath("//*[@id='id_recipient_errors']//text()")
    assert "identité qualifiée" in "".join(errors)
    response = client.post(_url(b), {"document": "", "recipient": DR})
    assert response.status_code == 400
    assert "Choisissez le document à envoyer." in visible_text(response)
    response = client.post(_url(b), {"document": f"document:{doc.public_id}",
                                     "recipient": "inconnu@ailleurs.fr"})
    assert response.status_code == 400
    assert "Choisissez un destinataire de la liste." in visible_text(response)
    # An address altered with a NUL (a 500 on PostgreSQL, which stores none).
    response = client.post(_url(b), {"document": f"document:{doc.public_id}",
                                     "recipient": DR.replace("@", "\x00@")})
    assert response.status_code == 400
    assert "Choisissez un destinataire de la liste." in visible_text(response)
    assert not MssanteSending.objects.exists() and not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(action="mssante.sent").exists()


def test_mon_espace_sante_offered_with_a_qualified_identity(client, users, crt_a, operator):
    nurse = users["nurse"]
    b = _file(crt_a, nurse, ins_matricule="235034933100136", ins_oid=InsOid.TEST_NIR,
              identity_status=IdentityStatus.QUAL)
    doc = document(b)
    client.force_login(nurse)
    assert "235034933100136@patient.mssante.fr" in visible_text(client.get(_url(b)))
    assert client.post(_url(b), {"document": f"document:{doc.public_id}",
                                 "recipient": "patient", "block_replies": "on"}).status_code == 302
    message = MssanteSending.objects.get().outbox
    assert message.to == "235034933100136@patient.mssante.fr"
    assert message.headers["X-MSS-MES"] == "FIN"


def test_the_dlu_and_the_plan_reach_the_operator(client, users, crt_a, operator, directory):
    files, port = operator
    nurse = users["nurse"]
    b = _file(crt_a, nurse)
    ef = EmergencyFile.objects.create(crt=crt_a, beneficiary=b, kept_at="Entrée")
    version = plan_version(b, status="validated", validated_at=timezone.now())
    client.force_login(nurse)
    # The DLU and plan pages link to the form with the document chosen.
    assert f"?document=dlu:{ef.public_id}" in client.get(
        reverse("oncall:dlu", kwargs={"public_id": b.public_id})).content.decode()
    assert f"?document=plan:{version.public_id}" in client.get(reverse(
        "care:plan_version", kwargs={"public_id": b.public_id, "number": 1})).content.decode()
    for key in (f"dlu:{ef.public_id}", f"plan:{version.public_id}"):
        assert client.post(_url(b), {"document": key, "recipient": DR}).status_code == 302
    with TlsSmtpServer(port, files) as server:
        assert outbox.flush(now=timezone.now()) == 2
    subjects = {}
    for message in server.received:
        parts = attachments(message)
        pdf_name = next(n for n in parts if n.endswith(".pdf"))
        inside = unzip(parts["IHE_XDM.ZIP"])
        subject = str(make_header(decode_header(message["Subject"])))
        metadata = inside["IHE_XDM/SUBSET01/METADATA.XML"].decode()
        if subject.startswith("DLU"):
            # The DLU travels as its CDA too, first: the CDA headers follow (no qualified INS).
            cda = inside["IHE_XDM/SUBSET01/DOC0001.XML"]
            assert b'<code code="74207-2"' in cda and b"1.2.250.1.213.1.1.1.22" in cda
            assert hashlib.sha1(cda).hexdigest() in metadata  # noqa: S324
            assert (message["X-MSS-CODECDA"], message["X-MSS-INS"]) == ("74207-2", "N")
            pdf = inside["IHE_XDM/SUBSET01/DOC0002.PDF"]
        else:
            assert message["X-MSS-CODECDA"] is None and message["X-MSS-INS"] is None
            pdf = inside["IHE_XDM/SUBSET01/DOC0001.PDF"]
        assert pdf == parts[pdf_name] and pdf.startswith(b"%PDF")
        assert hashlib.sha1(pdf).hexdigest() in metadata  # noqa: S324
        assert f'<rim:Value>{len(pdf)}</rim:Value>' in metadata
        subjects[subject] = metadata
    assert "74207-2" in subjects["DLU (dossier de liaison d'urgence)"]
    assert "18776-5" in subjects["Plan personnalisé, version 1"]
    text = visible_text(client.get(_url(b)))
    assert text.count("Envoyé") >= 2


def test_a_draft_plan_is_said_a_draft_among_the_documents(client, users, crt_a, operator):
    """Version 2 a draft, version 1 validated: the list told them apart by number only."""
    nurse = users["nurse"]
    b = _file(crt_a, nurse)
    plan_version(b, status="validated", validated_at=timezone.now())
    plan_version(b, number=2)
    client.force_login(nurse)
    text = visible_text(client.get(_url(b)))
    assert "Plan personnalisé, version 2 (brouillon)" in text
    assert "Plan personnalisé, version 1 (brouillon)" not in text
    assert "Plan personnalisé, version 1" in text


def test_the_page_is_audited_and_within_a_query_budget(client, users, crt_a, operator, directory,
                                                       django_assert_max_num_queries):
    nurse = users["nurse"]
    b = _file(crt_a, nurse)
    for i in range(5):
        doc = document(b, title=f"Document {i}")
        client.force_login(nurse)
        client.post(_url(b), {"document": f"document:{doc.public_id}", "recipient": DR})
    client.force_login(nurse)
    with django_assert_max_num_queries(22):
        page = client.get(_url(b))
    assert visible_text(page).count(DR) >= 6  # the choice and five sendings
    event = AuditEvent.objects.filter(action="mssante.viewed").latest("occurred_at")
    assert event.beneficiary_public_id == b.public_id and event.actor == nurse


def test_an_acknowledgement_shows_in_the_file(client, users, crt_a, operator):
    from maillage.interop.mssante.services import mssante_acknowledged

    nurse = users["nurse"]
    b = _file(crt_a, nurse)
    ProfessionalFactory(crt=crt_a, last_name="Martin", profession="gp", mssante_email=DR)
    doc = document(b)
    client.force_login(nurse)
    client.post(_url(b), {"document": f"document:{doc.public_id}", "recipient": DR})
    sending = MssanteSending.objects.get()
    assert sending.message_id == f"<{sending.outbox.public_id}@maillage>"
    at = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 30))
    assert mssante_acknowledged(message_id=sending.message_id, at=at) == sending
    assert mssante_acknowledged(message_id="<inconnu@ailleurs>", at=at) is None
    assert "Accusé de réception le 02/03/2026 09:30" in visible_text(client.get(_url(b)))
