"""A nurse asks the GP for a prescription from the file; the letter leaves by MSSanté to a local
operator (TLS, client certificate); the GP's answer arrives in the CRT's MSSanté box (a local
IMAP server); the poll attaches it and the request is closed. axe-core on every page."""

from datetime import date
from email.message import EmailMessage

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import PDF, shared_file
from maillage.care.models import PrescriptionRequest
from maillage.core import outbox
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member
from maillage.interop.mssante import inbox as mssante_inbox
from maillage.interop.tests.mssante_server import TlsSmtpServer
from maillage.territory.tests.factories import ProfessionalFactory

GP = "luc.martin@medecin.mssante.fr"


def test_nurse_requests_a_prescription_and_the_answer_is_attached(
        transactional_db, open_page, settings, mssante_operator, imap_mailbox):
    files, port = mssante_operator
    crt = CrtFactory(name="CRT Prescriptions")
    nurse = UserFactory(username="infirmiere-rx", first_name="Inès", last_name="Morel")
    member(nurse, crt, Role.NURSE)
    b = shared_file(crt, nurse)
    gp = ProfessionalFactory(crt=crt, last_name="Martin", first_name="Luc", profession="gp",
                             mssante_email=GP)
    CareTeamMember.objects.create(crt=crt, beneficiary=b, professional=gp, is_gp=True,
                                  role="Médecin traitant", start_date=date(2024, 1, 1))

    p = open_page().sign_in(nurse)
    page = p.page
    p.goto(reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))
    page.get_by_role("link", name="Prescriptions", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Demandes de prescription")
    expect(page.get_by_text(f"MSSanté : {GP}")).to_be_visible()
    p.check_accessibility()

    # 1. What is asked forgotten: said next to the field, nothing sent.
    page.get_by_role("link", name="Demander une prescription").click()
    expect(page.get_by_text("Destinataire : Dr MARTIN Luc, médecin traitant")).to_be_visible()
    page.get_by_label("Objet de la demande").select_option(label="Matériel médical ou aide "
                                                                 "technique")
    page.get_by_role("button", name="Envoyer la demande par MSSanté").click()
    expect(page.locator("#id_details_errors")).to_be_visible()
    p.check_accessibility()
    assert not PrescriptionRequest.objects.exists()

    # 2. Sent: the letter reaches the operator (the queue sends it once the request commits).
    page.get_by_label("Ce qui est demandé").fill("Lit médicalisé électrique, matelas à air.")
    page.get_by_label("Éléments cliniques utiles").fill("Deux chutes nocturnes ce mois-ci.")
    with TlsSmtpServer(port, files) as server:
        page.get_by_role("button", name="Envoyer la demande par MSSanté").click()
        req = PrescriptionRequest.objects.get()
        expect(page.get_by_text(f"Demande {req.reference} envoyée au Dr MARTIN")).to_be_visible()
        outbox.flush(now=timezone.now())  # in case the queue's attempt raced the server
    [letter] = server.received
    assert letter["To"] == GP
    expect(page.locator(f"#demande-{req.reference}")).to_contain_text(
        "Envoyée, en attente de réponse")
    p.check_accessibility()

    # 3. The GP answers in the thread; the poll attaches the prescription.
    answer = EmailMessage()
    answer["From"], answer["To"] = f"Dr Luc Martin <{GP}>", letter["From"]
    answer["Subject"], answer["Message-ID"] = "Re: votre demande", "<ordonnance-lit@medecin>"
    answer["In-Reply-To"] = letter["Message-ID"]
    answer.set_content("Ci-joint l'ordonnance.")
    answer.add_attachment(PDF, maintype="application", subtype="pdf", filename="ordonnance.pdf")
    imap_mailbox.deliver(answer.as_bytes())
    assert mssante_inbox.poll().attached == 1

    page.reload()
    row = page.locator(f"#demande-{req.reference}")
    expect(row).to_contain_text("Réponse reçue")
    expect(row.get_by_role("link", name=f"Réponse du médecin traitant — Matériel médical ou "
                                         f"aide technique ({req.reference})")).to_be_visible()
    p.check_accessibility()
    with page.expect_download() as download:
        row.get_by_role("link").click()
    assert download.value.suggested_filename.endswith(".pdf")
