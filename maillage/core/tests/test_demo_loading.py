"""Loading the demo: scale, determinism, the command and its progress (one fresh load, the
rest from the run's snapshot)."""

import pytest
from django.core.management import call_command

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


def test_command_is_idempotent_resets_deterministically_and_prints_its_progress(
        transactional_db, demo_snapshot, capsys):
    """One fresh load for the command's three promises: a second ``maillage demo`` loads
    nothing, ``--reset`` starts again with the same demo (same seed, same accounts) and prints
    each step while it loads."""
    demo_snapshot.restore()  # as if a first ``maillage demo`` had loaded it
    first = sorted(Membership.objects.values_list("user__username", "crt__name"))
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    assert Crt.objects.count() == 2
    assert "Données de démonstration déjà présentes" in out
    assert "coordinator-baugeois" in out and "maillage-demo" in out
    assert "http://127.0.0.1:8000" in out
    Crt.objects.filter(name="CRT Baugeois Vallée").update(phone="00")

    call_command("demo", no_serve=True, reset=True)
    out = capsys.readouterr().out
    assert Crt.objects.get(name="CRT Baugeois Vallée").phone == "02 61 91 49 15"
    assert sorted(Membership.objects.values_list("user__username", "crt__name")) == first
    assert "Chargement des données de démonstration (échelle 1)…" in out
    assert "  Territoire… 50 communes" in out
    assert "  Passages… " in out and " réalisés" in out
    assert "Historique 14 mois… " in out
    # The reports last, once every figure's data is in.
    assert out.index("Historique 14 mois… ") < out.index("  Rapports d'activité… ")
    assert "Démonstration chargée en " in out


def test_command_refuses_bad_options(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--scale"):
        call_command("demo", no_serve=True, scale=0)


def test_the_demo_clock_never_runs_ahead_of_the_real_time():
    """Set to a moment still to come (10 h today, in the early morning), the clock gives the
    real time, and its readings never pass it however many there are."""
    from datetime import timedelta
    from random import Random

    from django.utils import timezone

    from maillage.core.demo import DemoContext

    ctx = DemoContext(rng=Random(1), scale=1)
    with ctx.at(timezone.now() + timedelta(hours=3)):
        readings = [timezone.now() for _ in range(20)]
    real = timezone.now()
    assert all(r <= real for r in readings)
    assert readings == sorted(readings)
