"""The small-cell pass of an activity report (INDICATORS §5; §4.2: a report stores its figures
with the pass applied): the report is what the CRT sends to the ARS, so its figures about
people follow the rule of everything the ARS reads — the rules and their code are the
regional view's (``core.smallcells``), applied here to one CRT.

- Counts of people (and of records each about one person: stays, exits, answers) from 1 to 4
  read « < 5 », 0 stays 0 (rule 2). In a table whose total is shown, a line with one hidden
  cell has its next smallest cell hidden too (« s »), so that no cell is a total minus the
  others (rule 3): a breakdown's total is the indicator's count, hidden where the value is.
- A rate, mean, median or per-person figure over fewer than 5 people, or whose numerator or
  rest is 1 to 4, is « s » (rule 4); so is an indicator's extra figure where its value is.
- The breakdown by commune groups the communes of 1 to 4 people into « Autres communes »
  (rule 5). Each breakdown is its own table: none is crossed with another.
- What is about the CRT itself is shown: its identity, team, agreements, meetings, rooms and
  nights available, budget, and every indicator declared ``people=False`` (rule 6).

A hidden figure keeps no value: the snapshot stores its text (``Cell.export``: « < 5 » or
« s »), never the number, and the page, the PDF and the workbook print that text.

``apply(raw)`` takes the figures as computed (``reports.build_snapshot``, with what the rules
need: each indicator's numerator and previous count, each extra's ``over`` / ``part`` /
``line``) and returns them masked, those helpers dropped. A snapshot stored before the pass
(schema 1: figures printed as computed) goes through ``apply(…, legacy=True)`` each time it is
shown: its figures stay those sent, masked; what it lacks for the rules is decided the safe
way (an extra figure whose denominator was not kept is « s », and so are the other figures of
an indicator with a hidden one; a share's numerator is read back from the share and its
count).
"""

from typing import Any

from maillage.core import indicators as engine
from maillage.core.smallcells import (
    LEGEND,
    PROTECTED,
    PROTECTED_TEXT,
    THRESHOLD,
    Cell,
    count_cell,
    extra_cell,
    extra_cells,
    group_small_rows,
    indicator_cells,
    plain,
    share_hidden,
    suppress_table,
)

#: The breakdown whose small rows are grouped (rule 5) and the row they go into.
COMMUNE = "commune"
OTHER_COMMUNES = "Autres communes"
OTHER_KEY = "__other__"
SECRET = PROTECTED_TEXT
GROUPED_NOTE = (f"Communes de 1 à {THRESHOLD - 1} personnes regroupées dans « Autres "
                "communes ».")

NOTE = (f"Effectifs de 1 à {THRESHOLD - 1} personnes masqués (« < {THRESHOLD} »), ainsi que les "
        "chiffres qui permettraient de les retrouver par différence avec un total et les "
        f"taux, moyennes et médianes calculés sur moins de {THRESHOLD} personnes (« s ») ; "
        f"communes de moins de {THRESHOLD} personnes regroupées en « Autres communes » ; "
        "montants et moyens du CRT affichés : règle des petits effectifs appliquée aux "
        "documents transmis à l'ARS. " + LEGEND)
LEGACY_NOTE = ("Rapport calculé avant l'application de cette règle : ses chiffres sont ceux "
               "transmis, masqués à l'affichage ; les compléments d'un indicateur dont un "
               "chiffre est masqué sont masqués aussi.")


def _shown(cell: Cell) -> Any:
    return cell.export


def _declared(code: str, f: dict, name: str) -> bool:
    """Whether an indicator is about people (``people``), or a count (``is_count``): as the
    snapshot says, else as its declaration says today, else yes (deny by default, as
    ``Indicator.people``)."""
    if name in f:
        return f[name]
    declared = engine.registry().get(code)
    return True if declared is None else getattr(declared, name)


def _legacy_part(code: str, value, count: int | None) -> int | None:
    """The numerator of a share stored without it: the share × its count (exact to the unit
    under 1 000 records, the share having one decimal)."""
    declared = engine.registry().get(code)
    if declared is None or declared.numerator is None or value is None or not count:
        return None
    return round(value * count / 100)


# --- Indicators ------------------------------------------------------------------------------


