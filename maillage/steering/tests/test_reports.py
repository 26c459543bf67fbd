"""The activity reports: periods and due dates, the versions (a submitted version is frozen,
« Corriger » makes the next one), the pages for who may and may not, bad input, the PDF and
the XLSX (the same numbers as the snapshot, the screen and ``compute()``), the command."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage
from openpyxl import load_workbook
from pypdf import PdfReader

from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import shared_file
from maillage.core import indicators
from maillage.core.errors import ConflictError, DomainError
from maillage.core.indicators import Period
from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text
from maillage.steering import report_files, report_services, reports
from maillage.steering.models import ActivityReport, ReportKind, ReportSettings

from .factories import allocation, expense

D = Decimal
TODAY = date(2026, 12, 4)


@pytest.fixture
def opened(crt_a):
    """CRT A opened on 01/10/2025, with three people accompanied and a 2025 budget."""
    crt_a.opened_on = date(2025, 10, 1)
    crt_a.save()
    for day in (date(2025, 10, 6), date(2025, 11, 3), date(2026, 2, 2)):
        enrolment(shared_file(crt_a), admitted_on=day)
    forfait_months_refresh(crt=crt_a)
    allocation(crt_a, year=2025, notified_amount=D("100000.00"), volet1_planned=D("19000"),
               volet2_planned=D("81000"))
    expense(crt_a, spent_on=date(2025, 11, 10), amount=D("1200.00"), volet="2")
    expense(crt_a, spent_on=date(2025, 12, 1), amount=D("300.50"), volet="1",
            nature="transport")
    return crt_a


def create(crt, user, kind=ReportKind.ANNUAL, year=2025, half=None, today=TODAY):
    return report_services.report_create(actor=user, crt=crt, kind=kind, year=year,
                                         half=half, today=today)


def fr(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


class TestPeriodsAndDueDates:
    def test_the_first_annual_report_starts_at_the_opening(self, opened):
        period = reports.report_period(crt=opened, kind=ReportKind.ANNUAL, year=2025)
        assert (period.start, period.end) == (date(2025, 10, 1), date(2025, 12, 31))
        assert reports.report_period(crt=opened, kind=ReportKind.ANNUAL, year=2026) \
            == Period.year(2026)
        assert reports.report_period(crt=opened, kind=ReportKind.HALF_YEAR, year=2026,
                                     half=2) == Period.half_year(2026, 2)
        assert reports.period_label(ReportKind.ANNUAL, date(2025, 10, 1), date(2025, 12, 31)) \
            == "année 2025 (depuis l'ouverture le 01/10/2025)"
        with pytest.raises(ValueError, match="après la fin"):
            reports.report_period(crt=opened, kind=ReportKind.HALF_YEAR, year=2025, half=1)

    def test_due_dates(self, crt_a):
        settings = ReportSettings(crt=crt_a)
        assert reports.due_date(settings, ReportKind.ANNUAL, date(2025, 12, 31)) \
            == date(2026, 4, 30)
        assert reports.due_date(settings, ReportKind.HALF_YEAR, date(2026, 6, 30)) is None
        settings.half_year_due_days, settings.annual_due_month = 30, 2
        settings.annual_due_day = 31  # no 31 February: the last day of the month
        assert reports.due_date(settings, ReportKind.HALF_YEAR, date(2026, 6, 30)) \
            == date(2026, 7, 30)
        assert reports.due_date(settings, ReportKind.ANNUAL, date(2026, 12, 31)) \
            == date(2027, 2, 28)


class TestVersions:
    def test_create_computes_every_registered_indicator(self, opened, users):
        report = create(opened, users["direction"])
        assert (report.number, report.status) == (1, "draft")
        s = report.snapshot
        assert set(s["indicators"]) == set(indicators.registry())
        assert s["definition_versions"]["V2-01a"] == indicators.get("V2-01a").version
        period = Period.custom(date(2025, 10, 1), date(2025, 12, 31))
        computed = {code: indicators.compute(indicators.get(code), crt=opened, period=period)
                    for code in ("V2-01a", "V2-02", "F-02")}
        # Stored with the small-cell pass (INDICATORS §5): the 2 people of the file active
        # and their 2 admissions read « < 5 »; the forfait of their 5 mois-forfait is shown.
        assert (computed["V2-01a"].value, computed["V2-02"].value) == (2, 2)
        assert s["indicators"]["V2-01a"]["value"] == s["indicators"]["V2-02"]["value"] == "< 5"
        assert computed["F-02"].count == 5
        assert s["indicators"]["F-02"]["value"] == float(computed["F-02"].value) == 4500.0
        assert s["budget"]["allocation"]["notified_amount"] == 100000.0
        assert AuditEvent.objects.filter(action="report.created").count() == 1

    def test_a_report_is_created_once(self, opened, users):
        create(opened, users["direction"])
        with pytest.raises(DomainError, match="existe déjà"):
            create(opened, users["direction"])
        with pytest.raises(DomainError, match="après la fin"):
            create(opened, users["direction"], kind=ReportKind.HALF_YEAR, half=1)
        with pytest.raises(DomainError, match="pas commencé"):
            create(opened, users["direction"], year=2027)
        assert ActivityReport.objects.count() == 1

    def test_a_submitted_version_is_frozen_and_corrected_by_a_new_one(self, opened, users):
        director = users["direction"]
        report = create(opened, director)
        report_services.report_narratives_update(
            actor=director, report=report, version=report.version,
            narratives={"difficulties": "Recrutement difficile."})
        report_services.report_submit(actor=director, report=report, version=report.version,
                                      today=TODAY)
        frozen = ActivityReport.objects.get(pk=report.pk)
        assert frozen.status == "submitted" and frozen.submitted_by == director
        for write in (
            lambda: report_services.report_narratives_update(
                actor=director, report=frozen, version=frozen.version,
                narratives={"difficulties": "Autre texte"}),
            lambda: report_services.report_regenerate(actor=director, report=frozen,
                                                      version=frozen.version),
            lambda: report_services.report_submit(actor=director, report=frozen,
                                                  version=frozen.version, today=TODAY),
        ):
            with pytest.raises(DomainError, match="ne se modifie plus"):
                write()
        # A stale copy loaded before the submit cannot write either.
        with pytest.raises(DomainError, match="ne se modifie plus"):
            report_services.report_narratives_update(
                actor=director, report=report, version=report.version - 1,
                narratives={"difficulties": "Écrit en même temps"})
        assert ActivityReport.objects.get(pk=report.pk).narratives["difficulties"] \
            == "Recrutement difficile."

        expense(opened, spent_on=date(2025, 12, 15), amount=D("99.00"))
        second = report_services.report_correct(actor=director, report=frozen, today=TODAY)
        assert (second.number, second.status) == (2, "draft")
        assert second.narratives["difficulties"] == "Recrutement difficile."
        assert ActivityReport.objects.filter(crt=opened).count() == 2
        with pytest.raises(DomainError, match="version 2 existe déjà"):
            report_services.report_correct(actor=director, report=frozen)
        with pytest.raises(DomainError, match="Seule une version transmise"):
            report_services.report_correct(actor=director, report=second)
        totals = {r.number: sum(n["by_volet"][1] for n in r.snapshot["budget"]["natures"])
                  for r in ActivityReport.objects.filter(crt=opened)}
        assert totals == {1: 1200.0, 2: 1299.0}  # v1 kept as sent

    def test_concurrent_edits_and_an_open_period(self, opened, users):
        director = users["direction"]
        report = create(opened, director, year=2026)
        stale = report.version
        report_services.report_narratives_update(actor=director, report=report,
                                                 version=stale, narratives={"outlook": "A"})
        with pytest.raises(ConflictError):
            report_services.report_narratives_update(
                actor=director, report=report, version=stale, narratives={"outlook": "B"})
        with pytest.raises(DomainError, match="période close"):
            report_services.report_submit(actor=director, report=report,
                                          version=report.version, today=date(2026, 12, 31))
        with pytest.raises(DomainError, match="Section inconnue"):
            report_services.report_narratives_update(
                actor=director, report=report, version=report.version,
                narratives={"satisfaction": "x"})

    def test_half_year_review_has_no_satisfaction_section(self, opened, users):
        report = create(opened, users["direction"], kind=ReportKind.HALF_YEAR, year=2026,
                        half=1)
        keys = [s.key for s in reports.layout(report.snapshot, report.narratives)]
        assert "satisfaction" not in keys and report.snapshot["satisfaction"] is None
        assert keys[:2] == ["identity", "organisation"] and keys[-1] == "narratives"
        annual = create(opened, users["direction"])
        assert "satisfaction" in [s.key for s in reports.layout(annual.snapshot)]

    def test_an_indicator_declared_later_lands_in_its_section(self):
        assert reports.section_of("V2-05") == "volet2"
        assert reports.section_of("V1-07") == "volet1"
        assert reports.section_of("F-06") == "budget"
        assert reports.section_of("V2-11") == "oncall"
        assert reports.section_of("Z-01") == "other"


class TestTables:
    def test_breakdowns_in_the_indicators_order_whatever_the_database_kept(self, opened, users):
        # PostgreSQL's jsonb keeps an object's keys in its own order (shortest first), not as
        # written: the report reads the same read back from either database.
        from maillage.steering.reports import _indicator_tables

        report = create(opened, users["direction"])
        figures = report.snapshot["indicators"]
        t02 = figures["T-02"]
        t02["breakdowns"] = dict(reversed(list(t02["breakdowns"].items())))
        titles = [t.title for t in _indicator_tables(["T-02"], figures)]
        assert titles[1:3] == ["T-02 — Profession (postes)", "T-02 — Statut (postes)"]

    def test_team_governance_and_rooms_counted_by_hand(self, opened, users):
        from maillage.lodging.models import Stay
        from maillage.lodging.tests.factories import room, stay
        from maillage.organisation.tests.factories import decision, meeting, position

        position(opened, fte=D("0.80"), fte_volet2=D("0.80"), holder=users["nurse"])
        position(opened, profession="coordinator", fte=D("1.00"), fte_volet2=D("0.50"),
                 fte_coordination=D("0.50"))  # vacant
        position(opened, starts_on=date(2026, 3, 1))  # not in post in 2025
        copil = meeting(opened, kind="copil", held_on=date(2025, 11, 20))
        decision(copil, users["coordinator"], done_on=date(2025, 12, 1))
        decision(copil, users["coordinator"])
        meeting(opened, held_on=date(2026, 1, 5))  # after the period
        chambre = room(opened)
        # 10 nights in the period (20/12 → 30/12) and one stay overlapping the new year.
        stay(opened, room_=chambre, planned_start=date(2025, 12, 20),
             planned_end=date(2025, 12, 30), actual_start=date(2025, 12, 20),
             actual_end=date(2025, 12, 30), status=Stay.Status.ENDED)
        stay(opened, room_=chambre, planned_start=date(2025, 12, 30),
             planned_end=date(2026, 1, 4), actual_start=date(2025, 12, 30),
             actual_end=date(2026, 1, 4), status=Stay.Status.ENDED, reason="crisis")
        s = create(opened, users["direction"]).snapshot
        assert [(r["label"], r["positions"], r["fte"], r["vacancies"])
                for r in s["team"]["rows"]] == [
            ("Coordinateur·rice (IDE, IDEC)", 1, 1.0, 1), ("Infirmier·ère (IDE)", 1, 0.8, 0)]
        copil_row = next(g for g in s["governance"] if g["kind"].startswith("Comité"))
        assert (copil_row["meetings"], copil_row["decisions"], copil_row["done"],
                copil_row["dates"]) == (1, 2, 1, ["20/11/2025"])
        emergency = s["lodging"]["rooms"][0]
        assert (emergency["places"], emergency["nights"], emergency["occupied"]) \
            == (1, 92, 12)  # 01/10 → 31/12; nights of 20/12 → 01/01
        # One stay of a person: « < 5 » in the report sent to the ARS.
        assert {r["label"]: r["stays"] for r in s["lodging"]["stays"]}[
            "Situation de crise au domicile"] == "< 5"
        tables = {t.title: t for sec in reports.layout(s) for t in sec.tables}
        team = tables["Postes au 31/12/2025, pourvus et vacants"]
        assert team.total[:4] == ["Total", 2, 1.8, 0.0]
        assert tables["Occupation des places"].rows[0][4] == 13.0  # 12 / 92 nights, in %


    def test_volet1_satisfaction_on_a_mix_of_scales(self, client, opened, users):
        """Field « chutes », autumn 2025: a session on the former five-point questionnaire
        (grades 5 5 4 4 4 3 3 2: 5 satisfied of 8), then one on its four-point new version
        (grades 4 4 3 3 3 2 1: 5 satisfied of 7). Each counted on its own scale: 10 of 15
        answers satisfied, 67 %; 20 codes, 15 responses (75 %)."""
        from maillage.surveys import services as survey_services
        from maillage.surveys.tests.factories import answer, questionnaire

        def session(q, subject, day, grades):
            c = survey_services.collection_open(
                actor=None, crt=opened, questionnaire=q, subject_kind="outreach.session",
                subject_public_id=subject, subject_label=subject, group_key="a",
                group_label="Atelier", category_key="falls", category_label="Chutes",
                codes=10, opened_on=day)
            for grade in grades:
                answer(c, scale=grade)

        five = questionnaire(opened, points=5)
        session(five, "s1", date(2025, 10, 14), (5, 5, 4, 4, 4, 3, 3, 2))
        four = survey_services.questionnaire_duplicate(actor=None, questionnaire=five)
        session(four, "s2", date(2025, 11, 18), (4, 4, 3, 3, 3, 2, 1))
        report = create(opened, users["direction"])
        tables = {t.title: t for sec in reports.layout(report.snapshot) for t in sec.tables}
        volet1 = tables["Questionnaires des séances du volet 1"]
        assert volet1.rows == [["Chutes", 20, 15, 75, 15, 67]]
        assert "3 ou 4 sur l'échelle en 4 points ; 4 ou 5 sur l'ancienne échelle" in volet1.note
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[report.public_id])))
        assert "Chutes 20 15 75 15 67" in text
        assert "Satisfaits ou très satisfaits : 3 ou 4 sur l'échelle en 4 points" in text


class TestPages:
    def test_list_for_the_direction(self, client, opened, users, crt_b,
                                    django_assert_max_num_queries):
        create(opened, users["direction"])
        create(crt_b, users["direction"], year=2026)  # another CRT's: not listed
        client.force_login(users["direction"])
        with django_assert_max_num_queries(14):
            response = client.get(reverse("steering:report_list"))
        assert response.status_code == 200
        text = visible_text(response)
        assert "Rapport d'activité annuel Année 2025 (depuis l'ouverture le 01/10/2025) 1 " \
               "Brouillon 30/04/2026" in text
        assert "Nouveau rapport" in text
        assert "Année 2026" not in text

    def test_a_version_sent_after_its_due_date_says_so(self, client, opened, users):
        """Due on 30/04/2026: sent on 20/04 it is on time; its correction sent in December is
        marked « transmis après l'échéance », for the direction and the ARS alike."""
        import time_machine

        director = users["direction"]
        report = create(opened, director, today=date(2026, 4, 20))
        with time_machine.travel(datetime(2026, 4, 20, 10, tzinfo=UTC)):
            report_services.report_submit(actor=director, report=report,
                                          version=report.version, today=date(2026, 4, 20))
        client.force_login(director)
        detail = reverse("steering:report_detail", args=[report.public_id])
        text = visible_text(client.get(detail))
        assert "échéance le 30/04/2026" in text and "après l'échéance" not in text
        with time_machine.travel(datetime(2026, 12, 4, 10, tzinfo=UTC)):
            second = report_services.report_correct(actor=director, report=report)
            report_services.report_submit(actor=director, report=second,
                                          version=second.version, today=TODAY)
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[second.public_id])))
        assert "échéance le 30/04/2026 transmis après l'échéance" in text

    def test_the_coordination_reads_only_and_the_others_are_refused(self, client, opened,
                                                                    users, user_b):
        report = create(opened, users["direction"])
        detail = reverse("steering:report_detail", args=[report.public_id])
        client.force_login(users["coordinator"])
        text = visible_text(client.get(detail))
        assert "Transmettre" not in text and "Enregistrer les textes" not in text
        assert client.post(reverse("steering:report_submit", args=[report.public_id]),
                           {"version": report.version}).status_code == 403
        for role in ("nurse", "partner", "auditor"):
            client.force_login(users[role])
            assert client.get(detail).status_code == 403
            assert client.get(reverse("steering:report_list")).status_code == 403
        # The CRT's ARS reads the transmitted versions only: a draft is not theirs to see.
        client.force_login(users["ars"])
        assert client.get(reverse("steering:report_list")).status_code == 200
        assert client.get(detail).status_code == 404
        client.force_login(user_b)
        assert client.get(detail).status_code == 404
        assert client.get(reverse("steering:report_pdf", args=[report.public_id])
                          ).status_code == 404

    def test_create_with_bad_input(self, client, opened, users):
        client.force_login(users["direction"])
        url = reverse("steering:report_create")
        response = client.post(url, {"kind": "half_year", "year": "2026", "half": ""})
        assert response.status_code == 400
        assert "Choisissez le semestre du bilan." in visible_text(response)
        response = client.post(url, {"kind": "annual", "year": "deux mille"})
        assert "Indiquez une année, par exemple 2026." in visible_text(response)
        response = client.post(url, {"kind": "half_year", "year": "2025", "half": "1"})
        assert response.status_code == 400
        assert "après la fin de cette période" in visible_text(response)
        assert not ActivityReport.objects.exists()
        response = client.post(url, {"kind": "annual", "year": "2025"})
        report = ActivityReport.objects.get()
        assert response.url == reverse("steering:report_detail", args=[report.public_id])

    def test_detail_shows_the_computed_figures_and_saves_the_texts(
            self, client, opened, users, django_assert_max_num_queries):
        report = create(opened, users["direction"])
        client.force_login(users["direction"])
        detail = reverse("steering:report_detail", args=[report.public_id])
        with django_assert_max_num_queries(12):
            response = client.get(detail)
        text = visible_text(response)
        value = indicators.compute(indicators.get("V2-01a"), crt=opened, period=Period.custom(
            date(2025, 10, 1), date(2025, 12, 31))).value
        assert value == 2  # 1 to 4 people: « < 5 » in the report (INDICATORS §5)
        assert f"V2-01a {indicators.get('V2-01a').name} < 5 personnes" in text
        assert f"Montant notifié {fr(100000)},00" in text
        assert opened.name in text and opened.finess in text
        response = client.post(reverse("steering:report_narratives", args=[report.public_id]),
                               {"version": report.version, "outlook": "Ouvrir un 2e site.",
                                "difficulties": "Recrutement."})
        assert response.status_code == 302
        report.refresh_from_db()
        assert report.narratives["outlook"] == "Ouvrir un 2e site."
        # The page loaded before that save is stale: refused, nothing lost.
        response = client.post(reverse("steering:report_narratives", args=[report.public_id]),
                               {"version": report.version - 1, "outlook": "Autre chose"})
        assert response.status_code == 409
        assert "modifiée par quelqu'un d'autre" in visible_text(response)
        report.refresh_from_db()
        assert report.narratives["outlook"] == "Ouvrir un 2e site."
        response = client.post(reverse("steering:report_narratives", args=[report.public_id]),
                               {"version": "abc", "outlook": "x" * 20001})
        assert response.status_code == 400
        text = visible_text(response)
        assert "Version de la page invalide : rechargez la page." in text
        assert "20 000 caractères au plus." in text
        report.refresh_from_db()
        assert report.narratives["outlook"] == "Ouvrir un 2e site."

    def test_submit_then_correct_from_the_page(self, client, opened, users):
        report = create(opened, users["direction"])
        client.force_login(users["direction"])
        client.post(reverse("steering:report_submit", args=[report.public_id]),
                    {"version": report.version})
        report.refresh_from_db()
        assert report.status == "submitted"
        response = client.post(reverse("steering:report_narratives", args=[report.public_id]),
                               {"version": report.version, "outlook": "Après coup"})
        assert response.status_code == 409
        assert "ne se modifie plus" in visible_text(response)
        response = client.post(reverse("steering:report_regenerate", args=[report.public_id]),
                               {"version": report.version}, follow=True)
        assert "ne se modifie plus" in visible_text(response)
        response = client.post(reverse("steering:report_correct", args=[report.public_id]),
                               follow=True)
        text = visible_text(response)
        assert "Version 2 créée (brouillon)" in text and "Version 1 — transmise le" in text


