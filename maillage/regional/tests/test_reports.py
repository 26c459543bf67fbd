"""The ARS reads the activity reports its CRTs transmitted (INDICATORS §4.2, §5): a region's
agent from the regional view, a CRT-level ``ars`` from the CRT's pages — the transmitted
versions only, never a draft, never another region's or another CRT's — read-only, as the page,
the PDF and the workbook, small counts of people masked; each read audited in the CRT's
trail."""

import io
import re
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from maillage.core.models import AuditEvent, Crt
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.steering import report_services
from maillage.steering.access import can_view_report, reports_received, reports_visible
from maillage.steering.models import ActivityReport
from maillage.steering.tests.test_report_smallcells import file_active, pdftotext

from .test_views import YEAR_2025

TODAY = date(2026, 2, 1)


@pytest.fixture
def crt(crt_a, region):
    Crt.objects.filter(pk=crt_a.pk).update(opened_on=date(2024, 7, 1))
    crt_a.refresh_from_db()
    file_active(crt_a)
    return crt_a


def make(crt, director, *, kind="annual", year=2025, half=None, submit=True):
    report = report_services.report_create(actor=director, crt=crt, kind=kind, year=year,
                                           half=half, today=TODAY)
    report_services.report_narratives_update(
        actor=director, report=report, version=report.version,
        narratives={"outlook": "Ouvrir une seconde séance mensuelle."})
    report.refresh_from_db()
    if submit:
        report_services.report_submit(actor=director, report=report, version=report.version,
                                      today=TODAY, make_pdf=False)
        report.refresh_from_db()
    return report


@pytest.fixture
def sent(crt, users):
    return make(crt, users["direction"])


@pytest.fixture
def draft(crt, users):
    return make(crt, users["direction"], kind="half_year", year=2025, half=2, submit=False)


def regional(name, report, region="52"):
    return reverse(f"regional:{name}", args=[region, report.public_id])


def steering(name, report):
    return reverse(f"steering:{name}", args=[report.public_id])


