"""Journeys on the beneficiary file: the coordinator opens a file, the doctor evaluates on a
phone. axe-core on every page."""


from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries import aggir
from maillage.beneficiaries.models import AggirEvaluation, Beneficiary, Consent

from .test_login_journeys import log_in


def test_coordinator_opens_a_file(demo, open_page):
    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    page.get_by_role("link", name="Bénéficiaires").click()
    page.wait_for_url("**/beneficiaires/")
    p.check_accessibility()
    page.get_by_role("link", name="Nouveau dossier").click()
    p.check_accessibility()
    page.locator("#id_birth_name").fill("Rousselot")
    page.locator("#id_first_names").fill("Albertine Rose")
    page.locator("#id_first_name").fill("Albertine")
    page.locator("#id_birth_date").fill("1935-03-08")
    page.locator("#id_sex").select_option("F")
    page.locator("#id_birth_place_code").fill("49331")
    page.locator("#id_address").fill("4 rue des Forges")
    page.locator("#id_commune").select_option(label="Candé (49440)")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    expect(page.locator("h1")).to_have_text("ROUSSELOT Albertine")
    assert page.get_by_text("Le dossier de ROUSSELOT Albertine est ouvert.").is_visible()
    p.check_accessibility()
    page.get_by_role("link", name="Recueillir un consentement").click()
    p.check_accessibility()
    page.locator("#id_kind").select_option("care_team_sharing")
    page.locator("#id_collected_on").fill(timezone.localdate().isoformat())
    page.locator("#id_method").select_option("written")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Consentement enregistré.").is_visible()
    b = Beneficiary.objects.get(birth_name="Rousselot")
    assert b.consents.get().kind == Consent.Kind.CARE_TEAM_SHARING


def test_doctor_evaluates_on_a_phone(demo, open_page):
    b = Beneficiary.objects.filter(crt__name="CRT Anjou Bleu").order_by("birth_name").first()
    p = open_page(width=360, height=740)
    log_in(p, "doctor")
    page = p.page
    p.goto(f"/beneficiaires/?q={b.birth_date:%d/%m/%Y}")
    page.get_by_role("link", name=b.display_name).first.click()
    p.check_accessibility()
    page.get_by_role("link", name="Volet médical").click()
    page.wait_for_url("**/medical/")
    p.check_accessibility()
    page.get_by_role("link", name="Nouvelle évaluation AGGIR").click()
    p.check_accessibility()
    page.locator("#id_evaluated_on").fill(timezone.localdate().isoformat())
    for code in aggir.INPUT_CODES:
        page.locator(f"#id_{code.replace('.', '__')}__code").select_option("B")
    page.get_by_role("button", name="Calculer et enregistrer le GIR").click()
    page.wait_for_url("**/medical/")
    evaluation = AggirEvaluation.objects.filter(beneficiary=b).order_by("-created_at").first()
    assert evaluation.codes == "BBBBBBBBBB"
    assert page.get_by_text(f"Évaluation enregistrée : GIR {evaluation.gir}").is_visible()
    p.check_accessibility()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The liaison notebook on the phone: who will read the note is readable in full before
    # saving (the category and the visibility used to share one line, cut to « Cercle de soin »).
    p.goto(reverse("care:notes", kwargs={"public_id": b.public_id}))
    visibility = page.locator("#id_visibility")
    for label in ("Cercle de soins et aidant", "Professionnels de santé seulement"):
        visibility.select_option(label=label)
        assert visibility.evaluate(SHOWS_WHOLE_CHOICE), label
    p.check_accessibility()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


#: Whether a <select> is wide enough for the text of its chosen option (its own font, inside its
#: padding and the room of its arrow).
SHOWS_WHOLE_CHOICE = """select => {
    const style = getComputedStyle(select);
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.font;
    const text = context.measureText(select.options[select.selectedIndex].text).width;
    return text <= select.clientWidth - parseFloat(style.paddingLeft)
                   - parseFloat(style.paddingRight);
}"""
