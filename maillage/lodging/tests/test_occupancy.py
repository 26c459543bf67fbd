"""Occupancy arithmetic (pure functions): nights, month boundaries, leap years, which dates
count for each state of a stay."""

from datetime import date
from decimal import Decimal

import pytest

from maillage.lodging.occupancy import (
    MonthOccupancy,
    counted_period,
    last_months,
    month_occupancy,
    nights_in_month,
    occupied_nights,
    overall_rate,
    overlaps,
    stay_period,
)

D = date


PLANNED = (D(2026, 3, 10), D(2026, 3, 20))
MID_MARCH = D(2026, 3, 15)


def _period(status, planned=PLANNED, actual=(None, None), today=MID_MARCH, counted=False):
    fn = counted_period if counted else stay_period
    return fn(status=status, planned_start=planned[0], planned_end=planned[1],
              actual_start=actual[0], actual_end=actual[1], today=today)


class TestNights:
    def test_a_stay_inside_a_month_counts_its_nights_not_its_departure_day(self):
        # Arrives on the 3rd, leaves on the 8th: nights of the 3rd to the 7th.
        assert occupied_nights([(D(2026, 3, 3), D(2026, 3, 8))], 2026, 3) == 5

    def test_a_stay_spanning_two_months_is_split_at_midnight(self):
        stay = (D(2026, 1, 28), D(2026, 2, 4))
        assert occupied_nights([stay], 2026, 1) == 4   # 28, 29, 30, 31
        assert occupied_nights([stay], 2026, 2) == 3   # 1, 2, 3
        assert occupied_nights([stay], 2026, 3) == 0

    def test_the_last_night_of_a_month_and_the_first_of_the_next(self):
        assert occupied_nights([(D(2026, 4, 30), D(2026, 5, 1))], 2026, 4) == 1
        assert occupied_nights([(D(2026, 4, 30), D(2026, 5, 1))], 2026, 5) == 0
        assert occupied_nights([(D(2026, 5, 1), D(2026, 5, 2))], 2026, 5) == 1

    def test_a_stay_covering_the_whole_month_and_beyond(self):
        assert occupied_nights([(D(2025, 12, 20), D(2026, 3, 5))], 2026, 2) == 28

    @pytest.mark.parametrize(("year", "nights"), [(2024, 29), (2025, 28), (2100, 28),
                                                  (2000, 29)])
    def test_february_of_leap_years(self, year, nights):
        assert nights_in_month(year, 2) == nights
        full = month_occupancy([(D(year, 1, 31), D(year, 3, 1))], year, 2)
        assert (full.occupied, full.nights, full.rate) == (nights, nights, Decimal("100.0"))

    def test_overlapping_or_adjacent_periods_are_counted_once(self):
        periods = [(D(2026, 6, 1), D(2026, 6, 10)), (D(2026, 6, 5), D(2026, 6, 12)),
                   (D(2026, 6, 12), D(2026, 6, 13))]
        assert occupied_nights(periods, 2026, 6) == 12

    def test_rate_has_one_decimal(self):
        assert month_occupancy([(D(2026, 6, 1), D(2026, 6, 11))], 2026, 6).rate == Decimal(
            "33.3")
        assert MonthOccupancy(2026, 6, 0, 0).rate == Decimal("0.0")

    def test_overall_rate_weights_by_nights(self):
        months = [MonthOccupancy(2026, 1, 31, 31), MonthOccupancy(2026, 2, 28, 0)]
        assert overall_rate(months) == Decimal("52.5")  # 31 / 59

    def test_overlaps_is_half_open(self):
        assert not overlaps((D(2026, 1, 1), D(2026, 1, 5)), (D(2026, 1, 5), D(2026, 1, 9)))
        assert overlaps((D(2026, 1, 1), D(2026, 1, 6)), (D(2026, 1, 5), D(2026, 1, 9)))


class TestWhichDatesCount:
    def test_cancelled_takes_nothing(self):
        assert _period("cancelled") is None

    def test_ended_uses_actual_dates(self):
        assert _period("ended", actual=(D(2026, 3, 11), D(2026, 3, 14))) == (
            D(2026, 3, 11), D(2026, 3, 14))

    def test_a_same_day_stay_takes_one_night(self):
        assert _period("ended", actual=(D(2026, 3, 11), D(2026, 3, 11))) == (
            D(2026, 3, 11), D(2026, 3, 12))

    def test_in_progress_runs_to_the_planned_departure(self):
        assert _period("in_progress", actual=(D(2026, 3, 12), None)) == (
            D(2026, 3, 12), D(2026, 3, 20))

    def test_in_progress_after_the_planned_departure_runs_to_tonight(self):
        assert _period("in_progress", actual=(D(2026, 3, 12), None), today=D(2026, 3, 25)) == (
            D(2026, 3, 12), D(2026, 3, 26))

    def test_planned_uses_planned_dates(self):
        assert _period("planned") == (D(2026, 3, 10), D(2026, 3, 20))

    def test_figures_count_a_planned_stay_from_today_only(self):
        assert _period("planned", counted=True, today=D(2026, 3, 15)) == (
            D(2026, 3, 15), D(2026, 3, 20))
        assert _period("planned", counted=True, today=D(2026, 3, 25)) is None
        assert _period("planned", counted=True, today=D(2026, 3, 1)) == (
            D(2026, 3, 10), D(2026, 3, 20))


def test_last_months_cross_the_year():
    months = last_months(D(2026, 2, 14), 12)
    assert months[0] == (2025, 3) and months[-1] == (2026, 2) and len(months) == 12
    assert len(set(months)) == 12
