"""Temporary exits as figures (steering indicators): by kind, count, total and mean duration,
returns; checked against figures computed by hand."""

from datetime import date

from django.urls import reverse
from django.utils import timezone

from maillage.admissions.models import Suspension
from maillage.admissions.selectors import temporary_exit_figures
from maillage.beneficiaries.tests.factories import BeneficiaryFactory
from maillage.core.tests.helpers import visible_text

from .factories import enrolment


def _exit(crt, kind, start, end=None):
    e = enrolment(BeneficiaryFactory(crt=crt), admitted_on=date(2025, 1, 6))
    return Suspension.objects.create(crt=crt, enrolment=e, kind=kind, start_date=start,
                                     end_date=end, reason="—")


def test_figures_by_kind(crt_a, crt_b, django_assert_num_queries):
    h, v, r = "hospitalisation", "holidays", "respite"
    _exit(crt_a, h, date(2026, 2, 1), date(2026, 2, 11))   # 10 days, back in the period
    _exit(crt_a, h, date(2026, 6, 25))                     # open: 25 → 30 June = 6 days
    _exit(crt_a, v, date(2026, 3, 1), date(2026, 3, 15))   # 14 days
    _exit(crt_a, h, date(2025, 12, 20), date(2026, 1, 5))  # began before: only its return
    _exit(crt_a, r, date(2026, 6, 27), date(2026, 7, 5))   # back after: 27 → 30 June = 4 days
    _exit(crt_a, h, date(2026, 7, 2), date(2026, 7, 4))    # after the period
    _exit(crt_b, h, date(2026, 3, 1), date(2026, 3, 2))    # another CRT
    with django_assert_num_queries(1):
        rows = temporary_exit_figures(crt=crt_a, start=date(2026, 1, 1),
                                      end=date(2026, 6, 30), today=date(2026, 7, 15))
    got = [(r.label, r.count, r.total_days, r.mean_days, r.returns) for r in rows]
    assert got == [
        ("Hospitalisation", 2, 16, 8.0, 2),
        ("Vacances", 1, 14, 14.0, 1),
        ("Séjour de répit (hébergement temporaire d'un partenaire)", 1, 4, 4.0, 0),
        ("Toutes les sorties temporaires", 4, 34, 8.5, 3),
    ]


def test_an_exit_going_on_counts_until_today_when_the_period_is_not_over(crt_a):
    _exit(crt_a, "holidays", date(2026, 6, 25))
    rows = temporary_exit_figures(crt=crt_a, start=date(2026, 1, 1), end=date(2026, 12, 31),
                                  today=date(2026, 7, 4))
    assert (rows[0].count, rows[0].total_days, rows[0].returns) == (1, 10, 0)


def test_no_exit_a_row_of_zeros(crt_a):
    rows = temporary_exit_figures(crt=crt_a, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert [(r.count, r.total_days, r.mean_days, r.returns) for r in rows] == [(0, 0, None, 0)]


def test_shown_on_the_file_active(client, users, crt_a):
    today = timezone.localdate()
    start = date(today.year, 1, 1)
    _exit(crt_a, "hospitalisation", start)
    days = (today - start).days + 1
    client.force_login(users["coordinator"])
    page = visible_text(client.get(reverse("admissions:file_active")))
    assert f"Sorties temporaires en {today.year}" in page
    assert f"Hospitalisation 1 {days} {days},0 0" in page
    assert f"Toutes les sorties temporaires 1 {days} {days},0 0" in page
