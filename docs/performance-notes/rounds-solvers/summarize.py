"""Summary of vroom.jsonl / ortools.jsonl -> summary.txt (mean gap per family and overall,
infeasible count, mean time, package versions)."""
import json
import math
import sys
import importlib.metadata as md
from pathlib import Path

OUT = Path("/work/solver-compare")
FAMILIES = ["C1", "C2", "R1", "R2", "RC1", "RC2"]


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


lines = ["# Solomon VRPTW (56 instances), distance in truncated tenths, gap to best known (.sol)",
         "# versions: " + ", ".join(f"{p} {md.version(p)}" for p in ("pyvroom", "ortools")),
         "# gap means are over feasible instances only; n = instances run / feasible", ""]
for solver in ("vroom", "ortools"):
    path = OUT / f"{solver}.jsonl"
    if not path.exists():
        continue
    rows = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
    feas = [r for r in rows if r["feasible"]]
    lines.append(f"== {solver}: {len(rows)} instances run, {len(rows) - len(feas)} infeasible"
                 + (f" ({', '.join(r['instance'] for r in rows if not r['feasible'])})"
                    if len(feas) < len(rows) else ""))
    lines.append(f"{'family':8} {'n':>4} {'feas':>4} {'mean gap%':>10} {'mean veh':>9} {'mean s':>8}")
    for fam in FAMILIES + ["ALL"]:
        rs = rows if fam == "ALL" else [r for r in rows if r["family"] == fam]
        fs = [r for r in rs if r["feasible"]]
        lines.append(f"{fam:8} {len(rs):4d} {len(fs):4d} {mean([r['gap'] for r in fs]):10.2f} "
                     f"{mean([r['vehicles'] for r in fs]):9.2f} {mean([r['seconds'] for r in rs]):8.2f}")
    lines.append(f"total time {sum(r['seconds'] for r in rows):.1f} s, "
                 f"max {max(r['seconds'] for r in rows):.1f} s")
    lines.append("")
paths = {s: OUT / f"{s}.jsonl" for s in ("vroom", "ortools")}
if all(p.exists() for p in paths.values()):
    data = {s: {r["instance"]: r for r in map(json.loads, p.read_text().split("\n")) if r}
            for s, p in [(s, p) for s, p in paths.items()]} if False else {
        s: {json.loads(l)["instance"]: json.loads(l) for l in p.read_text().splitlines() if l.strip()}
        for s, p in paths.items()}
    both = sorted(n for n in data["vroom"] if n in data["ortools"]
                  and data["vroom"][n]["feasible"] and data["ortools"][n]["feasible"])
    lines.append(f"== instances feasible for both solvers: {len(both)}")
    lines.append(f"{'family':8} {'n':>4} {'vroom gap%':>11} {'ortools gap%':>13}")
    for fam in FAMILIES + ["ALL"]:
        ns = [n for n in both if fam == "ALL" or data["vroom"][n]["family"] == fam]
        lines.append(f"{fam:8} {len(ns):4d} {mean([data['vroom'][n]['gap'] for n in ns]):11.2f} "
                     f"{mean([data['ortools'][n]['gap'] for n in ns]):13.2f}")
    lines.append("")
text = "\n".join(lines)
(OUT / "summary.txt").write_text(text + "\n")
print(text)