class TestFiles:
    def test_pdf_is_made_once_on_submission_then_served_as_kept(
            self, client, opened, users, settings, tmp_path,
            django_capture_on_commit_callbacks):
        settings.MEDIA_ROOT = tmp_path
        report = create(opened, users["direction"])
        with django_capture_on_commit_callbacks(execute=True):  # the queue runs inline
            report_services.report_submit(actor=users["direction"], report=report,
                                          version=report.version, today=TODAY)
        report.refresh_from_db()
        assert report.pdf.name == f"reports/{opened.public_id}/{report.public_id}.pdf"
        kept = (tmp_path / report.pdf.name).read_bytes()
        client.force_login(users["coordinator"])
        response = client.get(reverse("steering:report_pdf", args=[report.public_id]))
        assert response.status_code == 200 and response.content == kept
        assert sorted(p.name for p in (tmp_path / "reports").rglob("*.pdf")) == [
            f"{report.public_id}.pdf"]  # served, not rendered again
        pdf = PdfReader(io.BytesIO(response.content))
        assert "transmis" in pdf.pages[0].extract_text()
        assert len(pdf.pages) >= 10  # title page, contents, one part per section
        first = pdf.pages[0].extract_text()
        assert opened.name in first and "Rapport d'activité annuel" in first
        contents = pdf.pages[1].extract_text()
        assert "Sommaire" in contents and "Volet 2" in contents
        # Every page's footer numbers it out of the total (page 3's is enough: extracting the
        # text of the fifty pages costs more than rendering them).
        assert f"page 3 / {len(pdf.pages)}" in pdf.pages[2].extract_text()
        assert AuditEvent.objects.filter(action="report.downloaded",
                                         object_id=str(report.public_id)).count() == 1

    def test_a_draft_pdf_is_rendered_again_only_when_its_content_changes(
            self, client, opened, users, monkeypatch, django_assert_max_num_queries):
        # WeasyPrint takes seconds for a year's report: a draft downloaded again unchanged is
        # the same file. The renderer is stood in by the HTML it would lay out.
        cache.clear()  # the cache is a database table (maillage_cache)
        rendered = []

        def html_as_pdf(html, **kwargs):
            rendered.append(html)
            return html.encode()

        monkeypatch.setattr("maillage.core.pdf.render_pdf", html_as_pdf)
        report = create(opened, users["direction"])
        url = reverse("steering:report_pdf", args=[report.public_id])
        client.force_login(users["direction"])
        first = client.get(url)
        assert first.status_code == 200 and len(rendered) == 1
        assert first["Content-Type"] == "application/pdf"
        text = first.content.decode()
        assert "Version</dt><dd>1 — brouillon" in text and "Imprimé le</dt><dd>" in text
        # The figures and texts of the file are the report's, rendered now.
        fresh = report_files.report_pdf(report).decode()
        rendered.pop()
        assert text.split("Imprimé le")[1].split("</dd>", 1)[1] == fresh.split(
            "Imprimé le")[1].split("</dd>", 1)[1]
        client.force_login(users["coordinator"])
        with django_assert_max_num_queries(12):
            again = client.get(url)
        assert again.content == first.content and len(rendered) == 1
        assert AuditEvent.objects.filter(action="report.downloaded",
                                         object_id=str(report.public_id)).count() == 2
        # New texts: a new file, with them.
        report_services.report_narratives_update(
            actor=users["direction"], report=report, version=report.version,
            narratives={"outlook": "Ouvrir un 2e site."})
        changed = client.get(url)
        assert len(rendered) == 2 and "Ouvrir un 2e site." in changed.content.decode()
        assert "Ouvrir un 2e site." not in first.content.decode()
        # « Recalculer » with the same records: the same document, the same file.
        report_services.report_regenerate(actor=users["direction"], report=report,
                                          version=report.version, today=TODAY)
        assert client.get(url).content == changed.content and len(rendered) == 2
        # New figures (« Recalculer » after a new expense): a new file, with them.
        expense(opened, spent_on=date(2025, 12, 10), amount=D("4321.00"), volet="2")
        report_services.report_regenerate(actor=users["direction"], report=report,
                                          version=report.version, today=TODAY)
        regenerated = client.get(url)
        assert len(rendered) == 3 and f"{fr(5521)},00" in regenerated.content.decode()
        assert f"{fr(5521)},00" not in changed.content.decode()  # 1,200 + 4,321
        assert client.get(url).content == regenerated.content and len(rendered) == 3

    def test_the_pdf_is_made_by_the_queue_while_a_page_waits(self, client, opened, users,
                                                             monkeypatch):
        # WeasyPrint takes 5 to 12 s for a year's report: never inside the request. Here the
        # queue keeps its tasks (as with a real consumer) instead of running them at once.
        cache.clear()
        rendered = []
        monkeypatch.setattr("maillage.core.pdf.render_pdf",
                            lambda html, **kwargs: rendered.append(html) or html.encode())
        report = create(opened, users["direction"])
        monkeypatch.setattr(HUEY, "_immediate", False)
        monkeypatch.setattr(HUEY, "storage", MemoryStorage("maillage-reports-test"))
        url = reverse("steering:report_pdf", args=[report.public_id])
        client.force_login(users["direction"])
        waiting = client.get(url)
        assert waiting.status_code == 202
        assert "Le PDF de ce rapport est en cours de fabrication" in visible_text(waiting)
        assert f'<meta http-equiv="refresh" content="3; url={url}?attente=1">' in \
            waiting.content.decode()
        assert "toujours pas prêt" not in visible_text(waiting)
        assert HUEY.pending_count() == 1 and rendered == []
        assert client.get(url).status_code == 202
        assert HUEY.pending_count() == 1  # asked once while it is under way
        # Still nothing after a minute of reloads (no consumer running?): said so, and the
        # page keeps asking.
        slow = client.get(url, {"attente": "20"})
        assert slow.status_code == 202
        assert "Le PDF n'est toujours pas prêt après plus d'une minute" in visible_text(slow)
        assert f"url={url}?attente=21" in slow.content.decode()
        assert client.get(url, {"attente": "x" * 50}).status_code == 202  # altered: from 0
        task = HUEY.dequeue()
        # Run as the consumer would, but inside the test's transaction: a consumer first closes
        # its stale connections (djhuey's ``db_task``), which would close the test's own.
        monkeypatch.setattr(HUEY, "_immediate", True)
        HUEY.execute(task)
        monkeypatch.setattr(HUEY, "_immediate", False)
        assert len(rendered) == 1
        ready = client.get(url)
        assert ready.status_code == 200 and ready["Content-Type"] == "application/pdf"
        assert "1 — brouillon" in ready.content.decode()
        assert AuditEvent.objects.filter(action="report.downloaded",
                                         object_id=str(report.public_id)).count() == 1
        # New texts: a new file, asked for again.
        report.refresh_from_db()
        report_services.report_narratives_update(
            actor=users["direction"], report=report, version=report.version,
            narratives={"outlook": "Ouvrir un 2e site."})
        assert client.get(url).status_code == 202 and HUEY.pending_count() == 1

    def test_xlsx_numbers_equal_the_snapshot_and_compute(self, client, opened, users):
        report = create(opened, users["direction"])
        report_services.report_narratives_update(
            actor=users["direction"], report=report, version=report.version,
            narratives={"outlook": '=HYPERLINK("http://exemple.invalid")'})
        client.force_login(users["direction"])
        response = client.get(reverse("steering:report_xlsx", args=[report.public_id]))
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames[0] == "Identité" and book.sheetnames[-1] == "Définitions"
        sheet = book["Volet 2"]
        rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r[0]}
        period = Period.custom(date(2025, 10, 1), date(2025, 12, 31))
        for code in ("V2-01a", "V2-02", "V2-01c"):
            computed = indicators.compute(indicators.get(code), crt=opened,
                                          period=period).value
            shown = report.snapshot["indicators"][code]["value"]
            assert rows[code][2] == shown
            # 2 people, 2 admissions: « < 5 », as text; the mean of 5 mois-forfait: a number.
            assert shown == ("< 5" if code != "V2-01c" else float(computed))
        assert isinstance(rows["V2-01c"][2], int | float)
        budget = book["Budget"]
        cells = [c for row in budget.iter_rows() for c in row]
        assert any(isinstance(c.value, str) and c.value.startswith("=SUM(") for c in cells)
        assert 1200.0 in [c.value for c in cells]
        last = book["Retour d'expérience"]
        texts = [c.value for row in last.iter_rows() for c in row if c.value]
        assert "'=HYPERLINK(\"http://exemple.invalid\")" in texts  # text, not a formula
        definitions = [r for r in book["Définitions"].iter_rows(values_only=True)]
        assert {r[0] for r in definitions[1:] if r[0] and r[4]} == set(indicators.registry())

    def test_amounts_of_indicators_have_two_decimals_on_screen_pdf_and_workbook(
            self, client, opened, users):
        """F-01 (1 200,00 + 300,50 € spent) reads « 1 500,50 € » as on the dashboard, not
        « 1 500,5 »; an extra in euros too; in the workbook its cells carry the € format."""
        report = create(opened, users["direction"])
        client.force_login(users["direction"])
        text = visible_text(client.get(reverse("steering:report_detail",
                                               args=[report.public_id])))
        name = indicators.get("F-01").name
        assert f"F-01 {name} {fr(1500)},50 € dépensés" in text
        extras = text.split("F-01 — compléments")[1]
        assert f"Dépensé du 01/01/2025 au 31/12/2025 {fr(1500)},50 €" in extras
        assert f"Reste au 31/12/2025 {fr(98499)},50 €" in extras
        pdf = client.get(reverse("steering:report_pdf", args=[report.public_id]))
        pages = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "1 500,50 € dépensés" in " ".join(pages.replace("\u202f", " ").split())
        book = load_workbook(io.BytesIO(client.get(
            reverse("steering:report_xlsx", args=[report.public_id])).content))
        row = next(r for r in book["Budget"].iter_rows() if r[0].value == "F-01")
        assert row[2].value == 1500.5 and row[2].number_format == report_files.EUR
        assert row[5].number_format == report_files.EUR  # the previous period's value
        t02 = next(r for r in book["Équipe"].iter_rows() if r[0].value == "T-02")
        assert t02[2].number_format != report_files.EUR  # FTE are not euros

    def test_the_same_layout_on_screen_and_in_the_workbook(self, opened, users):
        report = create(opened, users["direction"])
        book = load_workbook(io.BytesIO(report_files.render_xlsx(report.snapshot, {})))
        sections = reports.layout(report.snapshot)
        assert len(book.sheetnames) == len(sections) + 1


