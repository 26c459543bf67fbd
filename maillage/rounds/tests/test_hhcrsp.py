"""The hhcrsp benchmark's files and our checker: the published best solutions pass at their
published costs; every kind of fault is found, the three the benchmark's own validator misses
included."""

import copy
import json
from pathlib import Path

import pytest

from maillage.rounds.hhcrsp import HhcrspFormatError, check, read_instance

DATA = Path(__file__).resolve().parent / "data" / "hhcrsp"
PUBLISHED = {"10_2": (687.29, 26.295, 26.295, 246.627),
             "10_3": (741.137, 99.304, 77.134, 305.858),
             "25_1": (1253.02, 21.686, 9.588, 428.097)}


def load(name):
    instance = read_instance(DATA / f"InstanzCPLEX_HCSRP_{name}.json")
    solution = json.loads((DATA / f"best-InstanzCPLEX_HCSRP_{name}.json").read_text())
    return instance, solution


def test_reads_an_instance():
    instance, _ = load("10_2")
    assert len(instance.patients) == 10 and len(instance.caregivers) == 3
    assert len(instance.distances) == 11
    doubles = [p for p in instance.patients if len(p.services) == 2]
    assert len(doubles) == 3 and all(p.delay is not None for p in doubles)


@pytest.mark.parametrize("name", PUBLISHED)
def test_the_best_known_solutions_pass_at_their_published_costs(name):
    instance, solution = load(name)
    faults, costs = check(instance, solution)
    assert faults == []
    travel, total, worst, objective = PUBLISHED[name]
    assert costs["distance_traveled"] == pytest.approx(travel, abs=0.01)
    assert costs["total_tardiness"] == pytest.approx(total, abs=0.01)
    assert costs["max_tardiness"] == pytest.approx(worst, abs=0.01)
    assert costs["total_cost"] == pytest.approx(objective, abs=0.01)


def steps(solution):
    return [(r, s) for r in solution["routes"] for s in r.get("locations", [])]


def double_patient(instance, simultaneous):
    return next(p for p in instance.patients if len(p.services) == 2
                and (p.delay == (0.0, 0.0)) == simultaneous)


def test_every_fault_is_found():
    instance, best = load("25_1")

    def faults_after(change):
        solution = copy.deepcopy(best)
        change(solution)
        return " | ".join(check(instance, solution)[0])

    single = next(p for p in instance.patients if len(p.services) == 1)

    def early(solution):  # the benchmark's validator misses this one
        _, step = next((r, s) for r, s in steps(solution) if s["patient"] == single.id)
        step["arrival_time"], step["departure_time"] = single.earliest - 50, \
            single.earliest - 50 + single.services[0][1]
    assert "avant son créneau" in faults_after(early)

    double = double_patient(instance, simultaneous=False)

    def drop_second(solution):  # missed by the benchmark's validator too
        route, step = next((r, s) for r, s in steps(solution)
                           if s["patient"] == double.id and s["service"] == double.services[1][0])
        route["locations"].remove(step)
    assert "chaque service une fois attendu" in faults_after(drop_second)

    def out_of_step(solution):
        _, step = next((r, s) for r, s in steps(solution)
                       if s["patient"] == double.id and s["service"] == double.services[1][0])
        step["arrival_time"] += 500
        step["departure_time"] += 500
    assert "hors de" in faults_after(out_of_step)

    def longer(solution):
        steps(solution)[0][1]["departure_time"] += 5
    assert "dure" in faults_after(longer)

    def too_soon(solution):
        route = next(r for r in solution["routes"] if len(r.get("locations", [])) >= 2)
        second = route["locations"][1]
        gap = second["arrival_time"] - route["locations"][0]["departure_time"]
        second["arrival_time"] -= gap
        second["departure_time"] -= gap
    assert "avant l'arrivée" in faults_after(too_soon) or "avant son créneau" in \
        faults_after(too_soon)

    def no_route(solution):
        solution["routes"].pop()
    assert "une tournée par intervenant·e" in faults_after(no_route)


def test_two_services_by_one_caregiver_are_refused():
    instance, best = load("10_2")
    double = double_patient(instance, simultaneous=True) if any(
        p.delay == (0.0, 0.0) for p in instance.patients) else double_patient(instance, False)
    solution = copy.deepcopy(best)
    (route1, step1), (route2, step2) = [(r, s) for r, s in steps(solution)
                                        if s["patient"] == double.id]
    route2["locations"].remove(step2)
    route1["locations"].insert(route1["locations"].index(step1) + 1, step2)
    assert any("les deux services par" in f for f in check(instance, solution)[0])


def test_a_malformed_instance_is_refused_in_french(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"patients": [{"id": "p1"}], "caregivers": [], "distances": []}))
    with pytest.raises(HhcrspFormatError,
                       match="^instance illisible : champ « required_caregivers » absent.$"):
        read_instance(bad)
    bad.write_text('{"patients": [')
    with pytest.raises(HhcrspFormatError, match=r"instance illisible : JSON invalide \(ligne 1"):
        read_instance(bad)
