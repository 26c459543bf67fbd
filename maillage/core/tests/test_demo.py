"""The demo: two real territories, one account per role, idempotent, every account logs in."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from maillage.core.demo import DEMO_PASSWORD, demo_accounts
from maillage.core.management.commands.demo import load_demo
from maillage.core.models import Crt, Membership
from maillage.core.roles import Role
from maillage.territory.models import Commune

from .helpers import visible_text


@pytest.fixture
def demo(db):
    return load_demo(scale=1)


def test_demo_has_two_crts_with_real_communes(demo):
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    baugeois = Crt.objects.get(name="CRT Baugeois Vallée")
    assert anjou.carrier_type == Crt.CarrierType.EHPAD
    assert baugeois.carrier_type == Crt.CarrierType.SAD
    segre = Commune.objects.get(crt=anjou, insee_code="49331")
    assert segre.name == "Segré-en-Anjou Bleu" and segre.travel_minutes == 5
    assert Commune.objects.get(crt=baugeois, insee_code="49018").name == "Baugé-en-Anjou"
    assert Commune.objects.filter(crt=anjou).count() == 26
    assert Commune.objects.filter(crt=baugeois).count() == 24


def test_one_account_per_role_in_the_first_crt(demo):
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    for role in Role:
        membership = Membership.objects.get(user__username=role.value, crt=anjou)
        assert list(membership.roles.values_list("role", flat=True)) == [role.value]


@pytest.mark.parametrize("username", [u for u, _, _ in demo_accounts()])
def test_every_demo_account_logs_in_and_sees_only_its_crt(client, demo, username):
    response = client.post(
        reverse("core:login"), {"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, username
    page = client.get(reverse("core:home"), follow=True)
    text = visible_text(page)
    if username == "night_nurse":
        assert "Choisir le CRT" in text  # two memberships: explicit choice first
        return
    expected = "CRT Baugeois Vallée" if username.endswith("baugeois") else "CRT Anjou Bleu"
    other = "CRT Anjou Bleu" if expected == "CRT Baugeois Vallée" else "CRT Baugeois Vallée"
    assert expected in text and other not in text


def test_scale_multiplies_the_staff(db):
    load_demo(scale=2)
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    assert Membership.objects.filter(crt=anjou, roles__role=Role.CARE_AIDE).count() == 1 + 5 * 2


def test_demo_is_deterministic(django_db_reset_sequences):
    load_demo(scale=1)
    first = sorted(Membership.objects.values_list("user__username", flat=True))
    call_command("flush", interactive=False, verbosity=0)
    load_demo(scale=1)
    assert sorted(Membership.objects.values_list("user__username", flat=True)) == first


def test_command_is_idempotent_and_prints_accounts(db, capsys):
    call_command("demo", no_serve=True)
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert Crt.objects.count() == 2
    assert "Données de démonstration déjà présentes" in out
    assert "coordinator-baugeois" in out and "maillage-demo" in out
    assert "http://127.0.0.1:8000" in out


def test_command_reset_starts_over(transactional_db, capsys):
    call_command("demo", no_serve=True)
    Crt.objects.filter(name="CRT Baugeois Vallée").update(phone="00")
    call_command("demo", no_serve=True, reset=True)
    assert Crt.objects.get(name="CRT Baugeois Vallée").phone == "02 61 91 49 15"


def test_command_refuses_bad_options(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--scale"):
        call_command("demo", no_serve=True, scale=0)
