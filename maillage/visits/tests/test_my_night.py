"""« Mes passages » of today keeps the night the professional works in one piece: from 18:00
the coming night until 07:00 (or her on-call turn's end), before the night is over the night
that began the evening before; the home's panel says the same."""

from datetime import date, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.middleware import SESSION_KEY
from maillage.core.tests.helpers import visible_text
from maillage.oncall.tests.factories import shift
from maillage.rounds.models import CarerHours
from maillage.visits.services import local_dt

from .factories import visit

pytestmark = pytest.mark.django_db

SUNDAY = date(2026, 12, 6)
MONDAY = SUNDAY + timedelta(days=1)
SATURDAY = SUNDAY - timedelta(days=1)


@pytest.fixture
def night(crt_a, nurse):
    """The night nurse's visits around Sunday 6 December, each at a different person's."""
    with time_machine.travel(local_dt(SATURDAY, "12:00"), tick=False):
        at = {}
        for day, hour in [(SATURDAY, "17:00"), (SATURDAY, "23:10"), (SUNDAY, "03:30"),
                          (SUNDAY, "20:30"), (MONDAY, "01:25"), (MONDAY, "07:30"),
                          (MONDAY, "09:00")]:
            b = shared_file(crt_a, nurse)
            visit(b, nurse, starts_at=local_dt(day, hour))
            at[(day, hour)] = b.display_name
    return at


def _page(client, user, moment, url="visits:my_day"):
    with time_machine.travel(moment, tick=False):
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = str(user.memberships.order_by("crt__name").first().crt.public_id)
        session.save()  # the night nurse works for two CRTs: CRT A now
        response = client.get(reverse(url))
        assert response.status_code == 200
        return visible_text(response)


def _in_order(page, *texts):
    where = [page.find(t) for t in texts]
    assert -1 not in where, page + str([t for t, w in zip(texts, where, strict=True) if w == -1])
    assert where == sorted(where), texts


def test_the_evening_shows_the_coming_night_until_her_turn_ends(client, crt_a, nurse, night):
    """22:45 on Sunday: her 01:25 visit of tonight is on today's page, not only on
    « Lendemain »; her turn runs until 08:00, so her 07:30 visit too; Monday's 09:00 is not."""
    shift(crt_a, nurse, start=local_dt(SUNDAY, "20:00"), hours=12)
    page = _page(client, nurse, local_dt(SUNDAY, "22:45"))
    assert "avec la nuit jusqu'à 08:00 demain — 4 passages, 4 à tracer." in page
    _in_order(page, "Aujourd'hui, avant 18:00", night[(SUNDAY, "03:30")],
              "Ce soir et cette nuit (de 18:00 à 08:00 demain)", night[(SUNDAY, "20:30")],
              f"01:25–01:55 (lundi 07/12) · {night[(MONDAY, '01:25')]}",
              f"07:30–08:00 (lundi 07/12) · {night[(MONDAY, '07:30')]}")
    assert night[(MONDAY, "09:00")] not in page and night[(SATURDAY, "23:10")] not in page
    assert "Aucun passage" not in page

    home = _page(client, nurse, local_dt(SUNDAY, "22:45"), url="core:home")
    assert "Aucun passage prévu pour vous aujourd'hui" not in home
    assert "4 passages (avec la nuit jusqu'à 08:00 demain), 4 à tracer." in home
    _in_order(home, "Ce soir et cette nuit (de 18:00 à 08:00 demain)",
              f"01:25–01:55 (lundi 07/12) · {night[(MONDAY, '01:25')]}")


def test_without_a_turn_the_night_ends_at_seven(client, crt_a, nurse, night):
    page = _page(client, nurse, local_dt(SUNDAY, "22:45"))
    assert "Ce soir et cette nuit (de 18:00 à 07:00 demain)" in page
    assert night[(MONDAY, "01:25")] in page and night[(MONDAY, "07:30")] not in page


def test_before_seven_the_page_shows_the_night_since_last_evening(client, crt_a, nurse, night):
    """03:00 on Sunday: the visits of Saturday evening of the night she is working, then the
    rest of Sunday; Saturday's 17:00 (before 18:00) and tonight's are not there."""
    page = _page(client, nurse, local_dt(SUNDAY, "03:00"))
    assert "avec la nuit depuis hier 18:00 — 3 passages, 3 à tracer." in page
    _in_order(page, "Cette nuit (depuis hier 18:00, jusqu'à 07:00)",
              f"23:10–23:40 (samedi 05/12) · {night[(SATURDAY, '23:10')]}",
              night[(SUNDAY, "03:30")], "Aujourd'hui, à partir de 07:00",
              night[(SUNDAY, "20:30")])
    for key in [(SATURDAY, "17:00"), (MONDAY, "01:25")]:
        assert night[key] not in page
    home = _page(client, nurse, local_dt(SUNDAY, "03:00"), url="core:home")
    _in_order(home, "Cette nuit (depuis hier 18:00, jusqu'à 07:00)",
              f"23:10–23:40 (samedi 05/12) · {night[(SATURDAY, '23:10')]}")
    # Once the night is over, the calendar day.
    page = _page(client, nurse, local_dt(SUNDAY, "12:00"))
    assert "Cette nuit" not in page and night[(SATURDAY, "23:10")] not in page
    assert "dimanche 6 décembre 2026 — 2 passages, 2 à tracer." in page


