"""On the demo: the region's ARS agent crawls every page and export of the regional view —
every indicator with every breakdown, for the year, its halves and the year before, the
budget — and no demo person's name appears anywhere: no beneficiary (birth, used and first
names), no caregiver, no volet 1 light record. Small counts are shown « < 5 »."""

import re
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from maillage.core.demo import DEMO_PASSWORD, demo_region_accounts
from maillage.core.indicators import registry
from maillage.core.tests.helpers import visible_text


@pytest.fixture(scope="module")
def demo(demo_module):
    return demo_module


def _names() -> set[str]:
    from maillage.beneficiaries.models import Beneficiary, Caregiver
    from maillage.outreach.models import Attendee

    names = set()
    for row in Beneficiary.objects.values_list("birth_name", "used_name", "first_name",
                                               "used_first_name"):
        names.update(row)
    for model in (Caregiver, Attendee):
        for row in model.objects.values_list("last_name", "first_name"):
            names.update(row)
    return {n.strip() for n in names if n and len(n.strip()) >= 3}


def _main_text(response) -> str:
    """What the page shows in its main content (the header names the signed-in agent)."""
    html = response.content.decode()
    start = html.index("<main")

    class Part:
        content = html[start:html.index("</main>", start)].encode()

    return visible_text(Part)


def _export_text(response) -> str:
    if response["Content-Type"].startswith("text/csv"):
        return b"".join(response.streaming_content).decode()
    book = load_workbook(BytesIO(response.content))
    return "\n".join(" ".join("" if v is None else str(v) for v in row)
                     for sheet in book for row in sheet.values)


def _periods() -> list[dict]:
    year = timezone.localdate().year
    return [{}, {"debut": f"{year}-01-01", "fin": f"{year}-06-30"},
            {"debut": f"{year}-07-01", "fin": f"{year}-12-31"},
            {"debut": f"{year - 1}-01-01", "fin": f"{year - 1}-12-31"}]


def test_the_regional_agent_signs_in_with_the_demo_password(demo, db):
    (username, _, region), = demo_region_accounts()
    client = Client()
    response = client.post(reverse("core:login"),
                           {"username": username, "password": DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    text = _main_text(response)
    assert "Vue régionale" in text and region.removeprefix("région ") in text


def test_no_demo_person_is_named_on_any_page_or_export(demo, db):
    from django.contrib.auth import get_user_model

    names = _names()
    assert len(names) > 100  # the demo's people are really looked for
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    client = Client()
    client.force_login(get_user_model().objects.get(username="ars-region"))
    region = "52"
    seen: dict[str, str] = {}

    def read(path, params=None, export=False):
        response = client.get(path, params or {})
        assert response.status_code == 200, (path, params)
        seen[f"{path}?{params}"] = _export_text(response) if export else _main_text(response)

    read(reverse("regional:index"))
    for period in _periods():
        read(reverse("regional:overview", kwargs={"region": region}), period)
        for fmt in ("csv", "xlsx"):
            read(reverse("regional:overview_export", kwargs={"region": region, "fmt": fmt}),
                 period, export=True)
    year = timezone.localdate().year
    # Every indicator with every breakdown, on the page and in CSV, for this year (the demo's
    # history is mostly there); the XLSX export holds the same cells (one ``Sheet`` feeds
    # both formats): read once per indicator with its first breakdown.
    for code, indicator in registry().items():
        kwargs = {"region": region, "code": code}
        for breakdown in indicator.breakdowns or [None]:
            params = {"ventilation": breakdown.code} if breakdown else {}
            read(reverse("regional:indicator", kwargs=kwargs), params)
            read(reverse("regional:indicator_export", kwargs={**kwargs, "fmt": "csv"}),
                 params, export=True)
        first = indicator.breakdowns[0].code if indicator.breakdowns else None
        read(reverse("regional:indicator_export", kwargs={**kwargs, "fmt": "xlsx"}),
             {"ventilation": first} if first else {}, export=True)
    for annee in (year, year - 1):
        read(reverse("regional:budget", kwargs={"region": region}), {"annee": annee})
        for fmt in ("csv", "xlsx"):
            read(reverse("regional:budget_export", kwargs={"region": region, "fmt": fmt}),
                 {"annee": annee}, export=True)

    found = {page: sorted(set(pattern.findall(text))) for page, text in seen.items()}
    assert {page: hits for page, hits in found.items() if hits} == {}
    everything = "\n".join(seen.values())
    assert "CRT Anjou Bleu" in everything and "CRT Baugeois Vallée" in everything
    assert "< 5" in everything  # the demo has small cells, and they are hidden


def test_the_regional_agent_reads_the_transmitted_reports_masked(demo, db):
    """The region's agent opens every report the demo's CRT transmitted — page, workbook and
    the latest one's PDF: no demo person is named, no count of 1 to 4 people is printed (the
    QA saw V1-01 by commune and T-01 by age band at 1 to 4), no total gives a hidden cell
    back; a draft is not theirs."""
    from django.contrib.auth import get_user_model

    from maillage.core.smallcells import is_small
    from maillage.steering import reports as report_content
    from maillage.steering.models import ActivityReport
    from maillage.steering.tests.test_report_smallcells import pdftotext, single_hidden_lines

    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(_names())) + r")\b")
    client = Client()
    client.force_login(get_user_model().objects.get(username="ars-region"))
    sent = list(ActivityReport.objects.filter(status="submitted").order_by("period_end"))
    assert len(sent) >= 2 and {r.kind for r in sent} == {"annual", "half_year"}
    people = {code for code, indicator in registry().items() if indicator.people}
    seen = []
    for report in sent:
        url = reverse("regional:report", args=["52", report.public_id])
        text = _main_text(client.get(url))
        assert report.get_kind_display() in text
        seen.append(text)
        xlsx = client.get(reverse("regional:report_xlsx", args=["52", report.public_id]))
        seen.append(_export_text(xlsx))
        s = report.snapshot
        assert s["schema"] == report_content.SCHEMA
        for code in people & set(s["indicators"]):
            f = s["indicators"][code]
            figures = [f["value"], f["previous"]["value"],
                       *[r["value"] for b in f["breakdowns"].values() for r in b["rows"]]]
            assert not [v for v in figures if isinstance(v, int) and is_small(v)], (
                report.kind, report.period_end, code)
        assert single_hidden_lines(s) == [], (report.kind, report.period_end)
    latest = sent[-1]
    pdf = client.get(reverse("regional:report_pdf", args=["52", latest.public_id]))
    seen.append(pdftotext(pdf.content))
    everything = "\n".join(seen)
    # The CRT's own site address (« rue de la Madeleine ») is no person.
    addresses = {r.crt.base_address for r in sent}
    assert sorted(set(pattern.findall(re.sub("|".join(map(re.escape, addresses)), "",
                                             everything)))) == []
    assert "< 5" in everything and "Effectifs de 1 à 4 personnes masqués" in everything
    draft = ActivityReport.objects.filter(status="draft").first()
    assert client.get(reverse("regional:report", args=["52", draft.public_id])
                      ).status_code == 404
