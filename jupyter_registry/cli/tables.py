"""Plain-text rendering for the terminal: aligned tables and key/value blocks.

Kept free of click and of the SDK so the layout rules (how a date, a list or a
long description looks in a cell) live in one place and are easy to test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

MAX_CELL = 48


def cell(value: Any, limit: int | None = MAX_CELL) -> str:
    """One value as a single line of text; ``limit`` shortens long cells with ``…``."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, datetime):
        text = value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, (list, tuple)):
        text = ", ".join(cell(v, None) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, sort_keys=True) if value else ""
    else:
        text = str(value)
    text = " ".join(text.split()) if "\n" in text or "\t" in text else text
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A psql-style table like ``det model list``: numbers right-aligned."""
    raw = [list(row) for row in rows]
    cells = [[cell(v) for v in row] for row in raw]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    right = [bool(raw) and all(_is_number(row[i]) for row in raw) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        padded = (
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        )
        return (" " + " | ".join(padded)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(headers), f"-{rule}-".rstrip(), *(line(row) for row in cells)])


def details(pairs: Iterable[tuple[str, Any]]) -> str:
    """``Key:  value`` lines with the values aligned, empty values kept visible."""
    items = [(key, cell(value, None)) for key, value in pairs]
    width = max((len(key) for key, _ in items), default=0) + 1
    return "\n".join(f"{(key + ':').ljust(width)}  {value}".rstrip() for key, value in items)


def human_size(size: int) -> str:
    """Bytes as a short human figure (``24.6 KiB``)."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    return f"{size} B" if unit == 0 else f"{value:.1f} {units[unit]}"
