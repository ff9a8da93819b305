"""SPEC §1/§2 model rules, run against every backend."""

from __future__ import annotations

import time

import pytest

from jupyter_registry import (
    ConflictError,
    ModelSortBy,
    NotFoundError,
    OrderBy,
    Registry,
    RegistryError,
    ValidationError,
)


def test_create_and_get(registry: Registry, ns: str) -> None:
    model = registry.create_model(
        f"{ns}mnist_cnn",
        description="a character recognition model",
        metadata={"dataset_url": "http://yann.lecun.com/exdb/mnist/"},
        labels=["vision", "ocr"],
    )
    got = registry.get_model(f"{ns}mnist_cnn")
    assert got.name == model.name == f"{ns}mnist_cnn"
    assert got.description == "a character recognition model"
    assert got.metadata == {"dataset_url": "http://yann.lecun.com/exdb/mnist/"}
    assert got.labels == ["vision", "ocr"]
    assert got.archived is False and got.notes == "" and got.num_versions == 0
    assert got.creation_time.tzinfo is not None and got.last_updated_time.tzinfo is not None


def test_metadata_worked_example(registry: Registry, ns: str) -> None:
    """The Determined guide's example, to the letter."""
    model = registry.create_model(f"{ns}m")
    assert model.metadata == {}
    model.add_metadata({"key": "value"})
    model.add_metadata({"metrics": {"test_set_loss": 0.091}})
    assert model.metadata == {"key": "value", "metrics": {"test_set_loss": 0.091}}
    model.add_metadata({"metrics": {"test_set_acc": 0.97}})
    assert model.metadata == {"key": "value", "metrics": {"test_set_acc": 0.97}}
    model.remove_metadata(["key"])
    assert model.metadata == {"metrics": {"test_set_acc": 0.97}}
    assert registry.get_model(f"{ns}m").metadata == {"metrics": {"test_set_acc": 0.97}}


def test_duplicate_name_conflicts(registry: Registry, ns: str) -> None:
    registry.create_model(f"{ns}dup", description="first")
    with pytest.raises(ConflictError, match="already exists"):
        registry.create_model(f"{ns}dup", description="second")
    assert registry.get_model(f"{ns}dup").description == "first"


def test_names_are_case_sensitive(registry: Registry, ns: str) -> None:
    registry.create_model(f"{ns}Model")
    registry.create_model(f"{ns}model")
    assert {m.name for m in registry.get_models(name=ns)} == {f"{ns}Model", f"{ns}model"}


@pytest.mark.parametrize(
    "bad", ["", "a/b", "a:b", "has space", "a..b", "-lead", ".lead", "_lead", "x" * 129, "é"]
)
def test_bad_names_rejected_with_the_rule(registry: Registry, bad: str) -> None:
    with pytest.raises(ValidationError, match="names are 1-128 characters"):
        registry.create_model(bad)
    assert registry.get_models(name=bad) == [] if bad else True


def test_longest_name_accepted(registry: Registry) -> None:
    name = "a" + "b" * 127
    assert registry.create_model(name).name == name


@pytest.mark.parametrize(
    ("metadata", "rule"),
    [
        ({"x": float("nan")}, "NaN or infinite"),
        ({"x": [1, float("inf")]}, "NaN or infinite"),
        ({"x": "y" * (1024 * 1024)}, "1 MiB"),
        ({"x": {1, 2}}, "JSON"),
    ],
)
def test_bad_metadata_rejected_and_nothing_changes(
    registry: Registry, ns: str, metadata: dict, rule: str
) -> None:
    with pytest.raises(ValidationError, match=rule):
        registry.create_model(f"{ns}bad", metadata=metadata)
    with pytest.raises(NotFoundError):
        registry.get_model(f"{ns}bad")
    model = registry.create_model(f"{ns}ok", metadata={"keep": 1})
    with pytest.raises(ValidationError, match=rule):
        model.add_metadata(metadata)
    assert registry.get_model(f"{ns}ok").metadata == {"keep": 1}


def test_metadata_must_be_an_object(registry: Registry, ns: str) -> None:
    with pytest.raises(ValidationError):
        registry.create_model(f"{ns}m", metadata=[1, 2])  # type: ignore[arg-type]
    model = registry.create_model(f"{ns}m")
    with pytest.raises(ValidationError):
        model.add_metadata("key")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        model.remove_metadata("key")


def test_merged_metadata_size_limit(registry: Registry, ns: str) -> None:
    model = registry.create_model(f"{ns}m", metadata={"a": "x" * 600_000})
    with pytest.raises(ValidationError, match="1 MiB"):
        model.add_metadata({"b": "y" * 600_000})
    assert set(registry.get_model(f"{ns}m").metadata) == {"a"}


def test_unknown_model(registry: Registry, ns: str) -> None:
    with pytest.raises(NotFoundError, match="no model named"):
        registry.get_model(f"{ns}missing")
    with pytest.raises(NotFoundError):
        registry.delete_model(f"{ns}missing")
    assert issubclass(NotFoundError, RegistryError)


def _make_sortable(registry: Registry, ns: str) -> list[str]:
    names = [f"{ns}b", f"{ns}a", f"{ns}c"]
    descriptions = ["beta", None, "alpha"]
    for name, description in zip(names, descriptions, strict=True):
        registry.create_model(name, description=description)
        time.sleep(0.002)
    registry.get_model(f"{ns}b").set_notes("touch b last")
    return names


