"""Finding 15: the pickers of "team members" listed the beneficiary, caregivers, the ARS and the
DPO. Now one definition (active staff with a care or coordination role) feeds every picker."""

from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file

NEVER = ["beneficiary", "caregiver", "ars", "auditor", "partner", "admin_staff"]
ALWAYS = ["coordinator", "doctor", "nurse", "care_aide", "psychologist",
          "occupational_therapist", "activity_leader", "direction"]


def _options(response, field):
    html = response.content.decode()
    start = html.index(f'name="{field}"')
    return html[start:html.index("</select>", start)]


def test_the_definition(users, crt_a, make_user):
    from maillage.core.selectors import team_member_users

    team = set(team_member_users(crt=crt_a).values_list("username", flat=True))
    assert set(ALWAYS) <= team
    assert not team & set(NEVER)
    gone = make_user(crt_a, "nurse", username="gone-nurse")
    gone.memberships.update(is_active=False)
    assert "gone-nurse" not in set(team_member_users(crt=crt_a).values_list("username",
                                                                            flat=True))


def test_care_team_picker(client, users, crt_a, crt_b, make_user):
    make_user(crt_b, "nurse", username="nurse-b")
    b = shared_file(crt_a)
    client.force_login(users["coordinator"])
    options = _options(client.get(reverse("beneficiaries:care_team_add",
                                          kwargs={"public_id": b.public_id})), "user")
    for role in ALWAYS:
        assert str(users[role].public_id) in options, role
    for role in NEVER:
        assert str(users[role].public_id) not in options, role
    assert "nurse-b" not in options


def test_alert_assignee_picker(client, users, crt_a):
    b = shared_file(crt_a)
    client.force_login(users["coordinator"])
    page = client.get(reverse("care:alert_add", kwargs={"public_id": b.public_id}))
    options = _options(page, "assignee")
    assert users["nurse"].get_full_name() in options
    for role in NEVER:
        assert users[role].get_full_name() not in options, role
