"""The pages: public answering (one answer per code, refusals, rate limit, CSRF), the staff
pages (allowed role, forbidden role, another CRT → 404), bad input next to the field, results
shown, comments for the allowed roles only, query budgets. (Every view × every role is walked by
core/tests/test_access.py and test_tenancy.py too.)"""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.surveys import services, views
from maillage.surveys.access import collections_visible, questionnaires_visible
from maillage.surveys.defaults import default_questionnaires_install
from maillage.surveys.models import Answer, Collection, Question, Response
from maillage.surveys.qr import qr_svg

from .factories import answer, answered_collection, collection, questionnaire


@pytest.fixture(autouse=True)
def _fresh_rate_limit(db):
    cache.clear()
    yield
    cache.clear()


def _fields(c) -> dict:
    return {f"q_{q.public_id}": q for q in c.questionnaire.questions.order_by("position")}


def _form(c, scale="4", choice="1", yes="oui", comment="Très bien") -> dict:
    names = list(_fields(c))
    data = dict(zip(names, [scale, choice, yes, comment], strict=True))
    return {k: v for k, v in data.items() if v is not None}


class TestPublicAnswer:
    def test_answer_then_second_attempt_refused(self, client, crt_a):
        c = collection(crt_a, codes=1)
        code = c.codes.get()
        url = reverse("surveys:answer", kwargs={"code": code.code})
        page = client.get(url)
        assert page.status_code == 200
        text = visible_text(page)
        assert "Êtes-vous satisfait de la séance ?" in text and "4 — Très satisfait" in text
        response = client.post(url, _form(c))
        assert response.status_code == 302 and response["Location"] == reverse(
            "surveys:answer_thanks")
        assert "Merci pour votre avis" in visible_text(client.get(response["Location"]))
        r = Response.objects.get()
        assert (r.channel, r.code_id) == ("online", code.pk)
        again = client.post(url, _form(c, scale="1"))
        assert again.status_code == 409
        assert "Ce code a déjà servi" in visible_text(again)
        assert client.get(url).status_code == 409
        assert Response.objects.count() == 1

    def test_four_choices_and_a_five_refused_next_to_the_question(self, client, crt_a):
        """The ARS's scale: four grades, no neutral middle, in a fieldset whose legend is the
        question, each radio with its label; a 5 (or anything else) is refused next to the
        question and nothing is stored."""
        c = collection(crt_a, codes=1)
        url = reverse("surveys:answer", kwargs={"code": c.codes.get().code})
        scale_name = list(_fields(c))[0]
        html = client.get(url).content.decode()
        fieldset = next(chunk.split("</fieldset>")[0] for chunk in html.split("<fieldset")
                        if f'id="id_{scale_name}_0"' in chunk.split("</fieldset>")[0])
        assert "<legend" in fieldset and "Êtes-vous satisfait de la séance ?" in fieldset
        radio = re.escape(f'<label for="id_{scale_name}_')
        labels = re.findall(radio + r'\d">\s*<input[^>]*>\s*([^<]+?)\s*</label>', fieldset)
        assert labels == ["1 — Pas du tout satisfait", "2 — Peu satisfait", "3 — Satisfait",
                          "4 — Très satisfait"]
        assert "Moyennement" not in fieldset and 'value="5"' not in fieldset
        for bad in ("5", "0", "trois"):
            response = client.post(url, _form(c, scale=bad))
            assert response.status_code == 400
            html = response.content.decode()
            errors = html[html.index(f'id="id_{scale_name}_errors"'):]
            assert errors[:200].count("Choisissez une note de 1 à 4.") == 1, bad
        assert not Response.objects.exists()
        assert client.post(url, _form(c, scale="3")).status_code == 302
        assert Answer.objects.get(question__kind="scale").scale == 3

    def test_a_five_point_question_keeps_its_five_choices(self, client, crt_a):
        """A questionnaire asked on the former five-point scale (answered before the change)
        still offers its five grades: its answers keep their meaning."""
        c = collection(crt_a, q=questionnaire(crt_a, points=5), codes=1)
        url = reverse("surveys:answer", kwargs={"code": c.codes.get().code})
        text = visible_text(client.get(url))
        assert "3 — Moyennement satisfait" in text and "5 — Très satisfait" in text
        assert client.post(url, _form(c, scale="5")).status_code == 302
        assert Answer.objects.get(question__kind="scale").scale == 5

    def test_bad_input_next_to_the_question(self, client, crt_a):
        c = collection(crt_a, codes=1)
        url = reverse("surveys:answer", kwargs={"code": c.codes.get().code})
        response = client.post(url, _form(c, scale=None, choice="7"))
        assert response.status_code == 400
        html = response.content.decode()
        scale_name, choice_name = list(_fields(c))[:2]
        assert f'id="id_{scale_name}_errors"' in html and f'id="id_{choice_name}_errors"' in html
        text = visible_text(response)
        assert "Répondez à cette question." in text
        assert "Choisissez une des réponses proposées." in text
        assert not Response.objects.exists()

    def test_unknown_code_404_and_typed_code_form(self, client, crt_a):
        c = collection(crt_a, codes=1)
        unknown = client.get(reverse("surveys:answer", kwargs={"code": "XXXX9999"}))
        assert unknown.status_code == 404
        # Said as the code form says it, with the way to type it again (the generic « Page
        # introuvable » led to the staff's login).
        assert ("Ce code est inconnu. Vérifiez-le sur votre papier (8 caractères)."
                in visible_text(unknown))
        assert f'href="{reverse("surveys:answer_enter")}"' in unknown.content.decode()
        url = reverse("surveys:answer_enter")
        assert "Votre code" in visible_text(client.get(url))
        bad = client.post(url, {"code": "ABCD-EFGH"})
        assert bad.status_code == 400
        assert "Ce code est inconnu" in visible_text(bad)
        assert 'id="id_code_errors"' in bad.content.decode()
        assert client.post(url, {"code": ""}).status_code == 400
        code = c.codes.get()
        good = client.post(url, {"code": code.display.lower()})
        assert good.status_code == 302
        assert good["Location"] == reverse("surveys:answer", kwargs={"code": code.code})

    def test_closed_collection_refused_clearly(self, client, crt_a):
        c = collection(crt_a, codes=1)
        Collection.objects.filter(pk=c.pk).update(is_open=False)
        response = client.get(reverse("surveys:answer", kwargs={"code": c.codes.get().code}))
        assert response.status_code == 409
        assert "Ce questionnaire est fermé" in visible_text(response)

    def test_rate_limited_per_address(self, client, crt_a, monkeypatch):
        monkeypatch.setattr(views, "PUBLIC_LIMIT", 3)
        c = collection(crt_a, codes=1)
        url = reverse("surveys:answer", kwargs={"code": c.codes.get().code})
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
        flooded = client.post(url, _form(c))
        assert flooded.status_code == 429
        assert "Trop de demandes" in visible_text(flooded)
        assert not Response.objects.exists()
        # Another address is not affected.
        other = Client(REMOTE_ADDR="10.9.8.7")
        assert other.get(url).status_code == 200

    def test_csrf_protected(self, crt_a):
        c = collection(crt_a, codes=1)
        strict = Client(enforce_csrf_checks=True)
        url = reverse("surveys:answer", kwargs={"code": c.codes.get().code})
        assert strict.post(url, _form(c)).status_code == 403
        assert not Response.objects.exists()


