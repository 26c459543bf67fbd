"""The ARS's regional view: who reaches it, what it shows (small counts hidden), its exports,
its audit trail and its cost."""

import re
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from maillage.admissions.tests.factories import enrolment
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.demo import DEMO_PASSWORD
from maillage.core.models import AuditEvent, Crt, RegionMembership
from maillage.core.tests.factories import TEST_PASSWORD, CrtFactory
from maillage.core.tests.helpers import visible_text
from maillage.steering.tests.factories import allocation, expense

YEAR_2025 = {"debut": "2025-01-01", "fin": "2025-12-31"}


def people(crt, n, *, admitted_on=date(2025, 3, 3), sex="F"):
    """``n`` people of ``crt``'s file active from ``admitted_on``, named so a test can look
    for their names."""
    for i in range(n):
        b = BeneficiaryFactory(crt=crt, birth_name=f"PERSONNE{crt.pk}X{i}",
                               first_name=f"Prenom{i}", sex=sex)
        enrolment(b, admitted_on=admitted_on)


def url(name, region="52", **kwargs):
    return reverse(f"regional:{name}", kwargs={"region": region, **kwargs})


def row_of(text: str, start: str) -> str:
    """The text of a table row from its first words to the next indicator code."""
    found = re.search(re.escape(start) + r"(.*?)(?= [TVFC]\d?-\d|$| « < 5 »)", text)
    assert found, start
    return found.group(1).strip()


def test_the_ars_sees_every_crt_side_by_side_with_small_counts_hidden(client, ars, crt_a,
                                                                       crt_b):
    people(crt_a, 3)
    people(crt_b, 12)
    client.force_login(ars)
    response = client.get(url("overview"), YEAR_2025)
    assert response.status_code == 200
    text = visible_text(response)
    assert "CRT A" in text and "CRT B" in text
    # CRT A has 3 people: « < 5 »; then CRT B's 12 would be the region's 15 minus A's: « s ».
    assert row_of(text, "Nombre de personnes dans la file active — sur la période personnes") \
        == "< 5 s 15"
    assert "PERSONNE" not in text and "Prenom" not in text
    # No link to any record: the only links are the region's own pages.
    links = re.findall(r'href="([^"#?]+)', response.content.decode())
    assert not [link for link in links if "/beneficiaires/" in link or "/admissions/" in link]


def test_one_breakdown_at_a_time_with_secondary_suppression(client, ars, crt_a, crt_b):
    people(crt_a, 3)
    people(crt_b, 12)
    client.force_login(ars)
    response = client.get(url("indicator", code="V2-08"), {**YEAR_2025, "ventilation": "sex"})
    assert response.status_code == 200
    text = visible_text(response)
    assert "Ventilation : Sexe" in text
    assert "Femme < 5 s 15" in text
    assert "Homme 0 0 0" in text
    # The CRTs' totals are hidden as on the overview (A: « < 5 », B: « s »).
    assert "Total < 5 s 15" in text
    assert "PERSONNE" not in text
    # Another breakdown is another request (never crossed).
    gir = visible_text(client.get(url("indicator", code="V2-08"),
                                  {**YEAR_2025, "ventilation": "gir"}))
    assert "Ventilation : GIR" in gir and "Ventilation : Sexe" not in gir


def test_communes_with_fewer_than_five_people_are_grouped(client, ars, crt_a, crt_b):
    people(crt_a, 3)
    people(crt_b, 12)
    client.force_login(ars)
    text = visible_text(client.get(url("indicator", code="V2-01a"),
                                   {**YEAR_2025, "ventilation": "commune"}))
    # Every test person lives in a commune of their own: all are « autres communes ».
    assert "Autres communes < 5 s 15" in text
    assert "(49" not in text  # no commune's name and code is shown


def test_partner_structures_are_not_masked_nor_grouped_as_people(client, ars, crt_a, crt_b):
    """T-03 counts partner organisations, not people: CRT A's 2 EHPAD of Angers are shown,
    by type and by commune, never « < 5 » nor grouped as « communes of 1 to 4 people »."""
    from maillage.territory.tests.factories import CommuneFactory, OrganizationFactory, agreement

    angers = CommuneFactory(crt=crt_a, name="Angers")
    agreement(crt_a, organizations=[OrganizationFactory(crt=crt_a, kind="ehpad", commune=angers)
                                    for _ in range(2)])
    client.force_login(ars)
    text = visible_text(client.get(url("overview"), YEAR_2025))
    assert row_of(text, "gouvernance mise en place avec eux structures partenaires") == "2 0 2"
    text = visible_text(client.get(url("indicator", code="T-03"),
                                   {**YEAR_2025, "ventilation": "commune"}))
    assert "Angers 2 0 2" in text
    assert "< 5 " not in text.replace("« < 5 »", "")
    assert "Autres communes" not in text and "regroupées" not in text


