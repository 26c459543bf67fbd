"""The night nurse who works for two CRTs (issue 11, item 5): the search's hint « … suivie par
le CRT … — passer à ce CRT » (only her own CRTs, no identity before switching, one query), the
switch that lands back on the same search, and the other calls of the person on the call
screen (same night, last 30 days; content only of the calls she may read)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import BeneficiaryFactory, join_care_team
from maillage.core.middleware import SESSION_KEY
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.factories import CrtFactory, member
from maillage.core.tests.helpers import visible_text
from maillage.oncall import selectors
from maillage.oncall.models import Call

from .factories import call, shift


def _work_in(client, user, crt):
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = str(crt.public_id)
    session.save()


@pytest.fixture
def nurse(crt_a, crt_b, make_user):
    """A nurse of CRT A who is also a nurse of CRT B, working in CRT A."""
    user = make_user(crt_a, Role.NURSE, username="night_nurse")
    member(user, crt_b, Role.NURSE)
    return user


def _section(response) -> str:
    """The visible text of the "other calls" section."""
    html = response.content.decode()
    start = html.index('id="h-earlier"')
    return visible_text(type("R", (), {"content": html[start:html.index("</section>", start)]
                                       .encode()}))


def _screen(client, query):
    return client.get(reverse("oncall:screen"), {"q": query})


class TestHint:
    def test_a_person_of_her_other_crt_is_hinted_without_identity(self, crt_b, nurse, client):
        BeneficiaryFactory(crt=crt_b, birth_name="Rabouin", first_name="Odette",
                           phone="02 41 92 18 77")
        _work_in(client, nurse, nurse.memberships.get(crt__name="CRT A").crt)
        response = _screen(client, "rabouin")
        page = visible_text(response)
        assert "Aucune personne trouvée dans ce CRT" in page
        assert "suivie par le CRT B" in page and "Passer à ce CRT" in page
        assert "Odette" not in page and "RABOUIN" not in page and "02 41 92" not in page
        # The same hint from the general file search.
        page = visible_text(client.get(reverse("beneficiaries:list"), {"q": "Rabouin"}))
        assert "suivie par le CRT B" in page and "Odette" not in page

    def test_some_results_here_and_some_in_the_other_crt(self, crt_a, crt_b, nurse, client):
        BeneficiaryFactory(crt=crt_a, birth_name="Martin", first_name="Jeanne")
        BeneficiaryFactory(crt=crt_b, birth_name="Martin", first_name="Hortense")
        _work_in(client, nurse, crt_a)
        page = visible_text(_screen(client, "Martin"))
        assert "1 personne trouvée" in page and "Jeanne" in page
        assert "suivie par le CRT B" in page and "Hortense" not in page

    def test_nothing_for_a_crt_she_does_not_belong_to(self, crt_a, nurse, client):
        third = CrtFactory(name="CRT C")
        BeneficiaryFactory(crt=third, birth_name="Rabouin")
        _work_in(client, nurse, crt_a)
        page = visible_text(_screen(client, "Rabouin"))
        assert "suivie par le" not in page and "CRT C" not in page

    def test_nothing_for_a_single_crt_user(self, crt_a, crt_b, users, client):
        BeneficiaryFactory(crt=crt_b, birth_name="Rabouin")
        client.force_login(users["nurse"])
        page = visible_text(_screen(client, "Rabouin"))
        assert "suivie par le" not in page and "CRT B" not in page
        page = visible_text(client.get(reverse("beneficiaries:list"), {"q": "Rabouin"}))
        assert "suivie par le" not in page

    def test_nothing_through_an_ended_membership_or_a_role_that_may_not_search(
            self, crt_a, crt_b, make_user, client):
        BeneficiaryFactory(crt=crt_b, birth_name="Rabouin")
        ended = make_user(crt_a, Role.NURSE)
        member(ended, crt_b, Role.NURSE, is_active=False)
        psychologist_there = make_user(crt_a, Role.NURSE)
        member(psychologist_there, crt_b, Role.PSYCHOLOGIST)
        for user in (ended, psychologist_there):
            _work_in(client, user, crt_a)
            assert "suivie par le" not in visible_text(_screen(client, "Rabouin"))

    def test_the_hint_is_one_query_whatever_the_number_of_crts(self, crt_a, crt_b, nurse,
                                                              client):
        BeneficiaryFactory(crt=crt_b, birth_name="Rabouin")
        _work_in(client, nurse, crt_a)

        def count():
            with CaptureQueriesContext(connection) as ctx:
                page = visible_text(_screen(client, "Rabouin"))
            return len(ctx.captured_queries), page

        _screen(client, "Rabouin")  # the session's refresh (once a minute) not counted
        two, _ = count()
        for name in ("CRT C", "CRT D"):
            other = CrtFactory(name=name)
            member(nurse, other, Role.NURSE)
            BeneficiaryFactory(crt=other, birth_name="Rabouin")
        four, page = count()
        assert four == two
        assert all(f"suivie par le {n}" in page for n in ("CRT B", "CRT C", "CRT D"))

    def test_switching_lands_on_the_same_search_there(self, crt_a, crt_b, nurse, client):
        b = BeneficiaryFactory(crt=crt_b, birth_name="Rabouin", first_name="Odette")
        _work_in(client, nurse, crt_a)
        search = reverse("oncall:screen") + "?q=Rabouin"
        response = client.post(reverse("core:crt_choose"),
                               {"crt": str(crt_b.public_id), "next": search}, follow=True)
        assert response.redirect_chain[-1][0] == search
        page = visible_text(response)
        assert "CRT B" in page and "1 personne trouvée" in page and "Odette" in page
        assert reverse("oncall:person", kwargs={"public_id": b.public_id}) in \
            response.content.decode()

    @pytest.mark.parametrize("bad", ["https://evil.example/", "//evil.example/x",
                                     "javascript:alert(1)", ""])
    def test_the_switch_never_leaves_the_site(self, crt_a, crt_b, nurse, client, bad):
        _work_in(client, nurse, crt_a)
        response = client.post(reverse("core:crt_choose"),
                               {"crt": str(crt_b.public_id), "next": bad})
        assert response.status_code == 302 and response.url == reverse("core:home")


# --- Other calls of the person ----------------------------------------------------------------


def _at(days_ago, hour, minute=0):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(
        hour=hour, minute=minute))


class TestEarlierCalls:
    def test_period_start(self):
        assert timezone.localtime(selectors.period_start(_at(0, 23, 10))) == \
            timezone.localtime(_at(0, 20))
        assert timezone.localtime(selectors.period_start(_at(0, 3, 10))) == \
            timezone.localtime(_at(1, 20))
        assert timezone.localtime(selectors.period_start(_at(0, 10))) == \
            timezone.localtime(_at(0, 8))

    def test_the_new_call_lists_the_same_night_and_the_last_30_days(self, crt_a, users,
                                                                   client):
        nurse = users["nurse"]
        b = BeneficiaryFactory(crt=crt_a, birth_name="Rabouin")
        now = timezone.now()
        tonight = call(crt_a, nurse, b, received_at=now - timedelta(minutes=50),
                       reason=Call.Reason.ANXIETY, outcome=Call.Outcome.STAYED_HOME)
        last_week = call(crt_a, nurse, b, received_at=now - timedelta(days=6),
                         reason=Call.Reason.FALL)
        # Taken by a care aide while the nurse was not on the rota: not hers to read.
        other = call(crt_a, users["care_aide"], b, received_at=now - timedelta(days=12),
                     reason=Call.Reason.PAIN)
        call(crt_a, nurse, b, received_at=now - timedelta(days=40))  # too old
        call(crt_a, nurse, BeneficiaryFactory(crt=crt_a))  # someone else
        client.force_login(nurse)
        response = client.get(reverse("oncall:call_new"), {"personne": b.public_id})
        page = _section(response)
        html = response.content.decode()
        same = "La même nuit (depuis 20 h)" if selectors.period_start(now).hour == 20 \
            else "Le même jour (depuis 8 h)"
        if tonight.received_at >= selectors.period_start(now):
            assert same in page
        assert "Les 30 derniers jours" in page
        for c in (tonight, last_week):
            assert timezone.localtime(c.received_at).strftime("%d/%m/%Y à %H:%M") in page
            assert reverse("oncall:call", kwargs={"call_id": c.public_id}) in html
        assert "Angoisse" in page
        assert last_week.get_reason_display() in page
        # The care aide's call: its time and who took it, not its content nor its page.
        assert timezone.localtime(other.received_at).strftime("%d/%m/%Y à %H:%M") in page
        assert other.get_reason_display() not in page
        assert reverse("oncall:call", kwargs={"call_id": other.public_id}) not in html
        assert "contenu réservé" in page
        assert page.count("pris par") == 3
        event = AuditEvent.objects.get(action="oncall_call.history_viewed")
        assert event.actor == nurse and event.details == {"appels lus": 2}

    def test_the_call_page_lists_the_others_with_a_bounded_query_count(self, crt_a, users,
                                                                      client):
        coordinator = users["coordinator"]
        b = BeneficiaryFactory(crt=crt_a)
        shown = call(crt_a, coordinator, b)
        client.force_login(coordinator)
        url = reverse("oncall:call", kwargs={"call_id": shown.public_id})

        def count():
            with CaptureQueriesContext(connection) as ctx:
                page = _section(client.get(url))
            return len(ctx.captured_queries), page

        none, page = count()
        assert "Aucun autre appel ces 30 derniers jours." in page
        for days in range(1, 8):
            call(crt_a, users["nurse"], b, received_at=timezone.now() - timedelta(days=days))
        seven, page = count()
        assert seven <= none + 2
        assert page.count("pris par") == 7
        assert "contenu réservé" not in page  # the coordinator reads every call

    def test_at_most_20_are_listed(self, crt_a, users, client):
        nurse = users["nurse"]
        b = BeneficiaryFactory(crt=crt_a)
        join_care_team(b, nurse)
        shift(crt_a, nurse, start=timezone.now() - timedelta(days=29), hours=29 * 24)
        for hours in range(1, 24):
            call(crt_a, nurse, b, received_at=timezone.now() - timedelta(hours=hours * 20))
        client.force_login(nurse)
        page = _section(client.get(reverse("oncall:call_new"), {"personne": b.public_id}))
        assert page.count("pris par") == 20
        assert "Seuls les 20 plus récents sont affichés." in page

    def test_a_refused_new_call_shows_the_list_again_audited(self, crt_a, users, client):
        nurse = users["nurse"]
        b = BeneficiaryFactory(crt=crt_a)
        call(crt_a, nurse, b, received_at=timezone.now() - timedelta(days=3))
        client.force_login(nurse)
        response = client.post(reverse("oncall:call_new") + f"?personne={b.public_id}",
                               {"reason": "", "source": ""})
        assert response.status_code == 400
        assert _section(response).count("pris par") == 1
        assert AuditEvent.objects.filter(action="oncall_call.history_viewed",
                                         actor=nurse).count() == 1
        assert not Call.objects.filter(beneficiary=b).exclude(
            received_at__lt=timezone.now() - timedelta(days=1)).exists()


def test_a_match_on_the_birth_name_shows_it(crt_a, users, client):
    """« Gasnier » finds Mme GOHIER, née GASNIER: the list says why she is there."""
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory

    BeneficiaryFactory(crt=crt_a, birth_name="Gasnier", used_name="Gohier", first_name="Simone",
                       sex="F")
    client.force_login(users["nurse"])
    page = visible_text(client.get(reverse("oncall:screen"), {"q": "Gasnier"}))
    assert "1 personne trouvée GOHIER Simone (née GASNIER) —" in page