class TestCommand:
    def test_writes_the_pdf_and_the_xlsx(self, opened, tmp_path):
        out = io.StringIO()
        call_command("report", "annual", "--crt", opened.finess, "--year", "2025",
                     "--out", str(tmp_path), stdout=out)
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == [f"rapport-annuel-{opened.finess}-2025-10-01_2025-12-31.{e}"
                         for e in ("pdf", "xlsx")]
        assert (tmp_path / files[0]).read_bytes().startswith(b"%PDF")
        assert load_workbook(tmp_path / files[1]).sheetnames[0] == "Identité"
        assert not ActivityReport.objects.exists()  # computed, not stored

    @pytest.mark.parametrize(("args", "message"), [
        (["annual", "--crt", "000000000", "--year", "2025"], "Aucun CRT"),
        (["half_year", "--year", "2026"], "--half 1 ou --half 2"),
        (["annual", "--year", "vingt"], "Année invalide"),
        (["annual", "--year", "2025", "--half", "1"], "ne s'emploie qu'avec"),
        (["half_year", "--year", "2025", "--half", "1"], "après la fin"),
    ])
    def test_bad_input(self, opened, tmp_path, args, message):
        if "--crt" not in args:
            args = [*args, "--crt", opened.finess]
        with pytest.raises(CommandError, match=message):
            call_command("report", *args, "--out", str(tmp_path))

    def test_missing_directory(self, opened, tmp_path):
        with pytest.raises(CommandError, match="n'existe pas"):
            call_command("report", "annual", "--crt", opened.finess, "--year", "2025",
                         "--out", str(tmp_path / "absent"))


