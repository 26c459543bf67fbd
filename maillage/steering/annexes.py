"""The regional budget annexes (issue 14 §4; INDICATORS.md §4.1, §4.3 « Exports »): real numbers,
totals as SUM formulas, text never a formula.

- Pays de la Loire (000 §2-5): a budget annex of the allocation within the carrier's EPRD/ERRD,
  laid out like an ESMS annex — charges by groupe fonctionnel, produits, planned and realised
  per volet 1 / volet 2 / shared, the result.
- Occitanie (002 §7, §14): the analytic statement volet × nature with the « non réparti » line,
  the team's FTE per volet (T-02's rule) and the starter credits (F-06).
"""

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.db.models import Sum
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from maillage.core.csvexport import csv_safe
from maillage.core.indicators import Period

from .models import INVESTMENT_NATURES, Nature, Volet
from .selectors import VOLETS, ZERO, BudgetYear, money, year_expenses

EUR = '#,##0.00 "€"'
FTE = "0.00"
BOLD = Font(bold=True)

#: ESMS groupes fonctionnels of the Pays de la Loire annex, one rule: staff natures are Groupe II;
#: premises, vehicles, equipment and software (what the structure rents or depreciates) are
#: Groupe III; everything else (services, transport, téléassistance, IT upkeep, training) is
#: Groupe I.
GROUP_RULE = (
    "Groupe II : les natures « Personnel » et « Autres personnels » ; Groupe III : locaux, "
    "véhicules, équipements numériques et logiciels (ce que la structure loue ou amortit) ; "
    "Groupe I : tout le reste (prestations, intervenants extérieurs, transport, téléassistance, "
    "fonctionnement du système d'information, formation).")
GROUPS = [
    ("I", "Groupe I — Charges afférentes à l'exploitation courante"),
    ("II", "Groupe II — Charges afférentes au personnel"),
    ("III", "Groupe III — Charges afférentes à la structure"),
]
GROUP_II = {Nature.STAFF_LEAD, Nature.STAFF_COORDINATION, Nature.STAFF_MEDICAL,
            Nature.STAFF_CARE, Nature.STAFF_OTHER}
GROUP_III = {Nature.PREMISES_FITTING, Nature.PREMISES_VEHICLES, Nature.DIGITAL_EQUIPMENT,
             Nature.SOFTWARE}


def nature_group(nature: str) -> str:
    if nature in GROUP_II:
        return "II"
    if nature in GROUP_III:
        return "III"
    return "I"


@dataclass
class TeamFte:
    total: Decimal
    volet1: Decimal
    volet2: Decimal
    coordination: Decimal


@dataclass
class Starter:
    received: Decimal
    by_volet: dict[str, Decimal]


def team_fte(*, crt, year: int) -> TeamFte:
    """T-02's figures over the year: FTE × days in post ÷ days of the year (aggregates)."""
    from maillage.organisation.indicators import fte_over, held_positions

    period = Period.year(year)
    held = held_positions(crt, period)
    return TeamFte(*(fte_over(held, f, period)
                     for f in ("fte", "fte_volet1", "fte_volet2", "fte_coordination")))


def starter(*, crt, user, roles, budget: BudgetYear) -> Starter:
    """F-06 for the year: received with the allocation, spent by volet (one grouped query)."""
    spent = {r["volet"]: money(r["total"]) for r in
             year_expenses(crt=crt, user=user, roles=roles, year=budget.year)
             .filter(on_starter_credits=True).order_by().values("volet")
             .annotate(total=Sum("amount"))}
    a = budget.allocation
    return Starter(received=a.starter_amount if a else ZERO,
                   by_volet={v: spent.get(v, ZERO) for v in VOLETS})


def _bold(ws, row: int) -> None:
    for cell in ws[row]:
        cell.font = BOLD


def _money_format(ws, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_col,
                            max_col=last_col):
        for cell in row:
            cell.number_format = EUR


