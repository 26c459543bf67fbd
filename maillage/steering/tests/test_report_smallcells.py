"""The small-cell pass of the activity reports (INDICATORS §5, §4.2): what the CRT sends to the
ARS shows counts of 1 to 4 people « < 5 », the cells a total would give back « s », small
communes grouped — the same on the page, in the workbook and in the PDF; a report stored before
the pass keeps its figures, masked when shown."""

import io
import re
import shutil
import subprocess
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.smallcells import PROTECTED_TEXT, SMALL_TEXT
from maillage.core.tests.helpers import visible_text
from maillage.steering import report_services, report_smallcells, reports
from maillage.steering.models import ActivityReport
from maillage.territory.tests.factories import CommuneFactory

TODAY = date(2026, 2, 1)
HIDDEN = (SMALL_TEXT, PROTECTED_TEXT)
OLD_NOTE = ("Aucun masquage des petits effectifs : rapport du CRT sur ses propres données, "
            "sans donnée nominative. Le masquage des effectifs inférieurs à 5 s'applique à la "
            "vue régionale de l'ARS.")


def file_active(crt):
    """14 people accompanied in 2025: 10 of Angers, 3 of Saumur and 1 of Cholet; 11 aged 85 to
    94 at the end of 2025, 3 aged 75 to 84."""
    angers, saumur, cholet = (CommuneFactory(crt=crt, name=name)
                              for name in ("Angers", "Saumur", "Cholet"))
    for i in range(14):
        commune = angers if i < 10 else saumur if i < 13 else cholet
        born = date(1935, 3, 1) if i < 11 else date(1945, 3, 1)
        enrolment(BeneficiaryFactory(crt=crt, commune=commune, birth_date=born),
                  admitted_on=date(2025, 2, 3))
    forfait_months_refresh(crt=crt)


@pytest.fixture
def crt(crt_a):
    crt_a.opened_on = date(2024, 7, 1)
    crt_a.save()
    file_active(crt_a)
    return crt_a


@pytest.fixture
def report(crt, users):
    director = users["direction"]
    report = report_services.report_create(actor=director, crt=crt, kind="annual", year=2025,
                                           today=TODAY)
    report_services.report_submit(actor=director, report=report, version=report.version,
                                  today=TODAY, make_pdf=False)
    report.refresh_from_db()
    return report


def pdftotext(content: bytes) -> str:
    """The PDF's text as ``pdftotext -layout`` reads it (a table row on one line)."""
    argv = [shutil.which("pdftotext") or "/usr/bin/pdftotext", "-layout", "-", "-"]
    return subprocess.run(argv, input=content, capture_output=True, check=True,  # noqa: S603
                          timeout=60).stdout.decode()


#: The rows of V2-08's tables as ``pdftotext -layout`` prints them (« < 5 » as « <5 »).
AGES = re.compile(r"^\s*75 à 84 ans\s+< ?5\n\s*85 à 94 ans\s+s\n\s*95 ans et plus\s+0\n"
                  r"\s*Total\s+14\n", re.M)
COMMUNES = re.compile(r"^\s*Angers \(\w+\)\s+s\n\s*Autres communes\s+< ?5\n\s*Total\s+14\n",
                      re.M)


def table_in(text: str, title: str) -> str:
    """The text of the PDF from the table ``title`` on."""
    return text[text.index(title):]


def single_hidden_lines(snapshot: dict) -> list[tuple[str, int]]:
    """The (table, column) of every total row whose column holds exactly one hidden figure,
    total included: that figure would be the total minus the others."""
    found = []
    for section in reports.layout(snapshot):
        for table in section.tables:
            total = table.total
            for c in table.sum_columns if total else ():
                cells = [row[c] for row in table.rows] + [total[c]]
                if sum(1 for v in cells if v in HIDDEN) == 1:
                    found.append((table.title, c))
    return found


def rows_of(book, sheet: str, title: str) -> list[list]:
    """The rows of the table ``title`` in ``sheet``, its total row last."""
    rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    end = next(i for i in range(start, len(rows)) if rows[i][0] == "Total")
    return rows[start + 2:end + 1]


