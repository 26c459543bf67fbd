"""The whole volet 2 journey in a browser: public referral → review → waiting list → home
visit → medical evaluation → commission → plan → contract PDF → admission → hospitalisation →
definitive exit. The coordinator and the doctor share the work; axe-core on every page."""


from django.utils import timezone
from playwright.sync_api import expect

from maillage.admissions.models import Enrolment, Referral
from maillage.core.models import Crt

from .test_login_journeys import log_in


def step(p, kind: str, **fields):
    """One step of the admission checklist, its form opened in place (htmx)."""
    page = p.page
    # No button colour transitions: axe must not measure a button halfway to its hover colours.
    page.emulate_media(reduced_motion="reduce")
    page.locator(f"a[href$='etape={kind}']").click()
    form = page.locator("form.inline-step-form")
    expect(form).to_be_visible()
    p.check_accessibility()
    page.locator(f"#id_{kind}_done_on").fill(timezone.localdate().isoformat())
    outcome = form.locator("input[name=outcome][value=favourable]")
    if outcome.count():  # no opinion is chosen in advance
        outcome.check()
    for selector, value in fields.items():
        if value is True:
            page.locator(selector).check()
        else:
            page.locator(selector).fill(value)
    form.get_by_role("button", name="Enregistrer l'étape").click()
    expect(page.locator("#admission [role=status]")).to_contain_text("Étape enregistrée : ")