class TestSettings:
    def test_the_director_sets_the_templates_and_due_dates(self, client, opened, users):
        client.force_login(users["direction"])
        url = reverse("steering:report_settings")
        assert client.get(url).status_code == 200
        response = client.post(url, {"annual_due_day": "31", "annual_due_month": "2",
                                     "half_year_due_days": ""})
        assert response.status_code == 400
        assert "Choisissez au moins un modèle de rapport." in visible_text(response)
        response = client.post(url, {"annual": "on", "annual_due_day": "31",
                                     "annual_due_month": "2", "half_year_due_days": ""})
        assert response.status_code == 400
        assert "Cette date n'existe pas." in visible_text(response)
        assert not ReportSettings.objects.exists()
        response = client.post(url, {"annual": "on", "half_year": "on", "annual_due_day": "15",
                                     "annual_due_month": "3", "half_year_due_days": "45",
                                     "version": "0"})
        assert response.status_code == 302
        saved = ReportSettings.objects.get(crt=opened)
        assert (saved.half_year, saved.annual_due_month, saved.half_year_due_days) \
            == (True, 3, 45)
        # The half-years closed since the opening (S1 and S2 2026 minus the open one) are
        # now to produce, each with its due date.
        text = visible_text(client.get(reverse("steering:report_list")))
        assert "Bilan semestriel — du 01/01/2026 au 30/06/2026 : échéance le 14/08/2026 " \
               "(échéance dépassée)" in text
        assert "Rapport d'activité annuel — du 01/10/2025 au 31/12/2025 : échéance le " \
               "15/03/2026" in text
        client.force_login(users["coordinator"])
        assert client.get(url).status_code == 403

    def test_numbers_out_of_bounds_are_refused_next_to_their_field(self, client, opened, users):
        """A month or a day of twenty digits failed in ``date()`` (a 500); a version sent back
        altered failed in SQLite. Each is refused, in words, and nothing is saved."""
        client.force_login(users["direction"])
        url = reverse("steering:report_settings")
        valid = {"annual": "on", "annual_due_day": "15", "annual_due_month": "3",
                 "half_year_due_days": "", "version": "0"}
        huge = "99999999999999999999"
        for field, value, message in [
                ("annual_due_month", huge, "Indiquez un mois de 1 à 12."),
                ("annual_due_month", "13", "Indiquez un mois de 1 à 12."),
                ("annual_due_day", huge, "Indiquez un jour de 1 à 31."),
                ("annual_due_day", "0", "Indiquez un jour de 1 à 31."),
                ("half_year_due_days", huge, "365 jours au plus.")]:
            response = client.post(url, {**valid, field: value})
            assert response.status_code == 400, (field, value)
            page = response.content.decode()
            errors = page.split(f'id="id_{field}_errors"')[1].split("</div>")[0]
            assert message in errors, (field, value)
        assert not ReportSettings.objects.exists()

        assert client.post(url, valid).status_code == 302
        saved = ReportSettings.objects.get(crt=opened)
        response = client.post(url, {**valid, "annual_due_month": "5", "version": huge})
        assert response.status_code == 400
        assert "Le formulaire reçu n'est pas celui qui a été affiché : rechargez la page." \
            in visible_text(response)
        saved.refresh_from_db()
        assert (saved.annual_due_month, saved.version) == (3, 1)


def test_a_heading_stands_over_its_column_text_on_the_left_figures_on_the_right():
    from django.template.loader import render_to_string

    table = reports.Table("Indicateurs", ["Code", "Indicateur", "Valeur", "Unité"],
                          [["V2-02", "Entrées", 3, "admissions"], ["V2-03", "Sorties", None, ""]])
    html = render_to_string("steering/reports/_table.html", {"table": table, "pdf": True})
    assert '<th scope="col">Indicateur</th>' in html
    assert '<th scope="col">Unité</th>' in html
    assert '<th scope="col" class="text-end num">Valeur</th>' in html
