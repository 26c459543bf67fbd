"""Rounds: the coordinator opens « Optimiser les tournées » from the team's day, asks for
tomorrow, reads the proposal beside the current plan and applies it; the care aide's « Mes
passages » of tomorrow then shows what the proposal gave her. With one care aide left, her
visit by two cannot be placed and the page says why; a day where everyone is absent says why
nothing can be proposed. axe-core on every page."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from maillage.rounds.models import Proposal
from maillage.visits.models import Visit

from .test_login_journeys import log_in


def test_the_coordinator_optimises_tomorrow_and_the_care_aide_sees_her_new_day(demo, open_page,
                                                                              settings):
    # A bounded number of moves, not a time: under a loaded CI machine a 1 s search may find
    # no better plan than the current one (and nothing to apply); 200 moves find it anywhere.
    settings.ROUNDS_SOLVER_SECONDS, settings.ROUNDS_SOLVER_ITERATIONS = 30, 200
    tomorrow = timezone.localdate() + timedelta(days=1)
    p = open_page(width=1366, height=900)
    log_in(p, "coordinator")
    page = p.page
    p.goto(f"/passages/equipe/?jour={tomorrow.isoformat()}")
    page.get_by_role("link", name="Optimiser les tournées").click()
    expect(page.locator("h1")).to_have_text("Optimiser les tournées")
    p.check_accessibility()

    page.get_by_label("Jour à optimiser").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Calculer une proposition").click()
    expect(page.locator("h1")).to_contain_text(f"{tomorrow:%d/%m/%Y}")
    comparison = page.get_by_role("table").first
    expect(comparison).to_contain_text("Kilomètres")
    expect(comparison).to_contain_text("Passages en retard")
    p.check_accessibility()
    # The proposed day on the team's timeline and on the map: one line per carer.
    expect(page.locator(".tl-day .tl-row h3").first).to_be_visible()
    expect(page.locator("#rounds-map")).to_have_attribute("data-ready", "1")
    expect(page.locator("#rounds-map path.rounds-route").first).to_be_attached()
    proposal = Proposal.objects.get()
    assert proposal.status == Proposal.Status.DONE
    assert page.locator("#rounds-map path.rounds-route").count() == len(
        proposal.result["routes"])
    current, proposed = proposal.result["current"], proposal.result["proposed"]
    assert proposed["kilometres"] < current["kilometres"]
    assert proposed["late_visits"] == 0
    # The night nurse, on call last night until 08:00, rests until 19:00 (``rounds.rest``):
    # the page says so, and only her visits that no colleague can take are left out.
    resting = {int(k) for k in proposal.result["rests"]}
    assert resting and proposed["unplaced"] <= current["unplaced"]
    assert {Visit.objects.get(pk=k).staff_id for k in proposal.result["unplaced"]} <= resting
    expect(page.locator("#rounds-rests")).to_contain_text("Repos après la nuit jusqu'à 19:00")

    page.get_by_role("button", name="Appliquer cette proposition").click()
    page.wait_for_url(f"**/passages/equipe/?jour={tomorrow.isoformat()}")
    expect(page.locator(".alert-success")).to_contain_text(
        f"Tournées du {tomorrow:%d/%m/%Y} appliquées")
    p.check_accessibility()

    # The care aide's day, as the proposal made it.
    aide = get_user_model().objects.get(username="care_aide")
    hers = next(r["visits"] for r in proposal.result["routes"] if r["worker"] == aide.pk)
    assert hers, "la démo donne des passages à l'aide-soignante le lendemain"
    assert set(Visit.objects.filter(staff=aide, pk__in=[v["visit"] for v in hers])
               .values_list("pk", flat=True)) == {v["visit"] for v in hers}
    expected = sorted(Visit.objects.get(pk=v["visit"]).beneficiary.display_name for v in hers)
    q = open_page(width=360, height=740)
    log_in(q, "care_aide")
    q.goto(f"/passages/mes-passages/?jour={tomorrow.isoformat()}")
    body = q.page.locator("main")
    for name in expected:
        expect(body).to_contain_text(name)
    q.check_accessibility()

    # One care aide alone: the transfers need two, and the proposal says why. The aide is one
    # of those the applied proposal gave a visit by two (the solver, bounded in time, may give
    # a pair to other aides than the demo's planning did).
    pair = Visit.objects.filter(two_person=True, starts_at__date=tomorrow,
                                staff__isnull=False).order_by("pk").first()
    assert pair is not None, "la démo prévoit une visite à deux demain"
    aide = pair.staff
    p.goto("/tournees/")
    page.get_by_label("Jour à optimiser").fill(tomorrow.isoformat())
    boxes = page.locator("input[name=excluded]")
    for i in range(boxes.count()):
        if boxes.nth(i).get_attribute("value") != str(aide.pk):
            boxes.nth(i).check()
    page.get_by_role("button", name="Calculer une proposition").click()
    unplaced = page.locator("main ul").filter(has_text="Visite à deux")
    expect(unplaced).to_contain_text(
        f"{pair.beneficiary.display_name} ({pair.beneficiary.commune.name}), "
        f"{aide.get_full_name()} : Visite à deux : il faut deux intervenant·es qualifié·es "
        "disponibles en même temps, une seule personne peut la faire ce jour-là.",
        timeout=30_000)
    p.check_accessibility()

    # Everyone absent: nothing can be proposed, and the page says why.
    p.goto("/tournees/")
    page.get_by_label("Jour à optimiser").fill(tomorrow.isoformat())
    boxes = page.locator("input[name=excluded]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.get_by_role("button", name="Calculer une proposition").click()
    expect(page.locator("#rounds-status")).to_contain_text("personne à qui les confier")
    expect(page.get_by_role("button", name="Appliquer cette proposition")).to_have_count(0)
    p.check_accessibility()