def test_who_does_not_work_the_night_sees_the_day(client, crt_a, users):
    """A care aide's evening: her early visit of tomorrow (06:45, after the heart of the
    night, no turn) is tomorrow's, and her page has no night."""
    aide = users["care_aide"]
    with time_machine.travel(local_dt(SUNDAY, "12:00"), tick=False):
        early = shared_file(crt_a, aide)
        visit(early, aide, starts_at=local_dt(MONDAY, "06:45"))
        visit(shared_file(crt_a, aide), aide, starts_at=local_dt(SUNDAY, "18:30"))
    page = _page(client, aide, local_dt(SUNDAY, "21:00"))
    assert "dimanche 6 décembre 2026 — 1 passage, 1 à tracer." in page
    assert "Cette nuit" not in page and "Ce soir" not in page
    assert early.display_name not in page


def test_my_day_leads_to_my_week(client, crt_a, users):
    client.force_login(users["care_aide"])
    with time_machine.travel(local_dt(SUNDAY, "12:00"), tick=False):
        response = client.get(reverse("visits:my_day"), {"jour": MONDAY.isoformat()})
    assert "Ma semaine" in visible_text(response)
    assert (f'href="{reverse("visits:professional_week")}?semaine={MONDAY.isoformat()}"'
            in response.content.decode())


def test_a_day_part_without_visits_is_left_out(client, crt_a, nurse):
    """Her only visit is of the night: no empty « Aujourd'hui, avant 18:00 » before it on
    Sunday evening, on the page or the home's panel; no empty « Aujourd'hui, à partir de … »
    after it during the night."""
    with time_machine.travel(local_dt(SUNDAY, "12:00"), tick=False):
        tonight = shared_file(crt_a, nurse)
        visit(tonight, nurse, starts_at=local_dt(MONDAY, "01:25"))
    page = _page(client, nurse, local_dt(SUNDAY, "22:45"))
    _in_order(page, "avec la nuit jusqu'à 07:00 demain — 1 passage, 1 à tracer.",
              "Ce soir et cette nuit (de 18:00 à 07:00 demain)", tonight.display_name)
    assert "Aujourd'hui, avant" not in page and "Aucun passage" not in page
    home = _page(client, nurse, local_dt(SUNDAY, "22:45"), url="core:home")
    _in_order(home, "Ce soir et cette nuit (de 18:00 à 07:00 demain)", tonight.display_name)
    assert "Aujourd'hui, avant" not in home and "Aucun passage" not in home

    page = _page(client, nurse, local_dt(MONDAY, "03:00"))
    _in_order(page, "Cette nuit (depuis hier 18:00, jusqu'à 07:00)", tonight.display_name)
    assert "Aujourd'hui, à partir de" not in page and "Aucun passage" not in page


def test_the_night_lasts_until_her_night_hours_end(client, crt_a, nurse, night):
    """No on-call turn, but her night hours of Sunday evening run from 21:00 to 08:00: her
    07:30 visit is in the night part, as with a turn."""
    CarerHours.objects.create(crt=crt_a, user=nurse, weekday=SUNDAY.weekday(), starts=time(21),
                              ends=time(8), created_by=nurse)
    page = _page(client, nurse, local_dt(SUNDAY, "22:45"))
    assert "avec la nuit jusqu'à 08:00 demain — 4 passages, 4 à tracer." in page
    _in_order(page, "Ce soir et cette nuit (de 18:00 à 08:00 demain)",
              f"07:30–08:00 (lundi 07/12) · {night[(MONDAY, '07:30')]}")
    assert night[(MONDAY, "09:00")] not in page
    # Monday at 07:45, still her night: the night since Sunday 18:00, not Monday's day.
    page = _page(client, nurse, local_dt(MONDAY, "07:45"))
    _in_order(page, "Cette nuit (depuis hier 18:00, jusqu'à 08:00)",
              f"07:30–08:00 · {night[(MONDAY, '07:30')]}", "Aujourd'hui, à partir de 08:00",
              night[(MONDAY, "09:00")])
