"""A care aide records measures on a phone (390 px): the form « Enregistrer une mesure » of the
charts page shows the fields of the chosen measure only, a refused value comes back with its
message next to the field and the input kept, the saved one shows in the chart's values.
axe-core on each page, no horizontal scroll."""

from django.urls import reverse
from playwright.sync_api import expect

from maillage.beneficiaries.models import VitalSign
from maillage.beneficiaries.tests.factories import join_care_team, shared_file
from maillage.core.roles import Role

NO_SIDE_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_care_aide_records_on_a_phone(transactional_db, open_page, users, crt_a):
    b = shared_file(crt_a, users["nurse"], {Role.NURSE})
    join_care_team(b, users["care_aide"], {Role.CARE_AIDE})
    p = open_page(width=390, height=844).sign_in(users["care_aide"])
    page = p.page
    p.goto(reverse("beneficiaries:vital_charts", args=[b.public_id]))
    expect(page.get_by_role("heading", name="Enregistrer une mesure")).to_be_visible()
    assert page.evaluate(NO_SIDE_SCROLL)
    p.check_accessibility()

    # A blood pressure: the two pressures, not the single value.
    page.get_by_label("Type de mesure").select_option(label="Pression artérielle")
    expect(page.get_by_label("Systolique (mmHg)")).to_be_visible()
    expect(page.get_by_label("Valeur")).to_be_hidden()
    page.get_by_label("Systolique (mmHg)").fill("300")
    page.get_by_label("Diastolique (mmHg)").fill("20")
    page.get_by_role("button", name="Enregistrer la mesure").click()
    expect(page.get_by_text("une pression systolique de 300 mmHg n'est pas plausible"))\
        .to_be_visible()
    expect(page.get_by_label("Systolique (mmHg)")).to_have_value("300")
    expect(page.get_by_label("Valeur")).to_be_hidden()
    assert page.evaluate(NO_SIDE_SCROLL)
    p.check_accessibility()
    assert not VitalSign.objects.exists()

    # Corrected: saved, back to the charts with the value in the table.
    page.get_by_label("Systolique (mmHg)").fill("135")
    page.get_by_label("Diastolique (mmHg)").fill("85")
    page.get_by_role("button", name="Enregistrer la mesure").click()
    expect(page.get_by_text("Mesure enregistrée.")).to_be_visible()
    page.get_by_text("Valeurs (1)").click()
    expect(page.get_by_role("cell", name="135/85 mmHg")).to_be_visible()

    # A temperature: the single value; the pressures are hidden (and not sent).
    page.get_by_label("Type de mesure").select_option(label="Température")
    expect(page.get_by_label("Systolique (mmHg)")).to_be_hidden()
    page.get_by_label("Valeur").fill("37,9")
    page.get_by_role("button", name="Enregistrer la mesure").click()
    expect(page.get_by_text("Mesure enregistrée.")).to_be_visible()
    assert page.evaluate(NO_SIDE_SCROLL)
    p.check_accessibility()
    assert sorted(VitalSign.objects.values_list("kind", flat=True)) == [
        "blood_pressure", "body_temperature"]


def test_nurse_corrects_then_retracts_on_a_phone(transactional_db, open_page, users, crt_a):
    """« Corriger » a typo (38,9 for 36,9), a refused value said next to the field, then
    « Retirer (saisie erronée) » another measure: listed « retirée »; axe-core on each page."""
    from maillage.beneficiaries.tests.factories import vital_sign

    b = shared_file(crt_a, users["nurse"], {Role.NURSE})
    vital_sign(b, users["nurse"], value="38.9")
    vital_sign(b, users["nurse"], kind="heart_rate", value=72)
    p = open_page(width=390, height=844).sign_in(users["nurse"])
    page = p.page
    p.goto(reverse("beneficiaries:vital_charts", args=[b.public_id]))
    temperature = page.get_by_role("region", name="Température (°C)")
    temperature.get_by_text("Valeurs (1)").click()
    temperature.get_by_role("link", name="Corriger").click()
    expect(page.get_by_role("heading", name="Corriger une mesure")).to_be_visible()
    expect(page.get_by_label("Valeur (°C)")).to_have_value("38,9")
    assert page.evaluate(NO_SIDE_SCROLL)
    p.check_accessibility()

    page.get_by_label("Valeur (°C)").fill("83,9")
    page.get_by_label("Motif de la correction").fill("Faute de frappe")
    page.get_by_role("button", name="Enregistrer la correction").click()
    expect(page.get_by_text("Température : 83,9 °C n'est pas une valeur plausible")) \
        .to_be_visible()
    p.check_accessibility()
    page.get_by_label("Valeur (°C)").fill("36,9")
    page.get_by_role("button", name="Enregistrer la correction").click()
    expect(page.get_by_text("Mesure corrigée")).to_be_visible()
    temperature.get_by_text("Valeurs (1)").click()
    expect(temperature.get_by_text("Avant la correction du")).to_be_visible()
    assert page.evaluate(NO_SIDE_SCROLL)
    p.check_accessibility()

    pulse = page.get_by_role("region", name="Fréquence cardiaque (/min)")
    pulse.get_by_text("Valeurs (1)").click()
    pulse.get_by_role("link", name="Retirer (saisie erronée)").click()
    page.get_by_label("Motif du retrait").fill("Mesure d'une autre personne")
    page.get_by_role("button", name="Retirer la mesure").click()
    expect(page.get_by_role("heading", name="Mesures retirées (saisies erronées)")) \
        .to_be_visible()
    expect(page.get_by_text("retirée", exact=True)).to_be_visible()
    assert page.evaluate(NO_SIDE_SCROLL)
    p.check_accessibility()
    assert VitalSign.objects.get(kind="heart_rate").status == "entered-in-error"
    assert VitalSign.objects.get(kind="body_temperature").status == "amended"
