"""A filter's syntax tree (:mod:`jupyter_registry.filters`) as SQLAlchemy Core conditions.

Every literal is a bound parameter and every JSON key a bound argument of a
JSON function, so no text of the filter becomes SQL. JSON comparisons guard by
type first: ``metrics.acc > 0.9`` holds only where ``acc`` is a number, so a
string, an object or a missing key simply does not match, on SQLite
(``json_type``/``json_extract``) as on PostgreSQL (``jsonb_typeof``, and jsonb's
own comparison, which never casts and so cannot fail on a stray value).
Top-level numbers, booleans and short strings are looked up in the key/value
index of :mod:`.search_values` (migration 0006) instead, where the database
finds them by b-tree rather than reading every document.

Every comparison means "the field holds a value of the literal's type that
compares so": ``metadata.x != 'a'`` needs ``x`` present; ``not`` is the
complement (``not metadata.x = 'a'`` includes models without ``x``), made
two-valued with ``coalesce`` so SQL's NULL cannot swallow rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
)

from ..filters import And, Compare, Field, Node, Not, Or, Order, Target, Value
from ..schemas import DescribeVersion
from . import mappers
from . import statements as sql
from .orm import AliasRow, CheckpointRow, LabelRow, ModelRow, VersionRow
from .search_values import MAX_KEY, MAX_STRING, TABLES

Condition = ColumnElement[bool]

_COLUMNS: dict[Target, dict[str, Any]] = {
    "models": {
        "name": ModelRow.name,
        "description": ModelRow.description,
        "created_by": ModelRow.created_by,
        "updated_by": ModelRow.updated_by,
        "archived": ModelRow.archived,
        "creation_time": ModelRow.creation_time,
        "last_updated_time": ModelRow.last_updated_time,
        "metadata": ModelRow.metadata_,
    },
    "versions": {
        "model": ModelRow.name,
        "name": VersionRow.name,
        "comment": VersionRow.comment,
        "version": VersionRow.version,
        "created_by": VersionRow.created_by,
        "framework": CheckpointRow.framework,
        "format": CheckpointRow.format,
        "run": CheckpointRow.run,
        "creation_time": VersionRow.creation_time,
        "metadata": VersionRow.metadata_,
        "metrics": CheckpointRow.metrics,
        "hparams": CheckpointRow.hparams,
    },
}
#: Which rows of :mod:`.search_values` hold a JSON field's values, and the column they match.
_VALUE_OWNERS: dict[tuple[Target, str], str] = {
    ("models", "metadata"): "model",
    ("versions", "metadata"): "version",
    ("versions", "metrics"): "checkpoint",
    ("versions", "hparams"): "checkpoint",
}
_OWNER_COLUMNS: dict[tuple[Target, str], Any] = {
    ("models", "metadata"): ModelRow.id,
    ("versions", "metadata"): VersionRow.id,
    ("versions", "metrics"): VersionRow.checkpoint_id,
    ("versions", "hparams"): VersionRow.checkpoint_id,
}
_COMPARE: dict[str, Callable[[Any, Any], Condition]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _lookup(owner: Any, column: Any, where: list[Condition], drive: bool) -> Condition:
    """Rows whose ``owner`` is among the ``column`` values of the rows matching ``where``.

    A driving lookup is ``owner IN (SELECT column …)``: one index scan picks
    the candidates. The others are correlated ``EXISTS`` probes of an index
    per candidate, far cheaper than materialising every id a broad condition
    (``labels contains 'vision'``) matches.
    """
    if drive:
        return owner.in_(select(column).where(*where))
    return exists().where(column == owner, *where)


def _selectivity(node: Node) -> int:
    """A guess at how few rows a condition picks through an index (lower: fewer), to choose
    the one that drives: equality with a string before an alias before a number range before
    a label; a column without an index (``format``, ``description``…) never drives."""
    if not isinstance(node, Compare):
        return 4
    if node.field.kind == "set":
        return 1 if node.field.name == "alias" else 3
    if node.field.kind != "json":
        return 4
    return 0 if node.op in ("=", "in") and all(isinstance(v, str) for v in node.values) else 2


class _Compiler:
    """One filter over one target, for one database dialect."""

    def __init__(self, target: Target, dialect: str) -> None:
        self.target = target
        self.columns = _COLUMNS[target]
        self.postgres = dialect == "postgresql"

    def condition(self, node: Node, drive: bool = True) -> Condition:
        """``drive``: whether this condition may pick the rows (``id IN (ids found by index)``)
        rather than check each row another condition picked (a correlated ``EXISTS``)."""
        if isinstance(node, And):
            driver = min(range(len(node.items)), key=lambda i: _selectivity(node.items[i]))
            items = (
                self.condition(item, drive and i == driver) for i, item in enumerate(node.items)
            )
            return and_(*items)
        if isinstance(node, Or):
            return or_(*(self.condition(item, drive) for item in node.items))
        if isinstance(node, Not):
            return not_(func.coalesce(self.condition(node.item, False), false()))
        return self.compare(node, drive)

    def compare(self, node: Compare, drive: bool) -> Condition:
        field = node.field
        if node.op == "in":
            return or_(*(self.compare(Compare(field, "=", (v,)), drive) for v in node.values))
        (value,) = node.values
        if field.kind == "set":
            return self.member(field, node.op, value, drive)
        if field.kind == "json":
            return self.json(field, node.op, value, drive)
        column = self.columns[field.name]
        if value is None:
            return column.is_(None) if node.op == "=" else column.is_not(None)
        if node.op == "contains":
            return column.ilike(_like(str(value)), escape="\\")
        return _COMPARE[node.op](column, value)

    def member(self, field: Field, op: str, value: Value, drive: bool) -> Condition:
        """``labels``/``alias`` hold a set: ``=`` and ``contains`` both ask for one member."""
        if field.name == "labels":
            owner = ModelRow.id if self.target == "models" else VersionRow.model_id
            found = _lookup(owner, LabelRow.model_id, [LabelRow.label == value], drive)
        elif self.target == "models":
            found = _lookup(ModelRow.id, AliasRow.model_id, [AliasRow.alias == value], drive)
        else:
            found = _lookup(VersionRow.id, AliasRow.version_id, [AliasRow.alias == value], drive)
        return not_(found) if op == "!=" else found

    def json(self, field: Field, op: str, value: Value, drive: bool) -> Condition:
        indexed = self.indexed(field, op, value, drive)
        if indexed is not None:
            return indexed
        column = self.columns[field.name]
        if self.postgres:
            return _PostgresJson(column, field.path).compare(op, value)
        return _SqliteJson(column, field.path).compare(op, value)

    def indexed(self, field: Field, op: str, value: Value, drive: bool) -> Condition | None:
        """The comparison as an index lookup in :mod:`.search_values`, where that table holds
        exactly what it asks (a top-level number, boolean, or equality with a short string)."""
        if len(field.path) != 1 or len(field.path[0]) > MAX_KEY or value is None:
            return None
        owner, kind = _VALUE_OWNERS[self.target, field.name], _json_kind(value)
        table = TABLES[owner].__table__
        where = [table.c.field == field.name, table.c.key == field.path[0]]
        if kind == "bool":
            if op not in ("=", "!="):
                return None
            where += [table.c.kind == "b", table.c.number == float(value == (op == "="))]
        elif kind == "number" and op in _COMPARE:
            where += [table.c.kind == "n", _COMPARE[op](table.c.number, value)]
        elif kind == "str" and op == "=" and len(str(value)) <= MAX_STRING:
            where += [table.c.string == value]
        else:
            return None
        owner_column = _OWNER_COLUMNS[self.target, field.name]
        return _lookup(owner_column, table.c.owner_id, where, drive)

    def sort_keys(self, order: Order) -> list[Any]:
        """ORDER BY terms: missing values last; under a JSON key, numbers before strings
        before anything else, whichever the direction (``metrics.acc desc`` tops with numbers)."""
        column = self.columns[order.field.name]
        keys: list[Any] = []
        value = column
        if order.field.kind == "json":
            path = order.field.path
            under = _PostgresJson(column, path) if self.postgres else _SqliteJson(column, path)
            keys.append(under.rank)
            value = under.value
        keys.append(value.desc().nulls_last() if order.descending else value.asc().nulls_last())
        return keys


def _json_kind(value: Value) -> str:
    return "bool" if isinstance(value, bool) else "str" if isinstance(value, str) else "number"


class _SqliteJson:
    """A key path into a JSON column, read with SQLite's ``json_type``/``json_extract``."""

    TYPES = {"number": ("integer", "real"), "str": ("text",)}

    def __init__(self, column: Any, path: tuple[str, ...]) -> None:
        # keys are quoted in the path; the parser refuses a key holding a double quote
        where = bindparam(None, "$" + "".join(f'."{key}"' for key in path), type_=String)
        self.type = func.json_type(column, where)
        self.value = func.json_extract(column, where)
        self.rank = case(
            (self.type.in_(self.TYPES["number"]), 0), (self.type == "text", 1), else_=2
        )

    def compare(self, op: str, value: Value) -> Condition:
        if value is None:
            missing = or_(self.type.is_(None), self.type == "null")
            return missing if op == "=" else self.type != "null"
        if isinstance(value, bool):
            wanted = "true" if value == (op == "=") else "false"
            return self.type == wanted
        typed = self.type.in_(self.TYPES[_json_kind(value)])
        if op == "contains":
            return and_(typed, self.value.like(_like(str(value)), escape="\\"))
        return and_(typed, _COMPARE[op](self.value, value))


