"""The on-call night, on a 360 px phone: the nurse finds a person by phone number, reads the
emergency essentials and the DLU, logs a fall with a call-out and a « stayed home » outcome;
on a second call, about someone outside her care team, she breaks the glass for that person
(she is on the rota: the glass breaks only for the professional on call, on the person of an
open call). The next morning the coordinator sees the night's calls, and the accesses in
emergency are listed for review. axe-core on every page."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries.models import Beneficiary, CareTeamMember
from maillage.core.models import Membership
from maillage.oncall import services
from maillage.oncall.models import BreakGlass, Call

from .test_login_journeys import log_in


def test_a_night_on_call(demo, open_page):
    mine = (Beneficiary.objects.filter(
        crt__name="CRT Anjou Bleu", care_team__user__username="nurse",
        care_team__end_date__isnull=True).exclude(phone="").order_by("pk").first())
    stranger = (Beneficiary.objects.filter(crt__name="CRT Anjou Bleu")
                .exclude(pk__in=CareTeamMember.objects.filter(user__username="nurse")
                         .values("beneficiary")).order_by("pk").first())
    assert mine is not None and stranger is not None
    # She is on call now (whatever the hour the test runs): answers and travels.
    crt = mine.crt
    coordinator = Membership.objects.filter(crt=crt, roles__role="coordinator").first().user
    nurse = Membership.objects.get(crt=crt, user__username="nurse").user
    now = timezone.now()
    services.shifts_add(actor=coordinator, crt=crt, preset="custom",
                        first_day=timezone.localdate(), staff=nurse, duty="answer_travel",
                        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=11))

    p = open_page(width=360, height=740)
    log_in(p, "nurse")
    page = p.page
    p.goto("/astreinte/")
    p.check_accessibility()
    # 1. The téléassistance centre gives a phone number: found in one search.
    page.get_by_role("searchbox", name="Trouver une personne").fill(mine.phone)
    page.get_by_role("button", name="Chercher").click()
    # (The open alerts listed below the results may name the same person.)
    results = page.locator("section", has=page.locator("#h-results"))
    results.get_by_role("link", name=mine.display_name).click()
    expect(page.get_by_text("Allergies :")).to_be_visible()
    p.check_accessibility()
    # The DLU, one tap away.
    dlu = page.get_by_role("link", name="Imprimer le DLU (PDF)")
    expect(dlu).to_be_visible()
    response = page.request.get(p.base_url + dlu.get_attribute("href"))
    assert response.ok and response.body()[:4] == b"%PDF"

    # 2. The call: fall, call-out, stayed home — a handful of taps.
    page.get_by_role("link", name="Nouvel appel pour cette personne").click()
    p.check_accessibility()
    page.get_by_label("Chute").check()
    page.get_by_role("button", name="Enregistrer l'appel").click()
    expect(page.locator("h1")).to_contain_text("Chute")
    p.check_accessibility()
    now = timezone.localtime().strftime("%H:%M")
    page.get_by_label("Déplacement au domicile (levée de doute)").check()
    page.get_by_label("Départ").fill(now)
    page.get_by_label("Arrivée au domicile").fill(now)
    page.get_by_label("Actions réalisées").fill("Relevée, pas de douleur, recouchée.")
    page.get_by_label("Maintien à domicile").check()
    page.get_by_label("Clore l'appel").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Appel clos.")).to_be_visible()
    call = Call.objects.get(beneficiary=mine, status="closed", answered_by__username="nurse",
                            actions__startswith="Relevée")
    assert call.call_out and call.outcome == "stayed_home"

    # 3. Another call, about someone outside her care team: the call first, for that person,
    # then break the glass on that person only.
    p.goto("/astreinte/")
    page.get_by_role("searchbox", name="Trouver une personne").fill(stranger.birth_name)
    page.get_by_role("button", name="Chercher").click()
    page.get_by_role("link", name=stranger.display_name).first.click()
    expect(page.get_by_role("heading", name="Accès en urgence")).to_have_count(0)
    page.get_by_role("link", name="Nouvel appel pour cette personne").click()
    page.get_by_label("Malaise").check()
    page.get_by_role("button", name="Enregistrer l'appel").click()
    expect(page.locator("h1")).to_contain_text("Malaise")
    page.get_by_role("link", name="Fiche d'urgence de la personne").click()
    expect(page.get_by_role("heading", name="Accès en urgence")).to_be_visible()
    p.check_accessibility()
    page.get_by_label("Pourquoi devez-vous ouvrir ce dossier ?").fill(
        "Malaise signalé par la voisine, la personne ne répond plus.")
    page.get_by_role("button", name="Ouvrir en urgence").click()
    expect(page.get_by_text("Accès en urgence (bris de glace) :")).to_be_visible()
    p.check_accessibility()
    assert BreakGlass.objects.filter(beneficiary=stranger, user__username="nurse").exists()

    # 4. The next morning, the coordinator.
    desk = open_page()
    log_in(desk, "coordinator")
    morning = desk.page
    expect(morning.get_by_role("heading", name="Astreinte depuis hier 8 h")).to_be_visible()
    expect(morning.locator("section", has=morning.locator("#astreinte-nuit"))).to_contain_text(
        mine.display_name)
    desk.check_accessibility()
    desk.goto("/astreinte/acces-urgence/")
    expect(morning.get_by_text("Malaise signalé par la voisine")).to_be_visible()
    desk.check_accessibility()
