"""The morning handover of the on-call service (SPEC §4.4: the care team is informed the next
morning, with consent): closing a call notifies the person's care team, and the day nurse's
home lists the night's calls about the people she may read."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import (
    BeneficiaryFactory,
    consent,
    join_care_team,
)
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.oncall.models import Call

from .factories import call

TOLD = "Appel d'astreinte clos — chute : DUPONT Jeanne (maintien à domicile, suite à donner)"


@pytest.fixture
def night_nurse(crt_a, make_user):
    return make_user(crt_a, Role.NURSE, username="nuit", first_name="Nadia",
                     last_name="Nuit")


@pytest.fixture
def person(crt_a, users):
    """Mme Dupont, whose care team is the CRT's nurse and a partner doctor, sharing consented
    and agreeing that the care team be informed of the on-call interventions."""
    b = BeneficiaryFactory(crt=crt_a, birth_name="Dupont", first_name="Jeanne")
    consent(b, share_health=True)
    consent(b, kind="oncall_information")
    join_care_team(b, users["nurse"])
    join_care_team(b, users["partner"], {Role.PARTNER})
    return b


def close_call(client, author, item, **fields):
    """The night nurse completes and closes the call on its page."""
    client.force_login(author)
    response = client.post(reverse("oncall:call", kwargs={"call_id": item.public_id}), {
        "assessment": "Chute sans perte de connaissance, douleur de hanche",
        "outcome": "stayed_home", "follow_up": "Radio de hanche à organiser",
        "close": "on", "version": item.version, **fields})
    assert response.status_code == 302, visible_text(response)
    item.refresh_from_db()
    assert item.status == Call.Status.CLOSED


def notifications(client, user) -> str:
    client.force_login(user)
    return visible_text(client.get(reverse("core:notifications")))


def badge(client, user) -> str:
    client.force_login(user)
    return visible_text(client.get(reverse("core:home")))


def link_of(client, user, text: str) -> str:
    client.force_login(user)
    page = client.get(reverse("core:notifications")).content.decode()
    found = re.search(r'<a href="([^"]+)">' + re.escape(text.replace("'", "&#x27;")), page)
    assert found, page
    return found.group(1)


class TestClosingACallTellsTheCareTeam:
    def test_the_referent_nurse_is_told_with_a_link_to_the_call(
            self, client, crt_a, users, person, night_nurse):
        item = call(crt_a, night_nurse, person)
        close_call(client, night_nurse, item)
        assert "Notifications 1" in badge(client, users["nurse"])
        assert TOLD in notifications(client, users["nurse"])
        url = link_of(client, users["nurse"], TOLD)
        assert url == reverse("oncall:call", kwargs={"call_id": item.public_id})
        page = client.get(url)
        assert page.status_code == 200
        assert "Radio de hanche à organiser" in visible_text(page)

    def test_no_free_text_in_the_notification(self, client, crt_a, users, person,
                                              night_nurse):
        """As short as an alert's: the reason and the outcome, never the follow-up's text
        (it is also e-mailed to whoever asked for it)."""
        close_call(client, night_nurse, call(crt_a, night_nurse, person))
        told = notifications(client, users["nurse"])
        assert TOLD in told and "Radio de hanche" not in told and "douleur" not in told

    def test_the_partner_with_consent_is_told_with_a_link_to_the_file(
            self, client, crt_a, users, person, night_nurse):
        """The partner doctor follows the coordination under the sharing consent; the call's
        page is the CRT team's, so the link opens the person's file."""
        close_call(client, night_nurse, call(crt_a, night_nurse, person))
        assert TOLD in notifications(client, users["partner"])
        url = link_of(client, users["partner"], TOLD)
        assert url == reverse("beneficiaries:detail", kwargs={"public_id": person.public_id})
        assert client.get(url).status_code == 200

    def test_neither_the_author_nor_an_aide_outside_the_care_team(
            self, client, crt_a, users, person, night_nurse, user_b):
        close_call(client, night_nurse, call(crt_a, night_nurse, person))
        assert TOLD in notifications(client, users["nurse"])  # told, the others not
        for user in (night_nurse, users["care_aide"], users["direction"]):
            assert "Appel d'astreinte clos" not in notifications(client, user)
            assert "Notifications 1" not in badge(client, user)
        page = notifications(client, user_b)  # another CRT
        assert "Appel d'astreinte clos" not in page and "DUPONT" not in page

    def test_a_care_aide_of_the_care_team_is_told(self, client, crt_a, users, person,
                                                  night_nurse):
        join_care_team(person, users["care_aide"])
        close_call(client, night_nurse, call(crt_a, night_nurse, person))
        assert TOLD in notifications(client, users["care_aide"])

    def test_a_partner_without_consent_is_not_told(self, client, crt_a, users, night_nurse):
        """No consent to share within the care team: the partner doctor of the team is not
        told (the file policy), the CRT's nurse is."""
        b = BeneficiaryFactory(crt=crt_a, birth_name="Dupont", first_name="Jeanne")
        consent(b, kind="oncall_information")
        join_care_team(b, users["nurse"])
        join_care_team(b, users["partner"], {Role.PARTNER})
        close_call(client, night_nurse, call(crt_a, night_nurse, b))
        assert TOLD in notifications(client, users["nurse"])
        page = notifications(client, users["partner"])
        assert "Appel d'astreinte clos" not in page and "DUPONT" not in page

    def test_nobody_is_told_when_the_person_objected(self, client, crt_a, users, night_nurse):
        """The person did not agree that the care team be informed of the on-call
        interventions: nobody is told (the call stays with the coordination)."""
        b = BeneficiaryFactory(crt=crt_a, birth_name="Dupont", first_name="Jeanne")
        consent(b, share_health=True)
        consent(b, kind="oncall_information", granted=False)
        join_care_team(b, users["nurse"])
        join_care_team(b, users["care_aide"])
        close_call(client, night_nurse, call(crt_a, night_nurse, b))
        for user in (users["nurse"], users["care_aide"]):
            assert "Appel d'astreinte clos" not in notifications(client, user)

    def test_a_call_about_no_known_person_tells_nobody(self, client, crt_a, users,
                                                       night_nurse):
        close_call(client, night_nurse, call(crt_a, night_nurse))
        assert "Appel d'astreinte clos" not in notifications(client, users["nurse"])


