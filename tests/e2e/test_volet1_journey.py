"""Journey: the activity leader creates an anti-fall action with three sessions (a bad time
answered in French), registers by phone an older person (new light record), a volet 2
beneficiary found by name, a caregiver and a professional (a duplicate refused), downloads the
attendance sheet (a PDF with the names), then — on the day of the session — records who came
and the taxi one of them took, and corrects her record. axe-core on every page."""

import io
import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from maillage.beneficiaries.access import beneficiaries_for
from maillage.core.models import Crt
from maillage.core.roles import Role
from maillage.outreach.models import Participation, Session, SupportAction
from maillage.territory.models import Commune

from .test_login_journeys import log_in

TITLE = "Gym douce : prévenir les chutes"


def test_activity_leader_runs_an_anti_fall_action(demo, open_page):
    today = timezone.localdate()
    commune = Commune.objects.filter(crt__name="CRT Anjou Bleu").order_by("name").first()
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    # A volet 2 person she accompanies: the only ones she may find (the file policy).
    leader = get_user_model().objects.get(username="activity_leader")
    b = beneficiaries_for("identity", crt=crt, user=leader,
                          roles={Role.ACTIVITY_LEADER}).order_by("pk").first()

    p = open_page()
    log_in(p, "activity_leader")
    page = p.page
    # The home panel shows the year's check of volet 1.
    expect(page.locator("main")).to_contain_text(f"Volet 1 en {today.year}")
    p.menu_entry("Actions").click()
    expect(page.locator("h1")).to_have_text("Actions du volet 1")
    p.check_accessibility()

    # 1. The action.
    page.get_by_role("link", name="Nouvelle action").click()
    p.check_accessibility()
    page.get_by_label("Intitulé").fill(TITLE)
    page.get_by_label("Axe du volet 1").select_option("care_prevention")
    page.get_by_label("Action de prévention des chutes").check()
    page.get_by_label("Public : personnes âgées à domicile").check()
    page.get_by_label("Commune").select_option(label=str(commune))
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text(f"Action « {TITLE} » enregistrée.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Accès aux soins et à la prévention — "
                                                 "prévention des chutes")
    p.check_accessibility()

    # 2. Three sessions, a week apart; an end before the start is refused first.
    days = [today + timedelta(days=7 * (i + 1)) for i in range(3)]
    for i, day in enumerate(days):
        page.get_by_role("link", name="Nouvelle séance").click()
        page.get_by_label("Date").fill(day.isoformat())
        page.get_by_label("Début").fill("14:00")
        page.get_by_label("Fin").fill("13:00" if i == 0 else "16:00")
        page.get_by_role("button", name="Enregistrer").click()
        if i == 0:
            expect(page.get_by_text("La fin de la séance doit être après son début.")
                   ).to_be_visible()
            p.check_accessibility()
            page.get_by_label("Fin").fill("16:00")
            page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text(f"Séance du {day:%d/%m/%Y} enregistrée.")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    p.check_accessibility()

    # 3. Registrations by phone to the first session.
    page.get_by_role("link", name=f"{days[0]:%d/%m/%Y} 14:00–16:00").click()
    expect(page.locator("main")).to_contain_text("Personne n'est encore inscrit.")
    p.check_accessibility()
    page.get_by_role("link", name="Inscrire une personne").click()
    p.check_accessibility()

    def new_person(kind: str, last: str, first: str, **extra):
        page.get_by_label("ou nouvelle personne : type").select_option(kind)
        page.get_by_label("Nom", exact=True).fill(last)
        page.get_by_label("Prénom").fill(first)
        for label, value in extra.items():
            field = page.get_by_label(label)
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        page.get_by_role("button", name="Inscrire et en inscrire une autre").click()

    new_person("older_person", "Lebreton", "Simone", **{
        "Commune": str(commune.public_id), "Tranche d'âge (personne âgée)": "85_94",
        "Sexe (personne âgée)": "F", "Vit seul·e (personne âgée)": "true"})
    expect(page.get_by_text("LEBRETON Simone est inscrit·e.")).to_be_visible()

    # A volet 2 beneficiary, found by name: identity only.
    page.locator("#id_beneficiary_q").fill(b.birth_name[:4])
    option = page.locator("#id_beneficiary_results").get_by_label(
        f"{b.display_name} ({b.born} le {b.birth_date:%d/%m/%Y})")
    option.check()
    p.check_accessibility()
    page.get_by_role("button", name="Inscrire et en inscrire une autre").click()
    expect(page.get_by_text(f"{b.display_name} est inscrit·e.")).to_be_visible()

    # The same older person typed again as new: not created, the existing record is shown.
    new_person("older_person", "LEBRETON", "simone")
    warning = page.get_by_role("alert").filter(has_text="Une fiche existe peut-être déjà")
    expect(warning).to_contain_text("LEBRETON Simone — fiche du volet 1 (personne âgée")
    expect(warning).to_contain_text("déjà inscrit·e à cette séance")
    expect(page.get_by_label("Ce n'est pas la même personne : créer une nouvelle fiche")
           ).not_to_be_checked()
    p.check_accessibility()
    page.goto(page.url)  # a fresh form

    new_person("caregiver", "Lebreton", "Alain")
    expect(page.get_by_text("LEBRETON Alain est inscrit·e.")).to_be_visible()
    new_person("professional", "Pineau", "Karine", **{
        "ou structure (saisie libre)": "SSIAD du Haut-Anjou",
        "Type de structure (professionnel)": "ssiad"})
    expect(page.get_by_text("PINEAU Karine est inscrit·e.")).to_be_visible()

    # The beneficiary again: refused, in French, next to the field.
    page.locator("#id_beneficiary_q").fill(b.birth_name[:4])
    page.locator("#id_beneficiary_results").get_by_label(
        f"{b.display_name} ({b.born} le {b.birth_date:%d/%m/%Y})").check()
    page.get_by_role("button", name="Inscrire", exact=True).click()
    expect(page.get_by_text(f"{b.display_name} est déjà inscrit·e à cette séance.")
           ).to_be_visible()
    p.check_accessibility()
    page.get_by_role("link", name="Annuler").click()
    table = page.locator("#participants")
    for name in ("LEBRETON Simone", b.display_name, "LEBRETON Alain", "PINEAU Karine"):
        expect(table).to_contain_text(name)
    expect(table).to_contain_text("SSIAD du Haut-Anjou (SSIAD)")
    p.check_accessibility()

    # 4. The attendance sheet.
    with page.expect_download() as download:
        page.get_by_role("link", name="Feuille d'émargement (PDF)").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(pdf)).pages)
    for name in ("LEBRETON Simone", b.display_name, "LEBRETON Alain", "PINEAU Karine",
                 "Signature", TITLE):
        assert name in text, name

    # 5. The day of the session: it has begun (the test moves it, as time would).
    session = Session.objects.get(action__title=TITLE, starts_at__date=days[0])
    now = timezone.now()
    Session.objects.filter(pk=session.pk).update(starts_at=now - timedelta(hours=1),
                                                 ends_at=now + timedelta(hours=1))
    page.reload()
    page.get_by_role("link", name="Noter les présences").click()
    p.check_accessibility()
    for name, status in (("LEBRETON Simone", "Présent·e"), (b.display_name, "Présent·e"),
                         ("LEBRETON Alain", "Présent·e"), ("PINEAU Karine", "Absent·e")):
        page.get_by_role("group", name=re.compile(re.escape(name))).get_by_label(
            status).check()
    page.get_by_label("Participants non identifiés").fill("2")
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_text("Présences enregistrées.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Tenue — 2 participants non identifiés")
    expect(table.locator("tr", has_text="PINEAU Karine")).to_contain_text("Absent·e")
    expect(table.locator("tr", has_text="LEBRETON Simone")).to_contain_text("Présent·e")

    # 6. Simone came by taxi.
    page.get_by_role("link", name="Transport de LEBRETON Simone").click()
    p.check_accessibility()
    page.get_by_label("Transport organisé").select_option("taxi")
    page.get_by_label("Assuré par").fill("Taxi Martin")
    page.get_by_label("Coût (€)").fill("abc")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Indiquez un montant en euros (ex. 12,50).")).to_be_visible()
    page.get_by_label("Coût (€)").fill("18,40")
    page.get_by_role("button", name="Enregistrer").click()
    # The rule: the CRT provides the journey only when she has no other way to come.
    expect(page.get_by_text("aucune autre solution : indiquez pourquoi.")).to_be_visible()
    p.check_accessibility()
    page.get_by_label("Aucune autre solution de transport : pourquoi ?").select_option(
        "no_vehicle")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Transport enregistré.")).to_be_visible()
    expect(table.locator("tr", has_text="LEBRETON Simone")).to_contain_text(
        "Taxi (Taxi Martin), 18,40 €")
    expect(table.locator("tr", has_text="LEBRETON Simone")).to_contain_text(
        "aucune autre solution : pas de véhicule")
    p.check_accessibility()

    # 7. Her record is corrected: she lives in a résidence autonomie.
    table.get_by_role("link", name="LEBRETON Simone", exact=True).click()
    p.check_accessibility()
    page.get_by_label("Lieu de vie").select_option("autonomy_residence")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Fiche de LEBRETON Simone enregistrée.")).to_be_visible()

    action = SupportAction.objects.get(title=TITLE)
    assert action.anti_fall and action.sessions.count() == 3
    assert Participation.objects.filter(session=session, beneficiary=b,
                                        status="present").exists()
    assert Participation.objects.get(session=session, attendee__first_name="Simone"
                                     ).attendee.living_place == "autonomy_residence"
