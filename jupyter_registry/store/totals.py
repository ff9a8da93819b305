"""How many rows match a page's query: exact while that is cheap, else PostgreSQL's estimate.

An exact ``count(*)`` reads every matching row, so on a large registry the
``total`` of a page would cost more than the page itself. The total is
therefore found the cheapest sound way:

1. a page that is not full, and not past the end, ends the result: the total
   is ``offset`` plus its rows, with no count at all (most registries, most
   pages of versions);
2. otherwise the matching rows are counted up to :data:`EXACT_UP_TO` + 1,
   which reads at most that many index entries;
3. on PostgreSQL, more than that many becomes the planner's estimate of the
   query's rows (``EXPLAIN``, no rows read), never below what is known, and
   flagged as an estimate; SQLite has no cheap sound estimate, so it counts on.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, func, select

#: a total up to this many rows is always exact
EXACT_UP_TO = 10_000


class Total(NamedTuple):
    count: int
    is_estimate: bool


def page_total(
    db: Connection, matching: Select[Any], offset: int, limit: int | None, shown: int
) -> Total:
    """The total of a page of ``shown`` rows at ``offset`` of the rows ``matching`` selects."""
    if (limit is None or shown < limit) and (shown > 0 or offset == 0):
        return Total(offset + shown, False)
    if db.dialect.name != "postgresql":
        return Total(_count(db, matching), False)
    capped = _count(db, matching.limit(EXACT_UP_TO + 1))
    if capped <= EXACT_UP_TO:
        return Total(capped, False)
    # the rows up to a page that has some are known to exist; past the end, only the cap
    known = max(EXACT_UP_TO + 1, offset + shown if shown else 0)
    return Total(max(known, _planned_rows(db, matching)), True)


def _count(db: Connection, matching: Select[Any]) -> int:
    return db.scalar(select(func.count()).select_from(matching.subquery())) or 0


def _planned_rows(db: Connection, matching: Select[Any]) -> int:
    """The number of rows PostgreSQL's planner expects ``matching`` to return."""
    compiled = matching.compile(dialect=db.dialect)
    plan = db.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
