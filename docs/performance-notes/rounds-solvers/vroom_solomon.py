"""Solomon VRPTW with pyvroom: custom integer duration+cost matrix in tenths, one vehicle per
fleet slot, exploration level 5, one thread, no timeout (actual wall time recorded)."""
import sys
import time
import importlib.metadata as md

sys.path.insert(0, "/work/solver-compare")
import vroom
from common import DATA, OUT, HEADER, names, read_instance, record, tenths_matrix

EXPLORATION = 5


def solve(inst):
    places, matrix = tenths_matrix(inst)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix)
    problem.set_costs_matrix(profile="car", matrix_input=matrix)
    d = inst.depot
    for v in range(inst.vehicles):
        problem.add_vehicle(vroom.Vehicle(id=v + 1, start=0, end=0, profile="car",
                                          capacity=[inst.capacity],
                                          time_window=vroom.TimeWindow(d.ready * 10, d.due * 10)))
    jobs = [vroom.Job(id=c.number, location=i, default_service=c.service * 10,
                      delivery=[c.demand],
                      time_windows=[vroom.TimeWindow(c.ready * 10, c.due * 10)])
            for i, c in enumerate(inst.customers, start=1)]
    problem.add_job(jobs)
    t0 = time.perf_counter()
    sol = problem.solve(exploration_level=EXPLORATION, nb_threads=1)
    seconds = time.perf_counter() - t0
    df = sol.routes
    routes = []
    for vid, g in df.groupby("vehicle_id", sort=True):
        r = [int(j) for j, t in zip(g["id"], g["type"]) if str(t) == "job"]
        if r:
            routes.append(r)
    return routes, seconds, int(sol.summary.cost) if hasattr(sol, "summary") else None


if __name__ == "__main__":
    only = sys.argv[1:] or names()
    with open(OUT / "vroom.txt", "w") as table, open(OUT / "vroom.jsonl", "w") as jsonl:
        table.write(f"# pyvroom {md.version('pyvroom')}, exploration_level={EXPLORATION}, "
                    f"nb_threads=1, no timeout\n{HEADER}\n")
        for name in only:
            inst = read_instance(DATA / f"{name}.txt")
            routes, seconds, _ = solve(inst)
            record("vroom", inst, routes, seconds, table, jsonl)