def test_bad_input_is_said_next_to_the_field(client, ars):
    client.force_login(ars)
    response = client.get(url("overview"), {"debut": "2025-12-31", "fin": "2025-01-01"})
    assert response.status_code == 400
    assert "La fin de la période doit suivre son début." in visible_text(response)
    response = client.get(url("overview"), {"debut": "hier", "fin": "2025-01-01"})
    assert response.status_code == 400
    assert "Date invalide (jj/mm/aaaa)." in visible_text(response)
    response = client.get(url("indicator", code="V2-08"), {"ventilation": "nom"})
    assert response.status_code == 400
    assert "Choisissez une ventilation dans la liste." in visible_text(response)
    assert client.get(url("indicator", code="V9-99")).status_code == 404
    response = client.get(url("budget"), {"annee": "deux mille"})
    assert response.status_code == 400
    assert "Indiquez une année, par exemple 2026." in visible_text(response)
    assert client.get(url("overview_export", fmt="csv"),
                      {"debut": "2025-12-31", "fin": "2025-01-01"}).status_code == 400


def test_exports_are_the_same_suppressed_tables(client, ars, crt_a, crt_b):
    people(crt_a, 3)
    people(crt_b, 12)
    client.force_login(ars)
    response = client.get(url("overview_export", fmt="csv"), YEAR_2025)
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    assert "V2-01a;Nombre de personnes dans la file active — sur la période;personnes;< 5;s;15" \
        in content
    assert "PERSONNE" not in content
    response = client.get(url("indicator_export", code="V2-08", fmt="xlsx"),
                          {**YEAR_2025, "ventilation": "sex"})
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    values = book["Valeur"]
    rows = [[c.value for c in row] for row in values.iter_rows()]
    assert ["V2-08", rows[-1][1], "personnes", "< 5", "s", 15] == rows[-1]
    sexes = [[c.value for c in row] for row in book["Ventilation Sexe"].iter_rows()]
    assert ["Femme", "< 5", "s", 15] in sexes
    assert ["Total", "< 5", "s", 15] in sexes
    assert "PERSONNE" not in str([row for sheet in book for row in sheet.values])


def socle_visits_by_the_team(crt, n):
    """``n`` socle visits done in 2025 by a member of ``crt``'s team (V2-09: 100 %)."""
    from maillage.care.tests.factories import service
    from maillage.core.tests.factories import UserFactory
    from maillage.visits.tests.factories import visit

    nurse, passage = UserFactory(), service(crt)
    for i in range(n):
        b = BeneficiaryFactory(crt=crt)
        enrolment(b, admitted_on=date(2025, 1, 6))
        visit(b, nurse, service=passage, status="done",
              starts_at=timezone.make_aware(datetime(2025, 3, 1 + i, 9)))


def test_a_share_has_no_regional_total_on_the_page_nor_in_the_exports(client, ars, crt_a,
                                                                       crt_b):
    """V2-09 is a share (%): 100 % in each CRT is not 200 % in the region (the QA found
    « 100 100 200 »); the same for every indicator in % (``test_every_share_or_mean_...``)."""
    socle_visits_by_the_team(crt_a, 6)
    socle_visits_by_the_team(crt_b, 5)
    client.force_login(ars)
    text = visible_text(client.get(url("overview"), YEAR_2025))
    assert row_of(text, "Modèle organisationnel (intégré ou coordonné) % réalisés par "
                        "l'équipe du CRT") == "100,0 100,0 —"
    text = visible_text(client.get(url("indicator", code="V2-09"), YEAR_2025))
    assert "V2-09 100,0 100,0 —" in text
    response = client.get(url("overview_export", fmt="csv"), YEAR_2025)
    content = b"".join(response.streaming_content).decode()
    assert "V2-09;Modèle organisationnel (intégré ou coordonné);% réalisés par l'équipe du " \
        "CRT;100,0;100,0;\r\n" in content
    response = client.get(url("indicator_export", code="V2-09", fmt="xlsx"), YEAR_2025)
    rows = [[c.value for c in row] for row in load_workbook(BytesIO(response.content))[
        "Valeur"].iter_rows()]
    assert rows[-1][2:] == ["% réalisés par l'équipe du CRT", 100, 100, None]