class TestTheSnapshot:
    def test_ages_and_communes_of_one_to_four_people_are_masked(self, report):
        s = report.snapshot
        assert s["schema"] == reports.SCHEMA == 2
        v208 = s["indicators"]["V2-08"]
        assert v208["value"] == 14
        ages = {r["label"]: r["value"] for r in v208["breakdowns"]["age_band"]["rows"]}
        # 3 people aged 75 to 84: « < 5 »; the 11 others would be 14 − 3: « s »; 0 stays 0.
        assert ages == {"Moins de 60 ans": 0, "60 à 74 ans": 0, "75 à 84 ans": "< 5",
                        "85 à 94 ans": "s", "95 ans et plus": 0}
        assert v208["breakdowns"]["age_band"]["total"] == 14
        communes = {r["label"]: r["value"] for r in v208["breakdowns"]["commune"]["rows"]}
        # Saumur (3) and Cholet (1) go into « Autres communes » (4: « < 5 »), Angers is 14 − 4.
        assert list(communes.values()) == ["s", "< 5"]
        assert list(communes)[1] == "Autres communes"
        assert list(communes)[0].startswith("Angers")
        assert "regroupées dans « Autres communes »" in v208["breakdowns"]["commune"]["note"]
        # The hidden figures keep no number; the helpers of the pass are not stored.
        text = str(s)
        assert "Saumur" not in text and "Cholet" not in text
        assert "'over'" not in text and "'numerator'" not in text
        assert s["small_cells"] == reports.SMALL_CELLS_NOTE
        assert "Effectifs de 1 à 4 personnes masqués (« < 5 »)" in s["small_cells"]
        assert "Aucun masquage" not in s["small_cells"]

    def test_no_total_gives_back_a_hidden_cell(self, report):
        assert single_hidden_lines(report.snapshot) == []
        tables = {t.title: t for section in reports.layout(report.snapshot)
                  for t in section.tables}
        ages = tables["V2-08 — Tranche d'âge"]
        assert ages.total == ["Total", 14]
        assert [v for _, v in ages.rows].count("s") == 1  # not 14 − the others

    def test_the_crts_own_amounts_are_shown(self, crt, users):
        from decimal import Decimal

        from .factories import allocation, expense

        allocation(crt, year=2025, notified_amount=Decimal("400000.00"))
        expense(crt, spent_on=date(2025, 5, 2), amount=Decimal("3.00"), volet="2")
        s = report_services.report_create(actor=users["direction"], crt=crt, kind="annual",
                                          year=2025, today=TODAY).snapshot
        assert s["budget"]["allocation"]["notified_amount"] == 400000.0
        assert [n["by_volet"] for n in s["budget"]["natures"]] == [[0.0, 3.0, 0.0]]

    def test_the_crts_own_organisation_is_shown(self, client, crt, users):
        """The on-call arrangement (the carrier's written consent, a yes = 1; the hours
        without anyone on call) and the governance meetings held are the CRT's organisation,
        not people: shown as they are, never « < 5 » (INDICATORS §5 rule 6)."""
        from maillage.oncall.models import Arrangement
        from maillage.oncall.tests.factories import arrangement
        from maillage.organisation.tests.factories import meeting

        arrangement(crt, model=Arrangement.Model.SHARED_NIGHT_NURSE,
                    agreement_signed_on=date(2024, 12, 1), carrier_written_consent=True)
        meeting(crt, held_on=date(2025, 3, 4))
        meeting(crt, held_on=date(2025, 9, 9))
        meeting(crt, kind="copil", held_on=date(2025, 6, 2),
                representatives=[{"name": "M. Martin", "quality": "usagers"}])
        report = report_services.report_create(actor=users["direction"], crt=crt,
                                               kind="annual", year=2025, today=TODAY)
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[report.public_id])))
        oncall = table_in(text, "V2-10 — compléments")[:700]
        assert "Accord écrit du porteur du dispositif IDE de nuit 1 oui = 1" in oncall
        assert f"Heures de la période {8760:,}".replace(",", "\u202f") in oncall
        governance = table_in(text, "T-03 — compléments")[:700]
        assert "Réunions tenues : Commission d'admission 2 réunions" in governance
        assert "Réunions tenues : Comité de pilotage (COPIL) 1 réunion " in governance
        assert ("COPIL avec des représentants des usagers ou d'autres participants 1 réunion "
                in governance)
        assert SMALL_TEXT not in oncall + governance

    def test_partner_structures_are_not_people(self, client, crt, users):
        """T-03 counts partner organisations, not people (INDICATORS §5 rule 2 masks counts of
        people only): 2 EHPAD of Angers and a SSIAD of Saumur under an agreement in 2025 are
        shown as they are, by type and by commune, with no « < 5 » and no commune grouping
        « of 1 to 4 people » (the QA found the table almost all « < 5 »)."""
        from maillage.territory.models import Commune
        from maillage.territory.tests.factories import OrganizationFactory, agreement

        angers, saumur = (Commune.objects.get(crt=crt, name=name)
                          for name in ("Angers", "Saumur"))
        agreement(crt, organizations=[
            OrganizationFactory(crt=crt, kind="ehpad", commune=angers),
            OrganizationFactory(crt=crt, kind="ehpad", commune=angers),
            OrganizationFactory(crt=crt, kind="ssiad", commune=saumur)])
        report = report_services.report_create(actor=users["direction"], crt=crt,
                                               kind="annual", year=2025, today=TODAY)
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[report.public_id])))
        assert ("T-03 Liste des partenaires du CRT et gouvernance mise en place avec eux 3 "
                "structures partenaires") in text
        types = table_in(text, "T-03 — Type de structure")
        types = types[:types.index("T-03 — Activité")]
        assert "EHPAD 2 SSIAD 1" in types and "Total 3" in types
        communes = table_in(text, "T-03 — Commune")
        communes = communes[:communes.index("T-03 — compléments")]
        assert "Structures partenaires Angers 2 Saumur 1 Total 3" in communes
        assert SMALL_TEXT not in types + communes
        assert "personnes" not in communes and "Autres communes" not in communes
        # Its breakdown whose rows overlap warns of structures counted twice, not of people.
        activity = table_in(text, "T-03 — Activité")
        activity = activity[:activity.index("T-03 — Commune")]
        assert "Un même élément compté peut figurer dans plusieurs lignes" in activity
        assert "Une même personne" not in activity

    def test_a_unit_agrees_with_the_figure_beside_it(self, client, crt, users, settings,
                                                     tmp_path):
        """« 1 réunions », « 0 réunions », « s % de satisfaits » (the QA, in the 2026 draft):
        the unit read after a figure is singular under 2 (French: 0 and 1), and beside a
        figure hidden « s » it is named apart — on the page, in the PDF and in the workbook,
        where the figures stay numbers. V1-09: 7 of 8 answers satisfied, the 1 unsatisfied
        would be given back: « s ». One COPIL, no admission commission."""
        from maillage.organisation.tests.factories import meeting
        from maillage.surveys import services as survey_services
        from maillage.surveys.tests.factories import answer, questionnaire

        meeting(crt, kind="copil", held_on=date(2025, 6, 2))
        c = survey_services.collection_open(
            actor=None, crt=crt, questionnaire=questionnaire(crt),
            subject_kind="outreach.session", subject_public_id="s1", subject_label="s1",
            group_key="a", group_label="Atelier", category_key="isolation",
            category_label="Isolement", codes=10, opened_on=date(2025, 10, 14))
        for grade in (4, 4, 4, 4, 3, 3, 3, 1):
            answer(c, scale=grade)
        report = report_services.report_create(actor=users["direction"], crt=crt,
                                               kind="annual", year=2025, today=TODAY)
        assert report.snapshot["indicators"]["V1-09"]["value"] == PROTECTED_TEXT
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[report.public_id])))
        name = "Satisfaction des personnes ayant bénéficié d'une prestation du volet 1"
        assert f"V1-09 {name} s chiffre masqué (unité : % de satisfaits)" in text
        governance = table_in(text, "T-03 — compléments")[:900]
        assert "Réunions tenues : Comité de pilotage (COPIL) 1 réunion " in governance
        assert "Réunions tenues : Commission d'admission 0 réunion " in governance
        for wrong in (" s % de satisfaits", " 1 réunions", " 0 réunions", " 0 personnes",
                      " 1 personnes"):
            assert wrong not in text, wrong
        settings.MEDIA_ROOT = tmp_path
        pdf = " ".join(pdftotext(client.get(reverse(
            "steering:report_pdf", args=[report.public_id])).content).split())
        assert " s % de satisfaits" not in pdf and " 1 réunions" not in pdf
        assert "V1-09 Satisfaction des personnes s chiffre masqué" in pdf  # its cell wraps
        assert "Commission d'admission 0 réunion " in pdf
        book = load_workbook(io.BytesIO(client.get(reverse(
            "steering:report_xlsx", args=[report.public_id])).content))
        rows = [list(r) for sheet in book for r in sheet.iter_rows(values_only=True)]
        assert ["V1-09", name, "s", "chiffre masqué (unité : % de satisfaits)"] in [
            r[:4] for r in rows]
        assert ["Réunions tenues : Comité de pilotage (COPIL)", 1, "réunion"] in [
            r[:3] for r in rows]

    def test_rooms_and_surveys(self):
        """The tables the indicators do not give, counted by hand."""
        raw = {"schema": 1, "kind": "annual", "indicators": {},
               "lodging": {"rooms": [
                   {"label": "Chambre d'urgence", "places": 1, "nights": 365, "occupied": 3},
                   {"label": "HT", "places": 2, "nights": 730, "occupied": 120}],
                   "stays": [{"label": "Crise", "stays": 9, "beneficiaries": 7},
                             {"label": "Répit", "stays": 10, "beneficiaries": 8}]},
               "satisfaction": {"year": 2025, "volet1": [], "yearly": [
                   {"label": "Bénéficiaires", "codes": 20, "responses": 12,
                    "response_rate": 60, "answers": 12, "satisfied": 83,
                    "satisfied_count": 10},
                   {"label": "Aidants", "codes": 8, "responses": 3, "response_rate": 37.5,
                    "answers": 3, "satisfied": 100, "satisfied_count": 3}]}}
        masked = report_smallcells.apply(raw, schema=2)
        rooms = masked["lodging"]["rooms"]
        # 3 nights taken by people: « < 5 », and its rate with it; 120 would be 123 − 3.
        assert [(r["occupied"], r["rate"]) for r in rooms] == [("< 5", "s"), ("s", "s")]
        assert masked["lodging"]["totals"]["occupied"] == 123
        # 2 stays of people who are not volet 2 beneficiaries in each row (9 − 7, 10 − 8):
        # the beneficiaries would give them back, and so would their total (4 others of 19).
        stays = masked["lodging"]["stays"]
        assert [(r["stays"], r["beneficiaries"]) for r in stays] == [(9, "s"), (10, "s")]
        totals = masked["lodging"]["totals"]
        assert (totals["stays_stays"], totals["stays_beneficiaries"]) == (19, "s")
        yearly = masked["satisfaction"]["yearly"]
        assert [(r["codes"], r["responses"], r["response_rate"], r["answers"],
                 r["satisfied"]) for r in yearly] == [
            (20, "s", "s", "s", "s"), (8, "< 5", "s", "< 5", "s")]
        assert masked["satisfaction"]["yearly_totals"] == {"codes": 28, "responses": 15,
                                                           "answers": 15}


