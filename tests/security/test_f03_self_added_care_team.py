"""Finding 3: a user with ``beneficiary.manage`` (the secretariat) could add themselves to a care
team, then read what the team reads, the key-box code included. Now only the coordination
changes a care team, and nobody adds themselves."""

from datetime import date

import pytest
from django.urls import reverse

from maillage.beneficiaries.models import CareTeamMember
from maillage.beneficiaries.services import care_team_add
from maillage.beneficiaries.tests.factories import shared_file
from maillage.core.errors import DomainError
from maillage.core.tests.helpers import visible_text


def add_url(b):
    return reverse("beneficiaries:care_team_add", kwargs={"public_id": b.public_id})


@pytest.mark.parametrize("role", ["admin_staff", "direction", "nurse", "doctor"])
def test_who_manages_the_file_cannot_join_its_care_team(client, users, crt_a, role):
    b = shared_file(crt_a)
    me = users[role]
    client.force_login(me)
    assert client.get(add_url(b)).status_code == 403
    response = client.post(add_url(b), {"user": me.public_id, "role": "Moi",
                                        "start_date": "2025-01-01", "visits_home": "on"})
    assert response.status_code == 403
    assert not CareTeamMember.objects.filter(beneficiary=b, user=me).exists()
    # Still no key-box code on the file page.
    page = client.get(reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))
    assert "1234A" not in visible_text(page)


def test_not_even_through_the_service(users, crt_a):
    b = shared_file(crt_a)
    with pytest.raises(DomainError, match="Seule la coordination"):
        care_team_add(actor=users["admin_staff"], beneficiary=b, user=users["admin_staff"],
                      role="Moi", start_date=date(2025, 1, 1))


def test_the_coordinator_does_not_add_themselves_either(client, users, crt_a):
    b = shared_file(crt_a)
    client.force_login(users["coordinator"])
    response = client.post(add_url(b), {"user": users["coordinator"].public_id, "role": "IDEC",
                                        "start_date": "2025-01-01", "visits_home": "on"})
    assert response.status_code == 400
    assert "Personne ne s'ajoute soi-même au cercle de soins" in visible_text(response)
    assert not CareTeamMember.objects.filter(beneficiary=b).exists()


def test_the_coordinator_adds_a_care_aide(client, users, crt_a):
    b = shared_file(crt_a)
    client.force_login(users["coordinator"])
    response = client.post(add_url(b), {"user": users["care_aide"].public_id,
                                        "role": "Aide-soignante", "start_date": "2025-01-01",
                                        "visits_home": "on"})
    assert response.status_code == 302
    client.force_login(users["care_aide"])
    page = client.get(reverse("beneficiaries:detail", kwargs={"public_id": b.public_id}))
    assert "1234A" in visible_text(page)