def test_qr_svg_encodes_the_link():
    svg = qr_svg("https://crt.example.fr/enquetes/r/7KQMX3PD/")
    assert svg.startswith("<svg") and 'role="img"' in svg and "<path" in svg
    assert 'aria-label="QR code du lien https://crt.example.fr/enquetes/r/7KQMX3PD/"' in svg


class TestStaffPages:
    def test_paper_answer_bad_input_then_saved(self, client, users, crt_a):
        c = collection(crt_a, codes=2)
        client.force_login(users["activity_leader"])
        url = reverse("surveys:collection_paper", kwargs={"public_id": c.public_id})
        assert client.get(url).status_code == 200
        for bad in ("9", "5"):  # four points: 5 is not a grade
            response = client.post(url, {**_form(c, scale=bad), "code": ""})
            assert response.status_code == 400
            scale_name = list(_fields(c))[0]
            html = response.content.decode()
            assert "Choisissez une note de 1 à 4." in html[
                html.index(f'id="id_{scale_name}_errors"'):][:200]
        response = client.post(url, {**_form(c), "code": "PAS-UN-CODE"})
        assert response.status_code == 400
        assert "Ce code n'appartient pas à cette collecte." in visible_text(response)
        assert not Response.objects.exists()
        code = c.codes.first()
        assert client.post(url, {**_form(c), "code": code.display}).status_code == 302
        assert client.post(url, {**_form(c), "code": ""}).status_code == 302
        assert list(Response.objects.values_list("channel", flat=True)) == ["paper", "paper"]
        code.refresh_from_db()
        assert code.used_at is not None
        # The code typed from paper can no longer be used online.
        public = Client().get(reverse("surveys:answer", kwargs={"code": code.code}))
        assert public.status_code == 409

    def test_collection_results_and_comments_by_role(self, client, users, crt_a):
        c = answered_collection(crt_a)
        answer(c, scale=2)
        url = reverse("surveys:collection_detail", kwargs={"public_id": c.public_id})
        client.force_login(users["coordinator"])
        text = visible_text(client.get(url))
        assert "2 réponses" in text and "moyenne 3,0 / 4" in text
        assert "50 % satisfaits (3 ou 4 sur 4)" in text
        assert "3 — Satisfait 0 0 %" in text and "Moyennement" not in text
        assert "Très bon accueil" in text
        assert AuditEvent.objects.filter(action="survey_comments.viewed",
                                         object_id=str(c.public_id)).count() == 1
        # The ARS reads no CRT result (2 answers are small counts): the regional view only.
        client.force_login(users["ars"])
        response = client.get(url)
        assert response.status_code == 403
        text = visible_text(response)
        assert "moyenne 3,0 / 4" not in text and "Très bon accueil" not in text

    def test_codes_pdf_and_more_codes(self, client, users, crt_a):
        c = collection(crt_a, codes=3)
        client.force_login(users["coordinator"])
        pdf = client.get(reverse("surveys:collection_codes_pdf", kwargs={"public_id": c.public_id}))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        import io

        import pypdf
        text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        for code in c.codes.all():
            assert code.display in text
        assert "Une seule réponse par code." in text
        url = reverse("surveys:collection_codes_add", kwargs={"public_id": c.public_id})
        bad = client.post(url, {"count": "0"})
        assert bad.status_code == 400 and "Un code au moins." in visible_text(bad)
        assert client.post(url, {"count": "5"}).status_code == 302
        assert c.codes.count() == 8

    def test_questionnaire_pages(self, client, users, crt_a):
        client.force_login(users["direction"])
        response = client.post(reverse("surveys:questionnaire_create"),
                               {"title": "", "audience": "caregivers", "usage": "other"})
        assert response.status_code == 400
        assert "Indiquez le titre du questionnaire." in visible_text(response)
        response = client.post(reverse("surveys:questionnaire_create"), {
            "title": "Café des aidants", "audience": "caregivers", "usage": "other",
            "is_active": "on"})
        assert response.status_code == 302
        q = questionnaires_visible(crt=crt_a, user=None, roles={Role.DIRECTION}).get()
        add = reverse("surveys:question_add", kwargs={"public_id": q.public_id})
        bad = client.post(add, {"kind": "choice", "text": "Lequel ?", "choices": "Un seul",
                                "version": q.version})
        assert bad.status_code == 400
        assert "deux options au moins" in visible_text(bad)
        assert client.post(add, {"kind": "choice", "text": "Lequel ?",
                                 "choices": "Lundi\nJeudi", "version": q.version}
                           ).status_code == 302
        page = visible_text(client.get(reverse("surveys:questionnaire_detail",
                                               kwargs={"public_id": q.public_id})))
        assert "Lequel ? Choix unique : Lundi ; Jeudi" in page
        # A stale form: conflict, nothing saved.
        stale = client.post(add, {"kind": "yes_no", "text": "Autre ?", "version": q.version})
        assert stale.status_code == 409
        assert Question.objects.filter(questionnaire=q).count() == 1

    def test_answered_questionnaire_page_says_the_rule(self, client, users, crt_a):
        c = answered_collection(crt_a)
        q = c.questionnaire
        client.force_login(users["coordinator"])
        page = visible_text(client.get(reverse("surveys:questionnaire_detail",
                                               kwargs={"public_id": q.public_id})))
        assert "ses questions ne peuvent plus être modifiées" in page
        first = q.questions.first()
        client.post(reverse("surveys:question_remove",
                            kwargs={"public_id": q.public_id, "item_id": first.public_id}),
                    {"version": q.version})
        assert q.questions.count() == 4
        response = client.post(reverse("surveys:questionnaire_duplicate",
                                       kwargs={"public_id": q.public_id}), follow=True)
        assert "Nouvelle version créée" in visible_text(response)

    def test_yearly_survey_pages(self, client, users, crt_a):
        client.force_login(users["coordinator"])
        url = reverse("surveys:yearly_open")
        response = client.post(url, {"year": "2026", "beneficiaries": "0", "caregivers": "0",
                                     "professionals": "0"})
        assert response.status_code == 400
        assert "Demandez des codes pour un public au moins." in visible_text(response)
        response = client.post(url, {"year": "2026", "beneficiaries": "2", "caregivers": "0",
                                     "professionals": "0"})
        assert response.status_code == 400
        assert "Aucun questionnaire annuel en service" in visible_text(response)
        default_questionnaires_install(actor=users["coordinator"], crt=crt_a)
        response = client.post(url, {"year": "2026", "beneficiaries": "2", "caregivers": "1",
                                     "professionals": "1"})
        assert response.status_code == 302
        c = Collection.objects.get(subject_kind="volet2.yearly", category_key="beneficiaries")
        questions = list(c.questionnaire.questions.order_by("position"))
        services.response_submit(code=c.codes.first().code, values={
            str(questions[0].public_id): 4, str(questions[-1].public_id): "Merci à l'équipe"})
        page = visible_text(client.get(reverse("surveys:yearly") + "?annee=2026"))
        assert "Enquête annuelle 2026 — bénéficiaires du volet 2" in page
        assert "1 réponse sur 2 codes distribués (taux de réponse 50 %)" in page
        assert "moyenne 4,0 / 4 — 100 % satisfaits (3 ou 4 sur 4)" in page
        assert "Merci à l'équipe" in page
        # Each audience shows its own questionnaire's questions only (every questionnaire's
        # questions were listed under each of the three).
        pro = Collection.objects.get(subject_kind="volet2.yearly", category_key="professionals")
        first = pro.questionnaire.questions.order_by("position").first()
        services.response_submit(code=pro.codes.first().code,
                                 values={str(first.public_id): 3})
        page = visible_text(client.get(reverse("surveys:yearly") + "?annee=2026"))
        labels = ("aidants", "bénéficiaires du volet 2", "professionnels")
        starts = [re.search(f"Enquête annuelle 2026 — {label} \\d+ réponses? sur", page).start()
                  for label in labels]
        blocks = {label.split()[0]: page[start:end] for label, start, end
                  in zip(labels, starts, [*starts[1:], len(page)], strict=True)}
        night = "Savez-vous qui appeler la nuit en cas de problème ?"
        recommend = "Recommanderiez-vous le CRT à un patient ou à un collègue ?"
        assert night in blocks["bénéficiaires"] and recommend in blocks["professionnels"]
        assert night not in blocks["aidants"] + blocks["professionnels"]
        assert recommend not in blocks["aidants"] + blocks["bénéficiaires"]
        assert AuditEvent.objects.filter(action="survey_comments.viewed",
                                         object_label="Enquête annuelle 2026").exists()
        client.force_login(users["ars"])
        response = client.get(reverse("surveys:yearly") + "?annee=2026")
        assert response.status_code == 403
        assert "moyenne 4,0 / 4" not in visible_text(response)

    def test_percentages_round_half_up_as_the_indicators_do(self, client, users, crt_a):
        """1 answer in 8 is 12,5 %: shown 13 % (Python's round gave 12 %, the even one,
        while 37,5 % became 38 %)."""
        c = collection(crt_a, codes=8)
        answer(c, scale=1)
        for _ in range(2):
            answer(c, scale=2)
        for _ in range(5):
            answer(c, scale=4)
        client.force_login(users["activity_leader"])
        page = visible_text(client.get(reverse("surveys:collection_detail",
                                               kwargs={"public_id": c.public_id})))
        assert "1 — Pas du tout satisfait 1 13 %" in page
        assert "2 — Peu satisfait 2 25 %" in page
        assert "4 — Très satisfait 5 63 %" in page

    def test_volet1_results_page(self, client, users, crt_a):
        q = questionnaire(crt_a)
        c = collection(crt_a, q=q, subject="a1", group_key="A", group_label="Atelier équilibre",
                       category_key="falls", category_label="Prévention des chutes")
        answer(c, scale=3)
        answer(c, scale=4)
        client.force_login(users["activity_leader"])
        page = visible_text(client.get(reverse("surveys:results")))
        assert "Atelier équilibre 1 2 67 % 3,5 / 4 100 % (3 ou 4 sur 4)" in page
        page = visible_text(client.get(reverse("surveys:results") + "?par=champ"))
        assert "Prévention des chutes 1 2 67 % 3,5 / 4 100 % (3 ou 4 sur 4)" in page

    def test_volet1_results_of_a_period_equal_indicator_v1_09(self, client, users, crt_a):
        """The QA saw the results page add up every session since the start without saying
        so, while V1-09 reads a year: the page reads a period (the current year by default,
        chosen as on the steering pages), writes it, and its headline figure is V1-09's.
        This year: the workshop's session graded 4 4 3 1 (3 satisfied), the café's 4 2 2 (1):
        4 of 7, 57,1 %; last year a session graded 4 4 (all-time: 6 of 9, 66,7 %)."""
        from datetime import date

        from django.utils import timezone

        from maillage.core import indicators
        from maillage.core.indicators import Period
        from maillage.steering.dashboard import number

        year = timezone.localdate().year
        q = questionnaire(crt_a)

        def session(subject, day, action, field, grades):
            c = services.collection_open(
                actor=None, crt=crt_a, questionnaire=q, subject_kind="outreach.session",
                subject_public_id=subject, subject_label=subject, group_key=action,
                group_label=action, category_key=field, category_label=field,
                codes=len(grades) + 1, opened_on=day)
            for grade in grades:
                answer(c, scale=grade)

        session("s1", date(year, 1, 1), "Atelier équilibre", "Chutes", (4, 4, 3, 1))
        session("s2", date(year, 1, 1), "Café des aînés", "Isolement", (4, 2, 2))
        session("s0", date(year - 1, 6, 1), "Atelier équilibre", "Chutes", (4, 4))
        v109 = indicators.get("V1-09")
        this_year = indicators.compute(v109, crt=crt_a, period=Period.year(year)).value
        last_year = indicators.compute(v109, crt=crt_a, period=Period.year(year - 1)).value
        assert (this_year, last_year) == (Decimal("57.1"), Decimal("100.0"))
        client.force_login(users["direction"])
        page = visible_text(client.get(reverse("surveys:results")))
        assert f"Période : année {year} (du 01/01/{year} au 31/12/{year})" in page
        assert f"Ensemble des séances — année {year} {number(this_year)} % de satisfaits" \
            in page
        assert "3 réponses « satisfait » ou « très satisfait »" not in page
        assert "4 réponses « satisfait » ou « très satisfait » (3 ou 4 sur 4) sur 7" in page
        assert "66,7" not in page
        # Per action, this year's session only.
        assert "Atelier équilibre 1 4 80 % 3,0 / 4 75 % (3 ou 4 sur 4)" in page
        assert f"periode=annee&annee={year}" in client.get(
            reverse("surveys:results")).content.decode().replace("&amp;", "&")
        page = visible_text(client.get(reverse("surveys:results"),
                                       {"periode": "annee", "annee": year - 1,
                                        "par": "champ"}))
        assert f"Période : année {year - 1}" in page
        assert f"{number(last_year)} % de satisfaits" in page
        assert "Chutes 1 2" in page and "Isolement" not in page
        response = client.get(reverse("surveys:results"),
                              {"periode": "annee", "annee": "deux mille"})
        assert response.status_code == 400
        assert "Indiquez une année en chiffres, par exemple 2026." in visible_text(response)

    def test_list_query_budget(self, client, users, crt_a):
        q = questionnaire(crt_a)
        client.force_login(users["coordinator"])

        def count(url):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            return len(ctx.captured_queries)

        pages = [reverse("surveys:home"), reverse("surveys:questionnaires"),
                 reverse("surveys:results"), reverse("surveys:yearly")]
        for i in range(2):
            answer(collection(crt_a, q=q, subject=f"x{i}", group_key=f"g{i}"), scale=4)
        [count(u) for u in pages]  # warm-up (session, membership caches)
        before = [count(u) for u in pages]
        for i in range(2, 8):
            answer(collection(crt_a, q=q, subject=f"x{i}", group_key=f"g{i}"), scale=3)
        after = [count(u) for u in pages]
        assert after == before
        assert max(after) <= 16, after


