"""Writes of the activity reports (the reports' part of ``services``): create, regenerate the
figures, write the narratives, submit (freezes the version), correct (a new draft version);
and the per-CRT report settings. Each validated, versioned and audited in one transaction.

A submitted version is never written again: every write below but ``report_correct`` refuses
a submitted report, and the update itself is conditioned on the draft status, so a submit
racing an edit cannot be overwritten."""

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from maillage.core.audit import audit_log
from maillage.core.errors import ConflictError, DomainError
from maillage.core.models import Crt
from maillage.core.versioning import changes, save_versioned, snapshot, validate

from . import reports
from .models import ActivityReport, ReportKind, ReportSettings

logger = logging.getLogger(__name__)

FROZEN = ("Cette version a été transmise : elle ne se modifie plus. Utilisez « Corriger » "
          "pour créer une nouvelle version.")
SETTINGS_FIELDS = ("annual", "half_year", "annual_due_month", "annual_due_day",
                   "half_year_due_days")


def _require_draft(report: ActivityReport) -> None:
    if not report.is_draft:
        raise DomainError(FROZEN, code="conflict")


def _write_draft(report: ActivityReport, *, actor, version: int, fields: list[str]) -> None:
    """``save_versioned`` restricted to a row still in draft (a concurrent submit wins)."""
    updated = ActivityReport.objects.filter(pk=report.pk, status=ActivityReport.Status.DRAFT)
    if not updated.filter(version=version).exists():
        if not updated.exists():
            raise DomainError(FROZEN, code="conflict")
        raise ConflictError()
    save_versioned(report, actor=actor, version=version, fields=fields)


@transaction.atomic
def report_create(*, actor, crt: Crt, kind: str, year: int, half: int | None = None,
                  today: date | None = None) -> ActivityReport:
    """The first version (a draft) of the report of ``kind`` for ``year`` (and ``half``), its
    figures computed now."""
    today = today or timezone.localdate()
    if kind not in ReportKind.values:
        raise DomainError("Choisissez un modèle de rapport.", field="kind")
    if not 2020 <= year <= 2100:
        raise DomainError("Indiquez une année entre 2020 et 2100.", field="year")
    try:
        period = reports.report_period(crt=crt, kind=kind, year=year, half=half)
    except ValueError as error:
        raise DomainError(str(error), field="half" if "semestre" in str(error) else "year"
                          ) from None
    if period.start > today:
        raise DomainError("Cette période n'a pas commencé : le rapport ne peut pas encore "
                          "être préparé.", field="year")
    existing = ActivityReport.objects.filter(crt=crt, kind=kind, period_start=period.start)
    if existing.exists():
        label = reports.period_label(kind, period.start, period.end)
        raise DomainError(f"Ce rapport existe déjà ({label}) : ouvrez-le depuis la liste.",
                          field="year")
    report = ActivityReport(
        crt=crt, kind=kind, period_start=period.start, period_end=period.end, number=1,
        snapshot=reports.build_snapshot(crt=crt, kind=kind, start=period.start,
                                        end=period.end, today=today),
        generated_at=timezone.now(), generated_by=actor, created_by=actor, updated_by=actor)
    validate(report, exclude=["crt", "created_by", "updated_by", "generated_by",
                              "submitted_by"])
    report.save()
    audit_log(actor=actor, action="report.created", obj=report,
              details={"modèle": kind, "période": report.snapshot["period"]["label"]})
    return report


@transaction.atomic
def report_regenerate(*, actor, report: ActivityReport, version: int,
                      today: date | None = None) -> ActivityReport:
    """Compute the figures of a draft again (the records changed since)."""
    _require_draft(report)
    report.snapshot = reports.build_snapshot(
        crt=report.crt, kind=report.kind, start=report.period_start, end=report.period_end,
        today=today)
    report.generated_at = timezone.now()
    report.generated_by = actor
    _write_draft(report, actor=actor, version=version,
                 fields=["snapshot", "generated_at", "generated_by"])
    audit_log(actor=actor, action="report.regenerated", obj=report,
              details={"version": report.number})
    return report


def clean_narratives(kind: str, texts: dict) -> dict:
    allowed = {n.key for n in reports.narratives_for(kind)}
    unknown = set(texts) - allowed
    if unknown:
        raise DomainError(f"Section inconnue : {', '.join(sorted(unknown))}.")
    for key, text in texts.items():
        if len(text or "") > 20000:
            raise DomainError("20 000 caractères au plus par section.", field=key)
    return {key: (texts.get(key) or "").strip() for key in sorted(allowed)}


