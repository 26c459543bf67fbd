"""The demo's older visits, bulk-created after every app's demo: the visits demo generates and
traces the last six months through the services; before that, each series of CRT Anjou Bleu
started at the person's admission (within the 14 months of history), and its visits of those
months are written here in bulk, traced (mostly done, a few not done), dated as they were lived.
The larger demos (benchmarks) keep their two weeks."""

from datetime import timedelta

from maillage.admissions.models import Enrolment
from maillage.core.demo import DemoContext, insert_rows, keep_dates, update_rows

from .demo import TRACED
from .models import Visit, VisitSeries
from .services import _occurrences

REASONS = [Visit.NotDoneReason.PLANNED_ABSENCE, Visit.NotDoneReason.REFUSED,
           Visit.NotDoneReason.NO_ANSWER, Visit.NotDoneReason.STAFF_UNAVAILABLE]
LATE = TRACED  # minutes late on arrival, minutes longer: as the newer visits


def load(ctx: DemoContext) -> None:
    crt = ctx.crts.get("anjou_bleu")
    if crt is None or ctx.scale != 1:
        ctx.history["passages"] = 0
        return
    admitted = {e.beneficiary_id: e.admitted_on for e in Enrolment.objects.filter(
        crt=crt, ended_on__isnull=True).order_by("admitted_on")}
    visits, moved = [], []
    for series in VisitSeries.objects.filter(crt=crt).select_related(
            "crt", "beneficiary", "updated_by").order_by("pk"):
        since = max(admitted.get(series.beneficiary_id, series.start_date), ctx.history_start)
        # Only the series cut by the six months of the visits demo (not the newer ones).
        if since >= series.start_date or series.start_date > ctx.today - timedelta(days=150):
            continue
        old_start = series.start_date
        step = 1 if series.frequency == VisitSeries.Frequency.DAILY else 7 * series.interval
        # Whole periods earlier: the later occurrences keep their days.
        series.start_date = old_start - timedelta(
            days=-(-(old_start - since).days // step) * step)
        series.created_at = DemoContext.day_at(series.start_date, 9)
        moved.append(series)
        visits += _occurrences(series, series.start_date, old_start - timedelta(days=1), None)
    for n, visit in enumerate(visits):
        visit.created_at = visit.starts_at - timedelta(days=7)
        if n % 97 == 0:
            visit.status, visit.not_done_reason = Visit.Status.NOT_DONE, REASONS[n % 4]
            visit.traced_at = visit.ends_at
        else:
            late, longer = LATE[n % 3]
            visit.status = Visit.Status.DONE
            visit.actual_start = visit.starts_at + timedelta(minutes=late)
            visit.actual_end = visit.ends_at + timedelta(minutes=longer)
            visit.traced_at = visit.ends_at + timedelta(minutes=longer + 2)
        visit.traced_by = visit.staff
        visit.updated_at = visit.traced_at
    with keep_dates(Visit, VisitSeries):
        insert_rows(Visit, visits)
        update_rows(VisitSeries, moved, ["start_date", "created_at"])
    ctx.history["passages"] = len(visits)


def summary(ctx: DemoContext) -> str:
    """The progress line of this step."""
    return f"Historique 14 mois… {ctx.history.get('passages', 0)} passages plus anciens"
