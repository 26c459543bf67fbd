"""The demo: two real territories, one account per role, idempotent, every account logs in."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from maillage.core.demo import DEMO_PASSWORD, demo_accounts
from maillage.core.models import Crt, Membership
from maillage.core.roles import Role
from maillage.territory.models import Commune

from .helpers import visible_text


@pytest.fixture(scope="module")
def demo(demo_module):
    """The demo, restored once for this module's read-only tests, removed afterwards."""
    return demo_module


def test_demo_has_two_crts_with_real_communes(demo, db):
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    baugeois = Crt.objects.get(name="CRT Baugeois Vallée")
    assert anjou.carrier_type == Crt.CarrierType.EHPAD
    assert baugeois.carrier_type == Crt.CarrierType.SAD
    segre = Commune.objects.get(crt=anjou, insee_code="49331")
    assert segre.name == "Segré-en-Anjou Bleu" and segre.travel_minutes == 5
    assert Commune.objects.get(crt=baugeois, insee_code="49018").name == "Baugé-en-Anjou"
    assert Commune.objects.filter(crt=anjou).count() == 26
    assert Commune.objects.filter(crt=baugeois).count() == 24


def test_one_account_per_role_in_the_first_crt(demo, db):
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    for role in Role:
        membership = Membership.objects.get(user__username=role.value, crt=anjou)
        assert list(membership.roles.values_list("role", flat=True)) == [role.value]


def test_every_demo_account_logs_in_and_sees_only_its_crt(demo, db):
    from django.test import Client

    for username, _, _ in demo_accounts():
        client = Client()
        response = client.post(
            reverse("core:login"), {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        text = visible_text(client.get(reverse("core:home"), follow=True))
        if username == "night_nurse":
            assert "Choisir le CRT" in text  # two memberships: explicit choice first
            continue
        expected = "CRT Baugeois Vallée" if username.endswith("baugeois") else "CRT Anjou Bleu"
        other = "CRT Anjou Bleu" if expected == "CRT Baugeois Vallée" else "CRT Baugeois Vallée"
        assert expected in text and other not in text, username


def test_demo_partner_sees_only_their_patients(demo, db, client):
    from maillage.beneficiaries.models import Beneficiary

    client.post(reverse("core:login"), {"username": "partner", "password": DEMO_PASSWORD})
    page = visible_text(client.get(reverse("beneficiaries:list")))
    anjou = Beneficiary.objects.filter(crt__name="CRT Anjou Bleu")
    mine = anjou.filter(care_team__professional__user__username="partner").distinct()
    assert 0 < mine.count() < anjou.count()
    for b in anjou:
        shown = b.display_name in page
        assert shown == (b in mine and b.consents.filter(
            kind="care_team_sharing", granted=True, withdrawn_at__isnull=True).exists()), b


def test_bench_command_measures_the_main_pages(demo, db, capsys):
    call_command("bench", runs=1)
    out = capsys.readouterr().out
    assert "médiane" in out and "/admissions/file-active/" in out and "/audit/" in out


def test_every_demo_role_home_shows_real_items(demo, db):
    """Tried as a new user would: each demo account of the first CRT sees its own items on its
    home page (the field roles, a day of visits). That every link there opens is
    ``test_demo_home_links.py``."""
    from django.test import Client

    today_shown = {"doctor", "nurse", "care_aide", "psychologist", "occupational_therapist",
                   "activity_leader"}
    for role in Role:
        client = Client()
        client.post(reverse("core:login"), {"username": role.value, "password": DEMO_PASSWORD})
        response = client.get(reverse("core:home"))
        assert response.status_code == 200, role
        text = visible_text(response)
        assert "s'afficheront ici" not in text, role
        if role.value in today_shown:
            assert "Mes passages aujourd'hui" in text, role
            # The demo's nursing visits are weekly on weekdays (visits/demo.py): on a weekend
            # the nurse's day is empty, truly.
            if role.value != "nurse" or timezone.localdate().weekday() < 5:
                assert "Aucun passage prévu pour vous aujourd'hui" not in text, role


def test_relatives_are_said_in_their_gender(demo, db):
    """« Henri Gasnier (nièce) » was shown: a relative's relation agrees with their first
    name. « Yvonne Gasnier (épouse) » was the trusted person of Mme Odette Gasnier: a spouse is
    of the other sex than the person (« époux » of a woman, « épouse » of a man), and lives
    with them."""
    from maillage.beneficiaries.demo import MEN, WOMEN
    from maillage.beneficiaries.models import Beneficiary, Caregiver

    as_man = {"fils", "époux", "neveu", "gendre", "voisin"}
    as_woman = {"fille", "épouse", "nièce", "belle-fille", "voisine"}
    relatives = [(c.first_name, c.relation, c.beneficiary, c.lives_with)
                 for c in Caregiver.objects.select_related("beneficiary")]
    relatives += [(*b.trusted_person_name.split()[:1], b.trusted_person_relation, b, None)
                  for b in Beneficiary.objects.exclude(trusted_person_name="")]
    spouses = 0
    for first_name, relation, b, lives_with in relatives:
        if first_name in MEN:
            assert relation in as_man, first_name
        elif first_name in WOMEN:
            assert relation in as_woman, first_name
        if relation in {"époux", "épouse"}:
            spouses += 1
            assert relation == ("époux" if b.sex == "F" else "épouse"), (first_name, b)
            assert b.living_situation == Beneficiary.LivingSituation.COUPLE, b
            assert lives_with in (True, None), b
    assert spouses >= 5
    shown = {r for _, r, _, _ in relatives}
    assert {"époux", "épouse", "fils", "fille"} <= shown


def test_every_demo_mssante_address_is_valid(demo, db):
    """Built from names (« DAC 49 — antenne du Segréen », « Cabinet médical du Lion-d'Angers »):
    plain ASCII, as the directory's forms require."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from maillage.core.validators import validate_mssante
    from maillage.territory.models import Organization, Professional

    addresses = [a for model in (Organization, Professional)
                 for a in model.objects.exclude(mssante_email="")
                 .values_list("mssante_email", flat=True)]
    assert len(addresses) > 20
    bad = []
    for address in addresses:
        try:
            validate_email(address)
            validate_mssante(address)
        except ValidationError:
            bad.append(address)
    assert bad == []
