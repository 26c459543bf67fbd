"""The alert form finds whom to entrust the alert to by name (search-as-you-type)."""

from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file
from maillage.care.models import Alert
from maillage.core.pickers import PICKER_LIMIT
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text


def url(name, b):
    return reverse(f"care:{name}", kwargs={"public_id": b.public_id})


def test_alert_assignee_picker(client, users, crt_a, crt_b, make_user, user_b):
    b = shared_file(crt_a, users["care_aide"])
    team = [make_user(crt_a, Role.NURSE, first_name="Rose", last_name=f"Guillouzq{i:02d}")
            for i in range(25)]
    client.force_login(users["care_aide"])
    page = client.get(url("alert_add", b))
    assert page.status_code == 200 and "Guillouzq" not in visible_text(page)
    found = client.get(url("alert_pick", b), {"champ": "assignee", "assignee_q": "guillouzq"})
    assert found.content.decode().count('name="assignee"') == PICKER_LIMIT + 1
    # Without JavaScript, a typed name that matches one member.
    response = client.post(url("alert_add", b), {
        "kind": Alert.Kind.choices[0][0], "severity": "medium",
        "description": "Chute dans la salle de bains", "assignee_q": "Rose Guillouzq07"})
    assert response.status_code == 302
    assert Alert.objects.get(description="Chute dans la salle de bains").assignee == team[7]
    client.force_login(users["auditor"])  # no alert.raise
    assert client.get(url("alert_pick", b), {"assignee_q": "a"}).status_code == 403
    client.force_login(user_b)  # another CRT
    assert client.get(url("alert_pick", b), {"assignee_q": "a"}).status_code == 404


def test_aucun_chosen_after_a_search_is_kept(client, users, crt_a, make_user):
    """A name typed, then « Aucun » ticked: the alert goes to the coordination, as the form
    says, not to the member the text still in the search box names."""
    b = shared_file(crt_a, users["care_aide"])
    make_user(crt_a, Role.NURSE, first_name="Aurélie", last_name="Cottin")
    client.force_login(users["care_aide"])
    response = client.post(url("alert_add", b), {
        "kind": Alert.Kind.choices[0][0], "severity": "medium",
        "description": "Ne répond pas au téléphone", "assignee_q": "cott", "assignee": ""})
    assert response.status_code == 302
    assert Alert.objects.get(description="Ne répond pas au téléphone").assignee is None
