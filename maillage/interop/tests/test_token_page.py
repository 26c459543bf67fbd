"""The coordinator's API token page: the three people, the secret shown once, revocation."""

from html import unescape

import pytest
from django.urls import reverse

from maillage.core.tests.helpers import visible_text
from maillage.interop.models import ApiToken, hash_secret
from maillage.interop.services import api_token_create

LIST = reverse("api_tokens:list")


def _member_id(user, crt):
    return str(user.memberships.get(crt=crt).public_id)


def test_coordinator_creates_sees_once_and_revokes(client, users, crt_a):
    client.force_login(users["coordinator"])
    response = client.post(reverse("api_tokens:create"), {
        "member": _member_id(users["partner"], crt_a), "name": "Logiciel du DAC", "days": "90"})
    assert response.status_code == 302
    page = client.get(LIST).content.decode()
    token = ApiToken.objects.get()
    secret = page.split('id="api-token" class="font-monospace">')[1].split("<")[0]
    assert token.key_hash == hash_secret(secret) and token.user == users["partner"]
    assert token.created_by == users["coordinator"]
    assert "ne s'affiche qu'une fois" in page
    listed = client.get(LIST)
    assert secret not in listed.content.decode()  # once
    assert "Logiciel du DAC" in visible_text(listed) and "actif" in visible_text(listed)
    assert client.get("/fhir/R4/Patient",
                      HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    client.post(reverse("api_tokens:revoke", args=[token.prefix]))
    assert "révoqué le" in visible_text(client.get(LIST))
    assert client.get("/fhir/R4/Patient",
                      HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_bad_input_is_shown_next_to_its_field_in_french(client, users, crt_a):
    client.force_login(users["coordinator"])
    nurse = _member_id(users["nurse"], crt_a)
    cases = [
        ({"member": "", "name": "X", "days": "30"}, "member",
         "Choisissez le compte que le logiciel utilisera."),
        ({"member": "123", "name": "X", "days": "30"}, "member",
         "Choisissez un compte de l'équipe du CRT."),
        ({"member": nurse, "name": "  ", "days": "30"}, "name",
         "Donnez un nom au jeton (le logiciel qui l'utilise)."),
        ({"member": nurse, "name": "X", "days": "9999"}, "days",
         "La durée de validité va de 1 à 730 jours."),
        ({"member": nurse, "name": "X", "days": "trois"}, "days", "Indiquez un nombre de jours."),
    ]
    for data, field, says in cases:
        response = client.post(reverse("api_tokens:create"), data)
        assert response.status_code == 400, data
        html = unescape(response.content.decode())
        error = html.split(f'id="id_{field}_errors"')[1].split("</div>")[0]
        assert says in error, (data, error)
        assert f'aria-describedby="id_{field}_help id_{field}_errors"' in html \
            or f'aria-describedby="id_{field}_errors"' in html
    # What was typed stays in the form.
    assert 'value="X"' in response.content.decode()
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", ["nurse", "partner", "auditor"])
def test_forbidden_roles(client, users, crt_a, role):
    created = api_token_create(actor=None, crt=crt_a, user=users["nurse"], name="x")
    client.force_login(users[role])
    assert client.get(LIST).status_code == 403
    assert client.post(reverse("api_tokens:revoke", args=[created.token.prefix])) \
        .status_code == 403
    assert ApiToken.objects.get().revoked_at is None


def test_other_crt_sees_nothing_and_cannot_revoke(client, users, crt_a, user_b):
    created = api_token_create(actor=None, crt=crt_a, user=users["nurse"], name="Secret A")
    client.force_login(user_b)
    assert "Secret A" not in client.get(LIST).content.decode()
    assert client.post(reverse("api_tokens:revoke", args=[created.token.prefix])) \
        .status_code == 404
    assert ApiToken.objects.get().revoked_at is None
