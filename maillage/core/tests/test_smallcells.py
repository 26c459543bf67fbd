"""The small-cell rule of INDICATORS §5 (``core.smallcells``), on tables counted by hand."""

from decimal import Decimal

from maillage.core.smallcells import (
    PROTECTED,
    SHOWN,
    SMALL,
    THRESHOLD,
    Cell,
    count_cell,
    group_small_rows,
    ratio_cell,
    suppress_table,
)


def texts(cells):
    return [c.text for c in cells]


def test_the_threshold_is_five_and_counts_of_one_to_four_are_hidden():
    assert THRESHOLD == 5
    assert [count_cell(n).text for n in (0, 1, 4, 5, 12)] == ["0", "< 5", "< 5", "5", "12"]
    # A hidden cell keeps no number: nothing can print it by mistake.
    assert count_cell(3).value is None and count_cell(3).export == "< 5"
    # A figure proportional to a count (the forfait of its mois-forfait) follows the count.
    assert count_cell(3, Decimal("2700")).hidden
    assert count_cell(6, Decimal("5400")).value == Decimal("5400")


def test_rates_and_means_need_five_people_and_no_small_numerator():
    assert ratio_cell(Decimal("12.5"), numerator=6, denominator=48).value == Decimal("12.5")
    assert ratio_cell(Decimal("50"), numerator=2, denominator=4).status == PROTECTED
    assert ratio_cell(Decimal("75"), numerator=3, denominator=40).status == PROTECTED
    assert ratio_cell(Decimal("0"), numerator=0, denominator=40).value == Decimal("0")
    assert ratio_cell(Decimal("40.2"), numerator=None, denominator=4).status == PROTECTED


def test_a_column_with_its_total_hides_the_next_smallest_cell():
    # GIR 1: 12, GIR 2: 3, GIR 3: 7, GIR 4: 0; total 22. The 3 is « < 5 »; alone hidden, it
    # would be 22 - 12 - 7 - 0: the next smallest non-zero cell, 7, is hidden too.
    table = suppress_table([[12], [3], [7], [0]], column_totals=True)
    assert [row[0].text for row in table.cells] == ["12", "< 5", "s", "0"]
    assert texts(table.column_totals) == ["22"]
    assert table.row_totals is None and table.grand_total is None


def test_a_row_of_crts_with_the_region_total():
    # CRT A 30 people, CRT B 3; region 33: B is « < 5 », so A is hidden too.
    table = suppress_table([[30, 3]], row_totals=True)
    assert texts(table.cells[0]) == ["s", "< 5"]
    assert texts(table.row_totals) == ["33"]


def test_a_small_total_is_itself_hidden_and_zeros_stay():
    table = suppress_table([[3, 0]], row_totals=True)
    assert texts(table.cells[0]) == ["< 5", "0"]
    assert texts(table.row_totals) == ["< 5"]


def test_secondary_suppression_spreads_across_rows_and_columns():
    #          A   B | total
    #    r1   10   2 |  12     the 2 is « < 5 »; row r1 then hides 10;
    #    r2    8   9 |  17     column A then hides its next smallest, 6 (r3);
    #    r3    6   7 |  13     column B hides 7 (r3): every line has 0 or 2 hidden cells.
    #  total  24  18 |  42
    table = suppress_table([[10, 2], [8, 9], [6, 7]], row_totals=True, column_totals=True)
    assert [texts(row) for row in table.cells] == [["s", "< 5"], ["8", "9"], ["s", "s"]]
    assert texts(table.row_totals) == ["12", "17", "13"]
    assert texts(table.column_totals) == ["24", "18"]
    assert table.grand_total.text == "42"
    statuses = [c.status for row in table.cells for c in row]
    assert statuses.count(SMALL) == 1 and statuses.count(PROTECTED) == 3
    # No line (row or column with its total) has exactly one hidden cell.
    for row, total in zip(table.cells, table.row_totals, strict=True):
        assert sum(c.hidden for c in [*row, total]) != 1
    for j in range(2):
        column = [table.cells[i][j] for i in range(3)] + [table.column_totals[j]]
        assert sum(c.hidden for c in column) != 1


def test_a_total_hidden_elsewhere_stays_hidden_and_protects_its_cells():
    # The CRT's value is hidden on the overview (« s »): its breakdown's total is hidden too,
    # and then a second cell of the column, so that the total cannot be rebuilt by adding up.
    table = suppress_table([[0], [7]], column_totals=True, hidden_column_totals=[0])
    assert [row[0].text for row in table.cells] == ["0", "s"]
    assert texts(table.column_totals) == ["s"]


