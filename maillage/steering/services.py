"""Writes of the budget: allocations, expenses, account mapping and FEC imports; validated,
versioned and audited, each in one transaction (a refused FEC leaves nothing behind)."""

import hashlib
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Abs
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import DomainError
from maillage.core.models import Crt
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from . import fec
from .models import AccountMapping, Allocation, Expense, FecImport, Volet

ALLOCATION_FIELDS = ("year", "notified_amount", "notified_on", "volet1_planned",
                     "volet2_planned", "starter_amount", "earmarked_amount", "earmarked_label")
EXPENSE_FIELDS = ("spent_on", "label", "amount", "nature", "volet", "domain", "piece_ref",
                  "on_starter_credits")
MAPPING_FIELDS = ("prefix", "nature", "volet", "domain", "label")
EXCLUDE = ["crt", "created_by", "updated_by", "fec_import"]


def _refuse_unknown(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")


def _fr(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def _check_domain(obj) -> None:
    if obj.domain is not None:
        if obj.domain.crt_id != obj.crt_id:
            raise DomainError("Domaine inconnu.", field="domain")
        if obj.volet == Volet.VOLET1:
            raise DomainError("Un domaine d'intervention ne s'applique qu'au volet 2 (ou aux "
                              "dépenses communes).", field="domain")


# --- Allocations -----------------------------------------------------------------------------


def _check_allocation(allocation: Allocation) -> None:
    a = allocation
    if a.year is not None and not 2020 <= a.year <= 2100:
        raise DomainError("Indiquez une année entre 2020 et 2100.", field="year")
    amounts = (a.notified_amount, a.volet1_planned, a.volet2_planned)
    # A negative amount is its own field's error (``validate``), not the split's.
    if None not in amounts and min(amounts) >= 0:
        split = a.volet1_planned + a.volet2_planned
        if split > a.notified_amount:
            raise DomainError(
                f"La répartition prévue (volet 1 + volet 2 = {_fr(split)} €) dépasse le "
                f"montant notifié ({_fr(a.notified_amount)} €).", field="volet1_planned")
    if a.earmarked_amount and not a.earmarked_label.strip():
        raise DomainError("Indiquez l'objet des crédits fléchés (par exemple « crédits "
                          "d'amorçage »).", field="earmarked_label")
    validate(a, exclude=EXCLUDE)


@transaction.atomic
def allocation_create(*, actor, crt: Crt, **fields) -> Allocation:
    _refuse_unknown(fields, ALLOCATION_FIELDS)
    allocation = Allocation(crt=crt, created_by=actor, updated_by=actor, **fields)
    if Allocation.objects.filter(crt=crt, year=allocation.year).exists():
        raise DomainError(f"La dotation {allocation.year} est déjà enregistrée : "
                          "modifiez-la.", field="year")
    _check_allocation(allocation)
    allocation.save()
    audit_log(actor=actor, action="allocation.created", obj=allocation,
              details={"année": allocation.year, "montant": str(allocation.notified_amount)})
    return allocation


@transaction.atomic
def allocation_update(*, actor, allocation: Allocation, version: int, **fields) -> Allocation:
    _refuse_unknown(fields, ALLOCATION_FIELDS)
    before = snapshot(allocation, ALLOCATION_FIELDS)
    for field, value in fields.items():
        setattr(allocation, field, value)
    if Allocation.objects.filter(crt=allocation.crt, year=allocation.year).exclude(
            pk=allocation.pk).exists():
        raise DomainError(f"La dotation {allocation.year} est déjà enregistrée.", field="year")
    _check_allocation(allocation)
    save_versioned(allocation, actor=actor, version=version, fields=ALLOCATION_FIELDS)
    audit_log(actor=actor, action="allocation.updated", obj=allocation,
              details=changes(before, allocation))
    return allocation


# --- Expenses --------------------------------------------------------------------------------


def _check_total(crt: Crt, adding: Decimal, *, field: str, exclude=None) -> None:
    """The CRT's expenses, credits counted as much as debits, stay within what an amount holds
    (``fec.MAX_AMOUNT``): every total of the budget (a year, a nature, a volet) is a sum of
    them, read back as an amount."""
    rows = Expense.objects.filter(crt=crt)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    held = rows.order_by().aggregate(total=Sum(Abs("amount")))["total"] or Decimal("0")
    if held + abs(adding) > fec.MAX_AMOUNT:
        raise DomainError(f"Montant trop grand : les dépenses du CRT dépasseraient "
                          f"{_fr(fec.MAX_AMOUNT)} € au total.", field=field)


def _check_expense(expense: Expense) -> None:
    if expense.amount is not None and expense.amount == 0:
        raise DomainError("Le montant ne peut pas être nul.", field="amount")
    if expense.spent_on and expense.spent_on > timezone.localdate():
        raise DomainError("La date de la dépense est dans le futur.", field="spent_on")
    validate(expense, exclude=EXCLUDE)
    _check_domain(expense)
    _check_total(expense.crt, expense.amount, field="amount", exclude=expense.pk)


@transaction.atomic
def expense_create(*, actor, crt: Crt, **fields) -> Expense:
    _refuse_unknown(fields, EXPENSE_FIELDS)
    expense = Expense(crt=crt, created_by=actor, updated_by=actor,
                      source=Expense.Source.TYPED, **fields)
    expense.label = (expense.label or "").strip()
    _check_expense(expense)
    expense.save()
    audit_log(actor=actor, action="expense.created", obj=expense,
              details={"montant": str(expense.amount), "nature": expense.nature})
    return expense


@transaction.atomic
def expense_update(*, actor, expense: Expense, version: int, **fields) -> Expense:
    """Edit an expense's axes; the date, label and amount of an imported line are the
    accounts' and stay as imported."""
    _refuse_unknown(fields, EXPENSE_FIELDS)
    if expense.source == Expense.Source.FEC:
        for locked in ("spent_on", "label", "amount"):
            if locked in fields and fields[locked] != getattr(expense, locked):
                raise DomainError("La date, le libellé et le montant d'une ligne importée "
                                  "du FEC ne se modifient pas : corrigez la comptabilité.",
                                  field=locked)
    before = snapshot(expense, EXPENSE_FIELDS)
    for field, value in fields.items():
        setattr(expense, field, value)
    _check_expense(expense)
    save_versioned(expense, actor=actor, version=version, fields=EXPENSE_FIELDS)
    audit_log(actor=actor, action="expense.updated", obj=expense,
              details=changes(before, expense))
    return expense


# --- Account mapping -------------------------------------------------------------------------


def _check_mapping(mapping: AccountMapping) -> None:
    mapping.prefix = (mapping.prefix or "").strip()
    if mapping.prefix and not fec.is_expense_account(mapping.prefix):
        raise DomainError("Seuls les comptes de charges (classe 6) et d'immobilisations "
                          "(classe 2, hors 28 et 29) deviennent des dépenses.", field="prefix")
    validate(mapping, exclude=["crt", "created_by", "updated_by"])
    _check_domain(mapping)
    twin = AccountMapping.objects.filter(crt=mapping.crt, prefix=mapping.prefix)
    if mapping.pk:
        twin = twin.exclude(pk=mapping.pk)
    if twin.exists():
        raise DomainError(f"Le préfixe {mapping.prefix} a déjà une correspondance.",
                          field="prefix")


@transaction.atomic
def mapping_create(*, actor, crt: Crt, **fields) -> AccountMapping:
    _refuse_unknown(fields, MAPPING_FIELDS)
    mapping = AccountMapping(crt=crt, created_by=actor, updated_by=actor, **fields)
    _check_mapping(mapping)
    mapping.save()
    audit_log(actor=actor, action="account_mapping.created", obj=mapping,
              details={"préfixe": mapping.prefix, "nature": mapping.nature})
    return mapping


@transaction.atomic
def mapping_update(*, actor, mapping: AccountMapping, version: int, **fields
                   ) -> AccountMapping:
    _refuse_unknown(fields, MAPPING_FIELDS)
    before = snapshot(mapping, MAPPING_FIELDS)
    for field, value in fields.items():
        setattr(mapping, field, value)
    _check_mapping(mapping)
    save_versioned(mapping, actor=actor, version=version, fields=MAPPING_FIELDS)
    audit_log(actor=actor, action="account_mapping.updated", obj=mapping,
              details=changes(before, mapping))
    return mapping


class Mapper:
    """Account → mapping, the longest prefix winning."""

    def __init__(self, mappings):
        self.mappings = sorted(mappings, key=lambda m: len(m.prefix), reverse=True)

    def __call__(self, account: str) -> AccountMapping | None:
        return next((m for m in self.mappings if account.startswith(m.prefix)), None)


# --- FEC import ------------------------------------------------------------------------------


@transaction.atomic
def fec_import(*, actor, crt: Crt, file_name: str, content: bytes) -> FecImport:
    """Import the expenses of a FEC: every class 6 / class 2 line whose account has a mapping
    becomes an expense with its axes; charge accounts without mapping are reported on the
    import. A malformed file, one already imported, or one whose entries overlap the period of
    an earlier import, is refused and nothing is written."""
    digest = hashlib.sha256(content).hexdigest()
    already = FecImport.objects.filter(crt=crt, file_hash=digest).select_related(
        "created_by").first()
    if already is not None:
        raise DomainError(
            f"Ce fichier a déjà été importé le {timezone.localtime(already.created_at):%d/%m/%Y}"
            f" (« {already.file_name} ») : rien n'a été importé une seconde fois.",
            field="file")
    lines = fec.parse(content)
    start = min(line.entry_date for line in lines)
    end = max(line.entry_date for line in lines)
    overlap = FecImport.objects.filter(crt=crt, period_start__lte=end,
                                       period_end__gte=start).first()
    if overlap is not None:  # a yearly FEC after the quarterly ones would count twice
        raise DomainError(
            f"Les écritures du {overlap.period_start:%d/%m/%Y} au {overlap.period_end:%d/%m/%Y}"
            f" ont déjà été importées (« {overlap.file_name} ») et ce fichier couvre aussi "
            f"cette période ({start:%d/%m/%Y} – {end:%d/%m/%Y}) : annulez d'abord cet import "
            "pour ne pas compter deux fois les mêmes dépenses.", field="file")
    mapper = Mapper(AccountMapping.objects.filter(crt=crt).select_related("domain"))
    record = FecImport(
        crt=crt, created_by=actor, file_name=file_name[:200], file_hash=digest,
        period_start=start, period_end=end, lines_read=len(lines),
        expenses_created=0, amount_imported=Decimal("0"))
    record.save()
    expenses = []
    unmapped: dict[str, dict] = defaultdict(lambda: {"lines": 0, "amount": Decimal("0")})
    for line in lines:
        if not fec.is_expense_account(line.account):
            continue
        amount = line.debit - line.credit
        if amount == 0:
            continue
        mapping = mapper(line.account)
        if mapping is None:
            row = unmapped[line.account]
            row["label"] = line.account_label
            row["lines"] += 1
            row["amount"] += amount
            continue
        expenses.append(Expense(
            crt=crt, created_by=actor, updated_by=actor, spent_on=line.entry_date,
            label=(line.label or line.account_label or line.account)[:200], amount=amount,
            nature=mapping.nature, volet=mapping.volet, domain=mapping.domain,
            source=Expense.Source.FEC, fec_import=record, fec_line=line.number,
            account=line.account[:20], piece_ref=line.piece_ref[:40]))
    _check_total(crt, sum((abs(e.amount) for e in expenses), Decimal("0")), field="file")
    Expense.objects.bulk_create(expenses, batch_size=500)
    record.expenses_created = len(expenses)
    record.amount_imported = sum((e.amount for e in expenses), Decimal("0"))
    record.unmapped = [{"account": account, "label": row["label"], "lines": row["lines"],
                        "amount": str(row["amount"])}
                       for account, row in sorted(unmapped.items())]
    record.save(update_fields=["expenses_created", "amount_imported", "unmapped"])
    audit_log(actor=actor, action="fec.imported", obj=record, details={
        "lignes lues": record.lines_read, "dépenses créées": record.expenses_created,
        "comptes sans correspondance": len(record.unmapped)})
    return record


@transaction.atomic
def fec_import_cancel(*, actor, record: FecImport) -> int:
    """Withdraw an import: its expenses and the import itself, so that the file can be imported
    again (after a mapping is added or corrected). Returns the number of expenses removed."""
    locked = FecImport.objects.select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise DomainError("Cet import a déjà été annulé.", code="conflict")
    removed, _ = Expense.objects.filter(fec_import=locked).delete()
    audit_log(actor=actor, action="fec.cancelled", obj=locked, details={
        "fichier": locked.file_name, "dépenses retirées": removed})
    locked.delete()
    return removed