class _PostgresJson:
    """A key path into a JSONB column: jsonb values compared with jsonb, never cast."""

    TYPES = {"number": "number", "str": "string"}

    def __init__(self, column: Any, path: tuple[str, ...]) -> None:
        self.column = column
        self.path = path
        keys = [bindparam(None, key, type_=String) for key in path]
        self.value = func.jsonb_extract_path(column, *keys)
        self.text = func.jsonb_extract_path_text(column, *keys)
        self.type = func.jsonb_typeof(self.value)
        self.rank = case((self.type == "number", 0), (self.type == "string", 1), else_=2)

    def _jsonb(self, value: Any) -> Any:
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(bindparam(None, json.dumps(value), type_=String), JSONB)

    def _contains(self, value: Any) -> Condition:
        """``column @> {"a": {"b": value}}``: equality a GIN index can answer."""
        document = value
        for key in reversed(self.path):
            document = {key: document}
        return self.column.op("@>")(self._jsonb(document))

    def compare(self, op: str, value: Value) -> Condition:
        if value is None:
            missing = or_(self.type.is_(None), self.type == "null")
            return missing if op == "=" else self.type != "null"
        if isinstance(value, bool):
            return self._contains(value if op == "=" else not value)
        if op == "=":
            return self._contains(value)
        typed = self.type == self.TYPES[_json_kind(value)]
        if op == "contains":
            return and_(typed, self.text.ilike(_like(str(value)), escape="\\"))
        return and_(typed, _COMPARE[op](self.value, self._jsonb(value)))


