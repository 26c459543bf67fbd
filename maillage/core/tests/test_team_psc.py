"""The RPPS/ADELI number the coordination enters for a Pro Santé Connect login (the login
itself: ``maillage/interop/tests/test_psc.py``)."""


import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from maillage.core.models import AuditEvent, Membership
from maillage.core.roles import Role
from maillage.core.tests.helpers import field_error

from .helpers import visible_text

User = get_user_model()


@pytest.fixture(autouse=True)
def _clear_rate_limits(db):
    cache.clear()



def invite(client, **changes):
    data = {"last_name": "Lemoine", "first_name": "Karine", "username": "karine.lemoine",
            "email": "", "phone": "", "title": "Infirmière", "roles": ["nurse"],
            "psc_identifier": "10001234565"}
    data.update(changes)
    return client.post(reverse("core:member_add"), data)


def test_invite_with_the_rpps(client, users, crt_a):
    client.force_login(users["coordinator"])
    page = visible_text(client.get(reverse("core:member_add")))
    assert "Numéro RPPS ou ADELI (connexion Pro Santé Connect)" in page
    assert invite(client, psc_identifier=" 100 0123 4565 ").status_code == 302
    person = User.objects.get(username="karine.lemoine")
    assert person.psc_identifier == "10001234565" and person.psc_sub == ""
    event = AuditEvent.objects.get(action="member.invited")
    assert event.details["rpps_adeli"] == "10001234565"
    team = visible_text(client.get(reverse("core:team")))
    assert "Pro Santé Connect : en attente de la première connexion" in team
    User.objects.filter(pk=person.pk).update(psc_sub="f:identite")
    team = visible_text(client.get(reverse("core:team")))
    assert "Pro Santé Connect : identité rattachée" in team


@pytest.mark.parametrize(("number", "message"), [
    ("1234", "Indiquez le numéro RPPS (11 chiffres) ou, à défaut, le numéro ADELI (9 chiffres)."),
    ("1000123456A", "11 chiffres"),
    ("12345678901", "La clé du numéro RPPS est incorrecte"),  # a digit mistyped
])
def test_a_wrong_number_is_refused_next_to_the_field(client, users, number, message):
    client.force_login(users["coordinator"])
    before = User.objects.count()
    response = invite(client, psc_identifier=number)
    assert response.status_code == 400
    assert message in field_error(response, "psc_identifier"), visible_text(response)
    assert User.objects.count() == before


def test_one_number_opens_one_account(client, users, crt_a, make_user):
    make_user(crt_a, Role.NURSE, psc_identifier="10001234565")
    client.force_login(users["coordinator"])
    response = invite(client)
    assert response.status_code == 400
    assert "déjà celui d'un autre compte" in field_error(response, "psc_identifier")
    assert not User.objects.filter(username="karine.lemoine").exists()


def test_changing_the_number_forgets_the_linked_identity(client, users, crt_a, make_user):
    nurse = make_user(crt_a, Role.NURSE, psc_identifier="10001234565", psc_sub="f:ancienne")
    membership = Membership.objects.get(user=nurse, crt=crt_a)
    client.force_login(users["coordinator"])
    url = reverse("core:member_edit", args=[membership.public_id])
    page = client.get(url)
    assert 'value="10001234565"' in page.content.decode()
    # Same number, roles unchanged: nothing to record, the link stays.
    client.post(url, {"version": 1, "roles": ["nurse"], "title": "",
                      "psc_identifier": "10001234565"})
    nurse.refresh_from_db()
    assert nurse.psc_sub == "f:ancienne"
    assert not AuditEvent.objects.filter(action="member.roles_updated").exists()
    response = client.post(url, {"version": 1, "roles": ["nurse"], "title": "",
                                 "psc_identifier": "751234567"})
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert (nurse.psc_identifier, nurse.psc_sub, nurse.psc_linked_at) == ("751234567", "", None)
    event = AuditEvent.objects.get(action="member.roles_updated")
    assert event.details["rpps_adeli"] == {"avant": "10001234565", "après": "751234567"}
    bad = client.post(url, {"version": 2, "roles": ["nurse"], "title": "", "psc_identifier": "12"})
    assert bad.status_code == 400
    assert "11 chiffres" in field_error(bad, "psc_identifier")


def test_not_for_an_account_that_opens_another_crt(client, users, crt_a, crt_b, make_user):
    shared = make_user(crt_a, Role.NURSE)
    Membership.objects.create(user=shared, crt=crt_b)
    membership = Membership.objects.get(user=shared, crt=crt_a)
    client.force_login(users["coordinator"])
    url = reverse("core:member_edit", args=[membership.public_id])
    response = client.post(url, {"version": 1, "roles": ["nurse"], "title": "",
                                 "psc_identifier": "10001234565"})
    assert response.status_code == 400
    assert "donne aussi accès à un autre CRT" in field_error(response, "psc_identifier")
    shared.refresh_from_db()
    assert shared.psc_identifier == ""
