"""Booking a visit with the professional's day beside the form: the coordinator chooses the
care aide and a date, her day shows (htmx), a free gap clicked fills the start time, and the
booking goes through without a double-booking warning. axe-core on the page."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries.models import Beneficiary
from maillage.visits.models import Visit

from .test_login_journeys import log_in


def test_her_day_beside_the_booking_form(demo, open_page):
    b = Beneficiary.objects.get(crt__name="CRT Anjou Bleu", caregivers__user__username="caregiver")
    day = timezone.localdate() + timedelta(days=3)
    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    p.goto(f"/passages/personnes/{b.public_id}/planifier/")
    panel = page.get_by_role("region", name=re.compile("Journée de"))
    expect(panel.get_by_role("heading", level=2)).to_have_text("Journée de l'intervenant·e")
    status = page.locator("#booking-day-status[role=status]")
    expect(status).to_have_text("")

    page.locator("#id_start_date").fill(day.isoformat())
    page.locator("#id_staff").select_option(label="Sandrine Bouvier")
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        f"Journée de Sandrine Bouvier le {day:%d/%m/%Y}")
    # A screen reader hears the new day in a few words (a status line htmx does not replace).
    expect(status).to_have_text(re.compile(
        rf"^Journée de Sandrine Bouvier le {day:%d/%m/%Y} : "
        r"(aucune plage occupée|\d+ plages? occupées?), "
        r"(aucun créneau libre|\d+ créneaux? libres?)\.$"))
    p.htmx_settled()
    p.check_accessibility()

    # A free gap is a button: clicking it fills the start time (the duration fits in it).
    page.locator("#id_duration_minutes").fill("30")
    gap = panel.get_by_role("button", name=re.compile(r"^Libre de \d\d:\d\d à \d\d:\d\d$")).last
    start = re.match(r"Libre de (\d\d:\d\d)", gap.inner_text()).group(1)
    gap.click()
    expect(page.locator("#id_times")).to_have_value(start)
    expect(page.locator("#id_times")).to_be_focused()

    page.get_by_role("button", name="Planifier", exact=True).click()
    expect(page.get_by_text("Passage planifié.")).to_be_visible()
    booked = Visit.objects.get(beneficiary=b, staff__username="care_aide",
                               starts_at__date__gte=day - timedelta(days=1),
                               starts_at=_moment(day, start))
    assert booked.status == Visit.Status.PLANNED
    p.check_accessibility()

    # Moving it: her day beside the visit's edit form, its own hours free; a gap clicked fills
    # the start time.
    p.goto(f"/passages/{booked.public_id}/modifier/")
    panel = page.get_by_role("region", name=re.compile("Journée de"))
    expect(panel.get_by_role("heading", level=2)).to_have_text(
        f"Journée de Sandrine Bouvier le {day:%d/%m/%Y}")
    expect(panel).not_to_contain_text(f"{start}–")
    gaps = panel.get_by_role("button", name=re.compile(r"^Libre de \d\d:\d\d à \d\d:\d\d$"))
    gap = gaps.first
    earlier = re.match(r"Libre de (\d\d:\d\d)", gap.inner_text()).group(1)
    gap.click()
    expect(page.locator("#id_start_time")).to_have_value(earlier)
    p.check_accessibility()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Passage modifié (ce passage seulement).")).to_be_visible()
    booked.refresh_from_db()
    assert booked.starts_at == _moment(day, earlier)


def _moment(day, hhmm):
    from maillage.visits.services import local_dt

    return local_dt(day, hhmm)
