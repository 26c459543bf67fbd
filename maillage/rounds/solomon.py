"""Solomon's VRPTW instances (1987), the field's classic routing benchmark, and their solutions.

An instance is a text file: a name, the number of vehicles and their capacity, then one line per
customer (number, x, y, demand, ready time, due date, service time), customer 0 being the depot.
The convention of the best known solutions (CVRPLIB, DIMACS challenge) is used throughout:
Euclidean distances truncated to one decimal, the objective is the total distance only (the
number of vehicles is free up to the fleet), travel time equals distance, a vehicle may wait for a
customer's ready time, must start serving before its due date and be back at the depot before the
depot's due date. Distances are handled in tenths (integers) so that nothing is lost to floats.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path


class SolomonFormatError(ValueError):
    """An instance or solution file that does not follow the format (with the line number)."""


@dataclass(frozen=True)
class Customer:
    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    depot: Customer
    customers: tuple[Customer, ...]

    def tenths(self, a: Customer, b: Customer) -> int:
        """The distance (and travel time) from a to b in tenths, truncated."""
        return math.floor(math.hypot(a.x - b.x, a.y - b.y) * 10)


def read_instance(path: Path | str) -> Instance:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    name = next((line.strip() for line in lines if line.strip()), "")
    vehicles = capacity = None
    rows: list[Customer] = []
    section = None
    for number, line in enumerate(lines, start=1):
        words = line.split()
        if not words or line.strip() == name:
            continue
        upper = line.upper()
        if upper.strip() == "VEHICLE":
            section = "vehicle"
            continue
        if upper.strip() == "CUSTOMER":
            section = "customer"
            continue
        if not re.fullmatch(r"[-\d.\s]+", line):
            continue  # a header line (NUMBER CAPACITY, CUST NO. …)
        try:
            values = [float(w) for w in words]
        except ValueError as exc:
            raise SolomonFormatError(f"ligne {number} : nombre illisible ({exc}).") from exc
        if section == "vehicle" and len(values) == 2:
            vehicles, capacity = int(values[0]), int(values[1])
        elif section == "customer" and len(values) == 7:
            n, x, y, demand, ready, due, service = values
            rows.append(Customer(int(n), x, y, int(demand), int(ready), int(due), int(service)))
        else:
            raise SolomonFormatError(
                f"ligne {number} : {len(values)} valeurs, attendu 2 (véhicules) ou 7 (client).")
    if vehicles is None or not rows:
        raise SolomonFormatError("fichier sans section VEHICLE ou CUSTOMER.")
    if rows[0].number != 0:
        raise SolomonFormatError("le premier client doit être le dépôt (numéro 0).")
    numbers = [c.number for c in rows]
    if len(set(numbers)) != len(numbers):
        raise SolomonFormatError("numéro de client en double.")
    return Instance(name, vehicles, capacity, rows[0], tuple(rows[1:]))


def read_solution(path: Path | str) -> tuple[list[list[int]], float]:
    """The routes (customer numbers) and the cost of a ``.sol`` file."""
    routes, cost = [], None
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("Route"):
            routes.append([int(w) for w in line.split(":", 1)[1].split()])
        elif line.startswith("Cost"):
            cost = float(line.split()[1])
        elif line.strip():
            raise SolomonFormatError(f"ligne {number} : ni « Route » ni « Cost ».")
    if cost is None:
        raise SolomonFormatError("solution sans « Cost ».")
    return routes, cost


def problem(instance: Instance):
    """The instance as a rounds ``Problem``: place i is customer i (0 the depot), in tenths."""
    from .solver import Problem, Task, Worker

    places = (instance.depot, *instance.customers)
    index = {c.number: i for i, c in enumerate(places)}
    matrix = [[instance.tenths(a, b) for b in places] for a in places]
    tasks = tuple(Task(key=str(c.number), place=index[c.number], duration=c.service * 10,
                       earliest=c.ready * 10, latest=c.due * 10, demand=c.demand)
                  for c in instance.customers)
    fleet = Worker(key="vehicle", start_place=0, end_place=0,
                   shift_start=instance.depot.ready * 10, shift_end=instance.depot.due * 10,
                   capacity=instance.capacity, count=instance.vehicles)
    return Problem(tasks=tasks, workers=(fleet,), distance=matrix, duration=matrix)


def solve(instance: Instance, *, seconds: float, seed: int = 1,
          iterations: int | None = None) -> dict:
    """``{"routes": [[customer numbers], …], "distance": …, "vehicles": …}``."""
    from .solver import solve as solve_problem

    plan = solve_problem(problem(instance), seconds=seconds, seed=seed, all_required=True,
                         iterations=iterations)
    routes = [[int(v.task) for v in r.visits] for r in plan.routes if r.visits]
    return {"instance": instance.name, "routes": routes, "distance": plan.distance / 10,
            "vehicles": len(routes)}
