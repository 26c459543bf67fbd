"""Shared helpers: instance list, best known costs, matrix in tenths, result table writing."""
import json
import math
from pathlib import Path

from maillage.rounds.checker import check
from maillage.rounds.solomon import read_instance

DATA = Path("/work/shared/data/solomon")
OUT = Path("/work/solver-compare")


def names():
    return sorted(p.stem for p in DATA.glob("*.txt") if p.stem[:1] in "CR")


def best_known(name):
    last = [l for l in (DATA / f"{name}.sol").read_text().splitlines() if l.strip()][-1]
    assert last.startswith("Cost"), last
    return float(last.split()[1])


def family(name):
    return name[:-2]  # C101 -> C1, RC208 -> RC2


def tenths_matrix(inst):
    places = (inst.depot, *inst.customers)
    return places, [[math.floor(math.hypot(a.x - b.x, a.y - b.y) * 10) for b in places]
                    for a in places]


HEADER = f"{'instance':8} {'distance':>9} {'veh':>4} {'best':>8} {'gap%':>7} {'feasible':>8} {'seconds':>8}  faults"


def record(solver, inst, routes, seconds, table, jsonl):
    faults, distance = check(inst, routes)
    bk = best_known(inst.name)
    if not routes:  # no solution at all: no distance, no gap
        faults = ["no solution found"] + faults[:0]
        distance = float("nan")
    gap = 100 * (distance - bk) / bk
    row = dict(instance=inst.name, family=family(inst.name), distance=distance,
               vehicles=len([r for r in routes if r]), best=bk, gap=gap,
               feasible=not faults, faults=faults, seconds=seconds, routes=routes)
    line = (f"{inst.name:8} {distance:9.1f} {row['vehicles']:4d} {bk:8.1f} {gap:7.2f} "
            f"{'yes' if not faults else 'NO':>8} {seconds:8.2f}  {'; '.join(faults)[:200]}")
    print(line, flush=True)
    table.write(line + "\n"); table.flush()
    jsonl.write(json.dumps(row) + "\n"); jsonl.flush()
    return row
