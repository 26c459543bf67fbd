"""Every registered indicator on the demo: for the direction, the drill-down lists exactly the
records counted — for the value and for every row of every breakdown — and the rows of an
exclusive breakdown add up to the count; the ARS gets an empty drill-down, a partner at most
what the direction (or the account reading health data) sees: the volet 1 records of the
sessions they facilitate, the on-call calls about the people they follow."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from maillage.core import indicators
from maillage.core.indicators import Period
from maillage.core.models import Crt
from maillage.core.roles import Role
from maillage.core.selectors import members_roles


@pytest.fixture(scope="module")
def demo(demo_module):
    return demo_module


#: Indicators whose records are health data, and the demo account that reads them all.
HEALTH_DATA = {"V1-03": "doctor", "V2-11": "coordinator"}


#: Volet 2 records a partner of the care team may read: the on-call calls about the people
#: they follow, when the person agreed that the care team be informed.
PARTNER_READS = {"V2-11"}


def _periods():
    today = timezone.localdate()
    return {
        "year": Period.year(today.year),
        "previous_year": Period.year(today.year - 1),
    }


def _account(crt, username):
    """A demo account (``ars``, ``partner``…) with its roles in ``crt``."""
    user = get_user_model().objects.get(username=username)
    return user, members_roles(crt=crt, user_ids=[user.pk])[user.pk]


@pytest.mark.parametrize("code", list(indicators.registry()))
# The calendar years (this one, and the last with its closed surveys); a custom period's rules
# are the engine's tests'.
@pytest.mark.parametrize("period_name", ["year", "previous_year"])
def test_drilldown_matches_every_figure(demo, db, code, period_name):
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    period = _periods()[period_name]
    indicator = indicators.get(code)
    result = indicators.compute(indicator, crt=crt, period=period)
    director, roles = _account(crt, "direction")
    assert roles == {Role.DIRECTION}
    if code in HEALTH_DATA:
        # Health data: the direction counts the records but reads none; the demo's doctor
        # reads every file's telehealth acts (and the territory's), the coordinator every
        # on-call call.
        assert not indicators.drilldown(indicator, crt=crt, period=period, user=director,
                                        roles=roles).exists()
        director, roles = _account(crt, HEALTH_DATA[code])

    def drill(**row):
        return indicators.drilldown(indicator, crt=crt, period=period, user=director,
                                    roles=roles, **row).count()

    assert drill() == result.count
    if indicator.is_count:
        assert result.value == result.count
    for breakdown in result.breakdowns:
        for row in breakdown.rows:
            assert drill(breakdown=breakdown.code, key=row.key) == row.value, (
                breakdown.code, row.label)
        if breakdown.exclusive:
            assert breakdown.total == result.count, breakdown.code
        else:
            assert breakdown.total >= result.count, breakdown.code
    ars, ars_roles = _account(crt, "ars")
    assert indicators.drilldown(indicator, crt=crt, period=period, user=ars,
                                roles=ars_roles).count() == 0
    # A partner sees at most what the direction sees: nothing of the file active, and of
    # volet 1 only the sessions they facilitate.
    partner, partner_roles = _account(crt, "partner")

    def seen_by(user, roles):
        records = indicators.drilldown(indicator, crt=crt, period=period, user=user,
                                       roles=roles)
        if not isinstance(indicator.counted, str):
            # A composite key (a volet 1 person): each viewer's drill-down lists one record
            # per person among those they may see, so the people are compared, not the records.
            return set(records.annotate(_key=indicator.counted).values_list("_key", flat=True))
        return set(records.values_list("pk", flat=True))

    seen = seen_by(partner, partner_roles)
    assert seen <= seen_by(director, roles)
    if code.startswith(("V2-", "T-", "F-")) and code not in PARTNER_READS:
        assert seen == set(), code


def test_the_demo_gives_figures(demo, db):
    """The demo is not empty for this year: the checks above compare real numbers. In the
    first fortnight of January this year has barely begun (the demo's last volet 1 sessions,
    a few days ago, may be last year's; its on-call calls are recent): the figures are then
    those of the last twelve months."""
    crt = Crt.objects.get(name="CRT Anjou Bleu")
    today = timezone.localdate()
    period = _periods()["year"] if today.timetuple().tm_yday > 14 else \
        Period.custom(today.replace(year=today.year - 1), today)
    results = indicators.compute_all(crt=crt, period=period)
    assert list(results) == list(indicators.registry())
    for code in ("V2-01a", "V2-01b", "V2-01c", "V2-02", "V2-08"):
        assert results[code].value > 0, code
    assert results["V2-01a"].value >= results["V2-01b"].value
    assert results["V2-01a"].value >= results["T-01"].value
    for code in ("V1-01", "V1-02", "V1-03", "V1-04", "V1-05", "V1-06", "V1-07", "V1-08",
                 "V1-09", "F-01", "F-03", "F-04", "F-05"):
        assert results[code].value > 0, code
    for code in ("V2-05", "V2-06", "V2-07", "V2-10", "V2-12", "V2-13", "V2-17", "T-03",
                 "T-05"):
        assert results[code].value > 0, code
    # The demo's team does every socle visit; of the goals due this year, three in four of
    # those past are reached, those still ahead are not yet (early in the year, most of them).
    assert results["V2-09"].value == 100
    assert results["V2-14a"].count > 0 and 0 < results["V2-14a"].value < 100
    assert results["V1-01"].extras[0].value > 0  # anonymous participants, apart
    assert results["V1-07"].value == results["V1-01"].value
    # The yearly survey of last year (closed) has answers from all three audiences.
    last_year = indicators.compute_all(crt=crt, period=_periods()["previous_year"],
                                       codes=["V2-14b", "V2-15", "V2-16"])
    for code, result in last_year.items():
        assert result.count > 0 and 0 < result.value <= 100, code
    assert last_year["V2-14b"].count == last_year["V2-15"].count + last_year["V2-16"].count
