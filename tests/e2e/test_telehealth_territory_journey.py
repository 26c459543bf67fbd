"""Journey: a nurse records a telecare act for an older person of the territory who has no file
(a volet 1 light record found by name); the requester forgotten first is asked for in French next
to the field; the person's page lists the act. The direction then reads the counts by kind,
volet 2 / volet 1, without any person. axe-core on every page."""

from collections import Counter
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from maillage.care.models import TelehealthAct
from maillage.outreach.models import Attendee

from .test_login_journeys import log_in


def _a_person_without_acts():
    """An older person of the demo's first CRT with no act yet and a name no one else has."""
    people = list(Attendee.objects.filter(crt__name="CRT Anjou Bleu", kind="older_person",
                                          telehealth_acts__isnull=True)
                  .select_related("commune").order_by("pk"))
    names = Counter(a.last_name for a in people)
    return next(a for a in people if names[a.last_name] == 1)


def test_nurse_records_telehealth_for_an_older_person_of_the_territory(demo, open_page):
    person = _a_person_without_acts()
    label = person.display_name + (f" — {person.commune.name}" if person.commune_id else "")
    when = timezone.localtime() - timedelta(hours=2)

    p = open_page()
    log_in(p, "nurse")
    page = p.page
    p.menu_entry("Télésanté des personnes âgées").click()
    expect(page.locator("h1")).to_have_text("Télésanté des personnes âgées du territoire")
    p.check_accessibility()

    page.get_by_role("link", name="Nouvel acte").click()
    p.check_accessibility()
    page.locator("#id_attendee_q").fill(person.last_name)
    page.locator("#id_attendee_results").get_by_label(label).check()
    page.get_by_label("Type d'acte").select_option("telecare")
    page.get_by_label("Date et heure").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("ou professionnel à distance (hors annuaire)").fill(
        "Mme Gilles, orthophoniste")
    page.get_by_label("La personne qui a réalisé ou accompagné l'acte travaille pour"
                      ).select_option("partner_ehpad")
    page.locator("#id_reason").fill("Séance d'orthophonie à distance")
    page.get_by_label("Résultat et suites").fill("Exercices de déglutition à poursuivre")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#id_requester_errors")).to_have_text("Indiquez qui a demandé l'acte.")
    p.check_accessibility()
    page.get_by_label("Demandé par").select_option("person")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_text(f"Télésoin enregistrée pour {person.display_name}.")).to_be_visible()
    expect(page.locator("h1")).to_have_text(f"Télésanté — {person.display_name}")
    main = page.locator("main")
    expect(main).to_contain_text("Exercices de déglutition à poursuivre")
    expect(main).to_contain_text("La personne ou son aidant")
    p.check_accessibility()
    act = TelehealthAct.objects.get(attendee=person)
    assert (act.kind, act.requester, act.performer_employer) == (
        "telecare", "person", "partner_ehpad")

    director = open_page()
    log_in(director, "direction")
    director.goto(reverse("care:telehealth_overview"))
    table = director.page.locator("#telehealth-by-kind")
    expect(table).to_contain_text("Volet 1 (personnes du territoire)")
    expect(director.page.locator("main")).not_to_contain_text(person.display_name)
    director.check_accessibility()