class TestTheRegionsAgent:
    def test_opens_a_transmitted_report_masked_from_the_overview(self, client, ars, sent,
                                                                  settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        client.force_login(ars)
        overview = client.get(reverse("regional:overview", args=["52"]), YEAR_2025)
        assert regional("report", sent) in overview.content.decode()
        response = client.get(regional("report", sent))
        assert response.status_code == 200
        text = visible_text(response)
        assert "Rapport d'activité annuel — année 2025" in text
        assert "Transmis le" in text
        assert "75 à 84 ans < 5 85 à 94 ans s 95 ans et plus 0 Total 14" in text
        assert re.search(r"Angers \(\w+\) s Autres communes < 5 Total 14", text)
        assert "Effectifs de 1 à 4 personnes masqués" in text
        assert "Ouvrir une seconde séance mensuelle." in text  # the director's text, as sent
        # Read-only: no form, no button of the direction; its links stay in the region.
        assert "Enregistrer les textes" not in text and "Corriger" not in text
        assert "Transmettre" not in text and "Recalculer" not in text
        html = response.content.decode()
        assert "/pilotage/" not in html
        assert regional("report_pdf", sent) in html and regional("report_xlsx", sent) in html

        book = load_workbook(io.BytesIO(client.get(regional("report_xlsx", sent)).content))
        rows = [list(r) for r in book["Volet 2"].iter_rows(values_only=True)]
        assert ["75 à 84 ans", "< 5"] in [r[:2] for r in rows]
        pdf = client.get(regional("report_pdf", sent))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert re.search(r"Autres communes\s+< ?5\n", pdftotext(pdf.content))

    def test_not_a_draft_and_not_another_regions(self, client, ars, other_ars, sent, draft,
                                                 users, crt_b):
        client.force_login(ars)
        for name in ("report", "report_pdf", "report_xlsx"):
            assert client.get(regional(name, draft)).status_code == 404, name
        # Another region's agent learns nothing, whichever region the URL names.
        client.force_login(other_ars)
        for name in ("report", "report_pdf", "report_xlsx"):
            assert client.get(regional(name, sent)).status_code == 404, name
            assert client.get(regional(name, sent, region="76")).status_code == 404, name
        # A report of a CRT outside the region, through this region's URL: 404.
        Crt.objects.filter(pk=crt_b.pk).update(region=None, opened_on=date(2024, 7, 1))
        crt_b.refresh_from_db()
        elsewhere = make(crt_b, users["direction"])
        client.force_login(ars)
        assert client.get(regional("report", elsewhere)).status_code == 404
        # The CRT's director opens no region (403).
        client.force_login(users["direction"])
        assert client.get(regional("report", sent)).status_code == 403

    def test_every_read_is_audited_in_the_crts_trail(self, client, ars, sent, crt, users):
        client.force_login(ars)
        client.get(regional("report", sent))
        client.get(regional("report_xlsx", sent))
        viewed = AuditEvent.objects.get(action="report.viewed")
        assert (viewed.crt, viewed.actor, viewed.roles) == (crt, ars, "ars")
        assert viewed.object_id == str(sent.public_id) and viewed.details == {"version": 1}
        downloaded = AuditEvent.objects.get(action="report.downloaded")
        assert downloaded.crt == crt and downloaded.details["format"] == "XLSX"
        # The team's own page reads are not audited (their figures), as before.
        client.force_login(users["direction"])
        client.get(steering("report_detail", sent))
        assert AuditEvent.objects.filter(action="report.viewed").count() == 1


class TestTheCrtsArs:
    def test_in_the_regional_view_its_crts_reports_only(self, client, users, sent, draft,
                                                        crt_b, region, make_user):
        """The ``ars`` role of a CRT opens the regional view for that CRT alone: its
        transmitted reports, not those of the region's other CRT."""
        Crt.objects.filter(pk=crt_b.pk).update(opened_on=date(2024, 7, 1))
        crt_b.refresh_from_db()
        other = make(crt_b, make_user(crt_b, Role.DIRECTION))
        client.force_login(users["ars"])
        for name in ("report", "report_pdf", "report_xlsx"):
            assert client.get(regional(name, sent)).status_code == 200, name
            assert client.get(regional(name, draft)).status_code == 404, name
            assert client.get(regional(name, other)).status_code == 404, name
        overview = client.get(reverse("regional:overview", args=["52"]), YEAR_2025)
        html = overview.content.decode()
        assert regional("report", sent) in html and regional("report", other) not in html

    def test_reads_its_crts_transmitted_reports_only(self, client, users, sent, draft,
                                                     crt_b, make_user):
        client.force_login(users["ars"])
        response = client.get(reverse("steering:report_list"))
        assert response.status_code == 200
        text = visible_text(response)
        assert "Année 2025" in text and "Transmis" in text
        assert "Brouillon" not in text and "Nouveau rapport" not in text
        response = client.get(steering("report_detail", sent))
        assert response.status_code == 200
        assert "75 à 84 ans < 5" in visible_text(response)
        assert "Enregistrer les textes" not in visible_text(response)
        assert client.get(steering("report_xlsx", sent)).status_code == 200
        for name in ("report_detail", "report_pdf", "report_xlsx"):
            assert client.get(steering(name, draft)).status_code == 404, name
        assert client.post(steering("report_submit", draft),
                           {"version": draft.version}).status_code == 403
        assert AuditEvent.objects.filter(action="report.viewed", crt=sent.crt).count() == 1
        # Another CRT's transmitted report: 404.
        Crt.objects.filter(pk=crt_b.pk).update(opened_on=date(2024, 7, 1))
        crt_b.refresh_from_db()
        other = make(crt_b, make_user(crt_b, Role.DIRECTION))
        assert client.get(steering("report_detail", other)).status_code == 404

    def test_both_faces_of_the_policy_agree(self, users, sent, draft, crt, crt_b, ars,
                                            region, make_user):
        Crt.objects.filter(pk=crt_b.pk).update(opened_on=date(2024, 7, 1))
        crt_b.refresh_from_db()
        director_b = make_user(crt_b, Role.DIRECTION)
        rows = [sent, draft, make(crt_b, director_b),
                make(crt_b, director_b, kind="half_year", half=2, submit=False)]
        for role, user in users.items():
            roles = frozenset({role})
            visible = set(reports_visible(crt=crt, user=user, roles=roles))
            for obj in rows:
                allowed = obj.crt_id == crt.id and can_view_report(user=user, roles=roles,
                                                                   obj=obj)
                assert (obj in visible) == allowed, (role, obj)
        # The region's agent: the transmitted reports of the region's CRTs (both are in it).
        received = set(reports_received(user=ars, region=region))
        assert received == {r for r in rows if r.status == ActivityReport.Status.SUBMITTED}
        assert all(can_view_report(user=ars, roles={Role.ARS}, obj=r) for r in received)
