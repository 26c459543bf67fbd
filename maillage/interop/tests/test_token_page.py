"""The coordinator's API token page: the three people, the secret shown once, revocation."""

from html import unescape

import pytest
from django.urls import reverse

from maillage.core.errors import DomainError
from maillage.core.tests.helpers import visible_text
from maillage.interop.models import ApiToken, hash_secret
from maillage.interop.services import api_token_create

LIST = reverse("api_tokens:list")


def _member_id(user, crt):
    return str(user.memberships.get(crt=crt).public_id)


def test_coordinator_creates_sees_once_and_revokes(client, users, crt_a):
    client.force_login(users["coordinator"])
    response = client.post(reverse("api_tokens:create"), {
        "member": _member_id(users["coordinator"], crt_a), "name": "Logiciel du DAC",
        "days": "90"})
    assert response.status_code == 302
    page = client.get(LIST).content.decode()
    token = ApiToken.objects.get()
    secret = page.split('id="api-token" class="font-monospace">')[1].split("<")[0]
    assert token.key_hash == hash_secret(secret) and token.user == users["coordinator"]
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
    own = _member_id(users["coordinator"], crt_a)
    cases = [
        ({"member": "", "name": "X", "days": "30"}, "member",
         "Choisissez le compte que le logiciel utilisera."),
        ({"member": "123", "name": "X", "days": "30"}, "member",
         "Un jeton ne se crée que pour votre propre compte."),
        ({"member": own, "name": "  ", "days": "30"}, "name",
         "Donnez un nom au jeton (le logiciel qui l'utilise)."),
        ({"member": own, "name": "X", "days": "9999"}, "days",
         "La durée de validité va de 1 à 730 jours."),
        ({"member": own, "name": "X", "days": "trois"}, "days", "Indiquez un nombre de jours."),
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


@pytest.mark.parametrize("manager", ["coordinator", "direction"])
def test_a_manager_cannot_get_a_token_acting_as_a_colleague(client, users, crt_a, manager):
    """A token acts with its account's rights: a coordinator holding a token of the doctor's
    account would read the health data her own screens refuse. The page offers only her own
    account; a colleague's (tampered form) is refused next to the field, nothing created."""
    client.force_login(users[manager])
    page = client.get(LIST)
    offered = unescape(page.content.decode()).split('name="member"')[1].split("</select>")[0]
    assert f"({manager})" in offered
    assert "(doctor)" not in offered and "(partner)" not in offered
    for colleague in ("doctor", "partner"):
        response = client.post(reverse("api_tokens:create"), {
            "member": _member_id(users[colleague], crt_a), "name": "X", "days": "30"})
        assert response.status_code == 400
        html = unescape(response.content.decode())
        error = html.split('id="id_member_errors"')[1].split("</div>")[0]
        assert "Un jeton ne se crée que pour votre propre compte." in error
    assert not ApiToken.objects.exists()
    with pytest.raises(DomainError) as refused:
        api_token_create(actor=users[manager], crt=crt_a, user=users["doctor"], name="X")
    assert refused.value.field == "user" and "votre propre compte" in refused.value.message
    assert not ApiToken.objects.exists()
    # Their own account: allowed (the software sees what they see).
    created = api_token_create(actor=users[manager], crt=crt_a, user=users[manager], name="X")
    assert created.token.user == users[manager]


def test_tokens_made_for_a_colleague_are_revoked_by_the_migration(client, users, crt_a):
    """Tokens created before the fix on the page for another account (their secret was shown to
    the manager) stop working; the console's tokens and one's own stay."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "maillage.interop.migrations.0005_revoke_tokens_made_for_others")
    console = api_token_create(actor=None, crt=crt_a, user=users["partner"], name="Console")
    own = api_token_create(actor=users["coordinator"], crt=crt_a, user=users["coordinator"],
                           name="Le mien")
    stolen = api_token_create(actor=None, crt=crt_a, user=users["doctor"], name="Médecin")
    ApiToken.objects.filter(pk=stolen.token.pk).update(created_by=users["coordinator"])
    migration.revoke(apps, None)
    for created, status in ((console, 200), (own, 200), (stolen, 401)):
        response = client.get("/fhir/R4/Patient",
                              HTTP_AUTHORIZATION=f"Bearer {created.secret}")
        assert response.status_code == status, created.token.name
    client.force_login(users["coordinator"])
    rows = [r for r in visible_text(client.get(LIST)).splitlines() if "Médecin" in r]
    assert rows and "révoqué le" in rows[0]


def test_the_audit_of_a_token_read_names_its_creator(client, users, crt_a):
    from maillage.beneficiaries.tests.factories import BeneficiaryFactory
    from maillage.core.models import AuditEvent

    person = BeneficiaryFactory(crt=crt_a)
    created = api_token_create(actor=users["coordinator"], crt=crt_a,
                               user=users["coordinator"], name="X")
    console = api_token_create(actor=None, crt=crt_a, user=users["coordinator"], name="Y")
    for token in (created, console):
        response = client.get(f"/fhir/R4/Patient/{person.public_id}",
                              HTTP_AUTHORIZATION=f"Bearer {token.secret}")
        assert response.status_code == 200
    details = list(AuditEvent.objects.filter(action="fhir.patient_read")
                   .order_by("id").values_list("details", flat=True))
    assert details == [
        {"jeton": created.token.prefix, "jeton_cree_par": "coordinator"},
        {"jeton": console.token.prefix, "jeton_cree_par": "console"}]