ROLE_PAGES = [
    ("surveys:home", "survey.results"), ("surveys:results", "survey.results"),
    ("surveys:yearly", "survey.results"), ("surveys:questionnaires", "survey.manage"),
    ("surveys:yearly_open", "survey.manage"), ("surveys:questionnaire_create", "survey.manage"),
]


@pytest.mark.parametrize("name, perm", ROLE_PAGES)
def test_pages_by_role(client, users, name, perm):
    for role, expected in (("activity_leader", 200), ("nurse", 403), ("auditor", 403),
                           ("ars", 403)):
        client.force_login(users[role])
        assert client.get(reverse(name)).status_code == expected, (name, role)


OBJECT_PAGES = ["surveys:collection_detail", "surveys:collection_paper",
                "surveys:collection_codes_add", "surveys:collection_codes_pdf"]


def test_object_pages_allowed_forbidden_other_crt(client, users, crt_a, user_b):
    c = answered_collection(crt_a)
    q = c.questionnaire
    urls = [reverse(n, kwargs={"public_id": c.public_id}) for n in OBJECT_PAGES] + [
        reverse("surveys:questionnaire_detail", kwargs={"public_id": q.public_id}),
        reverse("surveys:question_edit", kwargs={"public_id": q.public_id,
                                                 "item_id": q.questions.first().public_id})]
    for url in urls:
        client.force_login(users["activity_leader"])
        assert client.get(url).status_code == 200, url
        client.force_login(users["nurse"])
        assert client.get(url).status_code == 403, url
        client.force_login(user_b)
        assert client.get(url).status_code == 404, url


