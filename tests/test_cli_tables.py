"""How values look in the CLI's tables: one line per cell, columns aligned."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from jupyter_registry.cli.tables import cell, details, human_size, table


def test_cells_are_single_short_lines() -> None:
    assert cell(None) == "" and cell(True) == "yes" and cell(False) == "no"
    assert cell(["production", "staging"]) == "production, staging"
    assert cell({"b": 1, "a": 0.5}) == '{"a": 0.5, "b": 1}' and cell({}) == ""
    assert cell("two\nlines\tand tabs") == "two lines and tabs"
    assert cell("x" * 100) == "x" * 47 + "…"
    assert cell("x" * 100, None) == "x" * 100
    cet = timezone(timedelta(hours=1))
    assert cell(datetime(2026, 1, 2, 4, 5, 6, 789, tzinfo=cet)) == "2026-01-02 03:05:06"


def test_table_aligns_and_right_justifies_numbers() -> None:
    text = table(("Name", "Versions"), [("mnist_cnn", 2), ("a", 10)])
    assert text.splitlines() == [
        " Name      | Versions",
        "-----------+----------",
        " mnist_cnn |        2",
        " a         |       10",
    ]
    assert table(("Name", "Versions"), []).splitlines() == [" Name | Versions", "------+----------"]


def test_details_and_sizes() -> None:
    assert details([("Name", "m"), ("Description", None)]).splitlines() == [
        "Name:         m",
        "Description:",
    ]
    assert [human_size(n) for n in (0, 1023, 25224, 3 * 1024**3)] == [
        "0 B",
        "1023 B",
        "24.6 KiB",
        "3.0 GiB",
    ]
