"""The night nurse shared between two CRTs (issue 11, item 5), on a phone: working for CRT Anjou
Bleu she searches a person followed by CRT Baugeois Vallée, sees « suivie par le CRT Baugeois
Vallée — passer à ce CRT », switches and finds the person there; back in Anjou Bleu she opens a
new call for a person called earlier this night and in the last 30 days: both are listed. Then
a call entered with the keyboard only (item 8): every action reached by Tab, with a visible
focus. axe-core on every page."""

import re
from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from maillage.beneficiaries.models import Beneficiary
from maillage.core.demo import DEMO_PASSWORD
from maillage.core.models import Membership
from maillage.oncall import selectors, services
from maillage.oncall.models import Call


def log_in_as_night_nurse(p, crt_name: str):
    p.goto("/")
    p.page.get_by_label("Identifiant").fill("night_nurse")
    p.page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    p.page.get_by_role("button", name="Se connecter").click()
    expect(p.page.locator("h1")).to_contain_text("Choisir le CRT")
    p.check_accessibility()
    p.page.get_by_role("button", name=crt_name).click()
    expect(p.page.get_by_text(f"Vous travaillez maintenant pour : {crt_name}.")).to_be_visible()


def _only_in_baugeois() -> Beneficiary:
    """A person of CRT Baugeois Vallée whose birth name matches nobody in CRT Anjou Bleu."""
    for b in Beneficiary.objects.filter(crt__name="CRT Baugeois Vallée").order_by("pk"):
        word = b.birth_name
        if not Beneficiary.objects.filter(crt__name="CRT Anjou Bleu").filter(
                Q(birth_name__icontains=word) | Q(used_name__icontains=word)
                | Q(first_name__icontains=word) | Q(used_first_name__icontains=word)).exists():
            return b
    raise AssertionError("every Baugeois name also exists in Anjou Bleu")


def _called_this_month() -> tuple[Beneficiary, Call, Call]:
    """A person of CRT Anjou Bleu with a call of the last 30 days (before this on-call period,
    from the demo), and a call of this period (made here, whatever the hour the test runs)."""
    now = timezone.now()
    start = selectors.period_start(now)
    month = (Call.objects.filter(crt__name="CRT Anjou Bleu", beneficiary__isnull=False,
                                 answered_by__username="night_nurse",
                                 received_at__gte=now - timedelta(days=29),
                                 received_at__lt=start)
             .select_related("beneficiary", "crt").order_by("-received_at").first())
    assert month is not None, "no call of the night nurse in the demo's last 30 days"
    b = month.beneficiary
    nurse = Membership.objects.get(crt=b.crt, user__username="night_nurse").user
    received = max(start, now - timedelta(minutes=20))
    tonight = services.call_create(actor=nurse, crt=b.crt, source=Call.Source.TELEASSISTANCE,
                                   beneficiary=b, reason=Call.Reason.ANXIETY,
                                   received_at=received, answered_at=received,
                                   advice="Rassurée au téléphone.",
                                   outcome=Call.Outcome.STAYED_HOME)
    services.call_close(actor=nurse, call=tonight, version=tonight.version)
    return b, month, tonight


