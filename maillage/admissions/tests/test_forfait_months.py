"""Stored forfait-months (``ForfaitMonth``): after the real services (admit, temporary exit,
return, new return date, definitive exit), the stored months equal the rule of
``periods.forfait_months`` recomputed, year by year; the daily task adds the month that starts;
the enrolment page and the file active read the same values; and the demo's are right."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from maillage.admissions import services
from maillage.admissions.forfait import forfait_months_refresh
from maillage.admissions.models import Enrolment, ForfaitMonth
from maillage.admissions.periods import forfait_months
from maillage.admissions.selectors import (
    file_active,
    file_active_figures,
    forfait_months_annotation,
    forfait_months_of,
)
from maillage.admissions.tasks import forfait_months_daily
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.models import PeriodicRun

from .factories import enrolment
from .test_lists_in_sql import CALENDARS, _random_calendars

TODAY = timezone.localdate()

pytestmark = pytest.mark.django_db


def _merged(admitted, ended, suspensions):
    """The calendar's temporary exits as the services accept them: within the enrolment, not
    overlapping (overlaps merged: the same days away, so the same forfait-months)."""
    periods = []
    for start, end in sorted(suspensions, key=lambda p: p[0]):
        start = max(start, admitted)
        if ended and start > ended:
            continue
        if ended and (end is None or end > ended):
            end = ended
        if end is not None and end < start:
            continue
        if periods and (periods[-1][1] is None or start <= periods[-1][1]):
            last_start, last_end = periods[-1]
            periods[-1] = (last_start, None if end is None or last_end is None
                           else max(end, last_end))
        else:
            periods.append((start, end))
    return periods


def _drive(actor, crt, index, admitted, ended, suspensions):
    """One calendar lived through the services, in the order things happen."""
    b = BeneficiaryFactory(crt=crt)
    e = services.enrolment_open(actor=actor, beneficiary=b, admitted_on=admitted,
                                referent=actor, gir_at_entry=3)
    for n, (start, end) in enumerate(_merged(admitted, ended, suspensions)):
        planned = end + timedelta(days=5) if end and n % 2 == 0 else None
        s = services.suspension_start(actor=actor, enrolment=e, kind="hospitalisation",
                                      start_date=start, end_date=planned, reason="Chute")
        if end is not None and not (ended and end == ended and index % 2):
            # The return home (a new, earlier, return date when one was planned).
            services.suspension_end(actor=actor, suspension=s, end_date=end,
                                    version=s.version)
    if ended:
        e.refresh_from_db()
        # Closes the exit still going on, if any, on the same day.
        services.enrolment_close(actor=actor, enrolment=e, version=e.version, ended_on=ended,
                                 exit_reason="wishes_to_leave")
    return e


def _assert_stored_equal_the_rule(today):
    """Enrolment by enrolment (the rule counts a person's enrolments together: a re-admitted
    person has two), every year since the first admission."""
    enrolments = list(Enrolment.objects.prefetch_related("suspensions"))
    first_year = min(e.admitted_on.year for e in enrolments)
    for year in range(first_year, today.year + 1):
        stored = dict(Enrolment.objects.annotate(
            months=forfait_months_annotation(year=year, today=today))
            .values_list("pk", "months"))
        assert stored == {e.pk: forfait_months([e], year=year, today=today).get(
            e.beneficiary_id, 0) for e in enrolments}, year


def test_stored_months_after_the_services_equal_the_rule(crt_a, users):
    actor = users["coordinator"]
    for index, calendar in enumerate([*CALENDARS, *_random_calendars(40, seed=7)]):
        _drive(actor, crt_a, index, *calendar)
    assert ForfaitMonth.objects.exists()
    _assert_stored_equal_the_rule(TODAY)
    # The file active and the enrolment page read the same values.
    qs, _ = file_active(crt=crt_a)
    people, total = file_active_figures(qs)
    assert people == Enrolment.objects.filter(ended_on__isnull=True).count()
    assert total == sum(e.months for e in qs)
    e = qs.first()
    assert forfait_months_of(enrolment=e, year=TODAY.year) == e.months
    # A refresh of everything changes nothing: the services left the rows right.
    assert forfait_months_refresh(crt=crt_a) == 0


def test_a_return_and_an_exit_move_the_stored_months(crt_a, users):
    actor = users["coordinator"]
    admitted = date(TODAY.year - 1, 1, 10)
    e = services.enrolment_open(actor=actor, beneficiary=BeneficiaryFactory(crt=crt_a),
                                admitted_on=admitted, referent=actor, gir_at_entry=2)
    months = set(ForfaitMonth.objects.filter(enrolment=e).values_list("month", flat=True))
    assert date(TODAY.year - 1, 1, 1) in months and TODAY.replace(day=1) in months
    # Away from 1 March to 15 May of last year, the return first planned for 20 June.
    s = services.suspension_start(actor=actor, enrolment=e, kind="temporary_room",
                                  start_date=date(TODAY.year - 1, 3, 1),
                                  end_date=date(TODAY.year - 1, 6, 20), reason="Répit")
    stored = set(ForfaitMonth.objects.filter(enrolment=e).values_list("month", flat=True))
    assert {date(TODAY.year - 1, m, 1) for m in (3, 4, 5)} & stored == set()
    assert date(TODAY.year - 1, 6, 1) in stored  # 21 to 30 June at home
    services.suspension_end(actor=actor, suspension=s, end_date=date(TODAY.year - 1, 5, 15),
                            version=s.version)
    stored = set(ForfaitMonth.objects.filter(enrolment=e).values_list("month", flat=True))
    assert date(TODAY.year - 1, 5, 1) in stored and date(TODAY.year - 1, 4, 1) not in stored
    e.refresh_from_db()
    services.enrolment_close(actor=actor, enrolment=e, version=e.version,
                             ended_on=date(TODAY.year - 1, 8, 31), exit_reason="moved")
    assert max(ForfaitMonth.objects.filter(enrolment=e).values_list("month", flat=True)) == \
        date(TODAY.year - 1, 8, 1)
    _assert_stored_equal_the_rule(TODAY)


def test_the_daily_task_adds_the_month_that_starts(crt_a, users):
    month = TODAY.replace(day=1)
    at_home = enrolment(BeneficiaryFactory(crt=crt_a), referent=users["nurse"],
                        admitted_on=month - timedelta(days=40))
    # Stored as of the last day of last month: this month is not there yet.
    forfait_months_refresh(enrolments=[at_home], today=month - timedelta(days=1))
    assert not ForfaitMonth.objects.filter(enrolment=at_home, month=month).exists()
    # The page is right before the task has run (the month computed live)…
    expected = forfait_months(Enrolment.objects.prefetch_related("suspensions"),
                              year=TODAY.year, today=TODAY)[at_home.beneficiary_id]
    qs, _ = file_active(crt=crt_a)
    assert file_active_figures(qs) == (1, expected)
    forfait_months_daily()  # the queue runs it (at once in tests)
    forfait_months_daily()  # a second worker, same day: refused
    assert PeriodicRun.objects.get(name="forfait_months_daily").skipped == 1
    assert ForfaitMonth.objects.filter(enrolment=at_home, month=month).exists()
    # …and the same after it.
    assert file_active_figures(file_active(crt=crt_a)[0]) == file_active_figures(qs)
    _assert_stored_equal_the_rule(TODAY)


def test_the_demo_stores_the_months_of_the_rule(demo_module):
    _assert_stored_equal_the_rule(TODAY)