def test_a_cell_the_reader_knows_from_a_report_protects_nothing():
    # CRT A's 9 is in the report A sent for the same period: hiding it here (« s ») would not
    # hide it, and 13 - 9 would give back B's 4. The region's total is hidden instead.
    table = suppress_table([[9, 4]], row_totals=True, known_columns=[0])
    assert texts(table.cells[0]) == ["9", "< 5"]
    assert texts(table.row_totals) == ["s"]
    # With a third CRT, its cell protects B and the total stays.
    table = suppress_table([[9, 4, 20]], row_totals=True, known_columns=[0])
    assert texts(table.cells[0]) == ["9", "< 5", "s"]
    assert texts(table.row_totals) == ["33"]
    # A known column's own small cell is its report's concern (hidden there too): the
    # other lines still protect it.
    table = suppress_table([[3, 12, 20]], row_totals=True, known_columns=[0])
    assert texts(table.cells[0]) == ["< 5", "s", "20"]


def test_a_line_with_nothing_else_to_hide_hides_its_total():
    #          A   B | total
    #    r1    7   3 |  10     the 3 is « < 5 »: row r1 hides 7;
    #    r2    0   9 |   9     column A: 7 hidden, its other cell is 0: its total is hidden;
    #  total   7  12 |  19     column B hides 9; row r2: 9 hidden beside a 0: its total is
    #                          hidden; then the lines of totals each need a second hidden one.
    table = suppress_table([[7, 3], [0, 9]], row_totals=True, column_totals=True)
    assert [texts(row) for row in table.cells] == [["s", "< 5"], ["0", "s"]]
    assert texts(table.column_totals) == ["s", "s"]
    assert texts(table.row_totals) == ["s", "s"]
    assert table.grand_total.text == "19"


def test_values_other_than_counts_are_shown_and_hidden_with_their_counts():
    # A mean monthly file active (mois-forfait ÷ 12) shown from its mois-forfait.
    table = suppress_table([[120, 4]], row_totals=True,
                           values=[[Decimal("10.00"), Decimal("0.33")]])
    assert table.cells[0][0].status == PROTECTED and table.cells[0][1].status == SMALL
    assert table.row_totals[0].value == Decimal("10.33")


def test_communes_under_five_are_grouped():
    rows = [("49331", "Segré (49331)", [6, 0]), ("49038", "Bourg-l'Évêque (49038)", [2, 0]),
            ("49020", "Baugé (49020)", [0, 3]), ("49018", "Bauné (49018)", [5, 7]),
            (None, "Non renseigné", [1, 0])]
    grouped = group_small_rows(rows, keep=lambda key: key is None)
    assert [(label, counts) for _, label, counts in grouped] == [
        ("Segré (49331)", [6, 0]), ("Bauné (49018)", [5, 7]), ("Non renseigné", [1, 0]),
        ("Autres communes", [2, 3])]
    # Nothing to group: no « autres communes » row.
    assert [label for _, label, _ in group_small_rows(rows[:1])] == ["Segré (49331)"]


def test_a_cell_not_about_people_is_shown():
    from maillage.core.smallcells import plain

    assert plain(Decimal("3.00")).status == SHOWN and plain(2).text == "2"
    assert Cell(None).text == ""


def test_an_indicator_and_its_extra_figures():
    from maillage.core.indicators import Extra
    from maillage.core.smallcells import extra_cell, extra_cells, indicator_cells

    # A count in two columns and their total: 3 « < 5 », 12 « s » (15 − 3), 15 shown.
    assert texts(indicator_cells([3, 12], [3, 12], [None, None], is_count=True)) == [
        "< 5", "s", "15"]
    # A mean hidden with its count is « s », never « < 5 »; a share whose numerator or rest
    # is 1 to 4 is hidden (9 satisfied of 10: 1 unsatisfied).
    assert texts(indicator_cells([3], [Decimal("2.5")], [None], is_count=False)) == ["s", "s"]
    assert texts(indicator_cells([10], [Decimal("90.0")], [9], is_count=False))[0] == "s"
    assert texts(indicator_cells([10], [Decimal("50.0")], [5], is_count=False))[0] == "50.0"
    # Extras: a parameter of the CRT shown; a count of 3 « < 5 »; a mean over 4 people « s »;
    # over nobody, a count of 0 stays 0.
    assert extra_cell(Extra("Cible", 30, people=False), people=True, count=2).text == "30"
    assert extra_cell(Extra("Personnes", 3), people=True, count=20).text == "< 5"
    assert extra_cell(Extra("Durée moyenne", Decimal("12.5"), over=4), people=True,
                      count=20).text == "s"
    assert extra_cell(Extra("Réponses", 0, over=0, part=0), people=True, count=0).text == "0"
    # A total of counts whose part is hidden is hidden too (rule 3).
    cells = extra_cells([Extra("dont A", 2, line="l"), Extra("dont B", 9, line="l"),
                         Extra("Total", 11, line="l", whole=True)],
                        people=True, count=20, value_hidden=False)
    assert texts(cells) == ["< 5", "9", "s"]