def _breakdown(b: dict, *, code: str, people: bool, value_hidden: bool) -> dict:
    """One breakdown: communes grouped, then rules 2 and 3 down its column (its total, the
    indicator's count, hidden where the value is)."""
    rows = [(r["key"], r["label"], [r["value"]]) for r in b["rows"]]
    out = {"label": b["label"], "exclusive": b["exclusive"], "note": b["note"]}
    if not people:
        out["rows"] = [{"key": r["key"], "label": r["label"], "value": r["value"],
                        **({"amount": r["amount"]} if "amount" in r else {})} for r in b["rows"]]
        out["total"] = sum(r["value"] or 0 for r in b["rows"]) if b["exclusive"] else None
        return out
    if code == COMMUNE:
        before = len(rows)
        rows = group_small_rows(rows, other_key=OTHER_KEY, other_label=OTHER_COMMUNES,
                                keep=lambda key: key is None)
        if len(rows) != before or any(key == OTHER_KEY for key, _, _ in rows):
            out["note"] = f"{out['note']} {GROUPED_NOTE}".strip()
    out["rows"], out["total"] = [], None
    if not rows:
        return out
    table = suppress_table([counts for _, _, counts in rows], column_totals=b["exclusive"],
                           hidden_column_totals=[0] if value_hidden and b["exclusive"] else ())
    amounts = {r["key"]: r.get("amount") for r in b["rows"]}
    for (key, label, _), cells in zip(rows, table.cells, strict=True):
        row = {"key": key, "label": label, "value": _shown(cells[0])}
        # An amount of a row (what its people paid) is shown where its count is.
        if amounts.get(key) is not None and not cells[0].hidden:
            row["amount"] = amounts[key]
        out["rows"].append(row)
    if b["exclusive"]:
        out["total"] = _shown(table.column_totals[0])
    return out


def _extra(e: dict) -> engine.Extra:
    """An extra figure of the snapshot with what the rules need (absent before the pass: a
    figure about people, nothing more known)."""
    within = e.get("within")
    return engine.Extra(e["label"], e["value"], e.get("unit", ""), people=e.get("people", True),
                        over=e.get("over"), part=e.get("part"), line=e.get("line", ""),
                        whole=e.get("whole", False), within=tuple(within) if within else None)


def _legacy_extras(extras: list[dict], *, people: bool, count: int,
                   value_hidden: bool) -> list[Cell]:
    """Extras stored without what the rules need (schema 1): a count of 1 to 4 « < 5 »; a
    figure that is not a whole number (a mean, a rate) has an unknown denominator: « s »; and
    once one is hidden, every other figure but 0 is « s » (a total or a share of them would
    give it back)."""
    cells = []
    for e in extras:
        cell = extra_cell(_extra(e), people=people, count=count, value_hidden=value_hidden)
        if people and not cell.hidden and e["value"] not in (0, None) \
                and not isinstance(e["value"], int):
            cell = Cell(None, PROTECTED)
        cells.append(cell)
    if people and any(c.hidden for c in cells):
        cells = [c if c.hidden or c.value in (0, None) else Cell(None, PROTECTED)
                 for c in cells]
    return cells


def _indicator(code: str, f: dict, *, legacy: bool) -> dict:
    people, is_count = _declared(code, f, "people"), _declared(code, f, "is_count")
    n, value = f["count"], f["value"]
    previous = f["previous"]
    out = {key: f[key] for key in ("name", "definition", "version", "unit", "period")}
    out["is_count"] = is_count
    if not people:
        out.update(value=value, count=n,
                   previous={"period": previous.get("period"), "value": previous.get("value")},
                   breakdowns={c: _breakdown(b, code=c, people=False, value_hidden=False)
                               for c, b in f["breakdowns"].items()},
                   extras=[{"label": e["label"], "value": e["value"], "unit": e["unit"]}
                           for e in f["extras"]])
        return out
    part = f.get("numerator") if not legacy else _legacy_part(code, value, n)
    cell = indicator_cells([n], [value], [part], is_count=is_count)[0]
    # The previous period's value: a count as a count; a figure made of a count with its own
    # count (not kept before the pass: « s »).
    before = previous.get("value")
    if before is None:
        before_cell = plain(None)
    elif is_count:
        before_cell = count_cell(before)
    elif "count" in previous:
        before_cell = indicator_cells([previous["count"]], [before],
                                      [previous.get("numerator")], is_count=False)[0]
    else:
        before_cell = Cell(None, PROTECTED)
    breakdowns = {c: _breakdown(b, code=c, people=True, value_hidden=cell.hidden)
                  for c, b in f["breakdowns"].items()}

    def row_hidden(within) -> bool:
        b = breakdowns.get(within[0])
        return b is not None and any(r["key"] == within[1] and isinstance(r["value"], str)
                                     for r in b["rows"])

    if legacy:
        extras = _legacy_extras(f["extras"], people=True, count=n, value_hidden=cell.hidden)
    else:
        extras = extra_cells([_extra(e) for e in f["extras"]], people=True, count=n,
                             value_hidden=cell.hidden, row_hidden=row_hidden)
    out.update(
        value=_shown(cell), count=_shown(count_cell(n)),
        previous={"period": previous.get("period"), "value": _shown(before_cell)},
        breakdowns=breakdowns,
        extras=[{"label": e["label"], "value": _shown(c), "unit": e["unit"]}
                for e, c in zip(f["extras"], extras, strict=True)])
    return out


# --- The tables the indicators do not give ---------------------------------------------------


