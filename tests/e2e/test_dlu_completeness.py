"""A DLU cannot be validated with the allergies left unanswered: the doctor tries, is refused
with what is missing listed next to the field, answers « Aucune allergie connue » (an answer,
unlike an empty field) and validates. axe-core on every page."""

from django.urls import reverse
from playwright.sync_api import expect

from maillage.beneficiaries.models import Beneficiary, MedicalRecord
from maillage.oncall.models import EmergencyFile

from .test_login_journeys import log_in


def test_doctor_cannot_validate_a_dlu_without_the_allergies(demo, open_page):
    person = (Beneficiary.objects.filter(
        crt__name="CRT Anjou Bleu", care_team__user__username="doctor",
        care_team__end_date__isnull=True, emergency_file__reviewed_at__isnull=False)
        .order_by("pk").first())
    assert person is not None
    # The allergies were never asked: no answer (not « none »).
    MedicalRecord.objects.filter(beneficiary=person).update(allergies_status="", allergies="")
    validated_before = EmergencyFile.objects.get(beneficiary=person).reviewed_at

    p = open_page()
    log_in(p, "doctor")
    page = p.page
    p.goto(reverse("oncall:dlu", kwargs={"public_id": person.public_id}))
    expect(page.locator("#dlu-incomplet")).to_contain_text("DLU incomplet")
    expect(page.get_by_text("Allergies : non renseignées")).to_be_visible()
    p.check_accessibility()

    # 1. Validate as it is: refused, the missing answer said next to the allergies.
    page.get_by_role("link", name="Modifier").click()
    expect(page.locator("h1")).to_contain_text("Modifier le DLU")
    p.check_accessibility()
    page.get_by_role("button", name="Enregistrer et valider le DLU").click()
    errors = page.locator("#id_allergies_status_errors")
    expect(errors).to_contain_text("Allergies non renseignées")
    expect(page.locator("#dlu-missing")).to_contain_text("Allergies non renseignées")
    expect(page.locator("#dlu-missing li")).to_have_count(1)
    p.check_accessibility()
    assert EmergencyFile.objects.get(beneficiary=person).reviewed_at == validated_before

    # 2. « Aucune allergie connue » is an answer: validated.
    page.get_by_label("Aucune allergie connue").check()
    page.get_by_role("button", name="Enregistrer et valider le DLU").click()
    expect(page.get_by_text("DLU enregistré et validé")).to_be_visible()
    expect(page.get_by_text("Allergies : Aucune allergie connue")).to_be_visible()
    expect(page.locator("#dlu-incomplet")).to_have_count(0)
    p.check_accessibility()
    ef = EmergencyFile.objects.get(beneficiary=person)
    assert ef.reviewed_by.username == "doctor" and ef.reviewed_at > validated_before
    assert MedicalRecord.objects.get(beneficiary=person).allergies_status == "none_known"
