"""Small-cell suppression (INDICATORS §5, a Maillage rule): what a figure about people may show
outside the CRT (the ARS's regional view, exports sent outside).

1. No list, no drill-down, no identifier, no free text: the callers show aggregates only.
2. A count of **people** from 1 to ``THRESHOLD - 1`` is shown « < 5 »; 0 is shown.
3. Secondary suppression: when a line of a table (a row or a column whose total is shown) has
   a single hidden cell, the next smallest cell of that line is hidden too (« s »), so that no
   cell can be rebuilt as the total minus the others; repeated until every line has zero or at
   least two hidden cells. The totals are cells of their lines (a total of 1 to 4 people is
   itself « < 5 »); when a line has nothing else left to hide, its total is hidden. A cell the
   reader knows from elsewhere (a CRT's activity report for the same period, sent to the ARS:
   ``known_columns``) protects nothing: hiding it here would not hide it.
4. A rate, mean, median or per-person amount is hidden (« s ») when its denominator has fewer
   than ``THRESHOLD`` people or its numerator is 1 to 4.
5. One breakdown at a time (the caller); rows whose cells hold 1 to 4 people (communes) are
   grouped into one row (``group_small_rows``).
6. Amounts about the CRT itself (allocation, expenses) are not about people: ``plain``.
8. ``THRESHOLD`` is the one constant.

A hidden cell keeps no value: a template or an export cannot print it by mistake.
"""

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .indicators import Extra

#: Counts of people under this are never shown outside the CRT (INDICATORS §5 rule 8).
THRESHOLD = 5

SHOWN, SMALL, PROTECTED = "shown", "small", "protected"
#: What a hidden cell says.
SMALL_TEXT = f"< {THRESHOLD}"
PROTECTED_TEXT = "s"
LEGEND = (f"« {SMALL_TEXT} » : de 1 à {THRESHOLD - 1} personnes. « {PROTECTED_TEXT} » : chiffre "
          f"masqué (secret statistique) pour qu'un total ne permette pas de retrouver une case "
          f"« {SMALL_TEXT} », ou taux et moyennes calculés sur moins de {THRESHOLD} "
          f"personnes.")


@dataclass(frozen=True)
class Cell:
    """A figure as it may be shown: ``value`` (None when hidden) and its ``status``."""

    value: Any
    status: str = SHOWN

    @property
    def hidden(self) -> bool:
        return self.status != SHOWN

    @property
    def text(self) -> str:
        """What a reader sees (numbers as they are; the caller formats them)."""
        if self.status == SMALL:
            return SMALL_TEXT
        if self.status == PROTECTED:
            return PROTECTED_TEXT
        return "" if self.value is None else str(self.value)

    @property
    def export(self) -> Any:
        """For a CSV or XLSX cell: the number, or the text of a hidden cell."""
        return self.value if self.status == SHOWN else self.text


def is_small(count: int | None) -> bool:
    """A count of people that rule 2 hides: 1 to ``THRESHOLD - 1``."""
    return count is not None and 0 < count < THRESHOLD


def plain(value: Any) -> Cell:
    """A figure not about people (an amount of the CRT itself, a count of agreements)."""
    return Cell(value)


def count_cell(count: int, value: Any = None) -> Cell:
    """A count of people (rule 2), shown as ``value`` when given (a figure proportional to the
    count, such as the forfait of its mois-forfait)."""
    if is_small(count):
        return Cell(None, SMALL)
    return Cell(count if value is None else value)


def ratio_cell(value: Any, *, numerator: int | None, denominator: int | None) -> Cell:
    """A rate, mean, median or per-person figure (rule 4): hidden when fewer than
    ``THRESHOLD`` people are behind it or its numerator is a small count."""
    if value is None:
        return Cell(None)
    if denominator is not None and denominator < THRESHOLD:
        return Cell(None, PROTECTED)
    if is_small(numerator):
        return Cell(None, PROTECTED)
    return Cell(value)


def as_secret(cells: list[Cell], *, is_count: bool) -> list[Cell]:
    """A figure that is not a count (a mean, an amount) is never shown « < 5 »: hidden, it is
    « s »."""
    if is_count:
        return cells
    return [Cell(None, PROTECTED) if c.status == SMALL else c for c in cells]


def share_hidden(part: int | None, over: int | None) -> bool:
    """A share of ``over`` people whose numerator is ``part`` (rules 3 and 4): hidden when the
    part, or the rest, is 1 to 4 — 90 % of 10 answers is 1 unsatisfied."""
    return part is not None and over is not None and (is_small(part) or is_small(over - part))