@transaction.atomic
def report_narratives_update(*, actor, report: ActivityReport, version: int,
                             narratives: dict) -> ActivityReport:
    _require_draft(report)
    before = dict(report.narratives)
    report.narratives = clean_narratives(report.kind, narratives)
    _write_draft(report, actor=actor, version=version, fields=["narratives"])
    changed = sorted(k for k in report.narratives if before.get(k, "") != report.narratives[k])
    # The sections changed, not their text (the auditor reads labels, not free text).
    audit_log(actor=actor, action="report.narratives_updated", obj=report,
              details={"sections modifiées": ", ".join(changed)})
    return report


def _queue_pdf(pk: int) -> None:
    from .tasks import report_pdf_store

    try:
        report_pdf_store(pk)
    except Exception:  # noqa: BLE001 - the first download renders and keeps it anyway
        logger.exception("The PDF of report %s could not be queued", pk)


@transaction.atomic
def report_submit(*, actor, report: ActivityReport, version: int,
                  today: date | None = None, make_pdf: bool = True) -> ActivityReport:
    """Freeze the version: it is what was sent to the ARS. Once committed, the task queue
    renders its PDF and keeps it (``make_pdf``; without it, or if the queue is down, the first
    download does)."""
    today = today or timezone.localdate()
    _require_draft(report)
    if report.period_end >= today:
        raise DomainError(f"La période se termine le {report.period_end:%d/%m/%Y} : le rapport "
                          "se transmet une fois la période close.")
    report.status = ActivityReport.Status.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = actor
    _write_draft(report, actor=actor, version=version,
                 fields=["status", "submitted_at", "submitted_by"])
    audit_log(actor=actor, action="report.submitted", obj=report,
              details={"version": report.number})
    if make_pdf:
        transaction.on_commit(lambda: _queue_pdf(report.pk))
    return report


@transaction.atomic
def report_correct(*, actor, report: ActivityReport,
                   today: date | None = None) -> ActivityReport:
    """A new draft version of a submitted report: the narratives copied, the figures computed
    again. The submitted version stays as it was sent."""
    if report.is_draft:
        raise DomainError("Seule une version transmise se corrige : ce brouillon se modifie "
                          "directement.", code="conflict")
    latest = ActivityReport.objects.filter(
        crt=report.crt, kind=report.kind, period_start=report.period_start).order_by(
        "-number").first()
    if latest.pk != report.pk:
        raise DomainError(f"La version {latest.number} existe déjà : corrigez la dernière "
                          "version.", code="conflict")
    new = ActivityReport(
        crt=report.crt, kind=report.kind, period_start=report.period_start,
        period_end=report.period_end, number=report.number + 1,
        narratives=dict(report.narratives),
        snapshot=reports.build_snapshot(crt=report.crt, kind=report.kind,
                                        start=report.period_start, end=report.period_end,
                                        today=today),
        generated_at=timezone.now(), generated_by=actor, created_by=actor, updated_by=actor)
    try:
        with transaction.atomic():
            new.save()
    except IntegrityError:
        raise DomainError("Une correction de ce rapport vient d'être créée.",
                          code="conflict") from None
    audit_log(actor=actor, action="report.corrected", obj=new,
              details={"version": new.number, "corrige la version": report.number})
    return new


@transaction.atomic
def report_settings_save(*, actor, crt: Crt, version: int, **fields) -> ReportSettings:
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise DomainError(f"Champ non modifiable : {', '.join(sorted(unknown))}.")
    current = ReportSettings.objects.filter(crt=crt).first()
    if not (fields.get("annual") or fields.get("half_year")):
        raise DomainError("Choisissez au moins un modèle de rapport.", field="annual")
    month, day = fields.get("annual_due_month"), fields.get("annual_due_day")
    if month and day and 1 <= month <= 12 and 1 <= day <= 31:  # otherwise ``validate`` says
        try:
            date(2027, month, day)  # not a leap year: 29/02 refused
        except ValueError:
            raise DomainError("Cette date n'existe pas.", field="annual_due_day") from None
    if current is None:
        current = ReportSettings(crt=crt, created_by=actor, updated_by=actor, **fields)
        validate(current, exclude=["crt", "created_by", "updated_by"])
        current.save()
        audit_log(actor=actor, action="report_settings.updated", obj=current, details={})
        return current
    before = snapshot(current, SETTINGS_FIELDS)
    for name, value in fields.items():
        setattr(current, name, value)
    validate(current, exclude=["crt", "created_by", "updated_by"])
    save_versioned(current, actor=actor, version=version, fields=SETTINGS_FIELDS)
    audit_log(actor=actor, action="report_settings.updated", obj=current,
              details=changes(before, current))
    return current
