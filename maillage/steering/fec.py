"""The Fichier des Écritures Comptables (FEC, article A47 A-1 du livre des procédures
fiscales): a pure parser. 18 columns in the legal order, tab or pipe separated (detected from
the header), dates AAAAMMJJ, amounts with a comma decimal. A file with any error is refused as
a whole, each error as « ligne N : raison »."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from maillage.core.errors import FileRefusedError
from maillage.core.validators import IMPORTED_CONTROL_CHARACTER, PLAUSIBLE_YEARS, imported_cell

from .models import MONEY

COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)
#: Errors listed before the file is refused (the rest summed up).
MAX_ERRORS = 20
#: The largest amount an expense holds (``MONEY``: 12 digits, 2 of them decimals); larger ones
#: could not be stored or read back, nor summed.
MAX_AMOUNT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"]) - Decimal("0.01")
_AMOUNT = re.compile(r"^-?\d+(?:[,.]\d{1,2})?$")
_DATE = re.compile(r"^\d{8}$")


class FecError(FileRefusedError):
    """The file is refused; ``errors`` lists (line number, French reason)."""


@dataclass(frozen=True)
class FecLine:
    number: int  # line of the file, the header being line 1
    journal: str
    entry: str
    entry_date: date
    account: str
    account_label: str
    piece_ref: str
    label: str
    debit: Decimal
    credit: Decimal


def _fr(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("iso-8859-15")  # the other encoding the law allows


def _date(text: str) -> date | None:
    if not _DATE.match(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _amount(text: str) -> Decimal | None:
    text = text.strip()
    if text == "":
        return Decimal("0")
    if not _AMOUNT.match(text):
        return None
    return Decimal(text.replace(",", "."))


def parse(content: bytes) -> list[FecLine]:
    """The lines of a FEC, or ``FecError`` listing what is wrong (nothing partial)."""
    text = _decode(content)
    rows = text.splitlines()
    if not rows or not rows[0].strip():
        raise FecError([(1, "le fichier est vide ou ne commence pas par l'en-tête des "
                            "18 colonnes du FEC.")])
    header = rows[0]
    sep = "\t" if "\t" in header else "|" if "|" in header else None
    if sep is None:
        raise FecError([(1, "en-tête non reconnu : les colonnes doivent être séparées par "
                            "une tabulation ou une barre verticale (|).")])
    names = [n.strip() for n in header.split(sep)]
    if [n.lower() for n in names] != [c.lower() for c in COLUMNS]:
        if len(names) != len(COLUMNS):
            reason = (f"en-tête non reconnu : {len(names)} colonnes au lieu des 18 du FEC "
                      f"({', '.join(COLUMNS)}).")
        else:
            wrong = next(i for i, (a, b) in enumerate(zip(names, COLUMNS, strict=True))
                         if a.lower() != b.lower())
            reason = (f"en-tête non reconnu : colonne {wrong + 1} « {names[wrong][:40]} » "
                      f"au lieu de « {COLUMNS[wrong]} ».")
        raise FecError([(1, reason)])
    errors: list[tuple[int, str]] = []
    lines: list[FecLine] = []
    for number, row in enumerate(rows[1:], start=2):
        if not row.strip():
            continue
        cells = [c.strip() for c in row.split(sep)]
        if len(cells) != len(COLUMNS):
            errors.append((number, f"{len(cells)} colonnes au lieu de 18."))
            continue
        cleaned = [imported_cell(c) for c in cells]
        damaged = [column for column, c in zip(COLUMNS, cleaned, strict=True) if c is None]
        if damaged:
            errors.extend((number, IMPORTED_CONTROL_CHARACTER.format(column=column))
                          for column in damaged)
            continue
        v = dict(zip(COLUMNS, (c.strip() for c in cleaned), strict=True))
        problems = []
        entry_date = _date(v["EcritureDate"])
        if entry_date is None:
            problems.append(f"date d'écriture « {v['EcritureDate'][:20]} » invalide "
                            "(format AAAAMMJJ attendu).")
        elif not PLAUSIBLE_YEARS[0] <= entry_date.year <= PLAUSIBLE_YEARS[1]:
            problems.append(f"date d'écriture « {v['EcritureDate']} » hors limites (année "
                            f"entre {PLAUSIBLE_YEARS[0]} et {PLAUSIBLE_YEARS[1]} attendue).")
        for column, name in (("PieceDate", "date de pièce"), ("ValidDate", "date de "
                                                                          "validation")):
            if v[column] and _date(v[column]) is None:
                problems.append(f"{name} « {v[column][:20]} » invalide (format AAAAMMJJ "
                                "attendu).")
        if v["DateLet"] and _date(v["DateLet"]) is None:
            problems.append(f"date de lettrage « {v['DateLet'][:20]} » invalide (format "
                            "AAAAMMJJ attendu).")
        debit, credit = _amount(v["Debit"]), _amount(v["Credit"])
        if debit is None:
            problems.append(f"montant au débit « {v['Debit'][:20]} » invalide (par exemple "
                            "1250,00).")
        if credit is None:
            problems.append(f"montant au crédit « {v['Credit'][:20]} » invalide (par exemple "
                            "1250,00).")
        for amount, column, name in ((debit, "Debit", "débit"), (credit, "Credit", "crédit")):
            if amount is not None and abs(amount) > MAX_AMOUNT:
                problems.append(f"montant au {name} « {v[column][:20]} » trop grand "
                                f"({_fr(MAX_AMOUNT)} au plus).")
        if (debit is not None and credit is not None and abs(debit) <= MAX_AMOUNT
                and abs(credit) <= MAX_AMOUNT and abs(debit - credit) > MAX_AMOUNT):
            problems.append(f"montant trop grand : débit moins crédit au-delà de "
                            f"{_fr(MAX_AMOUNT)}.")
        for column, name in (("JournalCode", "code journal"), ("EcritureNum",
                                                                "numéro d'écriture"),
                             ("CompteNum", "numéro de compte")):
            if not v[column]:
                problems.append(f"{name} manquant.")
        if problems:
            errors.extend((number, p) for p in problems)
            continue
        lines.append(FecLine(
            number=number, journal=v["JournalCode"], entry=v["EcritureNum"],
            entry_date=entry_date, account=v["CompteNum"], account_label=v["CompteLib"],
            piece_ref=v["PieceRef"], label=v["EcritureLib"] or v["CompteLib"],
            debit=debit, credit=credit))
    if not errors:
        errors = _unbalanced(lines) or _too_much(lines)
    if not errors and not lines:
        errors = [(2, "aucune écriture après l'en-tête.")]
    if errors:
        raise FecError(errors[:MAX_ERRORS], more=max(len(errors) - MAX_ERRORS, 0))
    return lines


def _unbalanced(lines: list[FecLine]) -> list[tuple[int, str]]:
    """An entry (journal, EcritureNum) whose debits differ from its credits, at its first
    line."""
    entries: dict[tuple[str, str], list[FecLine]] = defaultdict(list)
    for line in lines:
        entries[(line.journal, line.entry)].append(line)
    errors = []
    for (journal, entry), items in entries.items():
        debit = sum((i.debit for i in items), Decimal("0"))
        credit = sum((i.credit for i in items), Decimal("0"))
        if debit != credit:
            errors.append((items[0].number,
                           f"écriture {entry} du journal {journal} déséquilibrée (débit "
                           f"{_fr(debit)} ≠ crédit {_fr(credit)})."))
    return sorted(errors)


def _too_much(lines: list[FecLine]) -> list[tuple[int, str]]:
    """The file's expenses (their amounts, credits counted as much as debits) must add up to an
    amount an expense can hold: the totals of the budget are sums of them."""
    total = Decimal("0")
    for line in lines:
        if is_expense_account(line.account):
            total += abs(line.debit - line.credit)
            if total > MAX_AMOUNT:
                return [(line.number, f"montant trop grand : les dépenses du fichier dépassent "
                                      f"{_fr(MAX_AMOUNT)} au total à cette ligne.")]
    return []


def is_expense_account(account: str) -> bool:
    """Charges (class 6) and fixed assets (class 2, not their depreciation 28/29) make
    expenses."""
    return account.startswith("6") or (account.startswith("2")
                                       and not account.startswith(("28", "29")))


def render(rows: list[dict[str, str]], *, sep: str = "\t") -> bytes:
    """A FEC from ``rows`` ({column: text}; missing columns empty), header first."""
    lines = [sep.join(COLUMNS)]
    lines += [sep.join(row.get(c, "") for c in COLUMNS) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
