"""Journey: a participant scans the QR code printed for them on a phone, answers the
satisfaction questionnaire without an account, sees the thank-you page; the same code is then
refused. The short form (code typed from paper) too. axe-core on every page."""

import re

import pytest

from maillage.core.tests.factories import CrtFactory
from maillage.surveys.models import Response
from maillage.surveys.qr import answer_path, qr_svg
from maillage.surveys.tests.factories import collection


@pytest.fixture
def session_codes(transactional_db):
    crt = CrtFactory(name="CRT Anjou Bleu")
    return collection(crt, codes=2, subject="atelier-equilibre")


def _url_in_qr(svg: str) -> str:
    return re.search(r'aria-label="QR code du lien ([^"]+)"', svg).group(1)


def test_participant_answers_through_the_qr_link_on_a_phone(session_codes, open_page):
    first, second = session_codes.codes.order_by("id")
    p = open_page(width=360, height=740)
    page = p.page
    svg = qr_svg(p.base_url + answer_path(first.code))
    p.page.goto(_url_in_qr(svg))
    assert page.locator("h1").inner_text() == "Satisfaction séance"
    p.check_accessibility()
    # Sent without the required grade: refused next to the question, nothing stored.
    page.get_by_role("button", name="Envoyer mes réponses").click()
    group = page.get_by_role("group", name=re.compile("Êtes-vous satisfait de la séance"))
    assert "Répondez à cette question." in group.inner_text()
    p.check_accessibility()
    assert not Response.objects.exists()
    # The ARS's four-point scale: no neutral middle.
    assert group.get_by_role("radio").count() == 4
    group.get_by_label("3 — Satisfait").check()
    page.get_by_role("group", name=re.compile("Comment avez-vous connu")).get_by_label(
        "Par un professionnel").check()
    page.get_by_role("group", name=re.compile("Reviendriez-vous")).get_by_label("Oui").check()
    page.get_by_label("Un commentaire ?").fill("Très bon atelier, merci !")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    assert page.locator("h1").inner_text() == "Merci pour votre avis"
    p.check_accessibility()
    answers = {a.question.kind: a for a in Response.objects.get().answers.all()}
    assert (answers["scale"].scale, answers["choice"].choice, answers["yes_no"].yes,
            answers["comment"].text) == (3, 1, True, "Très bon atelier, merci !")
    # The same code again: refused clearly.
    p.goto(answer_path(first.code))
    assert page.locator("h1").inner_text() == "Réponse impossible"
    assert "Ce code a déjà servi" in page.get_by_role("alert").inner_text()
    p.check_accessibility()
    # The short form: the other code, typed from paper in lower case with its dash.
    page.get_by_role("link", name="Saisir un autre code").click()
    p.check_accessibility()
    page.get_by_label("Votre code").fill("zzzz-zzzz")
    page.get_by_role("button", name="Continuer").click()
    assert "Ce code est inconnu" in page.locator("main").inner_text()
    p.check_accessibility()
    page.get_by_label("Votre code").fill(second.display.lower())
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("group", name=re.compile("Êtes-vous satisfait")).get_by_label(
        "4 — Très satisfait").check()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    assert page.locator("h1").inner_text() == "Merci pour votre avis"
    assert Response.objects.count() == 2
