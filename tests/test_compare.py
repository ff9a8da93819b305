"""SPEC §9 ``model.compare``: versions side by side, run against every backend.

Rerun through a live server by tests/test_remote_contract.py, so the
comparison read over HTTP is the one computed in process.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from jupyter_registry import NotFoundError, Registry, ValidationError
from jupyter_registry.schemas import DEFAULT_COMPARED, MAX_COMPARED, CompareQuery

HOSTILE = "<script>window.__xss = 1</script>"


@pytest.fixture
def compared(registry: Registry, ns: str, model_folder: Path, tmp_path: Path):
    """Three versions: v2 changes weights, lr and acc; v3 holds v2's checkpoint again."""
    first = registry.create_checkpoint(
        model_folder, metrics={"acc": 0.9, "loss": 0.3}, hparams={"lr": 0.1}, run="r1"
    )
    (model_folder / "weights.bin").write_bytes(b"retrained")
    (model_folder / "extra.txt").write_text("new file")
    second = registry.create_checkpoint(
        model_folder,
        metrics={"acc": 0.95, "loss": 0.3, HOSTILE: 1.5},
        hparams={"lr": 0.01},
        run="r1",
    )
    model = registry.create_model(f"{ns}m")
    model.register_version(first, aliases=["staging"], metadata={"dataset": "mnist-v1"})
    model.register_version(second, metadata={"dataset": "mnist-v2", "notes": HOSTILE})
    model.register_version(second, aliases=["production"])
    return model


def test_compare_gives_one_column_a_version_and_one_row_a_field(compared) -> None:
    frame = compared.compare()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["v1", "v2", "v3"]
    assert frame.index.name == "field"
    assert list(frame.loc["metrics.acc"]) == [0.9, 0.95, 0.95]
    assert list(frame.loc["metrics.loss"]) == [0.3, 0.3, 0.3]
    assert list(frame.loc["hparams.lr"]) == [0.1, 0.01, 0.01]
    assert list(frame.loc[f"metrics.{HOSTILE}"]) == [None, 1.5, 1.5]
    assert list(frame.loc["format"]) == ["files", "files", "files"]
    assert list(frame.loc["files"]) == [2, 3, 3]
    code = len("class Net:\n    pass\n")
    assert list(frame.loc["size"]) == [25224 + code, 9 + 8 + code, 9 + 8 + code]
    assert frame.loc["files changed", "v1"] is None
    assert frame.loc["files changed", "v2"] == ["extra.txt (added)", "weights.bin (changed)"]
    assert frame.loc["files changed", "v3"] == frame.loc["files changed", "v2"]
    assert list(frame.loc["aliases"]) == [["staging"], [], ["production"]]
    assert list(frame.loc["metadata.dataset"]) == ["mnist-v1", "mnist-v2", None]
    assert frame.loc["metadata.notes", "v2"] == HOSTILE
    assert list(frame.loc["lineage.run"]) == ["r1", "r1", "r1"]
    assert frame.loc["checkpoint", "v2"] == frame.loc["checkpoint", "v3"]
    assert "lineage.python" in frame.index
    keys = list(frame.index)
    assert keys.index("metrics.acc") < keys.index("hparams.lr") < keys.index("framework")
    assert keys.index("framework") < keys.index("aliases") < keys.index("metadata.dataset")
    assert keys.index("metadata.dataset") < keys.index("lineage.run")


def test_only_differences_keeps_the_rows_that_differ(compared) -> None:
    frame = compared.compare(only_differences=True)
    assert list(frame.columns) == ["v1", "v2", "v3"]
    for differing in ("metrics.acc", "hparams.lr", "files changed", "aliases", "metadata.dataset"):
        assert differing in frame.index, differing
    for same in ("metrics.loss", "format", "lineage.run", "lineage.python"):
        assert same not in frame.index, same
    # v2 and v3 hold one checkpoint: between them only the version's own fields differ.
    pair = compared.compare([2, 3], only_differences=True)
    assert "metrics.acc" not in pair.index and "files changed" not in pair.index
    assert {"aliases", "metadata.dataset", "metadata.notes", "created"} <= set(pair.index)
    assert compared.compare([2], only_differences=True).empty


def test_versions_are_columns_in_the_order_named(compared) -> None:
    frame = compared.compare([3, "v1", "staging", "production"])
    # staging is v1 and production v3: each version once, where first named
    assert list(frame.columns) == ["v3", "v1"]
    assert frame.loc["files changed", "v1"] == ["extra.txt (removed)", "weights.bin (changed)"]
    assert list(compared.compare("latest").columns) == ["v3"]
    assert list(compared.compare(2).columns) == ["v2"]


def test_default_is_the_newest_versions_oldest_first(registry: Registry, ns: str, model_folder):
    checkpoint = registry.create_checkpoint(model_folder, metrics={"acc": 0.5})
    model = registry.create_model(f"{ns}many")
    assert model.compare().empty
    assert list(model.compare().columns) == []
    total = DEFAULT_COMPARED + 2
    for _ in range(total):
        model.register_version(checkpoint)
    frame = model.compare()
    assert list(frame.columns) == [f"v{n}" for n in range(3, total + 1)]


def test_bad_requests_are_typed_errors(compared, registry: Registry, ns: str) -> None:
    with pytest.raises(NotFoundError, match="no model named"):
        registry.client.compare_versions(f"{ns}nope", CompareQuery())
    with pytest.raises(NotFoundError, match="no version 9"):
        compared.compare([1, 9])
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        compared.compare(["champion"])
    with pytest.raises(ValidationError):
        compared.compare([0])
    with pytest.raises(ValidationError):
        compared.compare(["bad name"])
    with pytest.raises(ValidationError):
        compared.compare(list(range(1, MAX_COMPARED + 2)))
