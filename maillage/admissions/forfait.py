"""Stored forfait-months (``ForfaitMonth``): the months of each enrolment that count for the
forfait, computed from the rule of ``periods.py`` (the single source of truth) and kept up to
date by the writes that change what the rule depends on, and by a daily task as time moves on.

Why stored: the file active totals the months of every open enrolment of the (filtered) file
active; evaluating the rule in SQL for each of them made the page linear in the number of
people. With stored rows, a total is an index-only count per enrolment.

When rows change:
- ``forfait_months_refresh(enrolments=…)`` in the same transaction as every service that
  changes an enrolment's dates or its temporary exits (``enrolment_open``, ``enrolment_close``,
  ``suspension_start``, ``suspension_end``; lodging goes through the last two);
- ``forfait_months_refresh(crt=…)`` at the end of the demo load, in bulk;
- ``forfait_months_catch_up`` every day (``tasks.forfait_months_daily``): time only ever
  *adds* months (a month counts from its first day at home), so the open enrolments that lack a
  row for some month since their admission are computed again — the new month on the 1st, a
  return home planned in advance once its day has come, an admission dated today.
Between two daily runs only the current month can change: the file active computes that month
live for the enrolments that lack its row (``selectors.forfait_months_annotation``).
"""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .models import Enrolment, ForfaitMonth, Suspension
from .periods import add_months, month_counts

CHUNK = 500


def months_counting(*, admitted_on: date, ended_on: date | None,
                    suspensions: list[tuple[date, date | None]], today: date) -> list[date]:
    """The first days of the months that count for one enrolment, up to ``today``."""
    months = []
    month, last = admitted_on.replace(day=1), min(ended_on or today, today)
    while month <= last:
        if month_counts(admitted_on=admitted_on, ended_on=ended_on, suspensions=suspensions,
                        year=month.year, month=month.month, today=today):
            months.append(month)
        month = add_months(month, 1)
    return months


def _months_since(admitted_on: date, today: date) -> int:
    """Calendar months from the admission's to today's, both included."""
    return (today.year - admitted_on.year) * 12 + today.month - admitted_on.month + 1


@transaction.atomic
def forfait_months_refresh(*, enrolments: Iterable[Enrolment | int] | None = None, crt=None,
                           today: date | None = None) -> int:
    """Bring the stored months of ``enrolments`` (objects or ids), or of every enrolment of
    ``crt``, to what ``periods.month_counts`` says as of ``today``: rows added and removed in
    bulk (a few queries per 500 enrolments). Returns the number of rows written or deleted."""
    today = today or timezone.localdate()
    if crt is not None:
        ids = list(Enrolment.objects.filter(crt=crt).order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({e if isinstance(e, int) else e.pk for e in enrolments or ()})
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        periods: dict[int, list] = {pk: [] for pk in chunk}
        for pk, first, last in Suspension.objects.filter(enrolment__in=chunk).values_list(
                "enrolment", "start_date", "end_date"):
            periods[pk].append((first, last))
        wanted, rows = set(), []
        for pk, crt_id, beneficiary_id, admitted_on, ended_on in Enrolment.objects.filter(
                pk__in=chunk).values_list("pk", "crt", "beneficiary", "admitted_on",
                                          "ended_on"):
            for month in months_counting(admitted_on=admitted_on, ended_on=ended_on,
                                         suspensions=periods[pk], today=today):
                wanted.add((pk, month))
                rows.append(ForfaitMonth(crt_id=crt_id, enrolment_id=pk,
                                         beneficiary_id=beneficiary_id, month=month))
        stale, stored = [], set()
        for row_pk, pk, month in ForfaitMonth.objects.filter(enrolment__in=chunk).values_list(
                "pk", "enrolment", "month"):
            if (pk, month) in wanted:
                stored.add((pk, month))
            else:
                stale.append(row_pk)
        if stale:
            changed += ForfaitMonth.objects.filter(pk__in=stale).delete()[0]
        new = [r for r in rows if (r.enrolment_id, r.month) not in stored]
        if new:
            # A concurrent refresh of the same enrolment may have inserted the same month.
            ForfaitMonth.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
            changed += len(new)
    return changed


def forfait_months_catch_up(*, today: date | None = None) -> int:
    """The daily pass: the open enrolments (every CRT) with fewer stored months than calendar
    months since their admission are computed again as of ``today``. Most of them are complete
    and skipped: one grouped count over the stored rows finds the others (the 1st of the month:
    all of them; other days: the people suspended for a whole month, a few)."""
    today = today or timezone.localdate()
    open_ = Enrolment.objects.filter(ended_on__isnull=True, admitted_on__lte=today)
    stored = dict(ForfaitMonth.objects.filter(enrolment__in=open_, month__lte=today)
                  .order_by().values("enrolment").annotate(n=Count("pk"))
                  .values_list("enrolment", "n"))
    lacking = [pk for pk, admitted_on in open_.values_list("pk", "admitted_on")
               if stored.get(pk, 0) < _months_since(admitted_on, today)]
    return forfait_months_refresh(enrolments=lacking, today=today)
