"""The filter language of ``search_models``/``search_versions``: grammar, checks, syntax tree.

One small language for every surface (SDK, REST ``?filter=``, CLI, widgets,
panel)::

    metrics.acc > 0.9 and (labels contains 'vision' or alias = 'production')
    not metadata.dataset = 'mnist-v2'   hparams.lr <= 1e-3   framework in ('torch', 'keras')

Parsed by lark (an LALR grammar, so parsing is a loop over a stack rather
than recursion), then checked against the fields the target (models or
versions) has, into a tree of frozen dataclasses. The store turns that tree
into SQLAlchemy Core with every value a bound parameter
(:mod:`jupyter_registry.store.filters`); no part of the text ever reaches SQL.

Every refusal is a :class:`~jupyter_registry.errors.ValidationError` naming
the 1-based character position of the problem. Length is capped before
parsing and nesting before anything recursive runs, so a megabyte or ten
thousand nested ``not`` cost a scan, never the stack.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from .errors import ValidationError
from .schemas import MAX_FILTER_EXPRESSION

MAX_LENGTH = MAX_FILTER_EXPRESSION
MAX_DEPTH = 32
#: The longest a dotted path (``metadata.a.b.c``) may be, in segments after the first.
MAX_PATH = 8
#: Integer columns hold 32-bit numbers on every backend; a literal beyond cannot match them.
MAX_INT_COLUMN = 2**31 - 1

Target = Literal["models", "versions"]
Value = str | int | float | bool | datetime | None
FieldKind = Literal["text", "number", "bool", "time", "set", "json"]

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> negation
         | atom
?atom: comparison
     | _LPAR or_expr _RPAR
comparison: field OP value
          | field _IN _LPAR value (_COMMA value)* _RPAR -> membership
field: NAME (_DOT segment)*
?segment: NAME | STRING
?value: STRING | NUMBER | TRUE | FALSE | NULL

_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_IN.2: /in\b/i
TRUE.2: /true\b/i
FALSE.2: /false\b/i
NULL.2: /null\b/i
OP: "!=" | "<=" | ">=" | "=" | "<" | ">" | /contains\b/i
NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /'(?:[^'\\]|\\['\\]|'')*'/
NUMBER: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/
_LPAR: "("
_RPAR: ")"
_COMMA: ","
_DOT: "."
%ignore /[ \t\r\n]+/
"""

#: Each target's fields: the kind decides which operators and literals make sense.
FIELDS: dict[Target, dict[str, FieldKind]] = {
    "models": {
        "name": "text",
        "description": "text",
        "created_by": "text",
        "updated_by": "text",
        "archived": "bool",
        "creation_time": "time",
        "last_updated_time": "time",
        "labels": "set",
        "alias": "set",
        "metadata": "json",
    },
    "versions": {
        "model": "text",
        "name": "text",
        "comment": "text",
        "version": "number",
        "created_by": "text",
        "framework": "text",
        "format": "text",
        "run": "text",
        "creation_time": "time",
        "labels": "set",
        "alias": "set",
        "metadata": "json",
        "metrics": "json",
        "hparams": "json",
    },
}

OPERATORS: dict[FieldKind, frozenset[str]] = {
    "text": frozenset({"=", "!=", "<", "<=", ">", ">=", "contains", "in"}),
    "number": frozenset({"=", "!=", "<", "<=", ">", ">=", "in"}),
    "bool": frozenset({"=", "!="}),
    "time": frozenset({"=", "!=", "<", "<=", ">", ">="}),
    "set": frozenset({"=", "!=", "contains", "in"}),
    "json": frozenset({"=", "!=", "<", "<=", ">", ">=", "contains", "in"}),
}


@dataclass(frozen=True)
class Field:
    """A field of the target; ``path`` is the key path below a JSON field (``metrics.acc``)."""

    name: str
    kind: FieldKind
    path: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ".".join((self.name, *self.path))


@dataclass(frozen=True)
class Compare:
    """``field op value``; ``in`` compares with each of ``values``."""

    field: Field
    op: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | And | Or | Not


@dataclass(frozen=True)
class Order:
    """A sort key of ``search_versions``: ``metrics.acc desc``."""

    field: Field
    descending: bool