def test_policy_faces_agree(users, crt_a, crt_b):
    """``x in visible(…)`` iff the object check, for every role × object of two CRTs."""
    from maillage.surveys.access import can_manage_questionnaire, can_view_collection

    cs = [collection(crt_a), collection(crt_b)]
    for role, user in users.items():
        roles = frozenset({Role(role)})
        visible = set(collections_visible(crt=crt_a, user=user, roles=roles))
        qvisible = set(questionnaires_visible(crt=crt_a, user=user, roles=roles))
        for c in cs:
            mine = c.crt_id == crt_a.id
            assert (c in visible) == (mine and can_view_collection(
                user=user, roles=roles, collection=c)), role
            assert (c.questionnaire in qvisible) == (mine and can_manage_questionnaire(
                user=user, roles=roles, questionnaire=c.questionnaire)), role


def test_the_ars_reads_no_survey_result_of_a_crt_only_the_regional_indicators(client, users,
                                                                              crt_a):
    """The QA read « 4 réponses — moyenne 4,0 / 5 — 75 % satisfaits » and « Moyennement
    satisfait 1 25 % » as the CRT's « ars » account. The ARS sees aggregates only, with small
    counts hidden (INDICATORS §5): satisfaction reaches it through V1-09, V2-14b, V2-15 and
    V2-16 in the regional view, never through the CRT's results pages; the CRT's team keeps
    its exact figures."""
    c = collection(crt_a, codes=4)
    for grade in (4, 3, 2, 3):
        answer(c, scale=grade)
    detail = reverse("surveys:collection_detail", kwargs={"public_id": c.public_id})
    client.force_login(users["ars"])
    for name in ("surveys:home", "surveys:results", "surveys:yearly"):
        assert client.get(reverse(name)).status_code == 403, name
    response = client.get(detail)
    assert response.status_code == 403
    text = visible_text(response)
    assert "4 réponses" not in text and "75 %" not in text
    assert "Satisfaction" not in visible_text(client.get(reverse("core:home")))
    client.force_login(users["coordinator"])
    text = visible_text(client.get(detail))
    assert "4 réponses" in text and "75 %" in text
