"""Solomon's VRPTW benchmark: the reader, the independent checker (first checked against the
published best solutions), the solver's solutions checked by it, and ``maillage rounds``."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.rounds import solomon
from maillage.rounds.checker import check

pytestmark = pytest.mark.engine_independent

DATA = Path(__file__).resolve().parent / "data" / "solomon"  # five of the 56, with their origin


def instance(name: str) -> solomon.Instance:
    return solomon.read_instance(DATA / f"{name}.txt")


def test_reads_an_instance():
    c101 = instance("C101")
    assert (c101.name, c101.vehicles, c101.capacity) == ("C101", 25, 200)
    assert len(c101.customers) == 100
    assert (c101.depot.x, c101.depot.y, c101.depot.due) == (40, 50, 1236)
    first = c101.customers[0]
    assert (first.number, first.demand, first.ready, first.due, first.service) == \
        (1, 10, 912, 967, 90)


@pytest.mark.parametrize(("name", "cost"), [("C101", 827.3), ("R101", 1637.7),
                                            ("RC201", 1261.8), ("R211", 746.7)])
def test_the_checker_accepts_the_best_known_solutions_at_their_cost(name, cost):
    routes, published = solomon.read_solution(DATA / f"{name}.sol")
    faults, distance = check(instance(name), routes)
    assert faults == []
    assert published == cost and distance == pytest.approx(cost, abs=0.05)


def test_the_checker_finds_every_kind_of_fault():
    c101 = instance("C101")
    routes, _ = solomon.read_solution(DATA / "C101.sol")
    missing = [r[:] for r in routes]
    missing[0].pop()
    faults, _ = check(c101, missing)
    assert any("jamais servis" in f for f in faults)
    twice = [r[:] for r in routes]
    twice[1].append(twice[0][0])
    assert any("plus d'une fois" in f for f in check(c101, twice)[0])
    late = [r[:] for r in routes]
    late[0] = list(reversed(late[0]))  # the windows of a clustered route run one way
    assert any("après son heure limite" in f for f in check(c101, late)[0])
    heavy = [sum(routes, [])]  # everything on one vehicle
    faults, _ = check(c101, heavy)
    assert any("capacité" in f for f in faults)


@pytest.mark.parametrize(("name", "iterations", "gap"), [("C101", 1000, 0.0),
                                                         ("R101", 3000, 0.5)])
def test_solutions_are_feasible_and_near_the_best_known(name, iterations, gap):
    # Bounded by iterations (1–2 s here), not by time: the same answer on a loaded machine.
    problem = instance(name)
    _, best = solomon.read_solution(DATA / f"{name}.sol")
    result = solomon.solve(problem, seconds=60, iterations=iterations)
    faults, distance = check(problem, result["routes"])
    assert faults == []
    assert result["distance"] == pytest.approx(distance, abs=0.05)
    assert result["vehicles"] == len(result["routes"]) <= problem.vehicles
    assert (distance - best) / best * 100 <= gap + 1e-9


def test_the_command_writes_the_solution_with_the_files_numbers(tmp_path, capsys):
    out = tmp_path / "c101.json"
    call_command("rounds", "solve", str(DATA / "C101.txt"), "--format", "solomon",
                 "--seconds", "1", "--out", str(out))
    assert "C101 : distance 827,3, 10 véhicules" in capsys.readouterr().out
    solution = json.loads(out.read_text())
    assert solution["distance"] == 827.3 and solution["vehicles"] == 10
    assert sorted(n for route in solution["routes"] for n in route) == list(range(1, 101))
    assert check(instance("C101"), solution["routes"]) == ([], 827.3)


def test_the_bench_prints_each_gap_and_the_mean(tmp_path, capsys):
    for name in ("C101", "C201"):
        for suffix in (".txt", ".sol"):
            shutil.copy(DATA / f"{name}{suffix}", tmp_path)
    call_command("rounds", "bench", "--solomon", str(tmp_path), "--seconds", "0.5")
    out = capsys.readouterr().out
    assert "2 instances, 0,5 s chacune" in out
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "827,3" in lines["C101"] and "réalisable" in lines["C101"]
    assert "589,1" in lines["C201"] and "réalisable" in lines["C201"]
    assert "Écart moyen : 0,00 % sur 2 instances ; 0 non réalisable." in out


def test_bad_files_and_options_are_refused_in_french(tmp_path):
    broken = tmp_path / "X1.txt"
    text = (DATA / "C101.txt").read_text().splitlines()
    text[12] = "    3      42         66         10         65"  # a customer cut short
    broken.write_text("\n".join(text))
    with pytest.raises(CommandError, match="ligne 13 : 5 valeurs"):
        call_command("rounds", "solve", str(broken), "--seconds", "1")
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("rounds", "solve", str(tmp_path / "absent.txt"), "--seconds", "1")
    with pytest.raises(CommandError, match="--seconds doit être positif"):
        call_command("rounds", "solve", str(DATA / "C101.txt"), "--seconds", "0")
    with pytest.raises(CommandError, match="Aucune instance avec sa solution"):
        call_command("rounds", "bench", "--solomon", str(tmp_path), "--seconds", "1")
