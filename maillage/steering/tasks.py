"""Steering's tasks (discovered by ``huey.contrib.djhuey``): the PDF of a submitted report."""

from huey.contrib.djhuey import db_task

from . import report_files
from .models import ActivityReport


@db_task()
def report_pdf_store(pk: int) -> bool:
    """Render and keep the PDF of a submitted report version (queued after the submission)."""
    report = ActivityReport.objects.select_related("crt").filter(pk=pk).first()
    return report is not None and report_files.store_pdf(report)
