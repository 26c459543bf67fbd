"""The hhcrsp solver: its solutions pass our own checker, are near the published best ones,
repeat for a seed and a number of moves; ``maillage rounds`` solves and benches the format."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.rounds.hhcrsp import check, read_instance
from maillage.rounds.hhcrsp_solve import solve

pytestmark = pytest.mark.engine_independent

DATA = Path(__file__).resolve().parent / "data" / "hhcrsp"
NAMES = ["10_2", "10_3", "25_1"]


def load(name):
    instance = read_instance(DATA / f"InstanzCPLEX_HCSRP_{name}.json")
    best = json.loads((DATA / f"best-InstanzCPLEX_HCSRP_{name}.json").read_text())
    return instance, check(instance, best)[1]["total_cost"]


@pytest.mark.parametrize("name", NAMES)
def test_solutions_pass_the_checker_with_every_route(name):
    instance, _ = load(name)
    solution = solve(instance, seconds=5, seed=3, iterations=3000)
    assert [r["caregiver_id"] for r in solution["routes"]] == list(instance.caregivers)
    faults, costs = check(instance, solution)
    assert faults == []
    assert costs["total_cost"] > 0


@pytest.mark.parametrize(("name", "bound"), [("10_2", 0.5), ("10_3", 0.5), ("25_1", 5.0)])
def test_objective_near_the_published_best(name, bound):
    """The 10-patient ones within 0.5 % of the best, the 25-patient one within 5 %."""
    instance, best = load(name)
    solution = solve(instance, seconds=5, seed=1, iterations=40000)
    faults, costs = check(instance, solution)
    assert faults == []
    assert (costs["total_cost"] - best) / best * 100 <= bound


def test_same_seed_and_moves_same_solution():
    instance, _ = load("25_1")
    first = solve(instance, seconds=5, seed=7, iterations=5000)
    assert solve(instance, seconds=5, seed=7, iterations=5000) == first
    assert check(instance, first)[0] == []


def test_the_command_writes_a_solution_the_checker_accepts(tmp_path, capsys):
    out = tmp_path / "10_2.json"
    call_command("rounds", "solve", str(DATA / "InstanzCPLEX_HCSRP_10_2.json"), "--format",
                 "hhcrsp", "--seconds", "0.5", "--seed", "2", "--out", str(out))
    assert "InstanzCPLEX_HCSRP_10_2 : objectif" in capsys.readouterr().out
    instance, best = load("10_2")
    faults, costs = check(instance, json.loads(out.read_text()))
    assert faults == [] and costs["total_cost"] <= best * 1.05


def test_the_bench_prints_each_gap_and_the_mean(tmp_path, capsys):
    for name in ("10_2", "10_3"):
        for prefix in ("", "best-"):
            shutil.copy(DATA / f"{prefix}InstanzCPLEX_HCSRP_{name}.json", tmp_path)
    call_command("rounds", "bench", "--hhcrsp", str(tmp_path), "--seconds", "0.3")
    out = capsys.readouterr().out
    assert "2 instances, 0,3 s chacune" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "246,6" in lines["InstanzCPLEX_HCSRP_10_2"]
    assert "réalisable" in lines["InstanzCPLEX_HCSRP_10_3"]
    assert "Écart moyen par taille : 10 :" in out
    assert "sur 2 instances ; 0 non réalisable." in out


def test_bad_files_are_refused_in_french(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ pas du json")
    with pytest.raises(CommandError, match="n'est pas une instance hhcrsp"):
        call_command("rounds", "solve", str(bad), "--format", "hhcrsp", "--seconds", "1")
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("rounds", "solve", str(tmp_path / "absent.json"), "--format", "hhcrsp",
                     "--seconds", "1")
    with pytest.raises(CommandError, match="Aucune instance avec sa solution"):
        call_command("rounds", "bench", "--hhcrsp", str(tmp_path), "--seconds", "1")
    shutil.copy(DATA / "InstanzCPLEX_HCSRP_10_2.json", tmp_path / "x.json")
    (tmp_path / "best-x.json").write_text("[]")
    with pytest.raises(CommandError, match="n'est pas une solution hhcrsp lisible : valeur "
                                           "d'un type inattendu."):
        call_command("rounds", "bench", "--hhcrsp", str(tmp_path), "--seconds", "1")


def test_a_cycle_of_waits_is_infeasible_and_the_schedule_is_the_earliest():
    """Two simultaneous double services done in opposite orders by two caregivers wait for each
    other forever; in the same order, each starts as early as travel and its other half allow."""
    import numpy as np

    from maillage.rounds.hhcrsp import Instance, Patient
    from maillage.rounds.hhcrsp_solve import _Arrays, _schedule

    both = frozenset({"s1", "s2"})
    instance = Instance("cycle", (
        Patient("pa", 1, 0.0, 100.0, (("s1", 10.0), ("s2", 10.0)), (0.0, 0.0)),
        Patient("pb", 2, 0.0, 100.0, (("s1", 10.0), ("s2", 10.0)), (0.0, 0.0))),
        {"c1": both, "c2": both}, [[0, 5, 5], [5, 0, 1], [5, 1, 0]])
    a = _Arrays(instance)  # visits: pa/s1, pa/s2, pb/s1, pb/s2
    start = np.zeros(4)

    def schedule(route1, route2):
        routes = np.array([route1, route2], dtype=np.int64)
        rlen = np.array([2, 2], dtype=np.int64)
        return _schedule(routes, rlen, a.loc, a.dur, a.early, a.kind, a.partner, a.dmin, a.dmax,
                         a.dist, start, a.limit)

    assert not schedule([0, 2], [3, 1])
    assert schedule([0, 2], [1, 3])
    assert list(start) == [5.0, 5.0, 16.0, 16.0]
