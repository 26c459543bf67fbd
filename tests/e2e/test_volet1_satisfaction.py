"""Journey: the activity leader prepares the satisfaction questionnaire of an upcoming volet 1
session (one code per participant), downloads the attendance sheet with its slips; a
participant follows the link of her slip on a phone, answers without an account; the leader
sees the answer on the session and in the action's results. axe-core on every page."""

import io
import re

from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from maillage.outreach.models import Participation, Session
from maillage.surveys.models import Response

from .test_login_journeys import log_in


def test_a_participant_answers_from_her_slip_and_the_results_show(demo, open_page):
    session = (Session.objects.filter(crt__name="CRT Anjou Bleu", action__anti_fall=True,
                                      starts_at__gt=timezone.now())
               .select_related("action").order_by("starts_at").first())
    registered = Participation.objects.filter(session=session).exclude(
        status=Participation.Status.CANCELLED).count()
    assert registered > 0
    before = Response.objects.count()
    p = open_page()
    log_in(p, "activity_leader")
    page = p.page
    p.goto(f"/volet1/actions/{session.action.public_id}/")
    page.get_by_role("link", name=timezone.localtime(session.starts_at).strftime(
        "%d/%m/%Y %H:%M")).first.click()
    expect(page.locator("h1")).to_contain_text("séance du")
    p.check_accessibility()
    page.get_by_role("button", name="Préparer le questionnaire (un code par participant)").click()
    expect(page.get_by_text("Questionnaire de satisfaction prêt")).to_be_visible()
    expect(page.locator("#session-satisfaction")).to_contain_text(
        f"{registered} code{'s' if registered > 1 else ''} remis, 0 réponse")
    p.check_accessibility()
    with page.expect_download() as download:
        page.get_by_role("link", name="Feuille d'émargement (PDF)").click()
    text = " ".join(pg.extract_text() for pg in PdfReader(
        io.BytesIO(download.value.path().read_bytes())).pages)
    assert "Votre avis nous intéresse" in text
    slips = re.findall(r"Code : ([A-Z0-9]{4}-[A-Z0-9]{4})", text)
    assert len(slips) == registered
    # The participant, on her phone, follows her slip's link (its QR code holds the same).
    link = re.search(r"(https?://\S+/enquetes/r/[A-Z0-9]{8}/)", text.replace("\n", ""))
    assert link is not None, text
    phone = open_page(width=360, height=740)
    phone.page.goto(link.group(1))
    phone.check_accessibility()
    grade = phone.page.get_by_role("group", name=re.compile("satisfait de cette séance"))
    grade.get_by_label("4 — Très satisfait").check()
    phone.page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(phone.page.locator("h1")).to_have_text("Merci pour votre avis")
    phone.check_accessibility()
    assert Response.objects.count() == before + 1
    # The leader sees it on the session, and in the action's results.
    page.reload()
    expect(page.locator("#session-satisfaction")).to_contain_text(
        f"{registered} code{'s' if registered > 1 else ''} remis, 1 réponse")
    page.get_by_role("link", name=session.action.title).first.click()
    expect(page.locator("#action-satisfaction")).to_contain_text("réponses au questionnaire")
    p.check_accessibility()