# --- Tables: primary and secondary suppression (rules 2 and 3) -------------------------------


@dataclass(frozen=True)
class Table:
    """A suppressed table of counts of people: ``cells[i][j]``, with the total of each row
    (``row_totals``: the last column) and of each column (``column_totals``: the last row)
    when the table shows them, and the grand total when it shows both."""

    cells: list[list[Cell]]
    row_totals: list[Cell] | None
    column_totals: list[Cell] | None
    grand_total: Cell | None


def suppress_table(counts: Sequence[Sequence[int]], *, row_totals: bool = False,
                   column_totals: bool = False,
                   values: Sequence[Sequence[Any]] | None = None,
                   hidden_column_totals: Iterable[int] = (),
                   hidden_row_totals: Iterable[int] = (),
                   known_columns: Iterable[int] = ()) -> Table:
    """Rules 2 and 3 on a table of counts of people.

    ``values``: what each cell shows when it is not hidden (default: its count; e.g. a mean
    monthly file active whose count is its mois-forfait); totals show the sum of the values.
    ``hidden_column_totals`` / ``hidden_row_totals``: totals that another table already hides
    (the same figures shown elsewhere must not be hidden there and readable here).
    ``known_columns``: columns whose figures the reader has from elsewhere (a CRT's report for
    the same period): their cells of 5 people or more, and their total, are never chosen to
    protect another cell, nor counted as hidden (a report hides its small cells itself).
    """
    n_rows = len(counts)
    n_cols = len(counts[0]) if n_rows else 0
    if values is None:
        values = counts
    # Keys: ("c", i, j) cells, ("r", i) row totals, ("k", j) column totals, ("g",) grand total.
    count_of: dict[tuple, int] = {}
    value_of: dict[tuple, Any] = {}
    for i in range(n_rows):
        for j in range(n_cols):
            count_of["c", i, j] = counts[i][j]
            value_of["c", i, j] = values[i][j]
    if row_totals:
        for i in range(n_rows):
            count_of["r", i] = sum(counts[i])
            value_of["r", i] = _sum(values[i])
    if column_totals:
        for j in range(n_cols):
            count_of["k", j] = sum(counts[i][j] for i in range(n_rows))
            value_of["k", j] = _sum(values[i][j] for i in range(n_rows))
    if row_totals and column_totals:
        count_of["g",] = sum(sum(row) for row in counts)
        value_of["g",] = _sum(value_of["r", i] for i in range(n_rows))

    # The lines: (the keys that add up, the key of their total).
    lines: list[tuple[list[tuple], tuple]] = []
    if row_totals:
        lines += [([("c", i, j) for j in range(n_cols)], ("r", i)) for i in range(n_rows)]
    if column_totals:
        lines += [([("c", i, j) for i in range(n_rows)], ("k", j)) for j in range(n_cols)]
    if row_totals and column_totals:
        lines.append(([("k", j) for j in range(n_cols)], ("g",)))
        lines.append(([("r", i) for i in range(n_rows)], ("g",)))

    status = {key: SMALL if is_small(n) else SHOWN for key, n in count_of.items()}
    known_set = set(known_columns)
    known = {key for key, n in count_of.items() if not is_small(n) and (
        (key[0] == "c" and key[2] in known_set) or (key[0] == "k" and key[1] in known_set))}
    for j in hidden_column_totals:
        if ("k", j) in status and status["k", j] == SHOWN:
            status["k", j] = PROTECTED
    for i in hidden_row_totals:
        if ("r", i) in status and status["r", i] == SHOWN:
            status["r", i] = PROTECTED
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            hidden = [k for k in [*members, total] if status[k] != SHOWN and k not in known]
            if len(hidden) != 1:
                continue
            candidates = [k for k in members
                          if status[k] == SHOWN and count_of[k] > 0 and k not in known]
            pick = min(candidates, key=lambda k: (count_of[k], k)) if candidates else total
            if status[pick] != SHOWN or pick in known:  # nothing else to hide: any member
                pick = next((k for k in members if status[k] == SHOWN and k not in known),
                            None)
                if pick is None:
                    continue
            status[pick] = PROTECTED
            changed = True

    def cell(key) -> Cell:
        return Cell(value_of[key]) if status[key] == SHOWN else Cell(None, status[key])

    return Table(
        cells=[[cell(("c", i, j)) for j in range(n_cols)] for i in range(n_rows)],
        row_totals=[cell(("r", i)) for i in range(n_rows)] if row_totals else None,
        column_totals=[cell(("k", j)) for j in range(n_cols)] if column_totals else None,
        grand_total=cell(("g",)) if row_totals and column_totals else None,
    )


