"""Finding 2: the clinical text of an on-call call was readable by the direction and by nurses
and care aides outside the person's care team.

Now a call is read by the professional on call at that time (who answered it, who travels for
it, who was on the rota), the coordinator, and the health professionals of the person's care
team when the person agreed that the care team be informed of on-call interventions. The
direction sees figures only."""

import pytest
from django.urls import reverse

from maillage.beneficiaries.tests.factories import consent, join_care_team, shared_file
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.oncall.tests.factories import call

ASSESSMENT = "Chute dans la salle de bain, hématome frontal"
ACTIONS = "Relevée, glace sur le front, surveillance"
FOLLOW_UP = "Revoir le tapis de bain avec la fille"


@pytest.fixture
def scene(crt_a, users, make_user):
    team_nurse = make_user(crt_a, Role.NURSE, username="team-nurse")
    b = shared_file(crt_a, team_nurse)
    consent(b, kind="oncall_information")
    item = call(crt_a, users["nurse"], b, assessment=ASSESSMENT, actions=ACTIONS,
                follow_up=FOLLOW_UP, outcome="stayed_home")
    outsider_nurse = make_user(crt_a, Role.NURSE, username="outsider-nurse")
    return {"b": b, "call": item, "team_nurse": team_nurse, "outsider_nurse": outsider_nurse}


def _detail(client, item):
    return client.get(reverse("oncall:call", kwargs={"call_id": item.public_id}))


@pytest.mark.parametrize("who", ["direction", "care_aide", "outsider_nurse"])
def test_direction_and_outsiders_cannot_read_the_call(scene, users, client, who):
    user = scene[who] if who in scene else users[who]
    client.force_login(user)
    response = _detail(client, scene["call"])
    assert response.status_code in (403, 404)
    assert ASSESSMENT not in visible_text(response)
    listing = client.get(reverse("oncall:calls"))
    assert str(scene["call"].public_id) not in listing.content.decode()
    for url in (reverse("core:home"),
                reverse("beneficiaries:detail", kwargs={"public_id": scene["b"].public_id})):
        page = client.get(url)
        text = visible_text(page)
        assert ACTIONS not in text and FOLLOW_UP not in text and ASSESSMENT not in text


def test_direction_still_sees_the_figures(scene, users, client):
    client.force_login(users["direction"])
    response = client.get(reverse("oncall:figures"))
    assert response.status_code == 200
    assert ASSESSMENT not in visible_text(response)


@pytest.mark.parametrize("who", ["coordinator", "nurse", "team_nurse"])
def test_coordinator_answering_nurse_and_care_team_read_it(scene, users, client, who):
    user = scene[who] if who in scene else users[who]
    client.force_login(user)
    response = _detail(client, scene["call"])
    assert response.status_code == 200
    assert ASSESSMENT in visible_text(response)
    assert str(scene["call"].public_id) in client.get(reverse("oncall:calls")).content.decode()


def test_care_team_without_the_persons_agreement_does_not_read_it(crt_a, users, client,
                                                                  make_user):
    member = make_user(crt_a, Role.NURSE, username="member")
    b = shared_file(crt_a, member)
    join_care_team(b, users["care_aide"])
    item = call(crt_a, users["nurse"], b, assessment=ASSESSMENT)
    for user in (member, users["care_aide"]):
        client.force_login(user)
        assert _detail(client, item).status_code in (403, 404)
