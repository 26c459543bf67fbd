"""Finding 15: the pickers of "team members" listed the beneficiary, caregivers, the ARS and the
DPO. Now one definition (active staff with a care or coordination role) feeds every picker."""

from django.urls import reverse

from maillage.beneficiaries.tests.factories import shared_file

NEVER = ["beneficiary", "caregiver", "ars", "auditor", "partner", "admin_staff"]
ALWAYS = ["coordinator", "doctor", "nurse", "care_aide", "psychologist",
          "occupational_therapist", "activity_leader", "direction"]


def _found(client, url, field, user) -> bool:
    """Whether the picker's search (the htmx fragment the form asks as one types) offers this
    user when their full name is typed."""
    response = client.get(url, {"champ": field, f"{field}_q": user.get_full_name()})
    assert response.status_code == 200
    return f'value="{user.public_id}"' in response.content.decode()


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
    other = make_user(crt_b, "nurse", username="nurse-b")
    b = shared_file(crt_a)
    client.force_login(users["coordinator"])
    url = reverse("beneficiaries:care_team_pick", kwargs={"public_id": b.public_id})
    for role in ALWAYS:
        assert _found(client, url, "user", users[role]), role
    for role in NEVER:
        assert not _found(client, url, "user", users[role]), role
    assert not _found(client, url, "user", other)


def test_alert_assignee_picker(client, users, crt_a):
    b = shared_file(crt_a)
    client.force_login(users["coordinator"])
    url = reverse("care:alert_pick", kwargs={"public_id": b.public_id})
    assert _found(client, url, "assignee", users["nurse"])
    for role in NEVER:
        assert not _found(client, url, "assignee", users[role]), role
