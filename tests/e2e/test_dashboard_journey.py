"""The steering dashboard in a browser (issue 14 §2): the director opens « Indicateurs » from
the menu, chooses a month, opens an indicator whose breakdowns are drawn as charts from their
tables, and drills down to the people behind a row. axe-core passes on each page, with no
console error (the CSP holds with Chart.js), at desktop and phone widths."""

from datetime import date

import pytest
from playwright.sync_api import expect

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, UserFactory, member

from .test_territory_map import log_in


@pytest.fixture
def crt(transactional_db):
    """March 2025: AUBIN (F) and CHARRIER (F) admitted, BARDET (M) admitted in February."""
    crt = CrtFactory(name="CRT Anjou Bleu")
    for name, sex, admitted in (("AUBIN", "F", date(2025, 3, 3)),
                                ("BARDET", "M", date(2025, 2, 10)),
                                ("CHARRIER", "F", date(2025, 3, 20))):
        enrolment(BeneficiaryFactory(crt=crt, birth_name=name, used_name="", sex=sex),
                  admitted_on=admitted)
    member(UserFactory(username="direction"), crt, Role.DIRECTION)
    return crt


@pytest.mark.parametrize("width", [1280, 360])
def test_from_the_menu_to_the_people_behind_a_row(crt, open_page, width):
    p = open_page(width=width)
    log_in(p, "direction")
    page = p.page
    p.menu_entry("Indicateurs").click()  # the folded menu below 992 px, then « Pilotage »
    expect(page.get_by_role("heading", level=1)).to_contain_text("Indicateurs — ")
    page.locator("#id_periode").select_option("mois")
    page.locator("#id_annee").fill("2025")
    page.locator("#id_mois").select_option("3")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicateurs — mars 2025")
    row = page.locator("#indicator-V2-01a")
    expect(row).to_contain_text("3 personnes")
    expect(row).to_contain_text("▲ En hausse : +2 (+200,0 %)")
    p.check_accessibility()

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("V2-01a")
    expect(page.locator("#value")).to_have_text("3 personnes")
    # One chart per breakdown, drawn from its table's rows.
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(4)
    for i in range(4):
        expect(canvases.nth(i)).to_have_attribute("data-drawn", str(
            page.locator("section table").nth(i).locator("tbody tr").count()))
        assert canvases.nth(i).bounding_box()["height"] >= 150
    p.check_accessibility()

    sex = page.locator("#table-sex")
    sex.locator("tr", has_text="Femme").get_by_role("link").click()
    expect(page.locator("#records-summary")).to_contain_text(
        "Ligne « Femme » de la ventilation « Sexe » : 2. Vous pouvez en consulter 2.")
    expect(page.locator("#records tbody tr")).to_have_count(2)
    expect(page.locator("#records")).to_contain_text("AUBIN")
    expect(page.locator("#records")).not_to_contain_text("BARDET")
    p.check_accessibility()

    page.locator("#id_au").fill("")  # a period with a missing end: the message beside it
    page.locator("#id_periode").select_option("dates")
    page.locator("#id_du").fill("2025-03-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#id_au_errors")).to_have_text("Indiquez la date de fin.")
    p.check_accessibility()


def test_a_report_s_typed_texts_are_not_lost_and_its_sending_is_confirmed(crt, open_page):
    """« Recalculer les chiffres » reloads the report: with texts typed and not saved, it asks
    first (they were lost without a word); « Transmettre » asks before freezing the version."""
    from maillage.core.models import Crt, User
    from maillage.steering import report_services
    from maillage.steering.models import ActivityReport, ReportKind

    Crt.objects.filter(pk=crt.pk).update(opened_on=date(2024, 7, 1))
    crt.refresh_from_db()
    report = report_services.report_create(
        actor=User.objects.get(username="direction"), crt=crt, kind=ReportKind.ANNUAL,
        year=2025, half=None, today=date(2026, 2, 1))
    p = open_page()
    log_in(p, "direction")
    page = p.page
    p.goto(f"/pilotage/rapports/{report.public_id}/")
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="Recalculer les chiffres").click()  # nothing typed
    expect(page.get_by_text("Chiffres recalculés à partir des dossiers.")).to_be_visible()
    assert dialogs == []
    area = page.locator("#textes textarea").first
    area.fill("Une année de montée en charge.")
    page.get_by_role("button", name="Recalculer les chiffres").click()
    expect(area).to_have_value("Une année de montée en charge.")  # stayed, not reloaded
    assert dialogs == ["Les textes tapés sur cette page ne sont pas enregistrés et seront "
                       "perdus. Continuer quand même ?"]
    page.get_by_role("button", name="Enregistrer les textes").click()
    expect(page.locator("#textes textarea").first).to_have_value(
        "Une année de montée en charge.")
    page.get_by_role("button", name="Transmettre (figer cette version)").click()
    assert dialogs[-1].startswith("Transmettre cette version à l'ARS ? Elle sera figée")
    expect(page.get_by_text("Brouillon", exact=True)).to_be_visible()
    report.refresh_from_db()
    assert report.status == ActivityReport.Status.DRAFT
    p.check_accessibility()