class TestTheReportAsRead:
    def test_the_page(self, client, users, report):
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[report.public_id])))
        assert "V2-08 — Tranche d'âge Tranche d'âge Personnes Moins de 60 ans 0 60 à 74 ans 0 " \
               "75 à 84 ans < 5 85 à 94 ans s 95 ans et plus 0 Total 14" in text
        assert re.search(r"V2-08 — Commune Commune Personnes Angers \(\w+\) s "
                         r"Autres communes < 5 Total 14", text)
        assert "Saumur" not in text and "Cholet" not in text
        assert "Effectifs de 1 à 4 personnes masqués" in text
        assert "Aucun masquage" not in text

    def test_the_workbook(self, client, users, report):
        client.force_login(users["direction"])
        response = client.get(reverse("steering:report_xlsx", args=[report.public_id]))
        book = load_workbook(io.BytesIO(response.content))
        ages = rows_of(book, "Volet 2", "V2-08 — Tranche d'âge")
        assert [r[:2] for r in ages] == [
            ["Moins de 60 ans", 0], ["60 à 74 ans", 0], ["75 à 84 ans", "< 5"],
            ["85 à 94 ans", "s"], ["95 ans et plus", 0], ["Total", 14]]
        # The total is the pass's, not a SUM (which would add the shown cells only).
        communes = rows_of(book, "Volet 2", "V2-08 — Commune")
        assert [r[1] for r in communes] == ["s", "< 5", 14]
        assert communes[1][0] == "Autres communes"
        everything = str([row for sheet in book for row in sheet.values])
        assert "Saumur" not in everything and "Cholet" not in everything
        assert "Effectifs de 1 à 4 personnes masqués" in str(book["Volet 2"]["A3"].value)

    def test_the_pdf(self, client, users, report, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        client.force_login(users["direction"])
        response = client.get(reverse("steering:report_pdf", args=[report.public_id]))
        text = pdftotext(response.content)
        assert re.search(AGES, table_in(text, "V2-08 — Tranche d'âge"))
        assert re.search(COMMUNES, table_in(text, "V2-08 — Commune"))
        assert "Saumur" not in text and "Cholet" not in text
        assert "Effectifs de 1 à 4 personnes masqués" in text


def legacy_snapshot(monkeypatch, crt, kind="annual", year=2025) -> dict:
    """The snapshot the reports stored before the pass (schema 1): the figures as computed,
    the note saying nothing was masked."""
    def unmasked(raw, schema, legacy=False):
        for f in raw["indicators"].values():
            for key in ("people", "numerator"):
                f.pop(key, None)
            f["previous"] = {k: f["previous"][k] for k in ("period", "value")}
            f["extras"] = [{k: e[k] for k in ("label", "value", "unit")} for e in f["extras"]]
        for group in ("yearly", "volet1"):
            for row in (raw.get("satisfaction") or {}).get(group, []):
                row.pop("satisfied_count")
        return {**raw, "schema": 1, "small_cells": OLD_NOTE}

    monkeypatch.setattr(report_smallcells, "apply", unmasked)
    period = reports.report_period(crt=crt, kind=kind, year=year)
    snapshot = reports.build_snapshot(crt=crt, kind=kind, start=period.start, end=period.end,
                                      today=TODAY)
    monkeypatch.undo()
    return snapshot


class TestAReportStoredBeforeThePass:
    @pytest.fixture
    def old(self, monkeypatch, crt, users, settings, tmp_path):
        """A report transmitted before the pass, its unmasked PDF kept."""
        from django.core.files.base import ContentFile
        from django.utils import timezone

        settings.MEDIA_ROOT = tmp_path
        snapshot = legacy_snapshot(monkeypatch, crt)
        ages = {r["label"]: r["value"]
                for r in snapshot["indicators"]["V2-08"]["breakdowns"]["age_band"]["rows"]}
        assert ages["75 à 84 ans"] == 3  # as the old code stored it
        report = ActivityReport.objects.create(
            crt=crt, kind="annual", period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31), snapshot=snapshot, generated_at=timezone.now(),
            status=ActivityReport.Status.SUBMITTED, submitted_at=timezone.now(),
            narratives={"outlook": "Ouvrir un second site."})
        report.pdf.save("rapport.pdf", ContentFile(b"%PDF-1.7 unmasked 75 a 84 ans 3"))
        return report

    def test_its_figures_are_kept_and_masked_on_the_page_and_in_the_files(
            self, client, users, old, crt):
        stored = dict(old.snapshot)
        # A person admitted since: the report keeps the figures it was sent with.
        enrolment(BeneficiaryFactory(crt=crt), admitted_on=date(2025, 3, 3))
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[old.public_id])))
        assert "75 à 84 ans < 5 85 à 94 ans s 95 ans et plus 0 Total 14" in text
        assert "Autres communes < 5 Total 14" in text
        assert "Saumur" not in text
        assert "Aucun masquage" not in text
        assert "Effectifs de 1 à 4 personnes masqués" in text
        assert "Rapport calculé avant l'application de cette règle" in text
        assert "Ouvrir un second site." in text

        book = load_workbook(io.BytesIO(client.get(
            reverse("steering:report_xlsx", args=[old.public_id])).content))
        assert [r[:2] for r in rows_of(book, "Volet 2", "V2-08 — Tranche d'âge")][2:4] == [
            ["75 à 84 ans", "< 5"], ["85 à 94 ans", "s"]]
        assert "Aucun masquage" not in str([row for sheet in book for row in sheet.values])

        # The kept PDF was printed without the pass: never served, the masked one instead.
        content = client.get(reverse("steering:report_pdf", args=[old.public_id])).content
        assert b"unmasked" not in content
        pdf = pdftotext(content)
        assert re.search(AGES, table_in(pdf, "V2-08 — Tranche d'âge"))
        assert "Aucun masquage" not in pdf
        old.refresh_from_db()
        assert old.snapshot == stored  # nothing computed again, nothing rewritten
        assert old.pdf.read() == b"%PDF-1.7 unmasked 75 a 84 ans 3"

    def test_what_it_lacks_for_the_rules_is_hidden(self, monkeypatch, crt):
        snapshot = legacy_snapshot(monkeypatch, crt)
        extras = [{"label": "Durée moyenne", "value": 41.5, "unit": "jours"},
                  {"label": "Personnes concernées", "value": 3, "unit": "personnes"},
                  {"label": "Jours d'absence", "value": 60, "unit": "jours"},
                  {"label": "Sorties", "value": 0, "unit": "sorties"},
                  {"label": "Durée médiane", "value": 0.0, "unit": "jours"}]
        snapshot["indicators"]["V2-04"]["extras"] = extras
        shown = reports.shown(snapshot)
        assert shown["schema"] == 2 and snapshot["schema"] == 1
        # A mean whose denominator was not kept: « s »; a count of 3: « < 5 »; then the other
        # figures (a total of them would give it back): « s »; 0 stays 0.
        assert [e["value"] for e in shown["indicators"]["V2-04"]["extras"]] == [
            "s", "< 5", "s", 0, 0.0]
        assert single_hidden_lines(snapshot) == []
