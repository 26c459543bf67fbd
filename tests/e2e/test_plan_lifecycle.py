"""Journey: plans that live. The coordinator changes a goal's status with a comment and sees it
in the goal's history, opens the review page and sees the visits done per service since the
validation, prepares the next version and validates it: the next review is 6 months later.
axe-core on every page."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import CarePlanVersion, Goal, PlannedAction, Problem
from maillage.care.services.plans import add_months
from maillage.care.tests import factories as care
from maillage.visits.tests.factories import visit

PASSWORD = "mot-de-passe-test-1"  # maillage.core.tests.factories.UserFactory


def log_in(p, username):
    p.goto("/")
    p.page.get_by_label("Identifiant").fill(username)
    p.page.get_by_label("Mot de passe").fill(PASSWORD)
    p.page.get_by_role("button", name="Se connecter").click()
    p.page.wait_for_url(p.base_url + "/")


def test_goal_status_review_page_and_next_review_date(transactional_db, crt_a, users,
                                                      open_page):
    coordinator, aide = users["coordinator"], users["care_aide"]
    b = shared_file(crt_a, coordinator)
    today = timezone.localdate()
    toilet = care.service(crt_a, name="Passage d'aide-soignante")
    meals = care.service(crt_a, name="Portage de repas")
    v1 = care.plan_version(b, status="validated", referent=coordinator,
                           situation_summary="Vit seule, chutes nocturnes.",
                           validated_at=timezone.now() - timedelta(days=30),
                           validated_by=coordinator, next_review_on=today + timedelta(days=10))
    Problem.objects.create(crt=crt_a, version=v1, description="Chutes nocturnes")
    Goal.objects.create(crt=crt_a, version=v1, description="Aucune chute en 3 mois",
                        status=Goal.Status.IN_PROGRESS)
    PlannedAction.objects.create(crt=crt_a, version=v1, domain=care.domain(crt_a),
                                 service=toilet, description="Toilette et lever", staff=aide,
                                 frequency="Tous les jours à 8 h")
    first = timezone.make_aware(datetime.combine(today - timedelta(days=20), time(8)))
    for day, status, service in [(0, "done", toilet), (1, "done", toilet), (2, "done", toilet),
                                 (3, "not_done", toilet), (4, "done", meals)]:
        visit(b, aide, starts_at=first + timedelta(days=day), status=status, service=service)

    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    # The home lists the plan to review (due in 10 days) and links to its review page.
    page.get_by_role("link", name=b.display_name).first.click()
    page.wait_for_url("**/revision/")
    p.check_accessibility()

    # 1. The goal's status, from the plan in force.
    page.get_by_role("link", name="Version 1").click()
    page.wait_for_url(f"**/versions/{v1.number}/")
    p.check_accessibility()
    page.get_by_role("link", name="changer l'état : Aucune chute en 3 mois").click()
    p.check_accessibility()
    page.get_by_label("Nouvel état").select_option(label="Partiellement atteint")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Expliquez en quelques mots pourquoi l'objectif est « partiellement "
                            "atteint ».")).to_be_visible()
    p.check_accessibility()
    page.get_by_label("Commentaire").fill("Une chute sans gravité en novembre")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"**/versions/{v1.number}/#objectif-*")
    goal = page.locator("li", has_text="Aucune chute en 3 mois").first
    expect(goal).to_contain_text("partiellement atteint")
    expect(goal).to_contain_text(f"Le {today:%d/%m/%Y} : en cours → partiellement atteint — "
                                 "Une chute sans gravité en novembre")
    assert CarePlanVersion.objects.filter(plan=v1.plan).count() == 1
    p.check_accessibility()

    # 2. The review page: visits per service since the validation, the goal's history.
    page.get_by_role("link", name="bilan de révision").click()
    page.wait_for_url("**/revision/")
    rows = page.locator("#passages-par-prestation tbody tr")
    expect(rows.filter(has_text="Passage d'aide-soignante")).to_contain_text("3 1 0 0")
    expect(rows.filter(has_text="Portage de repas")).to_contain_text("1 0 0 0")
    expect(page.get_by_text("Une chute sans gravité en novembre")).to_be_visible()
    p.check_accessibility()

    # 3. The next version, validated: the next review is 6 months later.
    page.get_by_role("button", name="Préparer la nouvelle version").click()
    page.wait_for_url("**/versions/2/")
    expect(page.get_by_text("partiellement atteint").first).to_be_visible()
    p.check_accessibility()
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_role("button", name="Valider cette version").click()
    page.wait_for_url("**/plans/*/")
    assert asked == ["Valider cette version du plan ? Elle ne pourra plus être modifiée ; une "
                     "révision ouvrira une nouvelle version."]
    expect(page.locator("main")).to_contain_text(
        f"prochaine révision : {add_months(today, 6):%d/%m/%Y}")
    p.check_accessibility()