def _sum(values: Iterable[Any]) -> Any:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def group_small_rows(rows: Sequence[tuple[Hashable, str, Sequence[int]]], *,
                     other_key: Hashable = "__other__",
                     other_label: str = "Autres communes",
                     keep: Callable[[Hashable], bool] = lambda key: False,
                     ) -> list[tuple[Hashable, str, list[int]]]:
    """Rule 5: the rows ``(key, label, counts)`` holding a count of 1 to 4 people in any cell
    go into one row ``other_label`` (added last, when some row went into it); ``keep`` names
    rows never grouped (the empty category, say)."""
    kept, other, grouped = [], None, False
    for key, label, counts in rows:
        if not keep(key) and any(is_small(n) for n in counts):
            other = list(counts) if other is None else [a + b for a, b in zip(other, counts,
                                                                             strict=True)]
            grouped = True
        else:
            kept.append((key, label, list(counts)))
    if grouped:
        kept.append((other_key, other_label, other))
    return kept


# --- An indicator: its value in one or more columns, its extra figures -----------------------


def indicator_cells(counts: Sequence[int], values: Sequence[Any],
                    parts: Sequence[int | None], *, is_count: bool,
                    known_columns: Iterable[int] = ()) -> list[Cell]:
    """Rules 2 to 4 on the value of an indicator about people in each column (a CRT), and
    their total (the last cell): ``counts`` the records counted, ``values`` what each column
    shows (the count, or a figure made of it), ``parts`` the numerator of a share (None
    otherwise). Secondary suppression along the row; a figure that is not a count hidden is
    « s »; a share hidden when its numerator or the rest is 1 to 4."""
    table = suppress_table([counts], row_totals=True, values=[values],
                           known_columns=known_columns)
    cells = as_secret([*table.cells[0], table.row_totals[0]], is_count=is_count)
    for j, (n, part) in enumerate(zip(counts, parts, strict=True)):
        if share_hidden(part, n):
            cells[j] = Cell(None, PROTECTED)
    return cells


def extra_cell(extra: "Extra", *, people: bool, count: int, value_hidden: bool = False) -> Cell:
    """An extra figure of an indicator (``people``: whether the indicator is about people;
    ``count``: its records counted): a parameter of the CRT is shown. A figure about people is
    hidden when the indicator's value is (« s », secondary suppression included: its share of
    the file active, its counts, would give it back) or rests on 1 to 4 people; a rate or mean
    when fewer than 5 people are behind it (``over``), or its part or the rest is 1 to 4
    (``part``: rule 4 and the rest's rule 2); a whole number of 1 to 4 is « < 5 » (rule 2)."""
    if not extra.people or extra.value is None:
        return plain(extra.value)
    if value_hidden or (people and is_small(count)):
        return Cell(None, PROTECTED)
    if extra.over is not None:
        if extra.over == 0:  # over nobody: nothing to hide (a count of 0, a rate of nothing)
            return plain(extra.value)
        if extra.over < THRESHOLD or share_hidden(extra.part, extra.over):
            return Cell(None, PROTECTED)
        return plain(extra.value)
    if isinstance(extra.value, int) and is_small(extra.value):
        return Cell(None, SMALL)
    return plain(extra.value)


def extra_cells(extras: Sequence["Extra"], *, people: bool, count: int, value_hidden: bool,
                row_hidden: Callable[[tuple], bool] = lambda within: False) -> list[Cell]:
    """The extra figures of one indicator in one column (a CRT): each by ``extra_cell``; one
    that is part of a breakdown's row (``Extra.within``) hidden where that row's cell is
    (``row_hidden(within)``); the figures made of a sum of counts (``Extra.line``,
    ``whole``) hidden where one of those counts is (rule 3)."""
    cells = [extra_cell(extra, people=people, count=count,
                        value_hidden=value_hidden or (extra.within is not None
                                                      and row_hidden(extra.within)))
             for extra in extras]
    broken = {e.line for e, c in zip(extras, cells, strict=True)
              if e.line and not e.whole and c.hidden}
    return [Cell(None, PROTECTED) if e.whole and e.line in broken and not c.hidden else c
            for e, c in zip(extras, cells, strict=True)]