def _save(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Pays de la Loire ------------------------------------------------------------------------

PLANNED = "BCD"
REALISED = "FGH"


def pays_de_la_loire(budget: BudgetYear, *, crt_name: str) -> bytes:
    """Columns: A item; B-D planned volet 1 / volet 2 / shared, E planned total; F-H realised
    volet 1 / volet 2 / shared, I realised total."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Annexe budgétaire"
    ws.append([f"Annexe budgétaire {budget.year} — {csv_safe(crt_name)}"])
    ws.append(["Dotation du Centre de Ressources Territorial au sein de l'EPRD / ERRD du "
               "porteur (charges et produits de l'année)"])
    ws["A1"].font = BOLD
    ws.append(["Poste", "Prévu volet 1", "Prévu volet 2", "Prévu commun", "Prévu total",
               "Réalisé volet 1", "Réalisé volet 2", "Réalisé commun", "Réalisé total"])
    _bold(ws, ws.max_row)
    first = ws.max_row + 1
    ws.append(["CHARGES"])
    _bold(ws, ws.max_row)
    by_nature = {r.nature: r for r in budget.rows}
    group_rows: list[int] = []
    nature_rows: dict[str, int] = {}
    for code, label in GROUPS:
        members = [r for r in budget.rows if nature_group(r.nature) == code]
        g = ws.max_row + 1
        group_rows.append(g)
        lo, hi = g + 1, g + len(members)
        # Planned per group is not in the allocation: left empty, not zero.
        ws.append([label, None, None, None, None,
                   *[f"=SUM({c}{lo}:{c}{hi})" for c in REALISED], f"=SUM(F{g}:H{g})"])
        _bold(ws, g)
        for row in members:
            r = ws.max_row + 1
            nature_rows[row.nature] = r
            ws.append([f"    {row.label}", None, None, None, None, *row.cells,
                       f"=SUM(F{r}:H{r})"])
    a = budget.allocation
    v1 = a.volet1_planned if a else ZERO
    v2 = a.volet2_planned if a else ZERO
    rest = (a.notified_amount - v1 - v2) if a else ZERO
    charges = ws.max_row + 1
    ws.append(["Total des charges", v1, v2, rest, f"=SUM(B{charges}:D{charges})",
               *["=" + "+".join(f"{c}{g}" for g in group_rows) for c in REALISED],
               f"=SUM(F{charges}:H{charges})"])
    _bold(ws, charges)
    inv = ws.max_row + 1
    inv_rows = [nature_rows[n] for n in Nature if n in INVESTMENT_NATURES]
    ws.append(["dont investissement (" + ", ".join(
        by_nature[n].label.lower() for n in Nature if n in INVESTMENT_NATURES) + ")",
        None, None, None, None,
        *["=" + "+".join(f"{c}{r}" for r in inv_rows) for c in REALISED],
        f"=SUM(F{inv}:H{inv})"])

    ws.append([])
    ws.append(["PRODUITS"])
    _bold(ws, ws.max_row)
    starter_amount = a.starter_amount if a else ZERO
    earmarked = a.earmarked_amount if a else ZERO
    earmarked_label = csv_safe(a.earmarked_label) if a and a.earmarked_label else ""
    products_first = ws.max_row + 1
    for label, cells in [
        ("Dotation notifiée par l'ARS", [v1, v2, rest]),
        ("Crédits d'amorçage", [ZERO, ZERO, starter_amount]),
        ("Autres crédits fléchés" + (f" ({earmarked_label})" if earmarked_label else ""),
         [ZERO, ZERO, earmarked]),
    ]:
        r = ws.max_row + 1
        ws.append([label, *cells, f"=SUM(B{r}:D{r})", *cells, f"=SUM(F{r}:H{r})"])
    products_last = ws.max_row
    products = products_last + 1
    ws.append(["Total des produits",
               *[f"=SUM({c}{products_first}:{c}{products_last})" for c in "BCDEFGHI"]])
    _bold(ws, products)
    ws.append([])
    result = ws.max_row + 1
    ws.append(["Résultat (produits − charges)",
               *[f"={c}{products}-{c}{charges}" for c in "BCDEFGHI"]])
    _bold(ws, result)
    _money_format(ws, first, result, 2, 9)
    ws.column_dimensions["A"].width = 70
    for col in "BCDEFGHI":
        ws.column_dimensions[col].width = 16

    notes = wb.create_sheet("Notes")
    notes.append(["Notes"])
    notes["A1"].font = BOLD
    for line in [
        "Réalisé : les dépenses de l'année enregistrées dans Maillage (saisies ou importées "
        "du FEC), par volet ; les dépenses communes aux deux volets en « commun ».",
        "Prévu : la répartition de la dotation notifiée (parts prévues des volets 1 et 2, le "
        "reste en « commun ») ; la dotation ne prévoit rien par groupe fonctionnel.",
        "Produits : la dotation notifiée, les crédits d'amorçage et les autres crédits fléchés "
        "saisis avec la dotation de l'année.",
        "Groupes fonctionnels — règle : " + GROUP_RULE,
        "Investissement : logiciels, équipement numérique, aménagement des locaux et formation "
        "(001 §IV.2.7), aussi comptés dans leur groupe.",
    ]:
        notes.append([line])
    notes.append([])
    notes.append(["Nature", "Groupe"])
    _bold(notes, notes.max_row)
    for n in Nature:
        notes.append([n.label, f"Groupe {nature_group(n)}"])
    notes.column_dimensions["A"].width = 120
    notes.column_dimensions["B"].width = 12
    return _save(wb)


# --- Occitanie -------------------------------------------------------------------------------


def occitanie(budget: BudgetYear, *, crt_name: str, fte: TeamFte, starter: Starter) -> bytes:
    """Rows volet 1, volet 2, « non réparti », total; one column per nature, then the total;
    below, the financial and human means and the starter credits."""
    wb = Workbook()
    ws = wb.active
    ws.title = "État analytique"
    ws.append([f"État analytique {budget.year} — {csv_safe(crt_name)}"])
    ws["A1"].font = BOLD
    ws.append(["Dépenses du CRT de l'année par volet et par nature (comptabilité analytique)"])
    natures = budget.rows
    last_col = get_column_letter(len(natures) + 2)
    total_col = last_col
    ws.append(["Volet", *[n.label for n in natures], "Total"])
    _bold(ws, ws.max_row)
    first = ws.max_row + 1
    labels = {Volet.VOLET1: "Volet 1", Volet.VOLET2: "Volet 2",
              Volet.SHARED: "Non réparti (charges communes aux deux volets)"}
    for v in VOLETS:
        r = ws.max_row + 1
        ws.append([labels[v], *[n.by_volet[v] for n in natures],
                   f"=SUM(B{r}:{get_column_letter(len(natures) + 1)}{r})"])
    last = ws.max_row
    total = last + 1
    ws.append(["Total", *[f"=SUM({get_column_letter(i)}{first}:{get_column_letter(i)}{last})"
                          for i in range(2, len(natures) + 3)]])
    _bold(ws, total)
    _money_format(ws, first, total, 2, len(natures) + 2)
    ws.column_dimensions["A"].width = 50
    for i in range(2, len(natures) + 3):
        ws.column_dimensions[get_column_letter(i)].width = 18

    ws.append([])
    ws.append(["Moyens financiers"])
    _bold(ws, ws.max_row)
    a = budget.allocation
    money_first = ws.max_row + 1
    for label, value in [
        ("Dotation notifiée", a.notified_amount if a else ZERO),
        ("Part prévue du volet 1", a.volet1_planned if a else ZERO),
        ("Part prévue du volet 2", a.volet2_planned if a else ZERO),
        ("Autres crédits fléchés", a.earmarked_amount if a else ZERO),
        ("Dépenses de l'année", f"={total_col}{total}"),
    ]:
        ws.append([label, value])
    _money_format(ws, money_first, ws.max_row, 2, 2)

    ws.append([])
    ws.append(["Moyens humains (ETP de l'équipe, au prorata des jours de l'année, T-02)"])
    _bold(ws, ws.max_row)
    for label, value in [("ETP dédiés au CRT", fte.total), ("dont volet 1", fte.volet1),
                         ("dont volet 2", fte.volet2), ("dont coordination", fte.coordination)]:
        ws.append([label, value])
        ws.cell(ws.max_row, 2).number_format = FTE

    ws.append([])
    ws.append(["Crédits d'amorçage (F-06)"])
    _bold(ws, ws.max_row)
    received = ws.max_row + 1
    ws.append(["Crédits d'amorçage reçus", starter.received])
    spent_first = ws.max_row + 1
    for v in VOLETS:
        ws.append([f"Dépensé sur ces crédits — {labels[v]}", starter.by_volet[v]])
    spent_last = ws.max_row
    spent = spent_last + 1
    ws.append(["Total dépensé sur les crédits d'amorçage",
               f"=SUM(B{spent_first}:B{spent_last})"])
    ws.append(["Reste des crédits d'amorçage", f"=B{received}-B{spent}"])
    _bold(ws, ws.max_row)
    _money_format(ws, received, ws.max_row, 2, 2)
    return _save(wb)
