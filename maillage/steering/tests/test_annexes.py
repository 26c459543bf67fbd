"""The regional budget annexes: the Pays de la Loire annex (groupes fonctionnels, planned and
realised per volet, result) and the Occitanie analytic statement (volet × nature, « non
réparti », FTE, starter credits), reopened with openpyxl and checked against a scenario counted
by hand; who may download them; another CRT; a year with nothing; a bad year."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from maillage.core.models import AuditEvent
from maillage.core.tests.helpers import visible_text
from maillage.organisation.tests.factories import position
from maillage.steering.annexes import nature_group

from .factories import allocation, expense

D = Decimal
PDL = reverse("steering:budget_annex_pdl")
OCC = reverse("steering:budget_annex_occitanie")


def evaluate(ws, ref: str, seen=()):
    """The value of a cell, computing the SUM / + / - formulas this module writes."""
    value = ws[ref].value
    if not isinstance(value, str) or not value.startswith("="):
        return D(str(value)) if value is not None else D("0")
    body = value[1:]
    if body.startswith("SUM("):
        start, end = body[4:-1].split(":")
        total = D("0")
        for row in ws[start:end]:
            for cell in row:
                total += evaluate(ws, cell.coordinate)
        return total
    total, sign, token = D("0"), 1, ""
    for ch in body + "+":
        if ch in "+-":
            if token:
                total += sign * evaluate(ws, token)
            sign, token = (1 if ch == "+" else -1), ""
        else:
            token += ch
    return total


def rows_by_label(ws) -> dict[str, int]:
    return {str(r[0].value).strip(): r[0].row for r in ws.iter_rows() if r[0].value}


@pytest.fixture
def scenario(crt_a, crt_b):
    """2026 in CRT A, counted by hand:
    Groupe I: transport shared −50, external providers volet 1 300 → 250;
    Groupe II: staff care volet 2 1 000, staff lead shared 200 → 1 200;
    Groupe III: software volet 2 250.50 (investment), premises vehicles volet 2 400 → 650.50;
    training volet 1 100 (Groupe I, investment) → Groupe I 350.
    Charges 2 200.50: volet 1 400, volet 2 1 650.50, shared 150.
    Produits: 400 000 notified (76 000 / 324 000), starter 10 000, earmarked 15 000 → 425 000.
    Starter credits spent: the training (volet 1, 100)."""
    allocation(crt_a, starter_amount=D("10000.00"), earmarked_amount=D("15000.00"),
               earmarked_label="=forfait psychologue")
    expense(crt_a, amount=D("-50.00"), nature="transport", volet="shared")
    expense(crt_a, amount=D("300.00"), nature="external_providers", volet="1")
    expense(crt_a, amount=D("1000.00"), nature="staff_care", volet="2")
    expense(crt_a, amount=D("200.00"), nature="staff_lead", volet="shared")
    expense(crt_a, amount=D("250.50"), nature="software", volet="2")
    expense(crt_a, amount=D("400.00"), nature="premises_vehicles", volet="2")
    expense(crt_a, amount=D("100.00"), nature="training", volet="1", on_starter_credits=True)
    expense(crt_a, amount=D("999.00"), spent_on=date(2025, 12, 31))  # another year
    expense(crt_b, amount=D("77777.00"))  # another CRT


def download(client, url, year="2026"):
    response = client.get(f"{url}?annee={year}")
    assert response.status_code == 200
    return load_workbook(BytesIO(response.content))


class TestPaysDeLaLoire:
    def test_groups_volets_and_result(self, client, users, scenario,
                                      django_assert_max_num_queries):
        client.force_login(users["direction"])
        with django_assert_max_num_queries(12):
            wb = download(client, PDL)
        ws = wb["Annexe budgétaire"]
        rows = rows_by_label(ws)
        g1 = rows["Groupe I — Charges afférentes à l'exploitation courante"]
        g2 = rows["Groupe II — Charges afférentes au personnel"]
        g3 = rows["Groupe III — Charges afférentes à la structure"]
        assert ws[f"F{g1}"].value.startswith("=SUM(F")
        assert [evaluate(ws, f"{c}{g1}") for c in "FGHI"] == \
            [D("400.00"), D("0"), D("-50.00"), D("350.00")]
        assert [evaluate(ws, f"{c}{g2}") for c in "FGHI"] == \
            [D("0"), D("1000.00"), D("200.00"), D("1200.00")]
        assert [evaluate(ws, f"{c}{g3}") for c in "FGHI"] == \
            [D("0"), D("650.50"), D("0"), D("650.50")]
        charges = rows["Total des charges"]
        assert [evaluate(ws, f"{c}{charges}") for c in "BCDEFGHI"] == \
            [D("76000.00"), D("324000.00"), D("0.00"), D("400000.00"),
             D("400.00"), D("1650.50"), D("150.00"), D("2200.50")]
        investment = next(r for label, r in rows.items()
                          if label.startswith("dont investissement"))
        assert evaluate(ws, f"I{investment}") == D("350.50")  # software 250.50 + training 100
        products = rows["Total des produits"]
        assert evaluate(ws, f"I{products}") == D("425000.00")
        assert ws[f"I{products}"].value.startswith("=SUM(I")
        result = rows["Résultat (produits − charges)"]
        assert ws[f"I{result}"].value == f"=I{products}-I{charges}"
        assert evaluate(ws, f"I{result}") == D("422799.50")
        assert evaluate(ws, f"F{result}") == D("75600.00")  # 76 000 − 400
        # Numbers are numbers; typed text never becomes a formula.
        care = rows["Personnel soignant et d'accompagnement (IDE, AS, ASG, AES)"]
        assert ws[f"G{care}"].value == 1000
        assert "Autres crédits fléchés ('=forfait psychologue)" in rows
        notes = wb["Notes"]
        text = " ".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
        assert "Groupes fonctionnels — règle : Groupe II" in text
        assert nature_group("training") == "I" and nature_group("software") == "III"
        event = AuditEvent.objects.get(action="budget.annex_exported")
        assert event.details == {"année": 2026, "annexe": "pays-de-la-loire"}

    def test_a_year_with_nothing_gives_zeros(self, client, users, scenario):
        client.force_login(users["direction"])
        ws = download(client, PDL, "2024")["Annexe budgétaire"]
        rows = rows_by_label(ws)
        for label in ("Total des charges", "Total des produits",
                      "Résultat (produits − charges)"):
            assert [evaluate(ws, f"{c}{rows[label]}") for c in "BCDEFGHI"] == [D("0")] * 8


class TestOccitanie:
    def test_volet_nature_fte_and_starter(self, client, users, crt_a, scenario,
                                          django_assert_max_num_queries):
        position(crt_a, holder=users["nurse"], starts_on=date(2026, 1, 1), fte=D("1.00"),
                 fte_volet1=D("0.20"), fte_volet2=D("0.80"))
        client.force_login(users["coordinator"])
        with django_assert_max_num_queries(16):
            wb = download(client, OCC)
        ws = wb["État analytique"]
        rows = rows_by_label(ws)
        header = [c.value for c in ws[3]]
        total_col = header.index("Total") + 1
        tc = get_column_letter(total_col)
        v1, v2 = rows["Volet 1"], rows["Volet 2"]
        shared = rows["Non réparti (charges communes aux deux volets)"]
        assert [evaluate(ws, f"{tc}{r}") for r in (v1, v2, shared)] == \
            [D("400.00"), D("1650.50"), D("150.00")]
        total = rows["Total"]
        assert ws[f"B{total}"].value == f"=SUM(B{v1}:B{shared})"
        assert evaluate(ws, f"{tc}{total}") == D("2200.50")
        lead = header.index("Personnel — direction, chef·fe de projet") + 1
        assert ws.cell(shared, lead).value == 200
        assert evaluate(ws, "B" + str(rows["Dépenses de l'année"])) == D("2200.50")
        assert ws[f"B{rows['ETP dédiés au CRT']}"].value == 1
        assert ws[f"B{rows['dont volet 1']}"].value == pytest.approx(0.2)
        assert ws[f"B{rows['dont volet 2']}"].value == pytest.approx(0.8)
        assert ws["B" + str(rows["Crédits d'amorçage reçus"])].value == 10000
        assert ws[f"B{rows['Dépensé sur ces crédits — Volet 1']}"].value == 100
        assert evaluate(ws, "B" + str(rows["Reste des crédits d'amorçage"])) == D("9900.00")

    def test_a_year_with_nothing_gives_zeros(self, client, users, scenario):
        client.force_login(users["direction"])
        ws = download(client, OCC, "2030")["État analytique"]
        rows = rows_by_label(ws)
        assert evaluate(ws, f"B{rows['Total']}") == D("0")
        assert evaluate(ws, "B" + str(rows["Reste des crédits d'amorçage"])) == D("0")
        assert ws[f"B{rows['ETP dédiés au CRT']}"].value == 0


class TestAccess:
    @pytest.mark.parametrize("url", [PDL, OCC])
    def test_roles(self, client, users, url):
        client.force_login(users["direction"])
        assert client.get(url).status_code == 200
        for role in ("care_aide", "nurse", "ars", "auditor", "partner"):
            client.force_login(users[role])
            assert client.get(url).status_code == 403, role
        assert not AuditEvent.objects.filter(action="budget.annex_exported",
                                             actor=users["care_aide"]).exists()

    @pytest.mark.parametrize("url", [PDL, OCC])
    def test_another_crt_gets_its_own_figures(self, client, user_b, scenario, url):
        client.force_login(user_b)
        wb = download(client, url)
        values = [c.value for ws in wb for row in ws.iter_rows() for c in row]
        assert 77777 in values
        assert 1000 not in values and 400000 not in values

    @pytest.mark.parametrize("url", [PDL, OCC])
    @pytest.mark.parametrize("year", ["abc", "1999", "99999999999999999999", "-1"])
    def test_bad_year_gives_a_french_message(self, client, users, url, year):
        client.force_login(users["direction"])
        response = client.get(f"{url}?annee={year}", follow=True)
        assert response.status_code == 200
        assert "L'année demandée doit être un nombre entre 2000 et 2100" in \
            visible_text(response)
        assert not AuditEvent.objects.filter(action="budget.annex_exported").exists()

    def test_budget_page_links_to_both(self, client, users):
        client.force_login(users["coordinator"])
        text = visible_text(client.get(reverse("steering:budget") + "?annee=2026"))
        assert "Annexe budgétaire Pays de la Loire (XLSX)" in text
        assert "État analytique Occitanie (XLSX)" in text
