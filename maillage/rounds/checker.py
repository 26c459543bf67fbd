"""An independent checker of Solomon VRPTW solutions, for the tests and ``maillage rounds
bench``: written from the format's definition, it shares nothing with the solver (``solver.py``,
PyVRP) but the file reader. It recomputes everything from
the instance: each customer served exactly once, the load of each route within the capacity, no
more vehicles than the fleet, service started within each customer's window (waiting allowed),
the vehicle back at the depot before it closes; and the total distance (truncated tenths)."""

import math

from maillage.rounds.solomon import Instance


def check(instance: Instance, routes: list[list[int]]) -> tuple[list[str], float]:
    """(the faults found, in words; the total distance)."""
    faults: list[str] = []
    by_number = {c.number: c for c in instance.customers}
    served = [n for route in routes for n in route]
    missing = sorted(set(by_number) - set(served))
    if missing:
        faults.append(f"customers never served: {missing[:10]}")
    twice = sorted({n for n in served if served.count(n) > 1})
    if twice:
        faults.append(f"customers served more than once: {twice[:10]}")
    unknown = sorted(set(served) - set(by_number))
    if unknown:
        faults.append(f"unknown customers: {unknown[:10]}")
        return faults, math.inf
    if len([r for r in routes if r]) > instance.vehicles:
        faults.append(f"{len(routes)} routes for a fleet of {instance.vehicles}")

    def tenths(a, b) -> int:
        return math.floor(math.sqrt((a.x - b.x) ** 2 + (a.y - b.y) ** 2) * 10)

    total = 0
    depot = instance.depot
    for index, route in enumerate(routes, 1):
        if not route:
            continue
        load = sum(by_number[n].demand for n in route)
        if load > instance.capacity:
            faults.append(f"route {index}: load {load} > capacity {instance.capacity}")
        time, here = depot.ready * 10, depot
        for n in route:
            customer = by_number[n]
            step = tenths(here, customer)
            total += step
            start = max(time + step, customer.ready * 10)
            if start > customer.due * 10:
                faults.append(f"route {index}: customer {n} served at {start / 10} "
                              f"after its due date {customer.due}")
            time, here = start + customer.service * 10, customer
        step = tenths(here, depot)
        total += step
        if time + step > depot.due * 10:
            faults.append(f"route {index}: back at the depot at {(time + step) / 10} "
                          f"after it closes ({depot.due})")
    return faults, total / 10
