"""The indicator engine: periods, the common expressions of INDICATORS §1, the registry
discovered from the apps, the number of queries of a computation."""

from datetime import UTC, date

import pytest
from django.db.models import DateField, Value

from maillage.core import indicators
from maillage.core.indicators import AGE_BANDS, Period, age_band, age_on
from maillage.core.models import Crt


def test_month():
    february = Period.month(2026, 2)
    assert (february.start, february.end, february.kind) == (date(2026, 2, 1),
                                                             date(2026, 2, 28), "month")
    assert february.label == "février 2026"
    assert february.previous() == Period.month(2026, 1)
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)
    assert Period.month(2024, 3).previous().end == date(2024, 2, 29)


def test_half_year():
    s1, s2 = Period.half_year(2026, 1), Period.half_year(2026, 2)
    assert (s1.start, s1.end, s2.start, s2.end) == (date(2026, 1, 1), date(2026, 6, 30),
                                                    date(2026, 7, 1), date(2026, 12, 31))
    assert (s1.label, s2.label) == ("1er semestre 2026", "2e semestre 2026")
    assert s2.previous() == s1
    assert s1.previous() == Period.half_year(2025, 2)
    with pytest.raises(ValueError, match="semestre"):
        Period.half_year(2026, 3)


def test_year():
    year = Period.year(2026)
    assert (year.start, year.end, year.label, year.days) == (date(2026, 1, 1),
                                                             date(2026, 12, 31), "année 2026",
                                                             365)
    assert year.previous() == Period.year(2025)
    assert len(year.months()) == 12