def test_night_nurse_finds_the_person_of_her_other_crt_and_earlier_calls(demo, open_page):
    baugeois = _only_in_baugeois()
    p = open_page(width=360, height=740)
    page = p.page
    log_in_as_night_nurse(p, "CRT Anjou Bleu")

    # 1. Someone followed by her other CRT: the hint, without the person's identity.
    p.goto("/astreinte/")
    p.check_accessibility()
    page.get_by_role("searchbox", name="Trouver une personne").fill(baugeois.birth_name)
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_role("heading", name="Aucune personne trouvée dans ce CRT")).to_be_visible()
    expect(page.get_by_text("suivie par le CRT Baugeois Vallée")).to_be_visible()
    assert baugeois.first_name not in page.locator("main").inner_text()
    p.check_accessibility()
    # 2. One tap: she works for Baugeois Vallée now, on the same search, and finds the person.
    page.get_by_role("button", name="Passer à ce CRT").click()
    expect(page.get_by_text("Vous travaillez maintenant pour : CRT Baugeois Vallée.")
           ).to_be_visible()
    assert "q=" in page.url
    expect(page.get_by_role("searchbox", name="Trouver une personne")).to_have_value(
        baugeois.birth_name)
    p.check_accessibility()
    page.get_by_role("link", name=baugeois.display_name).first.click()
    expect(page.locator("h1")).to_have_text(baugeois.display_name)
    p.check_accessibility()

    # 3. Back in Anjou Bleu: a new call for a person already called tonight and this month.
    b, month, tonight = _called_this_month()
    p.goto(reverse("core:crt_choose"))  # the menu's « Changer de CRT »
    p.check_accessibility()
    page.get_by_role("button", name="CRT Anjou Bleu").click()
    p.goto(f"/astreinte/personnes/{b.public_id}/")
    page.get_by_role("link", name="Nouvel appel pour cette personne").click()
    expect(page.get_by_role("heading", name="Autres appels pour cette personne")).to_be_visible()
    earlier = page.locator("section", has=page.get_by_role(
        "heading", name="Autres appels pour cette personne"))
    same = "La même nuit (depuis 20 h)" if timezone.localtime(
        selectors.period_start(timezone.now())).hour == 20 else "Le même jour (depuis 8 h)"
    expect(earlier.get_by_role("heading", name=same)).to_be_visible()
    expect(earlier.get_by_role("heading", name="Les 30 derniers jours")).to_be_visible()
    for c in (tonight, month):
        expect(earlier.get_by_role("link", name=timezone.localtime(c.received_at).strftime(
            "%d/%m/%Y à %H:%M"))).to_be_visible()
    p.check_accessibility()
    # The earlier call opens, and lists the new one's predecessors too.
    earlier.get_by_role("link", name=timezone.localtime(tonight.received_at).strftime(
        "%d/%m/%Y à %H:%M")).click()
    expect(page.locator("h1")).to_contain_text("Angoisse")
    expect(page.get_by_role("heading", name="Autres appels pour cette personne")).to_be_visible()
    p.check_accessibility()


def _tab_to(page, selector: str, limit: int = 80):
    """Press Tab until the element matching ``selector`` has the focus (reached by keyboard),
    and check the focus is visible (the outline of ``:focus-visible``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            outline = page.evaluate(
                "() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), f"{selector}: no visible focus"
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def _enter_and_wait(page):
    """Enter on a link or a submit button, waiting for the page it opens (the next page may
    show the same heading text: checking it alone could run before the navigation)."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_call_entered_with_the_keyboard_only(demo, open_page):
    b = Beneficiary.objects.filter(crt__name="CRT Anjou Bleu",
                                   enrolments__ended_on__isnull=True).order_by("pk").first()
    p = open_page()
    page = p.page
    log_in_as_night_nurse(p, "CRT Anjou Bleu")
    p.goto("/astreinte/")
    # Search: Tab to the search box, type, Enter; Tab to the result, Enter.
    _tab_to(page, "#id_q")
    page.keyboard.type(b.birth_name)
    _enter_and_wait(page)
    expect(page.get_by_role("heading", name=re.compile(r"personnes? trouvées?$"))) \
        .to_be_visible()
    p.check_accessibility()
    _tab_to(page, f'a[href="/astreinte/personnes/{b.public_id}/"]')
    _enter_and_wait(page)
    expect(page.locator("h1")).to_have_text(b.display_name)
    # The new call: Tab to the button, then the reason (arrows choose among the radios).
    _tab_to(page, 'a[href*="/astreinte/appels/nouveau/"]')
    _enter_and_wait(page)
    expect(page.locator("h1")).to_contain_text("Nouvel appel")
    p.check_accessibility()
    _tab_to(page, 'input[name="reason"]')
    page.keyboard.press("Space")
    _tab_to(page, 'button[type="submit"]')
    _enter_and_wait(page)
    expect(page.locator("h1")).to_contain_text(b.display_name)
    p.check_accessibility()
    # Completing it: the assessment, the outcome, close, save — all by keyboard.
    _tab_to(page, "#id_assessment")
    page.keyboard.type("Appel rassurant, pas de déplacement.")
    _tab_to(page, 'input[name="outcome"], select[name="outcome"]')
    if page.evaluate("() => document.activeElement.tagName") == "SELECT":
        page.keyboard.press("ArrowDown")
    else:
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Space")
    _tab_to(page, "#id_close")
    page.keyboard.press("Space")
    _tab_to(page, 'form button[type="submit"].btn-primary')
    _enter_and_wait(page)
    expect(page.get_by_text("Appel clos.")).to_be_visible()
    p.check_accessibility()
    call = Call.objects.filter(beneficiary=b, answered_by__username="night_nurse",
                               assessment__startswith="Appel rassurant").get()
    assert call.status == Call.Status.CLOSED and call.outcome