class TestTheDayNursesHome:
    def test_the_nurse_s_home_lists_the_night_s_call(self, client, crt_a, users, person,
                                                      night_nurse):
        item = call(crt_a, night_nurse, person,
                    received_at=timezone.now() - timedelta(hours=2))
        close_call(client, night_nurse, item)
        client.force_login(users["nurse"])
        response = client.get(reverse("core:home"))
        home = visible_text(response)
        assert "Astreinte depuis hier 8 h" in home
        assert ("DUPONT Jeanne : chute — maintien à domicile. Suite : Radio de hanche à "
                "organiser") in home
        assert reverse("oncall:call", kwargs={"call_id": item.public_id}) in \
            response.content.decode()

    def test_only_the_calls_about_the_people_she_may_read(self, client, crt_a, users,
                                                          person, night_nurse):
        """A call about someone outside her care team is only counted, never named."""
        other = BeneficiaryFactory(crt=crt_a, birth_name="Martin", first_name="Paul")
        consent(other, share_health=True)
        consent(other, kind="oncall_information")
        close_call(client, night_nurse, call(crt_a, night_nurse, person))
        close_call(client, night_nurse, call(crt_a, night_nurse, other))
        client.force_login(users["nurse"])
        home = visible_text(client.get(reverse("core:home")))
        assert "DUPONT Jeanne : chute" in home
        assert "MARTIN" not in home and "Et 1 autre appel." in home

    def test_a_user_of_another_crt_sees_nothing(self, client, crt_a, crt_b, make_user,
                                                person, night_nurse):
        close_call(client, night_nurse, call(crt_a, night_nurse, person))
        nurse_b = make_user(crt_b, Role.NURSE, username="infirmiere-b")
        client.force_login(nurse_b)
        home = visible_text(client.get(reverse("core:home")))
        assert "Astreinte depuis hier 8 h" in home and "Aucun appel." in home
        assert "DUPONT" not in home

    def test_the_nurse_s_home_stays_within_its_query_budget(
            self, client, crt_a, users, night_nurse, django_assert_max_num_queries):
        for _ in range(8):
            b = BeneficiaryFactory(crt=crt_a)
            consent(b, share_health=True)
            consent(b, kind="oncall_information")
            join_care_team(b, users["nurse"])
            close_call(client, night_nurse, call(crt_a, night_nurse, b))
        client.force_login(users["nurse"])
        client.get(reverse("core:home"))
        with django_assert_max_num_queries(NURSE_HOME_BUDGET):
            home = visible_text(client.get(reverse("core:home")))
        assert home.count(": chute — maintien à domicile") == 8


#: 16 without this panel (measured), plus its two queries: the night's calls and those she
#: may read (flat: 1 call or 8 cost the same); +1: her on-call turns (« Mes passages » of
#: today keeps the night she works in one piece); +1: her night hours, which extend that night
#: as a turn does (``rounds.rest.night_hours``).
NURSE_HOME_BUDGET = 20
