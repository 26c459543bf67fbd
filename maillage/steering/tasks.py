"""Steering's tasks (discovered by ``huey.contrib.djhuey``): the PDF of a submitted report."""

from huey.contrib.djhuey import db_task

from . import report_files
from .models import ActivityReport


@db_task()
def report_pdf_store(pk: int) -> bool:
    """Render and keep the PDF of a submitted report version (queued after the submission)."""
    report = ActivityReport.objects.select_related("crt").filter(pk=pk).first()
    return report is not None and report_files.store_pdf(report)


@db_task()
def report_pdf_prepare(pk: int) -> None:
    """Render the PDF of a report version for its download page (``report_files.prepare_pdf``):
    a submitted version's is kept, a draft's goes to the shared cache."""
    from django.core.cache import cache

    try:
        report = ActivityReport.objects.select_related("crt").filter(pk=pk).first()
        if report is None:
            return
        if report_files.keeps_pdf(report):
            report_files.store_pdf(report)
        else:
            report_files.draft_pdf(report)
    finally:
        cache.delete(report_files.pending_key(pk))
