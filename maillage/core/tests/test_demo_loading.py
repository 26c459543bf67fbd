"""Loading the demo: scale, determinism, the command (a fresh load or the run's snapshot)."""

import pytest
from django.core.management import call_command

from maillage.core.management.commands.demo import load_demo
from maillage.core.models import Crt, Membership
from maillage.core.roles import Role


def test_scale_multiplies_the_staff(db):
    from random import Random

    from maillage.core import demo as core_demo
    from maillage.core.demo import DemoContext

    # The staff come from core's demo module: loading it alone at scale 2 is enough.
    core_demo.load(DemoContext(rng=Random(2025), scale=2))
    anjou = Crt.objects.get(name="CRT Anjou Bleu")
    assert Membership.objects.filter(crt=anjou, roles__role=Role.CARE_AIDE).count() == 1 + 5 * 2


def test_demo_is_deterministic(transactional_db, demo_snapshot):
    demo_snapshot.restore()  # the run's first load, or its snapshot
    first = sorted(Membership.objects.values_list("user__username", "crt__name"))
    call_command("flush", interactive=False, verbosity=0)
    load_demo(scale=1)
    assert sorted(Membership.objects.values_list("user__username", "crt__name")) == first


def test_command_is_idempotent_prints_accounts_and_resets(transactional_db, demo_snapshot,
                                                         capsys):
    demo_snapshot.restore()  # as if a first ``maillage demo`` had loaded it
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert Crt.objects.count() == 2
    assert "Données de démonstration déjà présentes" in out
    assert "coordinator-baugeois" in out and "maillage-demo" in out
    assert "http://127.0.0.1:8000" in out
    Crt.objects.filter(name="CRT Baugeois Vallée").update(phone="00")
    call_command("demo", no_serve=True, reset=True)
    assert Crt.objects.get(name="CRT Baugeois Vallée").phone == "02 61 91 49 15"


def test_command_refuses_bad_options(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--scale"):
        call_command("demo", no_serve=True, scale=0)
