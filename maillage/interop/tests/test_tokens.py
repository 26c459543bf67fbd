"""API tokens: the services and ``maillage api-token`` (create prints the secret once)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from maillage.core.errors import DomainError
from maillage.core.models import AuditEvent
from maillage.core.roles import Role
from maillage.core.tests.factories import member
from maillage.interop.models import ApiToken, hash_secret
from maillage.interop.services import api_token_create, api_token_revoke


def run(*args) -> str:
    out = StringIO()
    call_command("api-token", *args, stdout=out)
    return out.getvalue()


def test_create_use_list_revoke(client, users, crt_a):
    out = run("create", "--user", "partner", "--days", "30", "--name", "Logiciel DAC")
    secret = out.strip().splitlines()[-1]
    assert "il ne sera plus jamais affiché" in out
    token = ApiToken.objects.get()
    assert token.key_hash == hash_secret(secret) and secret not in str(vars(token))
    assert token.user == users["partner"] and token.crt == crt_a and token.name == "Logiciel DAC"
    assert secret.startswith(token.prefix) and len(token.prefix) == 12
    assert (token.expires_at - token.created_at).days == 30
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/fhir/R4/Patient", **header).status_code == 200
    listing = run("list")
    assert token.prefix in listing and "actif" in listing and secret not in listing
    assert f"Jeton {token.prefix}… révoqué." in run("revoke", token.prefix)
    assert "révoqué" in run("list")
    assert client.get("/fhir/R4/Patient", **header).status_code == 401
    actions = list(AuditEvent.objects.filter(object_id=token.prefix)
                   .values_list("action", flat=True).order_by("id"))
    assert actions == ["api_token.created", "api_token.revoked"]


@pytest.mark.parametrize("args, message", [
    (["create", "--user", "personne"], "Aucun compte « personne »."),
    (["create", "--user", "coordinator", "--crt", "000000000"], "Aucun CRT de FINESS"),
    (["create", "--user", "coordinator", "--days", "0"], "La durée de validité va de 1 à 730"),
    (["create", "--user", "nomad"], "n'est membre actif d'aucun CRT"),
    (["create", "--user", "twice"], "précisez --crt FINESS"),
    (["create", "--user", "coordinator", "--crt", "B"], "Ce compte n'est pas membre actif"),
    (["revoke", "mlg_inconnu"], "Aucun jeton de préfixe « mlg_inconnu »."),
])
def test_bad_input_is_a_french_error(users, crt_a, crt_b, make_user, args, message):
    make_user(None, username="nomad")
    twice = make_user(crt_a, Role.NURSE, username="twice")
    member(twice, crt_b, Role.NURSE)
    args = [crt_b.finess if a == "B" else a for a in args]
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_revoking_twice_is_refused(users, crt_a):
    created = api_token_create(actor=None, crt=crt_a, user=users["nurse"], name="x")
    api_token_revoke(actor=users["coordinator"], token=created.token)
    with pytest.raises(DomainError, match="déjà révoqué"):
        api_token_revoke(actor=users["coordinator"], token=created.token)


def test_only_direction_and_coordination_manage_tokens(users, crt_a):
    with pytest.raises(DomainError, match="direction et la coordination"):
        api_token_create(actor=users["nurse"], crt=crt_a, user=users["nurse"], name="x")
    created = api_token_create(actor=users["direction"], crt=crt_a, user=users["direction"],
                               name="x")
    with pytest.raises(DomainError):
        api_token_revoke(actor=users["partner"], token=created.token)
