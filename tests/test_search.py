"""SPEC §9 filter language: ``search_models``/``search_versions`` on every backend.

Each operator on each kind of field, ``and``/``or``/``not`` precedence,
ordering, and hostile expressions, which must each be a ``ValidationError``
naming the position of the problem (never a SQL error or a 500).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jupyter_registry import Registry, ValidationError


@pytest.fixture
def seeded(registry: Registry, tmp_path: Path) -> Registry:
    """Three models and four versions whose values differ in type as well as in value."""
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"weights")

    def version(model, metrics, hparams, **kwargs):  # type: ignore[no-untyped-def]
        fmt = kwargs.pop("format", "files")
        ckpt = registry.create_checkpoint(
            weights, metrics=metrics, hparams=hparams, format=fmt, framework=kwargs.pop("fw", None)
        )
        return model.register_version(ckpt, **kwargs)

    a = registry.create_model(
        "vision-a",
        description="A character recognition model",
        labels=["vision", "ocr"],
        metadata={
            "owner": "ana",
            "dataset": "mnist-v2",
            "size": 10,
            "public": True,
            "nested": {"k": "v"},
            "odd key.x": "x",
            "it's": 1,
        },
    )
    b = registry.create_model(
        "vision-b",
        labels=["vision"],
        metadata={"owner": "bob", "dataset": "cifar", "size": "10", "public": False},
    )
    c = registry.create_model("text-c", labels=["nlp"], metadata={"owner": "ana", "size": 2.5})
    version(
        a,
        {"acc": 0.91, "loss": 0.3},
        {"lr": 0.01, "opt": "adam"},
        fw="torch-2.13.0",
        format="safetensors",
        metadata={"stage": "eval"},
        aliases=["production"],
    )
    version(a, {"acc": 0.95}, {"lr": 0.001})
    version(b, {"acc": "n/a"}, {"lr": 0.1})
    version(
        c, {"acc": 0.7, "loss": 1.2}, {}, name="first", comment="baseline", aliases=["production"]
    )
    b.archive()
    return registry


MODEL_CASES = [
    ("name = 'vision-a'", {"vision-a"}),
    ("name != 'vision-a'", {"vision-b", "text-c"}),
    ("name contains 'VISION'", {"vision-a", "vision-b"}),
    ("name in ('text-c', 'nope', 'vision-b')", {"text-c", "vision-b"}),
    ("name < 'u'", {"text-c"}),
    ("name >= 'vision-b'", {"vision-b"}),
    ("description = null", {"vision-b", "text-c"}),
    ("description != null", {"vision-a"}),
    ("description contains 'recognition'", {"vision-a"}),
    ("archived = true", {"vision-b"}),
    ("archived != true", {"vision-a", "text-c"}),
    ("labels contains 'vision'", {"vision-a", "vision-b"}),
    ("labels = 'ocr'", {"vision-a"}),
    ("labels != 'vision'", {"text-c"}),
    ("labels in ('ocr', 'nlp')", {"vision-a", "text-c"}),
    ("alias = 'production'", {"vision-a", "text-c"}),
    ("metadata.owner = 'ana'", {"vision-a", "text-c"}),
    ("metadata.owner != 'ana'", {"vision-b"}),
    ("metadata.owner contains 'B'", {"vision-b"}),
    ("metadata.owner in ('bob', 'zed')", {"vision-b"}),
    # numbers compare with numbers only: the string "10" matches neither side
    ("metadata.size > 5", {"vision-a"}),
    ("metadata.size <= 10", {"vision-a", "text-c"}),
    ("metadata.size < 3", {"text-c"}),
    ("metadata.size = 10", {"vision-a"}),
    ("metadata.size = 10.0", {"vision-a"}),
    ("metadata.size = '10'", {"vision-b"}),
    ("metadata.size != 10", {"text-c"}),
    ("metadata.dataset > 'd'", {"vision-a"}),
    ("metadata.public = true", {"vision-a"}),
    ("metadata.public = false", {"vision-b"}),
    ("metadata.public != true", {"vision-b"}),
    ("metadata.nested.k = 'v'", {"vision-a"}),
    ("metadata.nested = 'v'", set()),
    ("metadata.'odd key.x' = 'x'", {"vision-a"}),
    ("metadata.'it''s' = 1", {"vision-a"}),
    ("metadata.'it\\'s' >= 1", {"vision-a"}),
    ("metadata.missing = null", {"vision-a", "vision-b", "text-c"}),
    ("metadata.public != null", {"vision-a", "vision-b"}),
    ("metadata.owner > 1", set()),
    ("creation_time > '2000-01-01'", {"vision-a", "vision-b", "text-c"}),
    ("creation_time < '2000-01-01T00:00:00+00:00'", set()),
    ("last_updated_time >= '2000-01-01 12:00'", {"vision-a", "vision-b", "text-c"}),
    # precedence: and binds tighter than or; not tighter than and
    ("name = 'text-c' or labels contains 'vision' and archived = true", {"text-c", "vision-b"}),
    ("(name = 'text-c' or labels contains 'vision') and archived = false", {"text-c", "vision-a"}),
    ("not labels contains 'vision' and metadata.owner = 'ana'", {"text-c"}),
    ("not (labels contains 'vision' and metadata.owner = 'ana')", {"vision-b", "text-c"}),
    # not is the complement, also where the key is missing or of another type
    ("not metadata.size > 5", {"vision-b", "text-c"}),
    ("not metadata.dataset = 'cifar'", {"vision-a", "text-c"}),
    ("NOT name = 'vision-a' AND Labels contains 'x'".replace("Labels", "labels"), set()),
]


def test_every_model_field_and_operator(seeded: Registry) -> None:
    wrong = {
        expr: ({m.name for m in seeded.search_models(expr)}, want)
        for expr, want in MODEL_CASES
        if {m.name for m in seeded.search_models(expr)} != want
    }
    assert wrong == {}


def test_created_by_and_models_order_and_paging(seeded: Registry) -> None:
    creator = seeded.get_model("vision-a").created_by
    everyone = [m.name for m in seeded.search_models(f"created_by = '{creator}'")]
    assert everyone == ["text-c", "vision-a", "vision-b"]  # sorted by name, as get_models
    assert seeded.search_models("created_by = 'nobody-at-all'") == []
    newest = seeded.search_models(
        "labels contains 'vision'", sort_by="creation_time", order_by="desc"
    )
    assert [m.name for m in newest] == ["vision-b", "vision-a"]
    page = seeded.search_models("metadata.owner != null", limit=1, offset=1)
    assert [m.name for m in page] == ["vision-a"]
    # the same objects as get_models
    assert (
        seeded.search_models("name = 'vision-a'")[0].info
        == seeded.get_models(name="vision-a")[0].info
    )
    frame = seeded.models_frame(filter="metadata.owner = 'ana'")
    assert sorted(frame["name"]) == ["text-c", "vision-a"]


VERSION_CASES = [
    ("metrics.acc > 0.9", {("vision-a", 1), ("vision-a", 2)}),
    ("metrics.acc >= 0.7 and metrics.acc < 0.92", {("vision-a", 1), ("text-c", 1)}),
    ("metrics.acc = 'n/a'", {("vision-b", 1)}),
    ("metrics.loss != null", {("vision-a", 1), ("text-c", 1)}),
    ("hparams.lr <= 0.01", {("vision-a", 1), ("vision-a", 2)}),
    ("hparams.opt = 'adam'", {("vision-a", 1)}),
    ("hparams.lr = null", {("text-c", 1)}),
    ("metadata.stage = 'eval'", {("vision-a", 1)}),
    ("model = 'vision-a'", {("vision-a", 1), ("vision-a", 2)}),
    ("model contains 'vision' and version = 1", {("vision-a", 1), ("vision-b", 1)}),
    ("version > 1", {("vision-a", 2)}),
    ("version in (2, 3)", {("vision-a", 2)}),
    ("name = 'first'", {("text-c", 1)}),
    ("comment contains 'BASE'", {("text-c", 1)}),
    ("framework contains 'torch'", {("vision-a", 1)}),
    ("format = 'safetensors'", {("vision-a", 1)}),
    ("format != 'safetensors'", {("vision-a", 2), ("vision-b", 1), ("text-c", 1)}),
    ("alias = 'production'", {("vision-a", 1), ("text-c", 1)}),
    ("labels contains 'vision' and metrics.acc > 0.9", {("vision-a", 1), ("vision-a", 2)}),
    ("labels contains 'nlp' or hparams.lr > 0.05", {("text-c", 1), ("vision-b", 1)}),
    ("not metrics.acc > 0.9", {("vision-b", 1), ("text-c", 1)}),
    (
        "creation_time > '1999-12-31'",
        {("vision-a", 1), ("vision-a", 2), ("vision-b", 1), ("text-c", 1)},
    ),
]


def test_every_version_field_and_operator(seeded: Registry) -> None:
    def found(expr: str) -> set[tuple[str, int]]:
        return {(v.model_name, v.version) for v in seeded.search_versions(expr)}

    wrong = {expr: (found(expr), want) for expr, want in VERSION_CASES if found(expr) != want}
    assert wrong == {}


def test_versions_order_by(seeded: Registry) -> None:
    def order(expr: str | None, order_by: str | None) -> list[tuple[str, int]]:
        return [(v.model_name, v.version) for v in seeded.search_versions(expr, order_by=order_by)]

    # numbers first (highest first), then the string, then versions without the key
    everything = [("vision-a", 2), ("vision-a", 1), ("text-c", 1), ("vision-b", 1)]
    assert order(None, "metrics.acc desc") == everything
    assert order(None, "metrics.acc asc") == [
        ("text-c", 1),
        ("vision-a", 1),
        ("vision-a", 2),
        ("vision-b", 1),
    ]
    assert order(None, "metrics.loss DESC")[:2] == [("text-c", 1), ("vision-a", 1)]
    assert order("model = 'vision-a'", "version") == [("vision-a", 1), ("vision-a", 2)]
    assert order(None, None) == [("text-c", 1), ("vision-b", 1), ("vision-a", 2), ("vision-a", 1)]
    assert order(None, "model asc")[0] == ("text-c", 1)
    assert order("", "") == order(None, None)  # an empty box means no filter
    assert [
        v.version for v in seeded.search_versions(None, "metrics.acc desc", limit=2, offset=1)
    ] == [1, 1]
    got = seeded.search_versions("alias = 'production' and model = 'vision-a'")[0]
    assert got.info == seeded.get_model("vision-a").get_version("production").info


HOSTILE = [
    ("(metrics.acc > 0.9", 19, "ends too early"),
    ("metrics.acc > 0.9)", 18, "unexpected ')'"),
    ("metrics.acc >", 14, "ends too early"),
    ("metrics.acc 0.9", 13, "unexpected"),
    ("accuracy > 0.9", 1, "unknown field 'accuracy'"),
    ("metrics > 0.9", 1, "name a key"),
    ("labels.x = 'a'", 8, "has no keys"),
    ("labels > 'a'", 8, "takes none of '>'"),
    ("version = 'one'", 11, "whole number"),
    ("version = 99999999999", 11, "at most"),
    ("archived = 'yes'", 12, "true or false"),
    ("metrics.acc > true", 15, "does not order"),
    ("metrics.acc contains 1", 22, "contains takes a string"),
    ("creation_time > 'last week'", 17, "ISO 8601"),
    ("metrics.acc > 1e999", 15, "out of range"),
    ("name = 'x'; DROP TABLE models; --", 11, "unexpected ';'"),
    ("name = 'x' OR 1=1 --", 15, "unexpected"),
    ('name = "x"', 8, "unexpected '\"'"),
    ("name = 'unterminated", 8, "unexpected"),
    ("metadata.'a\"b' = 1", 10, "cannot be searched"),
    ("metadata.'' = 1", 10, "cannot be searched"),
    ("name = 'a\x00b'", 10, "not allowed"),
    ("name = 'a\u202eb'", None, None),  # a bidi override in a string is just a character
    ("\uff4eame = 'x'", 1, "unexpected"),  # fullwidth n
    ("name = 'x' \u0430nd name = 'y'", 12, "unexpected"),  # Cyrillic a
    ("(" * 10_000 + "name = 'x'" + ")" * 10_000, 4097, "at most 4096 characters"),
    ("(" * 2000 + "name = 'x'" + ")" * 2000, None, None),  # parentheses alone do not nest the tree
    ("not " * 40 + "name = 'x'", 129, "nested deeper than 32"),
    ("name = '" + "x" * 1_000_000 + "'", 4097, "at most 4096 characters"),
    ("metadata." + ".".join(["k"] * 12) + " = 1", 26, "too long"),
    ("   ", None, None),
]


def test_hostile_expressions_are_positioned_validation_errors(seeded: Registry) -> None:
    for expr, position, problem in HOSTILE:
        if position is None:
            seeded.search_models(expr)
            continue
        target = seeded.search_versions if expr.startswith(("metrics", "version")) else None
        with pytest.raises(ValidationError) as caught:
            (target or seeded.search_models)(expr)
        message = str(caught.value)
        assert f"position {position}:" in message and problem in message, (expr[:50], message)
        assert "\n" not in message and len(message) < 400
    assert len(seeded.get_models()) == 3  # nothing was dropped


def test_hostile_order_by(seeded: Registry) -> None:
    for order_by, problem in [
        ("metrics.acc sideways", "position 13: unexpected 'sideways'"),
        ("labels desc", "cannot sort by labels"),
        ("metrics.acc; DROP TABLE models", "position 12"),
        ("version desc, name", "invalid order at position 9: unexpected 'desc'"),
    ]:
        with pytest.raises(ValidationError, match=re.escape(problem)):
            seeded.search_versions(None, order_by=order_by)
    with pytest.raises(ValidationError, match="unknown field 'metrics' of models"):
        seeded.search_models("metrics.acc > 1")


def test_the_index_follows_every_change(registry: Registry, tmp_path: Path) -> None:
    """Indexed lookups see merges, removals, version metadata and deletions at once."""
    model = registry.create_model("m", metadata={"owner": "ana", "size": 1})
    assert [m.name for m in registry.search_models("metadata.owner = 'ana'")] == ["m"]
    model.add_metadata({"owner": "bob", "size": 2.5})
    assert registry.search_models("metadata.owner = 'ana'") == []
    assert [m.name for m in registry.search_models("metadata.owner = 'bob' and metadata.size > 2")]
    model.remove_metadata(["owner"])
    assert registry.search_models("metadata.owner = 'bob'") == []
    assert [m.name for m in registry.search_models("metadata.owner = null")] == ["m"]

    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    version = model.register_version(registry.create_checkpoint(weights, metrics={"acc": 0.5}))
    version.add_metadata({"stage": "prod"})
    assert [v.version for v in registry.search_versions("metadata.stage = 'prod'")] == [1]
    version.remove_metadata(["stage"])
    assert registry.search_versions("metadata.stage = 'prod'") == []

    # a deleted model's values go with it, also when its id is used again
    version.delete()
    registry.delete_model("m")
    registry.create_model("n")
    assert registry.search_models("metadata.size > 0") == []
    assert registry.search_versions("metrics.acc > 0") == []
