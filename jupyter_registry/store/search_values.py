"""The filter language's index: every top-level scalar of the searched JSON documents, as rows.

Why a key/value table rather than expression indexes: the keys users search
(``metrics.acc``, ``metadata.owner``) are theirs, not ours, so no index on a
fixed expression can serve them, and SQLite has nothing like PostgreSQL's GIN
for ranges. One row per ``(owner, field, key)`` with a number or a short
string, under b-tree indexes on ``(field, key, kind, number, owner)`` and
``(field, key, string, owner)``, turns ``metrics.acc > 0.9`` into a range scan
of one index on SQLite and PostgreSQL alike, and three conditions into three
scans joined by owner id.

What is copied: top-level keys of at most :data:`MAX_KEY` characters whose
value is a number, a boolean, or a string of at most :data:`MAX_STRING`
characters. The query side (:mod:`.filters`) uses the table only for what it
holds exactly (numbers, booleans, equality with a short string) and reads the
JSON itself for the rest (nested keys, ``contains``, string order, ``null``).
Rows are rewritten in the transaction that writes the document and go with
their owner (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, delete, insert

from .orm import CheckpointValueRow, ModelValueRow, VersionValueRow

MAX_KEY = 128
MAX_STRING = 200
#: A number too large for a double is recorded as the largest one, with its sign:
#: it still compares correctly with every finite literal.
LARGEST = 1.7976931348623157e308

TABLES = {"model": ModelValueRow, "version": VersionValueRow, "checkpoint": CheckpointValueRow}


def _number(value: int | float) -> float:
    try:
        number = float(value)
    except OverflowError:
        number = math.inf if value > 0 else -math.inf
    return max(-LARGEST, min(LARGEST, number))


def values(field: str, document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The rows (without owner) that stand for ``document``'s searchable top-level keys."""
    for key, value in document.items():
        if len(key) > MAX_KEY:
            continue
        row = {"field": field, "key": key, "number": None, "string": None}
        if isinstance(value, bool):
            yield {**row, "kind": "b", "number": 1.0 if value else 0.0}
        elif isinstance(value, int | float):
            yield {**row, "kind": "n", "number": _number(value)}
        elif isinstance(value, str) and len(value) <= MAX_STRING:
            yield {**row, "kind": "s", "string": value}


def index_document(
    db: Connection, owner: str, owner_id: int, field: str, document: Mapping[str, Any]
) -> None:
    """Replace the indexed values of one document (``owner``'s ``field``)."""
    table = TABLES[owner].__table__
    db.execute(delete(table).where(table.c.owner_id == owner_id, table.c.field == field))
    rows = [{**row, "owner_id": owner_id} for row in values(field, document)]
    if rows:
        db.execute(insert(table), rows)
