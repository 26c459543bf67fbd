"""A nurse of the care team sends a document of the file by MSSanté: from the file to the form,
a forgotten recipient said next to the field, then sent; the operator is down, so the file shows
the sending « en attente » with the error, and it is retried. axe-core on every page."""

from django.urls import reverse
from playwright.sync_api import expect

from maillage.beneficiaries.models import Document
from maillage.beneficiaries.tests.factories import document, shared_file
from maillage.core.models import OutboxMessage
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member
from maillage.core.tests.smtp import free_port
from maillage.interop.models import MssanteSending
from maillage.territory.tests.factories import ProfessionalFactory

DR = "dr.martin@medecin.mssante.fr"


def test_nurse_sends_a_document_by_mssante(transactional_db, open_page, settings):
    # The operator is configured but down (nothing listens on the port).
    settings.MSSANTE_HOST, settings.MSSANTE_PORT = "127.0.0.1", free_port()
    settings.MSSANTE_SENDER, settings.MSSANTE_TIMEOUT = "crt@crt.mssante.fr", 2
    crt = CrtFactory(name="CRT MSSanté")
    nurse = UserFactory(username="infirmiere-mss", first_name="Inès", last_name="Morel")
    member(nurse, crt, Role.NURSE)
    b = shared_file(crt, nurse)
    document(b, Document.Category.MEDICAL, title="Bilan infirmier")
    ProfessionalFactory(crt=crt, last_name="Martin", first_name="Luc", profession="gp",
                        mssante_email=DR)

    p = open_page().sign_in(nurse)
    page = p.page
    p.goto(reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))
    page.get_by_role("link", name="Envoyer par MSSanté").click()
    expect(page.locator("h1")).to_have_text("Envoyer par MSSanté")
    expect(page.get_by_text("L'identité n'est pas qualifiée : l'INS n'est pas transmise"))\
        .to_be_visible()
    p.check_accessibility()

    # 1. The recipient forgotten: said next to the field, nothing sent.
    page.get_by_label("Document à envoyer").select_option(label="Bilan infirmier (10/01/2025)")
    page.get_by_role("button", name="Envoyer par MSSanté").click()
    expect(page.locator("#id_recipient_errors")).to_have_text("Choisissez un destinataire.")
    p.check_accessibility()
    assert not MssanteSending.objects.exists()

    # 2. Sent: the operator is down, the file says so and it will be retried.
    page.locator("#id_recipient").select_option(DR)
    page.get_by_label("Message (facultatif)").fill("Bonjour, pour la visite de jeudi.")
    page.get_by_role("button", name="Envoyer par MSSanté").click()
    expect(page.get_by_text(f"Envoi MSSanté à {DR} enregistré")).to_be_visible()
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("Bilan infirmier")
    expect(row).to_contain_text("En attente (1 tentative)")
    expect(row).to_contain_text("Erreur : Serveur de messagerie injoignable (connexion refusée)")
    p.check_accessibility()
    message = OutboxMessage.objects.get(kind="mssante")
    assert message.state == "pending" and message.to == DR

    # The file shows it too.
    p.goto(reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))
    expect(page.locator("#mssante")).to_contain_text("Bilan infirmier à Luc Martin")
    expect(page.locator("#mssante")).to_contain_text("en attente")
    p.check_accessibility()
