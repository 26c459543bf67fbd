"""The team's day as a timeline: the coordinator, on a 1366×768 screen, sees one row per
professional, moves to the next day and back without reloading the page (the JSON range
endpoint), filters by profession, drags a visit to another time, opens a visit; on a 360 px
phone the timeline scrolls sideways with the names kept in view. axe-core on every page."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from maillage.visits.models import Visit

from .test_login_journeys import log_in


def test_team_day_timeline(demo, open_page):
    today = timezone.localdate()
    p = open_page(width=1366, height=768)
    log_in(p, "coordinator")
    page = p.page
    p.goto("/passages/equipe/")
    expect(page.locator("#tl-heading")).to_contain_text("Passages de l'équipe")
    rows = page.locator("#tl-body h3.tl-h")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    blocks = page.locator("#tl-body a.tl-b")
    assert blocks.count() >= 2
    # Every block is a link whose name says when, who, what and its state.
    label = blocks.first.inner_text()
    assert "–" in label and " · " in label
    assert any(state in label for state in ("prévu", "réalisé", "non réalisé", "annulé"))
    # The whole day fits the screen's width: no horizontal scroll at 1366 px, and every hour of
    # the ruler reads whole, the narrower night ones too (« 21 h » was cut).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    hours = page.locator("#tl-body .tl-hours .tl-track span")
    expect(hours).to_have_count(24)
    assert hours.evaluate_all("spans => spans.filter(s => s.scrollWidth > s.clientWidth)"
                              ".map(s => s.textContent)") == []
    p.check_accessibility()

    # The next day, without reloading the page.
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Lendemain →").click()
    tomorrow = today + timedelta(days=1)
    page.wait_for_url(f"**/passages/equipe/?jour={tomorrow.isoformat()}")
    expect(page.locator("#tl-heading")).to_contain_text(str(tomorrow.day))
    assert page.evaluate("window.__sameDocument === true")
    expect(page.locator("#team-timeline")).not_to_have_attribute("aria-busy", "true")
    p.check_accessibility()

    # Back to today with the browser's back button, still the same document.
    page.go_back()
    page.wait_for_url("**/passages/equipe/")
    expect(page.locator("#tl-heading")).to_contain_text(f" {today.day} ")
    assert page.evaluate("window.__sameDocument === true")

    # The week, then the filter by profession.
    page.get_by_role("link", name="Voir la semaine").click()
    expect(page.locator("#tl-heading")).to_contain_text("semaine du")
    expect(page.locator("#tl-body section h2")).to_have_count(7)
    select = page.get_by_label("Profession", exact=True)
    options = select.locator("option")
    assert options.count() >= 2
    chosen = options.nth(1).inner_text()
    select.select_option(label=chosen)
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#tl-body h3.tl-h small").first).to_have_text(chosen)
    assert page.evaluate("window.__sameDocument === true")
    p.check_accessibility()
    page.get_by_role("link", name="Voir un seul jour").click()
    expect(page.locator("#tl-body section h2")).to_have_count(0)

    # A planner drags a planned visit to 03:00 on its own row (the night is free). Tomorrow's:
    # late in the evening, today's visits on the first page are all past (done or missed).
    nav = page.get_by_role("navigation", name="Changer de jour ou de semaine")
    nav.get_by_role("link", name="Aujourd'hui").click()
    # (A glob's « * » stops at « / », which a profession may hold: « Aide à domicile / … ».)
    page.wait_for_url(re.compile(rf"/passages/equipe/\?jour={today.isoformat()}(&|$)"))
    # (On a Monday the single day shown before was already today's: the URL matches at once,
    # and the answer, still on its way, would set the filter back after it is changed below.)
    expect(page.locator("#team-timeline")).not_to_have_attribute("aria-busy", "true")
    page.get_by_label("Profession", exact=True).select_option(index=0)
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(f"**/passages/equipe/?jour={today.isoformat()}")
    expect(page.locator("#team-timeline")).not_to_have_attribute("aria-busy", "true")
    page.get_by_role("link", name="Lendemain →").click()
    page.wait_for_url(f"**/passages/equipe/?jour={tomorrow.isoformat()}")
    expect(page.locator("#team-timeline")).not_to_have_attribute("aria-busy", "true")
    block = page.locator("#tl-body a.tl-b[draggable]").first
    href = block.get_attribute("href")
    track = block.locator("xpath=..")
    width = track.bounding_box()["width"]
    # 03:00 is the 13th quarter-hour; night quarter-hours are .4 of the 72 fractions.
    block.drag_to(track, source_position={"x": 2, "y": 5},
                  target_position={"x": width * 12.5 * 0.4 / 72 + 2, "y": 5})
    expect(page.locator("#tl-message")).to_contain_text("Passage déplacé")
    moved = Visit.objects.get(public_id=href.strip("/").split("/")[-1])
    at = timezone.localtime(moved.starts_at).strftime("%H:%M")
    assert at in {"02:45", "03:00", "03:15"}  # a night quarter-hour is a few pixels wide
    expect(page.locator(f"#tl-body a.tl-b[href='{href}']")).to_contain_text(f"{at}–")
    p.check_accessibility()

    # Opening a visit.
    first = page.locator("#tl-body a.tl-b").first
    if first.count() == 0:
        page.get_by_role("navigation", name="Changer de jour ou de semaine").get_by_role(
            "link", name="Aujourd'hui").click()
        select = page.get_by_label("Profession", exact=True)
        select.select_option(index=0)
        page.get_by_role("button", name="Filtrer").click()
        first = page.locator("#tl-body a.tl-b").first
    expect(first).to_be_visible()
    person = first.inner_text().split(" · ")[1]
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/passages/*-*/")
    expect(page.locator("main")).to_contain_text(person)
    p.check_accessibility()

    # On a phone: the timeline scrolls sideways, the names stay in view.
    phone = open_page(width=360, height=740)
    log_in(phone, "coordinator")
    phone.goto("/passages/equipe/")
    timeline = phone.page.locator("#tl-body .tl").first
    expect(timeline).to_be_visible()
    assert timeline.evaluate("e => e.scrollWidth > e.clientWidth")
    timeline.evaluate("e => { e.scrollLeft = 600; }")
    head = phone.page.locator("#tl-body h3.tl-h").first
    box = head.bounding_box()
    assert box is not None and box["x"] < 20
    assert phone.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.check_accessibility()


def test_a_profession_chosen_while_a_day_loads_is_kept(demo, open_page):
    """A planner who picks a profession while the next day is on its way keeps it: the answer
    used to set the filter back to what was asked before."""
    p = open_page(width=1366, height=768)
    log_in(p, "coordinator")
    page = p.page
    p.goto("/passages/equipe/")
    expect(page.locator("#tl-body h3.tl-h").first).to_be_visible()
    # The answers take a second and a half.
    page.evaluate("""() => { const fetch = window.fetch;
        window.fetch = (...args) => new Promise(done => setTimeout(() => done(fetch(...args)),
                                                                     1500)); }""")
    page.get_by_role("link", name="Lendemain →").click()
    timeline = page.locator("#team-timeline")
    expect(timeline).to_have_attribute("aria-busy", "true")
    select = page.get_by_label("Profession", exact=True)
    chosen = select.locator("option").nth(1).inner_text()
    select.select_option(label=chosen)
    expect(timeline).not_to_have_attribute("aria-busy", "true")
    tomorrow = timezone.localdate() + timedelta(days=1)
    expect(page.locator("#tl-heading")).to_contain_text(str(tomorrow.day))
    expect(select).to_have_value(chosen)
    # (Whether that day has any of them or not: the filter in force stays shown.)
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(r"[?&]profession="))
    expect(timeline).not_to_have_attribute("aria-busy", "true")
    expect(select).to_have_value(chosen)
    rows = page.locator("#tl-body h3.tl-h small")
    assert all(text == chosen for text in rows.all_inner_texts())