@pytest.mark.parametrize(
    ("sort_by", "ascending"),
    [
        (ModelSortBy.NAME, ["a", "b", "c"]),
        (ModelSortBy.DESCRIPTION, ["a", "c", "b"]),
        (ModelSortBy.CREATION_TIME, ["b", "a", "c"]),
        (ModelSortBy.LAST_UPDATED_TIME, ["a", "c", "b"]),
    ],
)
def test_sort_each_column_both_ways(
    registry: Registry, ns: str, sort_by: ModelSortBy, ascending: list[str]
) -> None:
    _make_sortable(registry, ns)
    got = [m.name[len(ns) :] for m in registry.get_models(sort_by=sort_by, name=ns)]
    assert got == ascending
    got = [
        m.name[len(ns) :]
        for m in registry.get_models(sort_by=sort_by, order_by=OrderBy.DESC, name=ns)
    ]
    assert got == ascending[::-1]


def test_sort_accepts_strings(registry: Registry, ns: str) -> None:
    _make_sortable(registry, ns)
    got = registry.get_models(sort_by="creation_time", order_by="desc", name=ns)
    assert [m.name[len(ns) :] for m in got] == ["c", "a", "b"]
    with pytest.raises(ValidationError, match="sort_by"):
        registry.get_models(sort_by="bogus")


def test_filters_case_insensitive_substrings(registry: Registry, ns: str) -> None:
    registry.create_model(f"{ns}MNIST_cnn", description="An OCR model", labels=["vision"])
    registry.create_model(f"{ns}mnist_pytorch", description="digits")
    registry.create_model(f"{ns}sentiment", description="text; not ocR-related", labels=["nlp"])
    assert {m.name for m in registry.get_models(name=f"{ns}mnist")} == {
        f"{ns}MNIST_cnn",
        f"{ns}mnist_pytorch",
    }
    by_description = registry.get_models(name=ns, description="ocr")
    assert {m.name for m in by_description} == {f"{ns}MNIST_cnn", f"{ns}sentiment"}
    assert [m.name for m in registry.get_models(name=ns, labels=["vision"])] == [f"{ns}MNIST_cnn"]
    # LIKE wildcards are literal characters in a filter.
    assert registry.get_models(name=f"{ns}%") == []
    assert registry.get_models(name=f"{ns}mnis_") == []


def test_archive_filter_and_labels(registry: Registry, ns: str) -> None:
    model = registry.create_model(f"{ns}old", labels=["x"])
    registry.create_model(f"{ns}new")
    model.archive()
    assert model.archived
    assert [m.name for m in registry.get_models(name=ns, archived=False)] == [f"{ns}new"]
    assert [m.name for m in registry.get_models(name=ns, archived=True)] == [f"{ns}old"]
    model.unarchive()
    model.set_labels(["b", "a", "b"])
    assert registry.get_model(f"{ns}old").labels == ["b", "a"]
    with pytest.raises(ValidationError):
        model.set_labels("vision")


def test_description_notes_and_last_updated(registry: Registry, ns: str) -> None:
    model = registry.create_model(f"{ns}m")
    before = model.last_updated_time
    time.sleep(0.002)
    model.set_description("now described")
    model.set_notes("# Title\n\nSome *Markdown*.")
    got = registry.get_model(f"{ns}m")
    assert got.description == "now described"
    assert got.notes == "# Title\n\nSome *Markdown*."
    assert got.last_updated_time > before
    assert got.creation_time == model.creation_time


def test_paging_with_limit_offset(registry: Registry, ns: str) -> None:
    for i in range(7):
        registry.create_model(f"{ns}{i}")
    names = [m.name for m in registry.get_models(name=ns)]
    assert names == [f"{ns}{i}" for i in range(7)]
    assert [m.name for m in registry.get_models(name=ns, limit=3, offset=2)] == names[2:5]
    assert [m.name for m in registry.get_models(name=ns, offset=5)] == names[5:]


def test_delete_model(registry: Registry, ns: str) -> None:
    registry.create_model(f"{ns}gone")
    registry.delete_model(f"{ns}gone")
    with pytest.raises(NotFoundError):
        registry.get_model(f"{ns}gone")
    registry.create_model(f"{ns}gone")


def test_models_frame(registry: Registry, ns: str) -> None:
    registry.create_model(f"{ns}a", description="first", labels=["x"])
    registry.create_model(f"{ns}b")
    frame = registry.models_frame(name=ns)
    assert list(frame["name"]) == [f"{ns}a", f"{ns}b"]
    assert list(frame["versions"]) == [0, 0]
    assert frame.loc[0, "labels"] == ["x"]
    with pytest.raises(ValidationError, match="unknown filter"):
        registry.models_frame(colour="red")


def test_reprs(registry: Registry, ns: str) -> None:
    model = registry.create_model(f"{ns}m", description="<b>not html</b>")
    assert repr(model) == f"<Model '{ns}m' versions=0>"
    html = model._repr_html_()
    assert "&lt;b&gt;not html&lt;/b&gt;" in html and "<b>not html</b>" not in html