def model_condition(node: Node, dialect: str) -> Condition:
    """The ``WHERE`` condition on ``models`` that a filter over models means."""
    return _Compiler("models", dialect).condition(node)


def search_versions(
    db: Connection,
    node: Node | None,
    order: Order | None,
    offset: int,
    limit: int | None,
) -> tuple[list[DescribeVersion], int]:
    """A page of the versions of every model matching ``node``, and how many match.

    Ordered by ``order`` (missing values last), else newest first; ties by
    newest first, so paging is stable.
    """
    compiler = _Compiler("versions", db.dialect.name)
    joined = (
        select(VersionRow.id)
        .join(CheckpointRow, CheckpointRow.id == VersionRow.checkpoint_id)
        .join(ModelRow, ModelRow.id == VersionRow.model_id)
    )
    if node is not None:
        joined = joined.where(compiler.condition(node))
    total = db.scalar(select(func.count()).select_from(joined.subquery())) or 0
    keys = [*compiler.sort_keys(order), VersionRow.id.desc()] if order else [VersionRow.id.desc()]
    page_ids = [row.id for row in db.execute(joined.order_by(*keys).offset(offset).limit(limit))]
    if not page_ids:
        return [], total
    rows = db.execute(
        sql.VERSIONS.add_columns(ModelRow.name.label("model_name"))
        .join(ModelRow, ModelRow.id == VersionRow.model_id)
        .where(VersionRow.id.in_(page_ids))
    ).all()
    by_id = {row.id: row for row in rows}
    ordered: Sequence[Any] = [by_id[i] for i in page_ids if i in by_id]
    return mappers.describe_versions(db, ordered, None), total
