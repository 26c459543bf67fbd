"""The demo budget: the first CRT's allocations (last year's prorated), its account mapping,
a FEC imported with one unmapped account reported, typed expenses; the page shows them."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from maillage.core.models import Crt, User
from maillage.core.tests.helpers import visible_text
from maillage.steering import selectors
from maillage.steering.models import Allocation, Expense, FecImport, prorata


def test_demo_budget(demo, client):
    today = timezone.localdate()
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    allocations = {a.year: a for a in Allocation.objects.filter(crt=crt)}
    assert set(allocations) == {today.year - 1, today.year} - (
        {today.year - 1} if crt.opened_on.year == today.year else set())
    if crt.opened_on.year == today.year - 1:
        check = prorata(crt.annual_allocation, crt.opened_on, today.year - 1)
        # Prorated, or the whole amount when the demo's CRT opened on 1 January.
        assert allocations[today.year - 1].notified_amount <= crt.annual_allocation
        assert abs(allocations[today.year - 1].notified_amount - check) < 1000
    record = FecImport.objects.get(crt=crt)
    assert record.expenses_created > 80  # twelve closed months
    assert [u["account"] for u in record.unmapped] == ["64510000"]
    expenses = Expense.objects.filter(crt=crt)
    assert expenses.filter(source="typed").count() >= 20
    assert expenses.filter(source="fec").count() == record.expenses_created
    assert not Expense.objects.exclude(crt=crt).exists()
    director = User.objects.filter(memberships__crt=crt,
                                   memberships__roles__role="direction").first()
    figures = selectors.budget_year(crt=crt, user=director, roles={"direction"},
                                    year=today.year)
    assert figures.spent > 0 and figures.forfait_months > 0
    assert figures.running_share is not None
    client.force_login(director)
    text = visible_text(client.get(reverse("steering:budget")))
    assert f"Budget {today.year}" in text and "Mois-forfait" in text


def test_demo_reports(demo, client):
    """The first CRT has its last closed half-year review submitted and this year's annual
    report in draft; both pages, the PDF and the workbook show its figures."""
    import io

    from openpyxl import load_workbook

    from maillage.core import indicators
    from maillage.core.indicators import Period
    from maillage.steering.models import ActivityReport

    today = timezone.localdate()
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    last_half = Period.half_year(today.year, 1) if today.month >= 7 else \
        Period.half_year(today.year - 1, 2)
    review = ActivityReport.objects.get(crt=crt, kind="half_year", period_end=last_half.end)
    assert review.status == "submitted" and review.narratives["difficulties"]
    annual = ActivityReport.objects.get(crt=crt, kind="annual",
                                        period_end=today.replace(month=12, day=31))
    assert annual.status == "draft"
    # Every closed period since the opening has its report sent: nothing left to produce.
    assert not ActivityReport.objects.filter(crt=crt, period_end__lt=today, status="draft")
    assert ActivityReport.objects.filter(crt=crt, kind="half_year").count() >= 2
    assert not ActivityReport.objects.exclude(crt=crt).exists()
    # The reports are made once every figure's data is in (the past of the demo included):
    # the draft reads as the indicator pages until « Recalculer les chiffres » (the QA found
    # V2-01c 12,5 against 21,17, and V2-09 in 2025 at 0 against 100).
    for report in (annual, review):
        period = Period.between(report.period_start, report.period_end)
        for code in ("V2-01c", "V2-09", "V1-01", "V2-01a"):
            result = indicators.compute(indicators.get(code), crt=crt, period=period)
            stored = report.snapshot["indicators"][code]
            assert (stored["value"], stored["previous"]["value"]) == tuple(
                None if v is None else float(v) if isinstance(v, Decimal) else v
                for v in (result.value, result.previous_value)), (report.kind, code)
    file_active = review.snapshot["indicators"]["V2-01a"]["value"]
    period = Period.between(review.period_start, review.period_end)
    assert file_active == indicators.compute(indicators.get("V2-01a"), crt=crt,
                                             period=period).value > 5
    director = User.objects.get(username="direction")
    client.force_login(director)
    text = visible_text(client.get(reverse("steering:report_list")))
    assert "Bilan semestriel" in text and "Transmis" in text and "Brouillon" in text
    assert "Aucun rapport en attente pour les périodes closes." in text
    response = client.get(reverse("steering:report_detail", args=[review.public_id]))
    assert f"V2-01a {indicators.get('V2-01a').name} {file_active} " in visible_text(response)
    response = client.get(reverse("steering:report_xlsx", args=[review.public_id]))
    rows = {r[0]: r for r in load_workbook(io.BytesIO(response.content))["Volet 2"]
            .iter_rows(values_only=True) if r[0]}
    assert rows["V2-01a"][2] == file_active