def _error(text: str, position: int, problem: str) -> ValidationError:
    """A refusal naming the 1-based position, with the text around it for a one-line message."""
    start = 0 if len(text) <= 60 else max(0, position - 30)
    excerpt = text[start : start + 60].replace("\n", " ")
    return ValidationError(
        f"invalid filter at position {position + 1}: {problem} (near {excerpt!r})"
    )


def _check_characters(text: str) -> None:
    """Control characters and lone surrogates cannot be stored or bound; refuse them by position."""
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            f"invalid filter at position {MAX_LENGTH + 1}: a filter is at most"
            f" {MAX_LENGTH} characters (this one has {len(text)})"
        )
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", text)
    if bad:
        raise _error(text, bad.start(), f"character {bad.group()!r} is not allowed")


def _check_depth(text: str, tree) -> None:  # type: ignore[no-untyped-def]
    """Refuse nesting beyond :data:`MAX_DEPTH`, walking with a stack before anything recurses."""
    from lark import Tree

    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _error(text, node.meta.start_pos, f"nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


@functools.cache
def _parser():  # type: ignore[no-untyped-def]
    """The lark parser, built on first use (building it costs more than importing the package)."""
    from lark import Lark

    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _unquote(token: str) -> str:
    return re.sub(r"\\(['\\])|''", lambda m: m.group(1) or "'", token[1:-1])


class _Builder:
    """Turns lark's tree into :data:`Node` values, checking fields, operators and literals."""

    def __init__(self, text: str, target: Target) -> None:
        self.text = text
        self.fields = FIELDS[target]
        self.target = target

    def node(self, tree) -> Node:  # type: ignore[no-untyped-def]
        kind = tree.data
        if kind == "or_expr":
            return Or(tuple(self.node(child) for child in tree.children))
        if kind == "and_expr":
            return And(tuple(self.node(child) for child in tree.children))
        if kind == "negation":
            return Not(self.node(tree.children[0]))
        field_tree, *rest = tree.children
        field = self.field(field_tree)
        if kind == "membership":
            return self.compare(field, "in", rest, field_tree.meta.start_pos)
        op_token, value = rest
        return self.compare(field, str(op_token).lower(), [value], op_token.start_pos)

    def field(self, tree) -> Field:  # type: ignore[no-untyped-def]
        head, *segments = tree.children
        kind = self.fields.get(str(head))
        if kind is None:
            known = ", ".join(sorted(self.fields))
            raise _error(
                self.text,
                head.start_pos,
                f"unknown field {str(head)!r} of {self.target} (one of {known})",
            )
        if kind != "json" and segments:
            raise _error(self.text, segments[0].start_pos, f"{str(head)!r} has no keys")
        if kind == "json" and not segments:
            raise _error(
                self.text, head.start_pos, f"name a key of {str(head)!r}, as in {head}.key"
            )
        if len(segments) > MAX_PATH:
            raise _error(self.text, segments[MAX_PATH].start_pos, "key path too long")
        path = []
        for segment in segments:
            key = _unquote(segment) if segment.type == "STRING" else str(segment)
            if '"' in key or not key:
                raise _error(self.text, segment.start_pos, f"key {key!r} cannot be searched")
            path.append(key)
        return Field(str(head), kind, tuple(path))

    def compare(self, field: Field, op: str, tokens: list, position: int) -> Compare:  # type: ignore[type-arg]
        if op not in OPERATORS[field.kind]:
            allowed = " ".join(sorted(OPERATORS[field.kind]))
            raise _error(self.text, position, f"{field} takes none of {op!r} (only {allowed})")
        values = tuple(self.value(field, op, token) for token in tokens)
        return Compare(field, op, values)

    def value(self, field: Field, op: str, token) -> Value:  # type: ignore[no-untyped-def]
        value = _literal(self.text, token)
        problem = _mismatch(field, op, value)
        if problem:
            raise _error(self.text, token.start_pos, problem)
        if field.kind == "time" and isinstance(value, str):
            return _timestamp(self.text, token, value)
        return value


def _literal(text: str, token) -> Value:  # type: ignore[no-untyped-def]
    if token.type == "STRING":
        return _unquote(token)
    if token.type == "TRUE":
        return True
    if token.type == "FALSE":
        return False
    if token.type == "NULL":
        return None
    raw = str(token)
    if re.fullmatch(r"-?\d+", raw):
        number: int | float = int(raw)
        if abs(number) > 2**53:
            raise _error(text, token.start_pos, "integer too large (at most 2**53)")
        return number
    number = float(raw)
    if not math.isfinite(number):
        raise _error(text, token.start_pos, "number out of range")
    return number


def _mismatch(field: Field, op: str, value: Value) -> str | None:
    """Why ``value`` cannot be compared with ``field`` by ``op``, if it cannot."""
    kind = field.kind
    if value is None:
        if kind == "set":
            return f"{field} holds no null: use not {field} = 'x'"
        return None if op in ("=", "!=") else f"{op} null is not a comparison"
    if op == "contains" and not isinstance(value, str):
        return "contains takes a string"
    if kind == "json":
        if isinstance(value, bool) and op not in ("=", "!=", "in"):
            return f"{op} does not order true and false"
        return None
    expected = {"text": str, "set": str, "time": str, "bool": bool}.get(kind)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{field} is a whole number"
        return None if abs(value) <= MAX_INT_COLUMN else f"{field} is at most {MAX_INT_COLUMN}"
    if expected is not None and not isinstance(value, expected):
        return f"{field} compares with a {'quoted string' if expected is str else 'true or false'}"
    return None


def _timestamp(text: str, token, value: str) -> datetime:  # type: ignore[no-untyped-def]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _error(text, token.start_pos, f"{value!r} is not an ISO 8601 date or time") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _parse_tree(text: str, parsed: str | None = None):  # type: ignore[no-untyped-def]
    """Lark's tree of ``parsed`` (default ``text``); errors quote ``text`` at the same positions."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

    try:
        return _parser().parse(text if parsed is None else parsed)
    except UnexpectedEOF:
        raise _error(text, len(text), "the filter ends too early") from None
    except UnexpectedCharacters as exc:
        raise _error(text, exc.pos_in_stream, f"unexpected {text[exc.pos_in_stream]!r}") from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        position = getattr(token, "start_pos", None)
        if position is None or getattr(token, "type", "") == "$END":
            raise _error(text, len(text), "the filter ends too early") from None
        raise _error(text, position, f"unexpected {str(token)!r}") from None


def parse_filter(text: str, target: Target) -> Node:
    """The checked syntax tree of a filter over ``target`` (``"models"`` or ``"versions"``)."""
    _check_characters(text)
    if not text.strip():
        raise _error(text, 0, "the filter is empty")
    tree = _parse_tree(text)
    _check_depth(text, tree)
    return _Builder(text, target).node(tree)


ORDER = re.compile(r"\s*(?P<field>.+?)(?:\s+(?P<dir>asc|desc))?\s*", re.IGNORECASE)
SORTABLE: frozenset[FieldKind] = frozenset({"text", "number", "time", "json"})


def parse_order(text: str, target: Target) -> Order:
    """``FIELD [asc|desc]`` (ascending unless said) over the target's sortable fields."""
    try:
        return _parse_order(text, target)
    except ValidationError as exc:
        raise ValidationError(str(exc).replace("invalid filter", "invalid order", 1)) from None


def _parse_order(text: str, target: Target) -> Order:
    _check_characters(text)
    match = ORDER.fullmatch(text)
    if not match:
        raise _error(text, 0, "give a field and asc or desc, as in 'metrics.acc desc'")
    # the field alone, parsed as a comparison padded so positions stay those of ``text``
    padded = " " * match.start("field") + f"{match.group('field')} = null"
    tree = _parse_tree(text, padded)
    field = _Builder(text, target).field(tree.children[0])
    if field.kind not in SORTABLE:
        raise _error(text, match.start("field"), f"cannot sort by {field}")
    return Order(field, (match.group("dir") or "asc").lower() == "desc")


def check_search(filter: str | None, order: str | None, target: Target) -> None:
    """Refuse a bad filter or order where it is typed: a client checks before sending, so a
    remote registry answers the same error as an embedded one (a megabyte never reaches a URL).
    """
    if given(filter):
        parse_filter(filter, target)  # type: ignore[arg-type]
    if given(order):
        parse_order(order, target)  # type: ignore[arg-type]


def given(expression: str | None) -> bool:
    """An empty filter box or order means none: every surface may pass what the user typed."""
    return expression is not None and expression.strip() != ""