def test_a_share_reads_as_on_the_crts_dashboard(client, ars, users, crt_a, crt_b):
    """The QA saw « 63,20 » in the regional view where the dashboard says « 63,2 % »: the
    same figure, written the same way (the dashboard's ``number``). CRT A: 12 socle visits of
    19 by its team, 7 by a partner (63,2 %); CRT B: 6 of 6."""
    from maillage.care.models import Service
    from maillage.territory.tests.factories import ProfessionalFactory
    from maillage.visits.tests.factories import visit

    socle_visits_by_the_team(crt_a, 12)
    socle_visits_by_the_team(crt_b, 6)
    b = BeneficiaryFactory(crt=crt_a)
    enrolment(b, admitted_on=date(2025, 1, 6))
    partner = ProfessionalFactory(crt=crt_a)
    for day in range(1, 8):
        visit(b, None, service=Service.objects.filter(crt=crt_a).first(), status="done",
              professional=partner, starts_at=timezone.make_aware(datetime(2025, 4, day, 9)))
    client.force_login(users["direction"])
    dashboard = visible_text(client.get(reverse("steering:dashboard"),
                                        {"periode": "annee", "annee": "2025"}))
    assert "63,2 % réalisés par l'équipe du CRT" in dashboard
    client.force_login(ars)
    text = visible_text(client.get(url("overview"), YEAR_2025))
    assert row_of(text, "Modèle organisationnel (intégré ou coordonné) % réalisés par "
                        "l'équipe du CRT") == "63,2 100,0 —"
    text = visible_text(client.get(url("indicator", code="V2-09"), YEAR_2025))
    assert "V2-09 63,2 100,0 —" in text


def test_the_budget_shows_the_crts_own_amounts(client, ars, crt_a, crt_b):
    allocation(crt_a, year=2026, notified_amount=Decimal("400000.00"))
    expense(crt_a, amount=Decimal("1250.50"))
    expense(crt_b, amount=Decimal("99.00"), volet="1")
    client.force_login(ars)
    response = client.get(url("budget"), {"annee": 2026})
    text = visible_text(response)
    # Euros with two decimals, as on the CRT's budget and dashboard.
    assert "Dotation notifiée (avec crédits fléchés) (€) 400\u202f000,00 — 400\u202f000,00" \
        in text
    assert "Dépenses — Volet 1 (€) 0,00 99,00 99,00" in text
    assert "Dépenses — total (€) 1\u202f250,50 99,00 1\u202f349,50" in text
    assert "Reste sur la dotation (€) 398\u202f749,50 —" in text
    assert "Mois-forfait (F-02) 0 0 0" in text
    book = load_workbook(BytesIO(client.get(url("budget_export", fmt="xlsx"),
                                            {"annee": 2026}).content))
    rows = [[c.value for c in row] for row in book["Budget"].iter_rows()]
    assert ["Dépenses — total", 1250.5, 99, 1349.5] in rows


def test_every_read_is_audited_once_per_crt_without_personal_data(client, ars, crt_a, crt_b):
    people(crt_a, 3)
    client.force_login(ars)
    client.get(url("overview"), YEAR_2025)
    client.get(url("indicator_export", code="V2-08", fmt="csv"),
               {**YEAR_2025, "ventilation": "gir"})
    viewed = AuditEvent.objects.filter(action="regional.viewed")
    assert {e.crt_id for e in viewed} == {crt_a.pk, crt_b.pk}
    event = viewed.get(crt=crt_a)
    assert event.actor == ars and event.roles == "ars" and event.object_id == "52"
    assert event.details == {"page": "indicateurs",
                             "période": "année 2025 (01/01/2025 – 31/12/2025)"}
    exported = AuditEvent.objects.filter(action="regional.exported", crt=crt_b).get()
    assert exported.details["format"] == "csv" and exported.details["ventilation"] == "gir"
    assert exported.details["indicateur"] == "V2-08"
    assert "PERSONNE" not in str(list(AuditEvent.objects.values()))


def test_a_crt_member_is_refused_and_another_region_sees_nothing(client, users, region, ars,
                                                                   other_ars):
    pages = [url("overview"), url("indicator", code="V2-08"), url("budget"),
             url("overview_export", fmt="csv"), url("indicator_export", code="V2-08", fmt="xlsx"),
             url("budget_export", fmt="csv")]
    # The director of a CRT of the region: refused.
    client.force_login(users["direction"])
    for page in pages:
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Accès refusé" in visible_text(response)
    # The ARS of another region: nothing of this one, not even that it exists.
    client.force_login(other_ars)
    for page in pages:
        assert client.get(page).status_code == 404, page
    assert client.get(url("overview", region="99")).status_code == 404
    text = visible_text(client.get(reverse("regional:index")))
    assert "Occitanie" in text and "Pays de la Loire" not in text
    assert "CRT A" not in visible_text(client.get(url("overview", region="76")))
    # An inactive region membership opens nothing.
    RegionMembership.objects.filter(user=ars).update(is_active=False)
    client.force_login(ars)
    response = client.get(pages[0])
    assert response.status_code == 403
    assert "Aucun accès actif" in visible_text(response)


