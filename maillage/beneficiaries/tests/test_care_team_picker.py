"""The care team form finds people by name (search-as-you-type), never lists the whole team
or directory; the fragment endpoint is bounded and guarded like the form; the form works
without JavaScript (a typed name)."""

import pytest
from django.urls import reverse

from maillage.beneficiaries.models import CareTeamMember
from maillage.core.pickers import PICKER_LIMIT
from maillage.core.roles import Role
from maillage.core.tests.helpers import visible_text
from maillage.territory.tests.factories import ProfessionalFactory

from .factories import shared_file


@pytest.fixture
def b(crt_a, users):
    return shared_file(crt_a, users["doctor"])


@pytest.fixture
def many(crt_a, make_user):
    """A big team and directory: 25 nurses named Quérouzq…, 25 professionals named Lebrecqz…"""
    team = [make_user(crt_a, Role.NURSE, first_name="Anne", last_name=f"Quérouzq{i:02d}")
            for i in range(25)]
    pros = [ProfessionalFactory(crt=crt_a, first_name="Yann", last_name=f"Lebrecqz{i:02d}")
            for i in range(25)]
    return team, pros


def add_url(b):
    return reverse("beneficiaries:care_team_add", kwargs={"public_id": b.public_id})


def pick_url(b):
    return reverse("beneficiaries:care_team_pick", kwargs={"public_id": b.public_id})


def test_the_form_lists_nobody_until_a_name_is_typed(client, users, b, many):
    client.force_login(users["coordinator"])
    page = client.get(add_url(b))
    assert page.status_code == 200
    text = visible_text(page)
    assert "Quérouzq" not in text and "Lebrecqz" not in text
    assert "Tapez les premières lettres du nom" in text
    assert f'hx-get="{pick_url(b)}"' in page.content.decode()


def test_endpoint_gives_at_most_twenty_matches(client, users, b, many, crt_a):
    client.force_login(users["coordinator"])
    response = client.get(pick_url(b), {"champ": "user", "user_q": "quérouzq"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('name="user"') == PICKER_LIMIT + 1  # the matches and « Aucun »
    assert "Anne Quérouzq00" in visible_text(response)
    one = client.get(pick_url(b), {"champ": "professional", "professional_q": "yann lebrecqz07"})
    assert "Yann Lebrecqz07" in visible_text(one) and "Lebrecqz08" not in visible_text(one)
    none = client.get(pick_url(b), {"champ": "user", "user_q": "zzz"})
    assert "Personne ne correspond à « zzz »." in visible_text(none)
    assert client.get(pick_url(b), {"champ": "password", "password_q": "a"}).status_code == 400


def test_endpoint_is_refused_to_other_roles_and_other_crts(client, users, b, user_b, crt_b):
    client.force_login(users["nurse"])  # no care_team.manage
    assert client.get(pick_url(b), {"champ": "user", "user_q": "a"}).status_code == 403
    client.force_login(user_b)  # every role, in CRT B
    assert client.get(pick_url(b), {"champ": "user", "user_q": "a"}).status_code == 404
    other = shared_file(crt_b)
    client.force_login(users["coordinator"])
    assert client.get(pick_url(other), {"champ": "user", "user_q": "a"}).status_code == 404


def test_round_trip_with_a_chosen_person(client, users, b, many):
    team, pros = many
    client.force_login(users["coordinator"])
    response = client.post(add_url(b), {"user": team[3].public_id, "user_q": "Quérouzq03",
                                        "role": "IDE", "start_date": "2025-01-01"})
    assert response.status_code == 302
    assert CareTeamMember.objects.filter(beneficiary=b, user=team[3]).exists()
    response = client.post(add_url(b), {"professional": pros[4].public_id, "role": "Kiné",
                                        "start_date": "2025-01-01"})
    assert response.status_code == 302
    assert CareTeamMember.objects.filter(beneficiary=b, professional=pros[4]).exists()


def test_without_javascript_a_typed_name_is_enough(client, users, b, many):
    team, pros = many
    client.force_login(users["coordinator"])
    response = client.post(add_url(b), {"professional_q": "lebrecqz12", "role": "Kiné",
                                        "start_date": "2025-01-01"})
    assert response.status_code == 302
    assert CareTeamMember.objects.filter(beneficiary=b, professional=pros[12]).exists()
    # Several match: the form says so and offers them (no more than the limit).
    response = client.post(add_url(b), {"user_q": "Quérouzq", "role": "IDE",
                                        "start_date": "2025-01-01"})
    assert response.status_code == 400
    text = visible_text(response)
    assert "Plusieurs personnes correspondent : choisissez dans la liste." in text
    assert "Anne Quérouzq00" in text and text.count("Anne Quérouzq") == PICKER_LIMIT
    # Nobody matches: said next to the field, nothing saved.
    before = CareTeamMember.objects.count()
    response = client.post(add_url(b), {"user_q": "Personne-ici", "role": "IDE",
                                        "start_date": "2025-01-01"})
    assert response.status_code == 400
    assert "Personne ne correspond à « Personne-ici » : vérifiez l'orthographe." in visible_text(
        response)
    assert CareTeamMember.objects.count() == before


def test_ending_a_participation_twice_says_it_is_already_ended(client, users, b):
    from datetime import date

    from maillage.beneficiaries import services
    from maillage.core.errors import DomainError

    from .factories import join_care_team

    member = join_care_team(b, users["nurse"])
    client.force_login(users["coordinator"])
    end_url = reverse("beneficiaries:care_team_end",
                      kwargs={"public_id": b.public_id, "item_id": member.public_id})
    data = {"end_date": "2026-03-12", "version": member.version}
    assert client.post(end_url, data).status_code == 302
    # The same click again (Back, or a second click): told it is done, nothing changed.
    again = client.post(end_url, {**data, "end_date": "2026-03-20"}, follow=True)
    text = visible_text(again)
    assert "Déjà terminé le 12/03/2026" in text
    assert "modifiée par quelqu'un d'autre" not in text
    member.refresh_from_db()
    assert (member.end_date, member.version) == (date(2026, 3, 12), 2)
    # Two clicks at once (the second one read the participation before the first wrote it).
    stale = CareTeamMember.objects.get(pk=member.pk)
    stale.end_date, stale.version = None, 1
    with pytest.raises(DomainError, match="Déjà terminé le 12/03/2026"):
        services.care_team_end(actor=users["coordinator"], member=stale,
                               end_date=date(2026, 3, 20), version=1)
