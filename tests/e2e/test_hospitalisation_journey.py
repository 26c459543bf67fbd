"""Journey: the coordinator records a hospitalisation → the person's visits are cancelled, the
caregiver's portal says « Visites suspendues : hospitalisation depuis le … » → the coordinator
records the return → the visits are planned again and the coordinator's home lists the plan to
review within 72 h. axe-core on every page."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from maillage.admissions.models import Enrolment, Suspension
from maillage.beneficiaries.models import Caregiver
from maillage.visits.models import Visit

from .test_login_journeys import log_in


def test_hospitalisation_suspends_then_return_resumes_and_asks_review(demo, open_page):
    today = timezone.localdate()
    back = today + timedelta(days=1)
    b = Caregiver.objects.select_related("beneficiary").get(user__username="caregiver"
                                                           ).beneficiary
    stay = Enrolment.objects.get(beneficiary=b, ended_on__isnull=True)
    # The demo's story of this person: no temporary exit going on today.
    assert not Suspension.objects.filter(enrolment=stay, start_date__lte=today).exclude(
        end_date__lte=today).exists()
    assert Visit.objects.filter(beneficiary=b, status="planned",
                                starts_at__gte=timezone.now()).exists()

    # 1. The coordinator records the hospitalisation from the file active.
    p = open_page()
    log_in(p, "coordinator")
    page = p.page
    p.menu_entry("File active").click()
    p.check_accessibility()
    page.locator("tbody").get_by_role("link", name=b.display_name).click()
    p.check_accessibility()
    page.get_by_role("link", name="Enregistrer une sortie temporaire").click()
    p.check_accessibility()
    page.get_by_label("Type").select_option("hospitalisation")
    page.get_by_label("Depuis le").fill(today.isoformat())
    page.get_by_label("Lieu (établissement, service)").fill("CHU d'Angers — gériatrie")
    page.get_by_label("Motif").fill("Chute, suspicion de fracture du col")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Sortie temporaire enregistrée.")).to_be_visible()
    expect(page.locator("[data-absence]")).to_contain_text(
        f"Hospitalisé·e depuis le {today:%d/%m/%Y} (CHU d'Angers — gériatrie)")
    p.check_accessibility()

    # 2. Her visits of the week show as cancelled; none planned from today on.
    page.get_by_role("link", name="Passages de la personne").click()
    expect(page.locator("[data-absence]")).to_contain_text("Passages suspendus")
    assert not Visit.objects.filter(
        beneficiary=b, status="planned",
        starts_at__gte=timezone.make_aware(timezone.datetime.combine(
            today, timezone.datetime.min.time()))).exists()
    # The page shows this week: on a Sunday evening, the cancelled visits are next week's.
    next_monday = today + timedelta(days=7 - today.weekday())
    if Visit.objects.filter(beneficiary=b, status="cancelled", starts_at__lt=timezone.make_aware(
            timezone.datetime.combine(next_monday, timezone.datetime.min.time()))).exists():
        expect(page.locator("main")).to_contain_text("Annulé (personne hospitalisée)")
    p.check_accessibility()

    # 3. Her son's portal says it, and lists no visit that will not happen.
    son = open_page(width=390, height=844)
    log_in(son, "caregiver")
    main = son.page.locator("main")
    expect(main).to_contain_text(
        f"Visites suspendues : hospitalisation depuis le {today:%d/%m/%Y}")
    expect(main).to_contain_text("Aucun passage prévu pour l'instant.")
    son.check_accessibility()

    # 4. The coordinator records the return home (tomorrow).
    page.goto(p.base_url + f"/admissions/file-active/{stay.public_id}/")
    page.get_by_role("link", name="Enregistrer le retour").click()
    p.check_accessibility()
    page.get_by_label("Retour le").fill(back.isoformat())
    page.get_by_role("button", name="Enregistrer").click()
    # Tomorrow: a return planned, not done yet.
    expect(page.get_by_text(f"Date de retour à domicile enregistrée : le {back:%d/%m/%Y}.")
           ).to_be_visible()
    p.check_accessibility()
    assert Visit.objects.filter(
        beneficiary=b, status="planned",
        starts_at__gte=timezone.make_aware(timezone.datetime.combine(
            back, timezone.datetime.min.time()))).exists()

    # The son sees the coming visits again, from the return on.
    son.page.reload()
    expect(main).to_contain_text(f"reprise prévue le {back:%d/%m/%Y}")
    expect(son.page.get_by_role("region", name="Prochains passages")).to_contain_text(
        f"{back:%d/%m/%Y}")
    son.check_accessibility()

    # 5. The coordinator's home lists the plan to review within 72 h of the return.
    page.goto(p.base_url + "/")
    reviews = page.get_by_role("region", name="Plans à réviser")
    expect(reviews).to_be_visible()
    due = b.care_plan.versions.filter(status="validated").order_by("-number").first(
        ).next_review_on
    assert due <= back + timedelta(days=3)
    item = reviews.get_by_role("listitem").filter(has_text=b.display_name)
    if item.count() == 0:
        # The panel shows the ten most urgent; the whole list, most urgent first, is one link
        # away.
        reviews.get_by_role("link", name="voir tout").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Plans à réviser")
        p.check_accessibility()
        item = page.get_by_role("row").filter(has_text=b.display_name)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"{due:%d/%m/%Y}")
    p.check_accessibility()