def test_the_ars_role_of_a_crt_reads_that_crt_only(client, users, region, crt_a, crt_b):
    """An ARS agent following one CRT (the ``ars`` role in that CRT): the region's pages with
    that CRT's column alone, small counts hidden; nothing of the region's other CRT, in the
    page, the exports or the audit trail."""
    people(crt_a, 3)
    people(crt_b, 12)
    client.force_login(users["ars"])
    index = visible_text(client.get(reverse("regional:index")))
    assert "Pays de la Loire" in index
    response = client.get(url("overview"), YEAR_2025)
    assert response.status_code == 200
    text = visible_text(response)
    assert "CRT A" in text and "CRT B" not in text
    assert "File active" in text and "< 5" in text
    assert "12" not in row_of(text, "File active")
    assert "PERSONNE" not in text
    csv = b"".join(client.get(url("indicator_export", code="V2-08", fmt="csv"),
                              {**YEAR_2025, "ventilation": "gir"}).streaming_content).decode()
    assert "CRT A" in csv and "CRT B" not in csv
    budget = visible_text(client.get(url("budget"), {"annee": 2025}))
    assert "CRT A" in budget and "CRT B" not in budget
    assert {e.crt_id for e in AuditEvent.objects.filter(action__startswith="regional.")} == {
        crt_a.pk}
    # Another region: nothing; without the role, the director is still refused.
    assert client.get(url("overview", region="76")).status_code == 404
    client.force_login(users["direction"])
    assert client.get(url("overview")).status_code == 403


def test_the_home_page_of_a_crt_ars_links_to_its_figures(client, users, region):
    client.force_login(users["ars"])
    response = client.get(reverse("core:home"))
    assert 'href="/ars/52/"' in response.content.decode()
    assert "Indicateurs du CRT (vue ARS)" in visible_text(response)
    # A CRT without a region: no link (its figures have no regional page yet).
    Crt.objects.update(region=None)
    response = client.get(reverse("core:home"))
    assert "Indicateurs du CRT (vue ARS)" not in visible_text(response)


def test_a_region_agent_signs_in_and_lands_on_the_regional_view(client, ars):
    response = client.post(reverse("core:login"),
                           {"username": "ars-pdl", "password": TEST_PASSWORD}, follow=True)
    assert response.status_code == 200
    text = visible_text(response)
    assert "Vue régionale" in text and "Pays de la Loire" in text
    assert DEMO_PASSWORD  # the demo's region account is checked in test_demo_crawl


def _queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _per_crt(page: str) -> int:
    """Queries per CRT of the region, whatever its size (docs/indicators.md): the overview one
    aggregate per indicator (less those sharing a population, plus those whose value is a
    second aggregate: 17 for the 18 indicators of today), an indicator page its count and
    its breakdown's grouped query (V2-08 has no extras), the budget the forfait's aggregate."""
    from maillage.core.indicators import registry

    return {"overview": 2 * len(registry()), "indicator": 2, "budget": 1}[page]


@pytest.mark.parametrize("page, params", [
    ("overview", YEAR_2025),
    ("indicator", {**YEAR_2025, "ventilation": "gir"}),
    ("budget", {"annee": 2025}),
])
def test_the_cost_is_a_constant_per_crt(client, ars, region, crt_a, crt_b, page, params):
    path = url(page, code="V2-08") if page == "indicator" else url(page)
    people(crt_a, 6)
    client.force_login(ars)
    _queries(client, path, params)  # the session's first write
    two = _queries(client, path, params)
    for name in ("CRT C", "CRT D"):
        people(CrtFactory(name=name, region=region), 7)
    four = _queries(client, path, params)
    per_crt = (four - two) / 2
    assert per_crt == int(per_crt) and per_crt <= _per_crt(page), (page, two, four)
    # More people in the CRTs costs nothing more.
    people(crt_b, 9)
    assert _queries(client, path, params) == four


