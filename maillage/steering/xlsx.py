"""The « Compte analytique » workbook (F-05, F-01 to F-03): real numbers, totals as SUM
formulas, one sheet volet × nature and one sheet of the year's expenses."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from maillage.core.csvexport import csv_safe

from .selectors import BudgetYear

EUR = '#,##0.00 "€"'
BOLD = Font(bold=True)


def _header(ws, titles: list[str]) -> None:
    ws.append(titles)
    for cell in ws[ws.max_row]:
        cell.font = BOLD


def analytic_account(budget: BudgetYear, expenses, *, crt_name: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Volet × nature"
    ws.append([f"Compte analytique {budget.year} — {csv_safe(crt_name)}"])
    ws["A1"].font = BOLD
    _header(ws, ["Nature", "Code", "Fonctionnement / investissement", *budget.volet_labels,
                 "Total"])
    first = ws.max_row + 1
    for row in budget.rows:
        r = ws.max_row + 1
        ws.append([row.label, row.nature, "investissement" if row.investment
                   else "fonctionnement", *row.cells, f"=SUM(D{r}:F{r})"])
    last = ws.max_row
    total = last + 1
    ws.append(["Total", "", "", *[f"=SUM({c}{first}:{c}{last})" for c in "DEFG"]])
    for cell in ws[total]:
        cell.font = BOLD
    for row in ws.iter_rows(min_row=first, max_row=total, min_col=4, max_col=7):
        for cell in row:
            cell.number_format = EUR
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["C"].width = 18
    for col in "DEFG":
        ws.column_dimensions[col].width = 16

    ws = wb.create_sheet("Dépenses")
    _header(ws, ["Date", "Libellé", "Montant", "Nature", "Volet", "Domaine", "Compte",
                 "Pièce", "Origine"])
    for e in expenses:
        # Typed or imported text never starts a formula (``csv_safe``).
        ws.append([e.spent_on, csv_safe(e.label), e.amount, e.get_nature_display(),
                   e.get_volet_display(), csv_safe(e.domain.name) if e.domain else "",
                   csv_safe(e.account), csv_safe(e.piece_ref),
                   f"FEC ligne {e.fec_line}" if e.fec_line else e.get_source_display()])
        ws.cell(ws.max_row, 1).number_format = "DD/MM/YYYY"
        ws.cell(ws.max_row, 3).number_format = EUR
    last = ws.max_row
    ws.append(["Total", "", f"=SUM(C2:C{last})" if last >= 2 else 0])
    ws.cell(ws.max_row, 3).number_format = EUR
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    for i, width in enumerate([12, 50, 14, 45, 22, 40, 10, 14, 16], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

    ws = wb.create_sheet("Synthèse")
    a = budget.allocation
    rows = [
        ("Montant notifié", a.notified_amount if a else None),
        ("Crédits d'amorçage", a.starter_amount if a else None),
        ("Crédits fléchés", a.earmarked_amount if a else None),
        ("Part prévue du volet 1", a.volet1_planned if a else None),
        ("Part prévue du volet 2", a.volet2_planned if a else None),
        ("Dépensé", budget.spent),
        ("Reste", budget.remaining),
        ("Mois-forfait", budget.forfait_months),
        ("Valorisation du forfait (mois-forfait × 900 €)", budget.forfait_value),
        ("Dépenses du volet 2", budget.volet2_spent),
        ("Part fonctionnement du volet 2 hors direction, locaux et véhicules (%)",
         budget.running_share),
        ("Part investissement du volet 2 hors direction, locaux et véhicules (%)",
         budget.investment_share),
    ]
    _header(ws, ["Indicateur", "Valeur"])
    for label, value in rows:
        ws.append([label, value])
    ws.column_dimensions["A"].width = 70
    ws.column_dimensions["B"].width = 16
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
