"""Prescription requests to the person's GP: the list (health data of the file), the request
(a letter by MSSanté through the outbox), its cancellation, the reminders."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import PrescriptionRequest
from maillage.care.tests.factories import GP_ADDRESS, prescription_request
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text


def url(name, b, **kwargs):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id, **kwargs})


@pytest.fixture
def person(crt_a, users):
    b = shared_file(crt_a, users["nurse"])
    for role in ("care_aide", "doctor"):
        CareTeamMember.objects.create(crt=crt_a, beneficiary=b, user=users[role],
                                      role="Intervenant", start_date=date(2024, 1, 1))
    return b


def test_the_nurse_sees_the_requests_and_their_state(client, users, person):
    req = prescription_request(person, users["nurse"])
    client.force_login(users["nurse"])
    response = client.get(url("prescriptions", person))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Examens de biologie" in text and req.reference in text
    assert "NFS, ionogramme, créatinine" in text
    assert "Envoyée, en attente de réponse" in text
    assert "Médecin traitant : Dr MARTIN Jean — MSSanté : " + GP_ADDRESS in text
    assert "Demander une prescription" in text
    assert AuditEvent.objects.filter(action="prescriptions.viewed",
                                     beneficiary_public_id=person.public_id).exists()
    # The file links to the page.
    assert url("prescriptions", person) in client.get(
        reverse("beneficiaries:detail", kwargs={"public_id": person.public_id})
    ).content.decode()


def test_a_care_aide_of_the_team_reads_but_may_not_request(client, users, person):
    prescription_request(person, users["nurse"])
    client.force_login(users["care_aide"])
    text = visible_text(client.get(url("prescriptions", person)))
    assert "Examens de biologie" in text
    assert "Demander une prescription" not in text
    assert client.get(url("prescription_add", person)).status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "admin_staff", "direction", "partner"])
def test_roles_without_health_data_are_refused(client, users, person, role):
    prescription_request(person, users["nurse"])
    client.force_login(users[role])
    assert client.get(url("prescriptions", person)).status_code == 403


def test_a_nurse_outside_the_care_team_is_refused(client, crt_a, make_user, person):
    from maillage.core.roles import Role

    other = make_user(crt_a, Role.NURSE, username="nurse-elsewhere")
    client.force_login(other)
    assert client.get(url("prescriptions", person)).status_code == 403


def test_another_crt_gets_404(client, users, person, user_b):
    req = prescription_request(person, users["nurse"])
    client.force_login(user_b)
    assert client.get(url("prescriptions", person)).status_code == 404
    response = client.post(url("prescription_cancel", person, item_id=req.public_id),
                           {"version": req.version, "reason": "x"})
    assert response.status_code == 404
    req.refresh_from_db()
    assert req.status == PrescriptionRequest.Status.SENT


def test_cancel_with_a_reason(client, users, person):
    req = prescription_request(person, users["nurse"])
    client.force_login(users["doctor"])
    response = client.post(url("prescription_cancel", person, item_id=req.public_id),
                           {"version": req.version, "reason": "Prescrit en consultation"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.cancelled_reason) == ("cancelled", "Prescrit en consultation")
    text = visible_text(client.get(url("prescriptions", person)))
    assert "Annulée" in text and "Prescrit en consultation" in text
    assert AuditEvent.objects.filter(action="prescription.cancelled").exists()


def test_cancel_without_reason_shows_the_error_next_to_the_field(client, users, person):
    req = prescription_request(person, users["nurse"])
    client.force_login(users["nurse"])
    response = client.post(url("prescription_cancel", person, item_id=req.public_id),
                           {"version": req.version, "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_reason_errors"' in html and "Ce champ est obligatoire." in html
    req.refresh_from_db()
    assert req.status == PrescriptionRequest.Status.SENT


def test_cancel_a_stale_version_is_a_conflict(client, users, person):
    req = prescription_request(person, users["nurse"])
    client.force_login(users["nurse"])
    response = client.post(url("prescription_cancel", person, item_id=req.public_id),
                           {"version": req.version + 1, "reason": "Plus nécessaire"})
    assert response.status_code == 409
    assert "a été modifiée par quelqu'un d'autre" in visible_text(response)
    req.refresh_from_db()
    assert req.status == PrescriptionRequest.Status.SENT


def test_an_answered_request_cannot_be_cancelled(client, users, person):
    req = prescription_request(person, users["nurse"], status=PrescriptionRequest.Status.ANSWERED,
                    answered_at=timezone.now() - timedelta(hours=1))
    client.force_login(users["nurse"])
    response = client.post(url("prescription_cancel", person, item_id=req.public_id),
                           {"version": req.version, "reason": "Plus nécessaire"})
    assert response.status_code == 409
    assert "n'est plus en attente" in visible_text(response)


@pytest.mark.parametrize("status", ["PROV", "RECUP", "VALI", "QUAL"])
def test_the_letter_names_the_person_and_carries_the_ins_only_when_qualified(users, crt_a,
                                                                              status):
    import io

    from pypdf import PdfReader

    from maillage.beneficiaries.identity import InsOid
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.care.services.prescriptions import letter_pdf
    from maillage.care.tests.factories import prescription_request

    b = BeneficiaryFactory(crt=crt_a, birth_name="Lefèvre", first_name="Odette",
                           ins_matricule="235034933100136", ins_oid=InsOid.TEST_NIR,
                           identity_status=status)
    req = prescription_request(b, users["nurse"])
    pdf = letter_pdf(req, requester=users["nurse"], sent_at=timezone.now(), reminder=2)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Demande de prescription — Examens de biologie" in text
    assert f"Référence à rappeler dans votre réponse : {req.reference}" in text
    assert "relance n° 2" in text
    assert "LEFÈVRE" in text and "NFS, ionogramme, créatinine" in text
    assert "Fatigue depuis 15 jours" in text
    assert "Dr MARTIN Jean" in text and "Infirmier·ère" in text
    assert ("235034933100136" in text) == (status == "QUAL")
