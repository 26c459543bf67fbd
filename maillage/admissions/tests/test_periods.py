"""Forfait-months and the 3-month hospitalisation rule, on hand-checked calendars."""

from datetime import date

import pytest

from maillage.admissions.periods import (
    add_months,
    hospitalisation_exceeds_three_months,
    month_counts,
)


@pytest.mark.parametrize(
    ("admitted", "ended", "suspensions", "month", "expected"),
    [
        (date(2025, 3, 31), None, [], 3, True),  # one day of March is enough
        (date(2025, 4, 1), None, [], 3, False),  # not yet enrolled
        (date(2025, 1, 1), date(2025, 3, 1), [], 3, True),  # exit on the 1st: still one day
        (date(2025, 1, 1), date(2025, 2, 28), [], 3, False),
        (date(2025, 1, 1), None, [(date(2025, 2, 20), date(2025, 4, 2))], 3, False),
        (date(2025, 1, 1), None, [(date(2025, 3, 1), date(2025, 3, 30))], 3, True),  # 31st
        (date(2025, 1, 1), None, [(date(2025, 3, 2), None)], 3, True),  # 1st of March
        (date(2025, 1, 1), None, [(date(2025, 3, 1), None)], 3, False),  # still in hospital
        # Two suspensions covering the month together.
        (date(2025, 1, 1), None,
         [(date(2025, 3, 1), date(2025, 3, 15)), (date(2025, 3, 16), date(2025, 4, 3))], 3,
         False),
        (date(2025, 1, 1), None,
         [(date(2025, 3, 1), date(2025, 3, 14)), (date(2025, 3, 16), date(2025, 4, 3))], 3,
         True),  # the 15th is free
        # Admitted while suspended days only: admitted on the 20th, suspended from the 20th.
        (date(2025, 3, 20), None, [(date(2025, 3, 20), date(2025, 4, 10))], 3, False),
    ],
)
def test_month_counts(admitted, ended, suspensions, month, expected):
    assert month_counts(admitted_on=admitted, ended_on=ended, suspensions=suspensions,
                        year=2025, month=month) is expected


def test_future_days_do_not_count():
    assert month_counts(admitted_on=date(2025, 3, 20), ended_on=None, suspensions=[],
                        year=2025, month=3, today=date(2025, 3, 19)) is False


def test_add_months_clamps_the_day():
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 15), 3) == date(2025, 4, 15)


def test_three_month_hospitalisation():
    start = date(2025, 1, 15)
    assert not hospitalisation_exceeds_three_months(start, date(2025, 4, 15))
    assert hospitalisation_exceeds_three_months(start, date(2025, 4, 16))
    assert hospitalisation_exceeds_three_months(start, None, today=date(2025, 5, 1))
    assert not hospitalisation_exceeds_three_months(start, None, today=date(2025, 3, 1))
