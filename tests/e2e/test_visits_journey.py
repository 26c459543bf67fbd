"""Coordination journey: the coordinator revises and validates a plan, generates the visits of
one of its actions; a care aide on a 360 px phone traces the visit and writes a note shared with
the caregiver; the caregiver sees the coming visits and that note in the portal, and nothing
else. The calendars render (FullCalendar under the CSP). axe-core on every page."""

import re
from datetime import datetime, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries.models import Beneficiary
from maillage.care.models import LiaisonNote
from maillage.visits.models import Visit, VisitSeries

from .test_login_journeys import log_in


def test_plan_to_visits_to_tracing(demo, open_page):
    # Jeanne Hamon: her son Michel has the demo « caregiver » account.
    b = Beneficiary.objects.get(crt__name="CRT Anjou Bleu", caregivers__user__username="caregiver")
    assert b.care_plan.versions.filter(status="validated").exists()
    b.care_plan.versions.filter(status="draft").delete()
    now = timezone.localtime()
    start = now.replace(second=0, microsecond=0)
    today = now.date()

    # 1. The coordinator opens a new version of the plan, adds an action, validates it.
    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    p.goto(f"/coordination/plans/{b.public_id}/")
    p.check_accessibility()
    page.get_by_role("button", name="Réviser le plan (nouvelle version)").click()
    action = page.get_by_role("group", name="Nouvelle action")
    action.locator("#id_domain").select_option(index=1)
    action.locator("#id_description").fill("Passage d'aide au coucher")
    # Who carries it out: found by name as one types (htmx), then chosen.
    action.locator("#id_staff_q").fill("Bouvier")
    action.get_by_label(re.compile("Sandrine Bouvier")).check()
    action.locator("#id_frequency").fill("Tous les jours")
    page.get_by_role("button", name="Ajouter l'action").click()
    expect(page.get_by_text("Passage d'aide au coucher")).to_be_visible()
    p.check_accessibility()
    page.once("dialog", lambda d: d.accept())  # « Valider cette version du plan ? »
    page.get_by_role("button", name="Valider cette version").click()
    expect(page.get_by_text("validée").first).to_be_visible()
    number = b.care_plan.versions.filter(status="validated").order_by("-number").first().number
    p.goto(f"/coordination/plans/{b.public_id}/versions/{number}/")
    p.check_accessibility()

    # 2. … and generates the visits of that action: every day for a week.
    page.get_by_role("link", name="planifier les passages : Passage d'aide au coucher").click()
    expect(page.get_by_text("Action du plan : Passage d'aide au coucher")).to_be_visible()
    p.check_accessibility()
    page.locator("#id_start_date").fill(today.isoformat())
    page.locator("#id_times").fill(start.strftime("%H:%M"))
    page.locator("#id_duration_minutes").fill("30")
    page.get_by_label("Tous les jours").check()
    page.locator("#id_end_date").fill((today + timedelta(days=6)).isoformat())
    page.get_by_label("Planifier malgré l'avertissement").check()  # whatever the demo holds
    page.get_by_role("button", name="Planifier").click()
    expect(page.get_by_text("Série planifiée : tous les jours")).to_be_visible()
    series = VisitSeries.objects.get(beneficiary=b, planned_action__description__startswith=
                                     "Passage d'aide au coucher")
    assert series.visits.count() == 7
    # The week's calendar renders (FullCalendar, no CSP error: checked by check_accessibility).
    expect(page.locator("#visit-calendar .visit-planned").first).to_be_visible()
    p.check_accessibility()
    # The team's day: a timeline, one row per professional (15 a page); the care aides' rows
    # show the new visit, planned.
    from urllib.parse import quote

    from maillage.core.roles import Role
    from maillage.visits.timeline import ROLE_CATEGORIES

    aides = f"/passages/equipe/?profession={quote(ROLE_CATEGORIES[Role.CARE_AIDE])}"
    p.goto(aides)
    planned = page.locator("#tl-body a.tl-planned", has_text=b.display_name)
    for number in range(2, 6):  # on whichever page of professionals her row is
        if planned.count():
            break
        p.goto(f"{aides}&page={number}")
    expect(planned.first).to_be_visible()
    p.check_accessibility()

    # 3. The care aide, on her phone, traces today's visit and writes a note.
    phone = open_page(width=360, height=740)
    log_in(phone, "care_aide")
    mobile = phone.page
    phone.goto("/passages/mes-passages/")
    expect(mobile.locator("h1")).to_have_text("Mes passages aujourd'hui")
    phone.check_accessibility()
    visit = Visit.objects.get(series=series, starts_at__date=today)
    mobile.get_by_role("link", name=f"Réalisé : {b.display_name} à {start:%H:%M}",
                       exact=True).click()
    phone.check_accessibility()
    mobile.locator("#id_actual_start").fill(start.strftime("%H:%M"))
    end = min(start + timedelta(minutes=1),
              timezone.make_aware(datetime.combine(today, datetime.max.time())))
    mobile.locator("#id_actual_end").fill(end.strftime("%H:%M"))
    mobile.locator("#id_report").fill("Coucher, change, hydratation.")
    mobile.locator("#id_note_text").fill("Bonne soirée, a regardé la télévision avec plaisir.")
    mobile.locator("#id_note_visibility").select_option("caregiver")
    mobile.get_by_role("button", name="Enregistrer : réalisé").click()
    expect(mobile.get_by_text(f"Passage chez {b.display_name} tracé : réalisé.")).to_be_visible()
    phone.check_accessibility()
    visit.refresh_from_db()
    assert visit.status == "done"
    note = LiaisonNote.objects.filter(beneficiary=b).first()
    assert note.visibility == "caregiver" and "télévision" in note.text

    # 4. The caregiver, on his phone, sees the coming visits and the shared note; not the rest.
    team_only = LiaisonNote.objects.filter(beneficiary=b, visibility="team").first()
    family = open_page(width=360, height=740)
    log_in(family, "caregiver")
    portal = family.page
    family.goto("/portail/")
    family.check_accessibility()
    tomorrow = visit.starts_at + timedelta(days=1)
    text = portal.locator("main").inner_text()
    assert f"{timezone.localtime(tomorrow):%H:%M} – " in text
    assert "Sandrine Bouvier" in text
    assert "a regardé la télévision avec plaisir" in text
    assert team_only is not None and team_only.text not in text
    assert "Coucher, change, hydratation." not in text  # the visit report stays in the team
    family.goto(f"/passages/personnes/{b.public_id}/")
    expect(portal.locator("h1")).to_have_text("Accès refusé")
