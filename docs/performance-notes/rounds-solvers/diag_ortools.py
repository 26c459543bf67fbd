"""Diagnostic only (not in the tables): why OR-Tools found nothing on 7 instances."""
import sys, time
sys.path.insert(0, "/work/solver-compare")
import ortools_solomon as o
from ortools.constraint_solver import routing_enums_pb2 as e
from common import DATA, read_instance, check, best_known
FAIL = ["R101", "R102", "R103", "R105", "R106", "RC101", "RC105"]
orig = o.pywrapcp.DefaultRoutingSearchParameters
def run(name, strategy, secs):
    def params():
        p = orig(); return p
    o.SECONDS = secs
    saved = e.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    inst = read_instance(DATA / f"{name}.txt")
    if strategy != "PCA":
        o.routing_enums_pb2 = type("M", (), {"FirstSolutionStrategy": type("F", (), {"PATH_CHEAPEST_ARC": getattr(e.FirstSolutionStrategy, strategy)}), "LocalSearchMetaheuristic": e.LocalSearchMetaheuristic})
    else:
        o.routing_enums_pb2 = e
    routes, s, status = o.solve(inst)
    f, d = check(inst, routes)
    print(f"{name:6} {strategy:28} {secs:3d}s status={status} routes={len(routes)} feasible={not f and bool(routes)} dist={d} gap={100*(d-best_known(name))/best_known(name):.2f}", flush=True)
for n in FAIL:
    run(n, "PCA", 5)
run("R101", "PCA", 30)
for n in FAIL:
    run(n, "PARALLEL_CHEAPEST_INSERTION", 5)
