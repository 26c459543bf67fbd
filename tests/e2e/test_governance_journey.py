"""The CRT's governance in a browser: the coordinator records this month's admission
commission with a decision, links an admission decision to it, and sees on the home page the
reminder of the partner agreement ending within 30 days (the demo's DAC agreement); axe-core
on every page."""

from django.utils import timezone
from playwright.sync_api import expect

from maillage.admissions import services as admissions
from maillage.admissions.models import Enrolment
from maillage.admissions.tests.factories import ReferralFactory
from maillage.beneficiaries.tests.factories import BeneficiaryFactory, consent
from maillage.core.models import Crt
from maillage.organisation.models import Decision, Meeting
from maillage.territory.models import Commune

from .test_login_journeys import log_in


def _admissible_referral(crt, coordinator):
    """A person on the waiting list, back from hospital (the emergency path: admissible before
    every step), whose agreement is recorded."""
    # A commune of the demo: the factory's own codes (49NNN by sequence) may be one of them.
    b = BeneficiaryFactory(crt=crt, birth_name="VALLÉE", first_name="Germaine", current_gir=3,
                           commune=Commune.objects.filter(crt=crt).order_by("pk").first())
    consent(b)
    referral = ReferralFactory(crt=crt, status="waiting", beneficiary=b, known_gir=3,
                               hospital_discharge=True, person_last_name="Vallée",
                               person_first_name="Germaine")
    admissions.step_record(actor=coordinator, referral=referral, kind="agreement",
                           done_on=timezone.localdate(), agreed_by="person",
                           agreement_method="oral")
    return referral


def test_commission_decision_and_agreement_reminder(demo, open_page):
    from django.contrib.auth import get_user_model

    crt = Crt.objects.get(name="CRT Anjou Bleu")
    coordinator = get_user_model().objects.get(username="coordinator")
    referral = _admissible_referral(crt, coordinator)
    today = timezone.localdate()

    p = open_page()
    log_in(p, "coordinator")
    page = p.page

    # 1. The home page reminds of the agreement ending within 30 days.
    reminders = page.locator("section[aria-labelledby='conventions-echeances']")
    expect(reminders).to_contain_text("Moins de 30 jours : Partenariat avec le DAC 49")
    expect(reminders).to_contain_text("à renouveler")
    p.check_accessibility()

    # 2. Today's admission commission, with a participant and a decision.
    p.menu_entry("Gouvernance").click()
    p.check_accessibility()
    page.get_by_role("link", name="Nouvelle réunion").click()
    p.check_accessibility()
    page.locator("#id_kind").select_option("admission_commission")
    page.locator("#id_held_on").fill(today.isoformat())
    page.locator("#id_place").fill("Salle de réunion du CRT")
    page.locator("#id_agenda").fill("Demandes en attente ; retours d'hospitalisation.")
    page.get_by_label("Claire Moreau").check()
    page.locator("#id_representatives_text").fill("Jeanne Roux")  # the quality is missing
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Ligne 1 : indiquez « nom ; qualité »")).to_be_visible()
    p.errors.clear()  # the refused form's 400 answer, logged by the browser
    p.check_accessibility()
    page.locator("#id_representatives_text").fill("Jeanne Roux ; représentante des usagers")
    page.get_by_role("button", name="Enregistrer").click()
    title = f"Commission d'admission du {today:%d/%m/%Y}"
    expect(page.locator("h1")).to_have_text(title)
    p.check_accessibility()
    page.get_by_role("link", name="Ajouter une décision").click()
    page.locator("#id_text").fill("Prononcer l'admission de Mme Vallée en parcours d'urgence")
    page.locator("#id_owner").select_option(label="Claire Moreau")
    page.locator("#id_due_on").fill(today.isoformat())
    p.check_accessibility()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("La décision est enregistrée.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("porteur : Claire Moreau")
    commission = Meeting.objects.get(crt=crt, kind="admission_commission", held_on=today)
    assert Decision.objects.filter(meeting=commission).count() == 1

    # 3. The admission decision names the commission that took it.
    p.goto(f"/admissions/demandes/{referral.public_id}/")
    page.get_by_role("link", name="Décider l'admission").click()
    form = page.locator("#form-decision")
    expect(form).to_contain_text("Commission d'admission qui a pris la décision")
    p.check_accessibility()
    page.get_by_label("Commission d'admission qui a pris la décision").select_option(
        label=title)
    page.get_by_role("button", name="Admettre dans la file active").click()
    expect(page.get_by_text("est admis·e dans la file active.")).to_be_visible()
    page.get_by_role("link", name="voir dans la file active").click()
    decided = page.locator("dt", has_text="Décidée par").locator("xpath=following-sibling::dd[1]")
    expect(decided).to_have_text(title)
    p.check_accessibility()
    enrolment = Enrolment.objects.get(referral=referral)
    assert enrolment.admission_meeting == commission
    page.get_by_role("link", name=title).click()
    expect(page.locator("main")).to_contain_text("Demandes examinées par cette commission")
    expect(page.locator("main")).to_contain_text("Germaine")

    # 4. The partners intervening without agreement, one click from the agreements.
    p.menu_entry("Conventions").click()
    p.check_accessibility()
    page.get_by_role("link", name="Partenaires sans convention").click()
    expect(page.locator("tbody")).to_contain_text("Aide à domicile du Haut-Anjou")
    p.check_accessibility()
