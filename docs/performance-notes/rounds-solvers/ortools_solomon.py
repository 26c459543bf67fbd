"""Solomon VRPTW with OR-Tools routing (pywrapcp): Time dimension (slack for waiting, horizon =
depot due), Capacity dimension, PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, 5 s per instance,
one thread (routing search is single-threaded). Everything in integer tenths."""
import sys
import time
import importlib.metadata as md

sys.path.insert(0, "/work/solver-compare")
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from common import DATA, OUT, HEADER, names, read_instance, record, tenths_matrix

SECONDS = 5


def solve(inst):
    places, matrix = tenths_matrix(inst)
    n = len(places)
    service = [c.service * 10 for c in places]
    demand = [c.demand for c in places]
    d = inst.depot
    horizon = d.due * 10
    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)

    def dist_cb(i, j):
        return matrix[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def time_cb(i, j):
        a = manager.IndexToNode(i)
        return service[a] + matrix[a][manager.IndexToNode(j)]

    def demand_cb(i):
        return demand[manager.IndexToNode(i)]

    dist = routing.RegisterTransitCallback(dist_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(dist)
    tcb = routing.RegisterTransitCallback(time_cb)
    routing.AddDimension(tcb, horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        c = places[node]
        tdim.CumulVar(manager.NodeToIndex(node)).SetRange(c.ready * 10, c.due * 10)
    for v in range(inst.vehicles):
        tdim.CumulVar(routing.Start(v)).SetRange(d.ready * 10, d.due * 10)
        tdim.CumulVar(routing.End(v)).SetRange(d.ready * 10, d.due * 10)
    dcb = routing.RegisterUnaryTransitCallback(demand_cb)
    routing.AddDimensionWithVehicleCapacity(dcb, 0, [inst.capacity] * inst.vehicles, True,
                                            "Capacity")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.seconds = SECONDS
    t0 = time.perf_counter()
    sol = routing.SolveWithParameters(params)
    seconds = time.perf_counter() - t0
    routes = []
    if sol is None:
        return routes, seconds, routing.status()
    for v in range(inst.vehicles):
        i = routing.Start(v)
        r = []
        i = sol.Value(routing.NextVar(i))
        while not routing.IsEnd(i):
            r.append(places[manager.IndexToNode(i)].number)
            i = sol.Value(routing.NextVar(i))
        if r:
            routes.append(r)
    return routes, seconds, routing.status()


if __name__ == "__main__":
    only = sys.argv[1:] or names()
    with open(OUT / "ortools.txt", "w") as table, open(OUT / "ortools.jsonl", "w") as jsonl:
        table.write(f"# ortools {md.version('ortools')}, PATH_CHEAPEST_ARC + GUIDED_LOCAL_SEARCH, "
                    f"time_limit={SECONDS}s, single thread\n{HEADER}\n")
        for name in only:
            inst = read_instance(DATA / f"{name}.txt")
            routes, seconds, status = solve(inst)
            record("ortools", inst, routes, seconds, table, jsonl)
