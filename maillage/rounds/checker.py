"""An independent checker of Solomon VRPTW solutions, for the tests and ``maillage rounds
bench``: written from the format's definition, it shares nothing with the solver (``solver.py``,
PyVRP) but the file reader. It recomputes everything from
the instance: each customer served exactly once, the load of each route within the capacity, no
more vehicles than the fleet, service started within each customer's window (waiting allowed),
the vehicle back at the depot before it closes; and the total distance (truncated tenths)."""

import math

from maillage.rounds.solomon import Instance


def check(instance: Instance, routes: list[list[int]]) -> tuple[list[str], float]:
    """(the faults found, in French; the total distance)."""
    faults: list[str] = []
    by_number = {c.number: c for c in instance.customers}
    served = [n for route in routes for n in route]
    missing = sorted(set(by_number) - set(served))
    if missing:
        faults.append(f"clients jamais servis : {missing[:10]}")
    twice = sorted({n for n in served if served.count(n) > 1})
    if twice:
        faults.append(f"clients servis plus d'une fois : {twice[:10]}")
    unknown = sorted(set(served) - set(by_number))
    if unknown:
        faults.append(f"clients inconnus : {unknown[:10]}")
        return faults, math.inf
    if len([r for r in routes if r]) > instance.vehicles:
        faults.append(f"{len(routes)} tournées pour une flotte de {instance.vehicles}")

    def tenths(a, b) -> int:
        return math.floor(math.sqrt((a.x - b.x) ** 2 + (a.y - b.y) ** 2) * 10)

    total = 0
    depot = instance.depot
    for index, route in enumerate(routes, 1):
        if not route:
            continue
        load = sum(by_number[n].demand for n in route)
        if load > instance.capacity:
            faults.append(f"tournée {index} : charge {load} > capacité {instance.capacity}")
        time, here = depot.ready * 10, depot
        for n in route:
            customer = by_number[n]
            step = tenths(here, customer)
            total += step
            start = max(time + step, customer.ready * 10)
            if start > customer.due * 10:
                faults.append(f"tournée {index} : client {n} servi à {start / 10}, "
                              f"après son heure limite {customer.due}")
            time, here = start + customer.service * 10, customer
        step = tenths(here, depot)
        total += step
        if time + step > depot.due * 10:
            faults.append(f"tournée {index} : retour au dépôt à {(time + step) / 10}, "
                          f"après sa fermeture ({depot.due})")
    return faults, total / 10