def test_the_reports_the_crts_submitted_are_listed(client, ars, crt_a, users):
    """Listed with what was sent and when, each opening its own page (``test_reports.py``):
    the overview itself prints no text of a report."""
    from maillage.steering import report_services
    from maillage.steering.models import ReportKind

    Crt.objects.filter(pk=crt_a.pk).update(opened_on=date(2024, 7, 1))
    crt_a.refresh_from_db()
    director = users["direction"]
    report = report_services.report_create(actor=director, crt=crt_a, kind=ReportKind.ANNUAL,
                                           year=2025, half=None, today=date(2026, 2, 1))
    report_services.report_narratives_update(
        actor=director, report=report, version=report.version,
        narratives={"difficulties": "Texte libre de la direction, sur la page du rapport."})
    report.refresh_from_db()
    report_services.report_create(actor=director, crt=crt_a, kind=ReportKind.HALF_YEAR,
                                  year=2025, half=1, today=date(2026, 2, 1))  # a draft
    client.force_login(ars)
    text = visible_text(client.get(url("overview"), YEAR_2025))
    assert "Aucun rapport transmis pour année 2025." in text
    report_services.report_submit(actor=director, report=report, version=report.version,
                                  today=date(2026, 2, 1))
    text = visible_text(client.get(url("overview"), YEAR_2025))
    assert "CRT A Rapport d'activité annuel du 01/01/2025 au 31/12/2025 1" in text
    assert "Bilan semestriel" not in text  # the draft is not sent
    assert "Texte libre" not in text
    # Another year's overview does not list it.
    text = visible_text(client.get(url("overview"), {"debut": "2024-01-01",
                                                      "fin": "2024-12-31"}))
    assert "Aucun rapport transmis pour année 2024." in text


def test_a_crt_s_report_for_the_period_cannot_give_back_a_small_cell(client, ars, crt_a, crt_b,
                                                                       users):
    """CRT A sent its 2025 report, which shows its 12 people: « s » on A's cell no longer
    protects CRT B's 3 (15 - 12), so the region's total is hidden instead; on another
    period (no report of A), A's cell protects B as before."""
    from maillage.steering import report_services
    from maillage.steering.models import ReportKind

    people(crt_a, 12)
    people(crt_b, 3)
    Crt.objects.filter(pk=crt_a.pk).update(opened_on=date(2024, 7, 1))
    crt_a.refresh_from_db()
    client.force_login(ars)
    start = "Nombre de personnes dans la file active — sur la période personnes"
    assert row_of(visible_text(client.get(url("overview"), YEAR_2025)), start) == "s < 5 15"
    director = users["direction"]
    report = report_services.report_create(actor=director, crt=crt_a, kind=ReportKind.ANNUAL,
                                           year=2025, half=None, today=date(2026, 2, 1))
    report_services.report_submit(actor=director, report=report, version=report.version,
                                  today=date(2026, 2, 1))
    assert row_of(visible_text(client.get(url("overview"), YEAR_2025)), start) == "12 < 5 s"
    page = visible_text(client.get(url("indicator", code="V2-01a"), YEAR_2025))
    assert "CRT A CRT B Région V2-01a 12 < 5 s" in page
    assert "85 à 94 ans 12 < 5 s" in page and "Total 12 < 5 s" in page  # its breakdown too
    export = b"".join(client.get(url("overview_export", fmt="csv"),
                                 YEAR_2025).streaming_content).decode()
    assert "V2-01a;Nombre de personnes dans la file active — sur la période;personnes;12;< 5;s" \
        in export
    half = {"debut": "2025-01-01", "fin": "2025-06-30"}
    assert row_of(visible_text(client.get(url("overview"), half)), start) == "s < 5 15"


def test_the_indicators_come_in_the_dashboard_s_sections(client, ars, crt_a, crt_b):
    """Transversal, volet 1, volet 2, finances, each under its heading, in code order (they
    came in the registry's order: T-04, T-05, V2-01a…, F-02, V1-03, V2-06…)."""
    client.force_login(ars)
    text = visible_text(client.get(url("overview"), YEAR_2025))
    codes = re.findall(r" ((?:T|V1|V2|F)-\d\d[a-z]?) ", text)
    assert len(codes) > 30 and codes == sorted(codes, key=lambda c: (["T", "V1", "V2", "F"].index(
        c.split("-")[0]), c))
    headings = [text.index(h) for h in ("Transversal", "Volet 1 — appui",
                                        "Volet 2 — accompagnement", "Finances")]
    assert headings == sorted(headings)
    assert text.index("Transversal") < text.index(" T-01 ") < text.index("Volet 1 — appui")
