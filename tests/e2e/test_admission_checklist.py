"""Admission as one checklist (issue 11, item 2), in a browser: the coordinator goes from the
waiting list to the decision in at most 5 screens, one step done with the keyboard only, bad
input answered next to the field, the capacity reached asks a justification; axe-core on every
screen and after every form swapped in place.

How screens are counted: every page load of the main frame (Playwright ``framenavigated``),
i.e. each link followed and each form posted whose redirect shows a new page. A step's form
opened inside the checklist and answered there (htmx swaps) stays on the same screen; the
contract PDF download opens no screen. The count starts at the waiting list."""

from django.utils import timezone
from playwright.sync_api import expect

from maillage.admissions.models import Enrolment, Referral
from maillage.admissions.services import capacity
from maillage.core.models import AuditEvent, Crt

from .test_login_journeys import log_in


def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {id: el.id, text: el.textContent.trim(), tag: el.tagName,
                role: el.getAttribute('role'),
                ring: style.outlineStyle !== 'none' || style.boxShadow !== 'none'};
    }""")


def tab_to(page, text: str, limit: int = 40) -> dict:
    """Press Tab until the focused element reads ``text`` (fails after ``limit`` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["text"] == text:
            return now
    raise AssertionError(f"« {text} » never reached with Tab")


def test_admission_from_the_waiting_list_to_the_decision(demo, open_page):
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    referral = (Referral.objects.filter(crt=crt, status="waiting", beneficiary__isnull=True,
                                        steps__isnull=True)
                .order_by("received_at").first())
    name = str(referral)
    # Every place is taken: the decision will ask why one more person is admitted.
    places = capacity(crt).active
    crt.places = places
    crt.save()

    p = open_page()
    page = p.page
    # No button colour transitions: axe must not measure a button halfway to its hover colours.
    page.emulate_media(reduced_motion="reduce")
    log_in(p, "coordinator")
    screens: list[str] = []
    page.on("framenavigated",
            lambda frame: screens.append(frame.url) if frame == page.main_frame else None)

    # Screen 1: the waiting list (the Admissions menu).
    p.menu_entry("Admissions").click()
    expect(page.locator("h1")).to_have_text("Admissions — volet 2")
    p.check_accessibility()

    # Screen 2: the person's admission checklist.
    page.locator("tbody").get_by_role("link", name=name).click()
    checklist = page.locator("#admission")
    expect(checklist.get_by_role("heading", name="Admission : les étapes")).to_be_visible()
    expect(page.locator("#etape-contract")).to_contain_text(
        "Bloqué Ouvrez ou reliez d'abord le dossier de la personne.")
    expect(page.locator("#etape-decision")).to_contain_text("Bloqué")
    p.check_accessibility()

    # Screen 3: the file, opened from the referral (identity pre-filled).
    page.get_by_role("link", name="Ouvrir le dossier de la personne").click()
    expect(page.locator("#id_sex")).to_be_visible()  # the new page, not the one it leaves
    p.check_accessibility()
    page.locator("#id_sex").select_option("F")
    page.locator("#id_birth_place_code").fill("49054")
    if not page.locator("#id_address").input_value():
        page.locator("#id_address").fill("12 rue des Tisserands")
    if not page.locator("#id_commune").input_value():
        page.locator("#id_commune").select_option(index=1)
    page.get_by_role("button", name="Ouvrir le dossier").click()

    # Screen 4: back on the checklist; everything else happens here.
    expect(page.get_by_text("est ouvert.")).to_be_visible()
    expect(page.locator("#etape-file")).to_contain_text("Fait")
    p.check_accessibility()

    # The home visit with the keyboard only: Tab from the file link to the step's button,
    # Enter opens its form in place with the date focused, Tab to the opinion (none chosen in
    # advance), Space, Tab to the button, Enter.
    page.locator("#etape-file a").first.focus()
    now = tab_to(page, "Enregistrer : Visite à domicile d'évaluation")
    assert now["ring"], "the focused step has no visible focus"
    page.keyboard.press("Enter")
    expect(page.locator("#id_home_visit_done_on")).to_be_focused()
    assert page.locator("#id_home_visit_done_on").input_value() == \
        timezone.localdate().isoformat()
    # Only this step's fields: an opinion, a joint visit, observations; no plan summary.
    form = page.locator("#form-home_visit")
    expect(form.get_by_text("Visite conjointe avec")).to_be_visible()
    expect(form.locator("[name=plan_summary]")).to_have_count(0)
    p.check_accessibility()
    expect(form.locator("input[name=outcome]:checked")).to_have_count(0)
    for _ in range(6):  # the date's day, month and year, then the first opinion
        page.keyboard.press("Tab")
        if focused(page)["id"] == "id_home_visit_outcome_0":
            break
    expect(page.locator("#id_home_visit_outcome_0")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#id_home_visit_outcome_0")).to_be_checked()
    now = tab_to(page, "Enregistrer l'étape")
    assert now["ring"]
    page.keyboard.press("Enter")
    # The checklist is redrawn, its message focused and announced.
    expect(page.locator("#admission [role=status]")).to_have_text(
        "Étape enregistrée : Visite à domicile d'évaluation.")
    expect(page.locator("#admission [role=status]")).to_be_focused()
    expect(page.locator("#etape-home_visit")).to_contain_text("Fait le")
    p.check_accessibility()

    def open_step(item: str, button: str):
        p.htmx_settled()  # the redrawn steps' links are live before the click
        page.locator(f"#etape-{item}").get_by_role("link", name=button).click()
        expect(page.locator(f"#form-{item} form")).to_be_visible()
        p.check_accessibility()

    def save(item: str, message: str, button: str = "Enregistrer l'étape", timeout=5_000):
        page.locator(f"#form-{item}").get_by_role("button", name=button).click()
        expect(page.locator("#admission [role=status]")).to_have_text(message, timeout=timeout)

    # The medical evaluation is the coordinating doctor's (SPEC §4.2): the coordinator is
    # offered no form; the doctor records it (in their own session), the page is reloaded.
    expect(page.locator("#etape-medical_evaluation")).to_contain_text(
        "Enregistrée par le médecin coordonnateur.")
    expect(page.locator("#etape-medical_evaluation").get_by_role("link")).to_have_count(0)
    doctor = open_page()
    log_in(doctor, "doctor")
    doctor.page.goto(page.url)
    doctor.page.emulate_media(reduced_motion="reduce")
    doctor.page.locator("#etape-medical_evaluation").get_by_role(
        "link", name="Enregistrer : Évaluation médicale").click()
    doctor.page.locator("#form-medical_evaluation").get_by_label("Favorable", exact=True).check()
    doctor.page.locator("#id_medical_evaluation_gp_associated").check()
    doctor.page.locator("#form-medical_evaluation").get_by_role(
        "button", name="Enregistrer l'étape").click()
    expect(doctor.page.locator("#admission [role=status]")).to_have_text(
        "Étape enregistrée : Évaluation médicale.")
    page.reload()
    expect(page.locator("#etape-medical_evaluation")).to_contain_text("Fait le")
    open_step("team_opinion", "Enregistrer : Avis de l'équipe / commission d'admission")
    page.locator("#form-team_opinion").get_by_label("Favorable", exact=True).check()
    save("team_opinion", "Étape enregistrée : Avis de l'équipe / commission d'admission.")

    # No contract before the plan: the step says why, it has no button.
    expect(page.locator("#etape-contract")).to_contain_text(
        "Bloqué Le plan d'accompagnement n'existe pas encore")
    expect(page.locator("#etape-contract").get_by_role("link")).to_have_count(0)
    open_step("plan_drafted", "Enregistrer : Plan personnalisé (PPCS)")
    expect(page.locator("#form-plan_drafted [name=outcome]")).to_have_count(0)
    page.locator("#id_plan_drafted_plan_summary").fill(
        "Aide-soignante matin et soir, téléassistance, astreinte de nuit.")
    save("plan_drafted", "Étape enregistrée : Plan d'accompagnement élaboré.")

    # The contract: generated (PDF), then its signature recorded.
    open_step("contract", "Générer le contrat")
    page.locator("#id_contract_optional_services").fill("Portage de repas ; 9,50 ; CCAS")
    save("contract", "Contrat généré : imprimez-le pour signature.",
         button="Générer le contrat (PDF)", timeout=60_000)  # the PDF takes its time
    with page.expect_download() as download:
        page.locator("#etape-contract").get_by_role("link", name="Télécharger le contrat").click()
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    open_step("contract", "Enregistrer la signature")
    save("contract", "Étape enregistrée : Contrat d'accompagnement signé.")

    # The decision still waits for the agreement.
    expect(page.locator("#etape-decision")).to_contain_text(
        "L'accord de la personne ou de son représentant légal n'est pas enregistré.")
    open_step("agreement", "Enregistrer : Accord de la personne ou de son représentant légal")
    # Bad input: answered in place, next to the fields, the first one focused.
    page.locator("#form-agreement").get_by_role("button", name="Enregistrer l'étape").click()
    error = page.locator("#id_agreement_agreed_by_errors")
    expect(error).to_have_text("Indiquez qui a donné son accord.")
    expect(page.locator("#form-agreement [role=alert]")).to_be_visible()
    expect(page.locator("#id_agreement_agreed_by_0")).to_be_focused()
    p.errors.clear()  # the 400 answer of the refused form, logged by the browser on purpose
    p.check_accessibility()
    page.get_by_label("La personne elle-même").check()
    page.get_by_label("Oralement").check()
    save("agreement",
         "Étape enregistrée : Accord de la personne ou de son représentant légal.")

    # The decision: the capacity is reached, a justification is asked.
    open_step("decision", "Décider l'admission")
    form = page.locator("#form-decision")
    expect(form).to_contain_text(
        f"Capacité atteinte : {places} personnes accompagnées pour {places} places.")
    form.get_by_role("button", name="Admettre dans la file active").click()
    expect(page.locator("#id_decision_capacity_justification_errors")).to_have_text(
        "Justifiez l'admission au-delà de la capacité.")
    p.errors.clear()
    form.locator("#id_decision_gir_at_entry").select_option("3")
    form.get_by_label("Justification de l'admission au-delà de la capacité").fill(
        "Retour d'hospitalisation sans aucune autre solution sur le secteur.")
    save("decision", f"{Referral.objects.get(pk=referral.pk).beneficiary.display_name} est "
                     "admis·e dans la file active.", button="Admettre dans la file active")
    expect(page.locator("#etape-decision")).to_contain_text("Fait admis·e le")
    # The rest of the page follows without a reload: its state, no next step to plan.
    expect(page.locator("h1 + p")).to_contain_text("Admise ·")
    expect(page.get_by_role("heading", name="Prochaine étape")).to_have_count(0)
    expect(page.get_by_text("En liste d'attente")).to_have_count(0)
    p.check_accessibility()

    # Waiting list, checklist, the file's identity form, the checklist again, its reload after
    # the doctor's step: 5 screens.
    assert len(screens) <= 5, screens
    enrolment = Enrolment.objects.get(referral=referral)
    assert enrolment.capacity_justification.startswith("Retour d'hospitalisation")
    assert AuditEvent.objects.filter(
        action="enrolment.opened", object_id=str(enrolment.public_id),
        details__justification=enrolment.capacity_justification).exists()