def test_from_public_referral_to_exit(demo, open_page):
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    # 1. A daughter fills in the public form, without an account.
    public = open_page(width=390, height=844)
    public.goto(f"/admissions/orientation/{crt.public_id}/")
    public.check_accessibility()
    page = public.page
    page.locator("#id_referrer_kind").select_option("caregiver")
    page.locator("#id_referrer_name").fill("Sophie Rabouin")
    page.locator("#id_referrer_email").fill("sophie.rabouin@example.fr")
    page.locator("#id_person_last_name").fill("Rabouin")
    page.locator("#id_person_first_name").fill("Armandine")
    page.locator("#id_person_birth_date").fill("1934-06-09")
    page.locator("#id_person_commune_name").fill("Candé")
    page.locator("#id_reason").fill("Ma mère vit seule, chutes la nuit, je vis à Lyon.")
    page.get_by_label("Isolement de la personne").check()
    page.get_by_label("La personne est informée de cette demande et d'accord").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator("h1")).to_have_text("Demande envoyée")
    public.check_accessibility()
    assert "Rabouin" not in page.content()

    # 2. The coordinator reviews it and puts it on the waiting list.
    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    p.menu_entry("Admissions").click()
    p.check_accessibility()
    page.get_by_role("link", name="Demandes").click()
    page.get_by_role("link", name="RABOUIN Armandine").click()
    p.check_accessibility()
    page.get_by_label("Accepter : inscrire en liste d'attente").check()
    page.locator("#id_next_step").fill("Visite à domicile conjointe avec le SSIAD")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Demande : en liste d'attente.")).to_be_visible()
    p.menu_entry("Admissions").click()
    expect(page.locator("tbody")).to_contain_text("RABOUIN Armandine")
    p.check_accessibility()
    page.locator("tbody").get_by_role("link", name="RABOUIN Armandine").click()

    # 3. The file is opened from the referral (identity pre-filled).
    page.get_by_role("link", name="Ouvrir le dossier de la personne").click()
    p.check_accessibility()
    expect(page.locator("#id_birth_name")).to_have_value("Rabouin")
    page.locator("#id_sex").select_option("F")
    page.locator("#id_birth_place_code").fill("49054")
    page.locator("#id_address").fill("12 rue des Tisserands")
    page.locator("#id_commune").select_option(label="Candé (49440)")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    expect(page.get_by_text("Le dossier de RABOUIN Armandine est ouvert.")).to_be_visible()
    # The file opened for the request is not a possible duplicate of it.
    expect(page.get_by_role("heading", name="Doublons possibles")).to_have_count(0)

    # 4. Home visit by the coordinator. Saved in place, it changes the next step (and the
    # request's version): the next step's form follows, and a next step typed without reloading
    # the page is saved (it was refused as « modifiée par quelqu'un d'autre »).
    step(p, "home_visit")
    next_step = page.locator("section[aria-labelledby=h-etape]")
    expect(next_step.locator("#id_next_step")).to_have_value("Évaluation médicale")
    next_step.locator("#id_next_step").fill("Évaluation médicale avec le médecin traitant")
    next_step.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Prochaine étape enregistrée : Évaluation médicale avec le "
                            "médecin traitant.")).to_be_visible()
    p.check_accessibility()

    # 5. Medical evaluation by the doctor, the GP associated.
    referral = Referral.objects.get(person_last_name="Rabouin")
    doctor = open_page()
    log_in(doctor, "doctor")
    doctor.goto(f"/admissions/demandes/{referral.public_id}/")
    doctor.check_accessibility()
    step(doctor, "medical_evaluation", **{"#id_medical_evaluation_gp_associated": True})

    # 6. Commission, plan, contract, signature, decision.
    page.reload()
    step(p, "team_opinion")
    step(p, "plan_drafted", **{"#id_plan_drafted_plan_summary": "Aide-soignante matin et "
                                                              "soir, téléassistance, astreinte "
                                                              "de nuit."})
    page.get_by_role("link", name="Générer le contrat").click()
    p.check_accessibility()
    page.locator("#id_contract_optional_services").fill("Portage de repas ; 9,50 ; CCAS de "
                                                        "Candé")
    page.get_by_role("button", name="Générer le contrat (PDF)").click()
    expect(page.get_by_text("Contrat généré")).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="contrat du").first.click()
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    step(p, "contract_signed")
    page.locator("a[href$='etape=agreement']").click()
    page.get_by_label("La personne elle-même").check()
    page.get_by_label("Par écrit signé").check()
    page.get_by_role("button", name="Enregistrer l'étape").click()
    expect(page.locator("#admission [role=status]")).to_contain_text("Étape enregistrée : ")
    # The request's part of the page says the agreement recorded, without a reload.
    expect(page.locator("#referral-request")).to_contain_text(
        "oui — accord de la personne elle-même, par écrit signé, le")
    expect(page.get_by_text("pas encore recueilli")).to_have_count(0)
    page.get_by_role("link", name="Décider l'admission").click()
    p.check_accessibility()
    # The demo CRT has places left (40 places, fewer people): no justification is asked (the
    # capacity reached is the checklist journey's, test_admission_checklist.py).
    expect(page.locator("#form-decision")).to_contain_text("Date d'admission")
    expect(page.locator("#form-decision")).not_to_contain_text("Capacité atteinte")
    expect(page.get_by_label("Justification de l'admission au-delà de la capacité")
           ).to_have_count(0)
    page.get_by_role("button", name="Admettre dans la file active").click()
    # No AGGIR evaluation yet: the GIR at entry must be given.
    expect(page.get_by_text("Le GIR à l'entrée est inconnu")).to_be_visible()
    p.errors.clear()  # the refused form's 400 answer, logged by the browser
    p.check_accessibility()
    page.locator("#id_decision_gir_at_entry").select_option("3")
    page.get_by_role("button", name="Admettre dans la file active").click()
    expect(page.get_by_text("RABOUIN Armandine est admis·e dans la file active.")).to_be_visible()
    p.check_accessibility()
    page.get_by_role("link", name="voir dans la file active").click()
    enrolment = Enrolment.objects.get(beneficiary__birth_name="Rabouin")
    assert not enrolment.emergency_path

    # 7. Hospitalisation, then definitive exit.
    page.get_by_role("link", name="Enregistrer une sortie temporaire").click()
    p.check_accessibility()
    page.locator("#id_kind").select_option("hospitalisation")
    page.locator("#id_start_date").fill(timezone.localdate().isoformat())
    page.locator("#id_place").fill("CHU d'Angers")
    page.locator("#id_reason").fill("Chute avec fracture du col du fémur")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Sortie temporaire enregistrée.")).to_be_visible()
    page.get_by_role("link", name="Sortie définitive").click()
    p.check_accessibility()
    page.locator("#id_ended_on").fill(timezone.localdate().isoformat())
    page.locator("#id_exit_reason").select_option("wishes_to_leave")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Sortie définitive enregistrée.")).to_be_visible()
    p.check_accessibility()
    enrolment.refresh_from_db()
    assert enrolment.exit_reason == "wishes_to_leave"
    assert enrolment.suspensions.get().end_date == timezone.localdate()