def _lodging(lodging: dict) -> dict:
    """Rooms: places and nights available are the CRT's; the nights occupied are people's
    stays (rule 2, a total row) and the occupancy rate their share of the nights available
    (rule 4, as V2-17's). Stays begun per reason, and those of volet 2 beneficiaries: counts
    of people's stays, with the stays of others (the rest) as a hidden third column."""
    rooms = lodging["rooms"]
    occupied = suppress_table([[r["occupied"]] for r in rooms], column_totals=True) \
        if rooms else None
    out_rooms = []
    for i, r in enumerate(rooms):
        cell = occupied.cells[i][0]
        rate = None if not r["nights"] else round(100 * r["occupied"] / r["nights"], 1)
        rate_cell = Cell(None, PROTECTED) if rate is not None and (
            cell.hidden or share_hidden(r["occupied"], r["nights"])) else plain(rate)
        out_rooms.append({"label": r["label"], "places": r["places"], "nights": r["nights"],
                          "occupied": _shown(cell), "rate": _shown(rate_cell)})
    nights = sum(r["nights"] for r in rooms)
    total_occupied = sum(r["occupied"] for r in rooms)
    total_cell = occupied.column_totals[0] if occupied else plain(0)
    total_rate = round(100 * total_occupied / nights, 1) if nights else None
    totals = {"places": sum(r["places"] for r in rooms), "nights": nights,
              "occupied": _shown(total_cell),
              "rate": _shown(Cell(None, PROTECTED) if total_rate is not None and (
                  total_cell.hidden or share_hidden(total_occupied, nights))
                  else plain(total_rate))}
    stays = lodging["stays"]
    out_stays, stay_totals = [], {"stays": 0, "beneficiaries": 0}
    if stays:
        table = suppress_table([[s["beneficiaries"], s["stays"] - s["beneficiaries"]]
                                for s in stays], row_totals=True, column_totals=True)
        out_stays = [{"label": s["label"], "stays": _shown(table.row_totals[i]),
                      "beneficiaries": _shown(table.cells[i][0])}
                     for i, s in enumerate(stays)]
        stay_totals = {"stays": _shown(table.grand_total),
                       "beneficiaries": _shown(table.column_totals[0])}
    return {"rooms": out_rooms, "stays": out_stays,
            "totals": {**totals, **{f"stays_{k}": v for k, v in stay_totals.items()}}}


def _survey_rows(rows: list[dict]) -> tuple[list[dict], dict]:
    """Per audience or field: codes handed, responses and answers to the satisfaction question
    are counts of people (rules 2 and 3, a total row); the response rate (responses ÷ codes)
    and the share satisfied (satisfied ÷ answers) are shares (rule 4)."""
    columns = ("codes", "responses", "answers")
    if not rows:
        return [], {c: 0 for c in columns}
    table = suppress_table([[r[c] for c in columns] for r in rows], column_totals=True)
    out = []
    for r, cells in zip(rows, table.cells, strict=True):
        shown = dict(zip(columns, cells, strict=True))
        rate = r["response_rate"]
        rate_hidden = rate is not None and (
            shown["codes"].hidden or shown["responses"].hidden or r["codes"] < THRESHOLD
            or share_hidden(r["responses"], r["codes"]))
        satisfied = r["satisfied"]
        # The people satisfied (not kept before the pass: read back from the share, in whole
        # %, exact to the unit under 100 answers).
        count = r["satisfied_count"] if "satisfied_count" in r else (
            None if satisfied is None else round(satisfied * r["answers"] / 100))
        satisfied_hidden = satisfied is not None and (
            shown["answers"].hidden or r["answers"] < THRESHOLD
            or share_hidden(count, r["answers"]))
        out.append({"label": r["label"], "question": r.get("question", ""),
                    **{c: _shown(shown[c]) for c in columns},
                    "response_rate": SECRET if rate_hidden else rate,
                    "satisfied": SECRET if satisfied_hidden else satisfied})
    return out, {c: _shown(t) for c, t in zip(columns, table.column_totals, strict=True)}


def _satisfaction(sat: dict | None) -> dict | None:
    if sat is None:
        return None
    yearly, yearly_totals = _survey_rows(sat["yearly"])
    volet1, volet1_totals = _survey_rows(sat["volet1"])
    return {"year": sat["year"], "yearly": yearly, "yearly_totals": yearly_totals,
            "volet1": volet1, "volet1_totals": volet1_totals}


# --- The pass --------------------------------------------------------------------------------


def apply(raw: dict, *, schema: int, legacy: bool = False) -> dict:
    """The snapshot ``raw`` with the small-cell pass applied, as ``schema``: figures about
    people masked, what the rules needed dropped, the note saying so. ``legacy``: a snapshot
    stored without the pass (its figures kept, masked the safe way where it lacks what the
    rules need)."""
    masked = {key: value for key, value in raw.items()
              if key not in ("indicators", "lodging", "satisfaction", "small_cells")}
    masked["schema"] = schema
    masked["indicators"] = {code: _indicator(code, f, legacy=legacy)
                            for code, f in raw["indicators"].items()}
    masked["lodging"] = _lodging(raw["lodging"])
    masked["satisfaction"] = _satisfaction(raw.get("satisfaction"))
    masked["small_cells"] = NOTE + (f" {LEGACY_NOTE}" if legacy else "")
    return masked
