"""Model cards: a model's notes as Markdown under a YAML front matter checked against a schema.

A card is the Hugging Face README shape: an optional front matter between a
first line ``---`` and the next ``---`` line, then Markdown. The front matter's
fields (:class:`CardFields`) are the documented schema; any other field is
kept as written, so a card copied from the Hub is accepted. Every error names
the card's line, so an editor can point at it.

The YAML is read with a safe loader (no Python tags) that also refuses aliases
and deep nesting and reads at most :data:`MAX_FRONT_MATTER_BYTES`: an alias
bomb expands to a tiny document that every later walk (validation, JSON, the
export) would multiply, so it is refused before anything walks it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from .errors import ValidationError

MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_FRONT_MATTER_DEPTH = 16
#: The first line that opens a front matter, and any line that closes it.
FENCE = re.compile(r"---[ \t]*")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)


class CardMetric(_Strict):
    type: str
    value: float | int | str
    name: str | None = None


class CardTask(_Strict):
    type: str
    name: str | None = None


class CardDataset(_Strict):
    type: str
    name: str | None = None


class CardResult(_Strict):
    task: CardTask
    dataset: CardDataset | None = None
    metrics: list[CardMetric] = Field(default_factory=list)


class CardEvaluation(_Strict):
    """One ``model-index`` entry: a model's results, as the Hugging Face Hub reads them."""

    name: str
    results: list[CardResult] = Field(default_factory=list)


class CardFields(_Strict):
    """The front matter's documented fields; others are kept as written."""

    license: str | None = None
    datasets: list[str] | None = None
    language: str | list[str] | None = None
    tags: list[str] | None = None
    base_model: str | list[str] | None = None
    pipeline_tag: str | None = None
    library_name: str | None = None
    intended_use: str | None = None
    limitations: str | None = None
    model_index: list[CardEvaluation] | None = Field(None, alias="model-index")


@dataclass(frozen=True)
class ModelCard:
    """A parsed card: its front matter's fields (as written) and its Markdown body."""

    fields: dict[str, Any]
    body: str


@dataclass(frozen=True)
class CardRevision:
    """One saved text of a card, from the model's history."""

    time: datetime
    user: str | None
    text: str


def _card_error(line: int, message: str) -> ValidationError:
    return ValidationError(f"model card line {line}: {message}")


class _CardLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without aliases, and with nesting capped (the composer recurses)."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in a model card", problem_mark=mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_FRONT_MATTER_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_FRONT_MATTER_DEPTH} levels deep",
                    problem_mark=mark,
                )
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


def split_card(text: str) -> tuple[str | None, int, str]:
    """The front matter's YAML (None without one), the card line it starts on, and the body."""
    lines = text.splitlines(keepends=True)
    if not lines or not FENCE.fullmatch(lines[0].rstrip("\r\n")):
        return None, 0, text
    for index in range(1, len(lines)):
        if FENCE.fullmatch(lines[index].rstrip("\r\n")):
            return "".join(lines[1:index]), 2, "".join(lines[index + 1 :])
    raise _card_error(1, "the front matter opened here is never closed by a '---' line")


def _compose(source: str, first_line: int) -> yaml.Node | None:
    loader = _CardLoader(source)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark is not None else 0)
        raise _card_error(line, str(exc.problem or exc.context)) from None
    except yaml.YAMLError as exc:
        raise _card_error(first_line, f"not YAML: {exc}") from None
    finally:
        loader.dispose()


def _construct(node: yaml.Node, first_line: int) -> Any:
    loader = _CardLoader("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark is not None else 0)
        raise _card_error(line, str(exc.problem)) from None
    except (ValueError, yaml.YAMLError) as exc:  # e.g. an integer of more digits than Python reads
        raise _card_error(first_line, f"unreadable value: {exc}") from None
    finally:
        loader.dispose()


def _node_at(node: yaml.Node, loc: Sequence[int | str]) -> yaml.Node:
    """The deepest node along a pydantic error location (a key's value, a list's item)."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == key), None)
            if found is None:
                break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                break
            node = node.value[key]
        else:
            break
    return node


#: pydantic's names for the members of a union, in an error's location
_UNION_MEMBERS = frozenset({"str", "int", "float", "list[str]"})
_NOUNS = {
    "string_type": "a string",
    "list_type": "a list",
    "float_type": "a number",
    "int_type": "a number",
    "model_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
}


def _where(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"] if p not in _UNION_MEMBERS)


def _phrase(errors: list[Any]) -> str:
    """Pydantic's first error in the card's words: ``license must be a string``.

    A union reports one error per member it tried; they are said together.
    """
    where = _where(errors[0])
    if errors[0]["type"] == "missing":
        return f"{where} is required"
    nouns = [_NOUNS.get(e["type"]) for e in errors if _where(e) == where]
    if None in nouns:
        return f"{where}: {errors[0]['msg']}"
    return f"{where} must be {' or '.join(dict.fromkeys(n for n in nouns if n))}"


def parse_card(text: str) -> ModelCard:
    """The card's fields and body; :class:`ValidationError` naming the line of the first problem."""
    source, first_line, body = split_card(text)
    if source is None:
        return ModelCard({}, body)
    if len(source.encode()) > MAX_FRONT_MATTER_BYTES:
        raise _card_error(
            first_line, f"the front matter is longer than {MAX_FRONT_MATTER_BYTES} bytes"
        )
    node = _compose(source, first_line)
    if node is None:
        return ModelCard({}, body)
    data = _construct(node, first_line)
    if not isinstance(data, dict):
        raise _card_error(first_line, "the front matter must be a mapping of fields")
    try:
        CardFields.model_validate(data)
    except PydanticError as exc:
        errors = exc.errors()
        line = first_line + _node_at(node, errors[0]["loc"]).start_mark.line
        raise _card_error(line, _phrase(errors)) from None
    return ModelCard(data, body)


def check_card(text: str) -> str:
    """``text`` if it is a valid card (notes without a front matter always are)."""
    parse_card(text)
    return text


def _numbers(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": key, "value": value, "name": key}
        for key, value in metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


def export_readme(text: str, model_name: str, metrics: dict[str, Any]) -> str:
    """A Hugging Face style README.md: the card as written, front matter and body.

    Without a ``model-index`` in the card, the numeric ``metrics`` (of the
    version the export speaks for) fill one in, on the card's first dataset if
    it names one; it is appended to the front matter, so the card's own lines
    (and comments) stay as they were.
    """
    card = parse_card(text)
    source, _, body = split_card(text)
    if not text.strip():
        body = f"# {model_name}\n"
    if "model-index" in card.fields or not _numbers(metrics):
        return text if text.strip() else body
    result: dict[str, Any] = {"task": {"type": card.fields.get("pipeline_tag") or "other"}}
    datasets = card.fields.get("datasets") or []
    if datasets:
        result["dataset"] = {"type": datasets[0], "name": datasets[0]}
    result["metrics"] = _numbers(metrics)
    index = [{"name": model_name, "results": [result]}]
    added = yaml.safe_dump({"model-index": index}, sort_keys=False, allow_unicode=True)
    front = (source or "") + ("" if not source or source.endswith("\n") else "\n") + added
    return f"---\n{front}---\n{body}"