def test_custom_period_and_its_previous_of_the_same_length():
    period = Period.custom(date(2026, 1, 10), date(2026, 1, 19))
    assert period.label == "du 10/01/2026 au 19/01/2026"
    assert period.days == 10
    previous = period.previous()
    assert (previous.start, previous.end, previous.kind) == (date(2025, 12, 31),
                                                             date(2026, 1, 9), "custom")
    assert period.months() == [date(2026, 1, 1)]
    assert Period.custom(date(2025, 12, 15), date(2026, 2, 1)).months() == [
        date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


def test_between_recognises_calendar_periods():
    assert Period.between(date(2026, 3, 1), date(2026, 3, 31)) == Period.month(2026, 3)
    assert Period.between(date(2026, 7, 1), date(2026, 12, 31)) == Period.half_year(2026, 2)
    assert Period.between(date(2026, 1, 1), date(2026, 12, 31)) == Period.year(2026)
    assert Period.between(date(2026, 1, 1), date(2026, 3, 31)).kind == "custom"
    assert Period.between(date(2025, 12, 1), date(2026, 1, 31)).kind == "custom"


def test_a_period_ends_after_it_starts():
    with pytest.raises(ValueError, match="La date de début doit précéder la date de fin"):
        Period.custom(date(2026, 2, 1), date(2026, 1, 31))
    assert Period.custom(date(2026, 2, 1), date(2026, 2, 1)).days == 1


@pytest.mark.parametrize("birth, day, age, band", [
    (date(1950, 6, 1), date(2025, 5, 31), 74, "60_74"),
    (date(1950, 6, 1), date(2025, 6, 1), 75, "75_84"),
    (date(1940, 2, 29), date(2025, 2, 28), 84, "75_84"),
    (date(1940, 2, 29), date(2025, 3, 1), 85, "85_94"),
    (date(1930, 12, 31), date(2025, 12, 31), 95, "95plus"),
    (date(1970, 1, 1), date(2025, 1, 1), 55, "lt60"),
])
def test_age_and_band_computed_by_the_database(crt_a, birth, day, age, band):
    born = Value(birth, output_field=DateField())
    row = Crt.objects.filter(pk=crt_a.pk).annotate(
        age=age_on(born, day), band=age_band(born, Value(day, output_field=DateField()))
    ).values("age", "band").get()
    assert row == {"age": age, "band": band}
    assert band in {code for code, _, _ in AGE_BANDS}


def test_the_registry_holds_what_the_apps_declare():
    registry = indicators.registry()
    # In the order of the apps that declare them (INSTALLED_APPS), each app's in its order.
    assert list(registry) == [
        "T-04", "T-05", "V2-01a", "V2-01b", "V2-01c", "V2-02", "V2-03", "V2-04",
        "V2-08", "F-02", "V1-03", "V2-06", "V2-07", "V2-12", "V2-13", "V2-14a", "V2-05",
        "V2-09", "V2-10", "V2-11", "V2-17", "T-02", "T-03", "V2-14b", "V2-15", "V2-16",
        "T-01", "V1-01", "V1-02", "V1-04", "V1-05", "V1-06", "V1-07", "V1-08", "V1-09",
        "F-01", "F-03", "F-04", "F-05", "F-06"]
    assert indicators.autodiscover().keys() == registry.keys()
    for code, indicator in registry.items():
        assert indicator.code == code
        assert indicator.name and indicator.definition and indicator.unit, code
        assert all(b.label for b in indicator.breakdowns), code
    with pytest.raises(KeyError, match="V9-99"):
        indicators.get("V9-99")


#: Units of a computed figure whose values add up across CRTs: amounts and FTEs.
ADDITIVE_UNITS = {"€", "€ dépensés", "ETP"}
#: Computed figures that read like a mean but add up, and why (review before adding one).
ADDS_UP_ANYWAY = {
    # Σ mois-forfait ÷ the months of the period: the same months for every CRT, so the
    # region's mean monthly file active is the sum of its CRTs'.
    "V2-01c",
}
#: Words of a unit that say the value is a ratio: a share, a rate, a mean, a median, a figure
#: per person or per record.
RATIO_WORDS = ("%", "taux", "moyen", "médian", "par ", "ratio", "part ")


@pytest.mark.parametrize("code", list(indicators.registry()))
def test_every_share_or_mean_is_declared_non_additive(code):
    """The regional view adds up the CRTs' values of an ``additive`` indicator into the
    region's: a share, a rate or a mean summed is nonsense (the QA found V2-14a 63,20 % +
    70 % → 133,20 % and V2-09 100 % + 100 % → 200 %). Every value that reads as a ratio is
    ``additive=False``; a computed figure that adds up is an amount, FTEs or a reviewed
    exception."""
    indicator = indicators.get(code)
    unit = indicator.unit.lower()
    if code not in ADDS_UP_ANYWAY and (unit.startswith("%") or any(
            word in unit for word in RATIO_WORDS)):
        assert not indicator.additive, f"{code} ({indicator.unit}) is a ratio: additive=False"
    if indicator.additive and not indicator.is_count:
        assert indicator.unit in ADDITIVE_UNITS or code in ADDS_UP_ANYWAY, (
            f"{code} is computed ({indicator.unit}): does it add up across CRTs? Declare "
            "additive=False, or review it into ADDS_UP_ANYWAY.")


def test_one_query_per_figure(crt_a, django_assert_num_queries):
    """V2-08: the value, each of its five breakdowns and the previous value: 7 queries."""
    v208 = indicators.get("V2-08")
    with django_assert_num_queries(7):
        result = indicators.compute(v208, crt=crt_a, period=Period.year(2025))
    assert len(result.breakdowns) == 5
    assert result.value == 0 and result.previous_value == 0
    data = result.as_dict()
    assert data["unit"] == "personnes" and data["period"]["label"] == "année 2025"
    assert data["previous"]["period"]["label"] == "année 2024"


@pytest.mark.django_db
def test_days_between_is_computed_by_the_database(crt_a):
    """Whole days between two dates, across a month, a leap day and a year, from columns or
    fixed dates (the same on SQLite and PostgreSQL)."""
    from maillage.core.indicators import DaysBetween

    Crt.objects.filter(pk=crt_a.pk).update(opened_on=date(2024, 2, 27))
    row = Crt.objects.filter(pk=crt_a.pk).annotate(
        leap=DaysBetween("opened_on", date(2024, 3, 1)),
        year=DaysBetween(date(2024, 12, 31), date(2025, 1, 1)),
        same=DaysBetween("opened_on", "opened_on"),
        back=DaysBetween(date(2024, 3, 1), "opened_on"),
    ).values("leap", "year", "same", "back").get()
    assert row == {"leap": 3, "year": 1, "same": 0, "back": -3}


@pytest.mark.django_db
def test_quantiles_are_read_from_the_database_in_order(crt_a, django_assert_num_queries):
    """Median (mean of the two middle values for an even count) and nearest-rank
    percentiles, each from one sorted query of one or two rows; None over nothing."""
    from django.db.models import F

    from maillage.core.indicators import quantiles
    from maillage.territory.models import Commune
    from maillage.territory.tests.factories import CommuneFactory

    for minutes in (40, 10, 25, 5, 30, 20):
        CommuneFactory(crt=crt_a, travel_minutes=minutes)
    communes = Commune.objects.filter(crt=crt_a)
    with django_assert_num_queries(4):  # the count, then one per fraction
        median, p90, p10 = quantiles(communes, F("travel_minutes"), (0.5, 0.9, 0.1))
    # 5 10 20 25 30 40: median (20 + 25) / 2; 90th: rank ⌈5.4⌉ = 6; 10th: rank 1.
    assert (median, p90, p10) == (22.5, 40, 5)
    assert quantiles(communes.exclude(travel_minutes=40), F("travel_minutes"), (0.5,)) == [20]
    assert quantiles(communes.none(), F("travel_minutes"), (0.5, 0.9), n=0) == [None, None]


def test_a_period_s_instants_run_from_paris_midnight_to_paris_midnight():
    # March 2026 begins in winter time (UTC+1) and ends in summer time (UTC+2).
    bounds = dict(Period.month(2026, 3).instants("starts_at").children)
    assert bounds["starts_at__gte"].isoformat() == "2026-03-01T00:00:00+01:00"
    assert bounds["starts_at__lt"].isoformat() == "2026-04-01T00:00:00+02:00"
    # Exactly the days of ``starts_at__date``: 31/03 at 23:59 Paris is in, 01/04 00:00 is not.
    assert str(bounds["starts_at__lt"].astimezone(UTC)) == "2026-03-31 22:00:00+00:00"
