"""A realistic FEC of a CRT's carrier (an EHPAD's accounting: payroll, purchases, bank), for the
demo and the tests, and the account mapping that goes with it. One social-charges account
(6451) is left without mapping on purpose: the import reports it."""

from datetime import date
from decimal import Decimal

from . import fec
from .models import Nature, Volet

#: (prefix, label, nature, volet, domain code of care.Domain or "")
MAPPINGS = [
    ("6411", "Salaires du personnel", Nature.STAFF_CARE, Volet.VOLET2, ""),
    ("64111", "Salaires — coordination (IDEC)", Nature.STAFF_COORDINATION, Volet.VOLET2, ""),
    ("64113", "Salaires — animation volet 1", Nature.STAFF_OTHER, Volet.VOLET1, ""),
    ("611", "Sous-traitance générale", Nature.SUBCONTRACTING, Volet.VOLET2, "securite"),
    ("6132", "Locations immobilières", Nature.PREMISES_VEHICLES, Volet.SHARED, ""),
    ("6226", "Honoraires", Nature.EXTERNAL_PROVIDERS, Volet.VOLET1, ""),
    ("62281", "Formation du personnel", Nature.TRAINING, Volet.SHARED, ""),
    ("6251", "Voyages et déplacements", Nature.TRANSPORT, Volet.SHARED, ""),
    ("6262", "Télécommunications", Nature.IT_RUNNING, Volet.SHARED, ""),
    ("2051", "Logiciels", Nature.SOFTWARE, Volet.SHARED, ""),
    ("2183", "Matériel informatique", Nature.DIGITAL_EQUIPMENT, Volet.VOLET2, "suivi"),
]

ACCOUNTS = {
    "64111000": "Salaires IDEC", "64112000": "Salaires soignants",
    "64113000": "Salaires animation", "64510000": "Cotisations URSSAF",
    "61100000": "Sous-traitance générale", "61320000": "Locations immobilières",
    "62260000": "Honoraires", "62281000": "Formation du personnel",
    "62510000": "Voyages et déplacements", "62620000": "Télécommunications",
    "20510000": "Logiciels", "21830000": "Matériel informatique", "40100000": "Fournisseurs",
    "42100000": "Personnel, rémunérations dues", "43100000": "Sécurité sociale",
    "51200000": "Banque",
}
SUPPLIERS = {"61100000": ("F0042", "SAD Loire Autonomie", "Astreinte de nuit mutualisée"),
             "61320000": ("F0007", "SCI du Mail", "Loyer du local du CRT"),
             "62260000": ("F0113", "Cabinet Kiné Bleu", "Atelier équilibre, intervenant"),
             "62281000": ("F0090", "IFSI Angers", "Formation gestes d'urgence"),
             "62510000": ("F0031", "Garage du Lac", "Carburant véhicules de service"),
             "62620000": ("F0015", "Télécom Ouest", "Abonnements téléphonie astreinte"),
             "20510000": ("F0120", "Logiciels Santé SA", "Licence logiciel de coordination"),
             "21830000": ("F0121", "InfoPro 49", "Tablettes de télésanté")}


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _day(d: date) -> str:
    return d.strftime("%Y%m%d")


def sample_rows(months: list[tuple[int, int]]) -> list[dict[str, str]]:
    """The entries of ``months`` [(year, month)]: each month a payroll (three salary accounts,
    social charges), four purchase invoices, their payment."""
    rows: list[dict[str, str]] = []
    number = 0

    def entry(journal: str, journal_label: str, day: date, piece: str, label: str,
              lines: list[tuple[str, Decimal, Decimal, str, str]]) -> None:
        nonlocal number
        number += 1
        for account, debit, credit, aux, aux_label in lines:
            rows.append({
                "JournalCode": journal, "JournalLib": journal_label,
                "EcritureNum": f"{journal}{number:05d}", "EcritureDate": _day(day),
                "CompteNum": account, "CompteLib": ACCOUNTS[account], "CompAuxNum": aux,
                "CompAuxLib": aux_label, "PieceRef": piece, "PieceDate": _day(day),
                "EcritureLib": label, "Debit": _amount(debit), "Credit": _amount(credit),
                "ValidDate": _day(day)})

    zero = Decimal("0")
    for i, (year, month) in enumerate(months):
        end = date(year, month, 28)
        idec, care, v1 = (Decimal("3950.00"), Decimal("9870.50") + 25 * (i % 3),
                          Decimal("2130.00"))
        charges = ((idec + care + v1) * Decimal("0.42")).quantize(Decimal("0.01"))
        net = idec + care + v1
        entry("OD", "Opérations diverses", end, f"PAIE{year}{month:02d}",
              f"Paie {month:02d}/{year}", [
                  ("64111000", idec, zero, "", ""), ("64112000", care, zero, "", ""),
                  ("64113000", v1, zero, "", ""), ("64510000", charges, zero, "", ""),
                  ("42100000", zero, net, "", ""), ("43100000", zero, charges, "", "")])
        purchases = [("61100000", Decimal("2400.00")), ("61320000", Decimal("950.00")),
                     ("62510000", Decimal("180.40") + i), ("62620000", Decimal("64.90"))]
        if month % 3 == 1:
            purchases.append(("62260000", Decimal("420.00")))
        if month == 3:
            purchases.append(("62281000", Decimal("1250.00")))
        if month == 2:
            purchases += [("20510000", Decimal("3600.00")), ("21830000", Decimal("2389.90"))]
        for k, (account, amount) in enumerate(purchases):
            aux, aux_label, label = SUPPLIERS[account]
            day = date(year, month, 5 + 2 * k)
            piece = f"FA{year}{month:02d}{k + 1:02d}"
            entry("ACH", "Achats", day, piece, label, [
                (account, amount, zero, "", ""), ("40100000", zero, amount, aux, aux_label)])
            entry("BQ", "Banque", date(year, month, 25), piece, f"Règlement {aux_label}", [
                ("40100000", amount, zero, aux, aux_label), ("51200000", zero, amount, "", "")])
    return rows


def sample_fec(months: list[tuple[int, int]], *, sep: str = "\t") -> bytes:
    return fec.render(sample_rows(months), sep=sep)
