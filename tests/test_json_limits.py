"""Hostile JSON and text: one write must never break reads for anyone.

JSON fields (model and version metadata, checkpoint hparams, metrics,
metadata and source) are capped at ``MAX_JSON_DEPTH`` levels of nesting and
1 MiB; deeper or larger is a ``ValidationError`` naming the field, with
nothing stored. Rows stored before the cap (written here straight into the
database) still list, with the unreadable value replaced by a marker. NUL,
which PostgreSQL cannot store and SQLite's LIKE stops at, is refused in
text and filters; labels are capped in number and length.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from conftest import Backend, make_backend
from jupyter_proc import ThreadedJupyter

from jupyter_registry import Registry, ValidationError
from jupyter_registry.errors import NotFoundError
from jupyter_registry.schemas import MAX_JSON_DEPTH, MAX_LABELS, UNREADABLE_KEY


def nested(levels: int) -> dict[str, Any]:
    """An object nested ``levels`` deep: ``{"a": {"a": … 1}}``."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.fixture(params=["sqlite", "postgresql", "remote"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)


def database_of(backend: Backend, tmp_path: Path) -> str:
    """The database behind a backend, to write rows the API would refuse."""
    return backend.database or f"sqlite:///{tmp_path / 'remote-registry.db'}"


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 255, 5000])
def test_deep_metadata_is_refused_and_nothing_is_stored(
    registry: Registry, ns: str, model_folder: Path, levels: int
) -> None:
    with pytest.raises(ValidationError, match=r"metadata: .*nested more than 32 levels"):
        registry.create_model(f"{ns}deep", metadata={"x": nested(levels)})
    with pytest.raises(NotFoundError):
        registry.get_model(f"{ns}deep")

    model = registry.create_model(f"{ns}m", metadata={"ok": nested(MAX_JSON_DEPTH - 1)})
    with pytest.raises(ValidationError, match=r"add: .*nested"):
        model.add_metadata({"x": nested(levels)})
    with pytest.raises(ValidationError, match=r"hparams: .*nested"):
        registry.create_checkpoint(model_folder, hparams={"x": nested(levels)})
    with pytest.raises(ValidationError, match=r"metrics: .*nested"):
        registry.create_checkpoint(model_folder, metrics={"x": nested(levels)})
    assert registry.get_checkpoints() == []
    ckpt = registry.create_checkpoint(model_folder)
    with pytest.raises(ValidationError, match=r"metadata: .*nested"):
        model.register_version(ckpt, metadata={"x": nested(levels)})
    version = model.register_version(ckpt)
    with pytest.raises(ValidationError, match=r"add: .*nested"):
        version.add_metadata({"x": nested(levels)})
    assert model.reload().metadata == {"ok": nested(MAX_JSON_DEPTH - 1)}
    assert model.num_versions == 1 and version.reload().metadata == {}


def test_a_stored_unreadable_row_does_not_break_lists(
    registry: Registry, backend: Backend, ns: str, model_folder: Path, tmp_path: Path
) -> None:
    """Rows written before the cap list with a marker instead of failing every list."""
    good = registry.create_model(f"{ns}good", metadata={"k": "v"})
    bad = registry.create_model(f"{ns}bad")
    ckpt = registry.create_checkpoint(model_folder)
    bad.register_version(ckpt)
    engine = sa.create_engine(database_of(backend, tmp_path))
    poison = json.dumps(nested(300))
    with engine.begin() as db:
        db.execute(
            sa.text("UPDATE models SET metadata = :m WHERE name = :n"),
            {"m": poison, "n": bad.name},
        )
        db.execute(sa.text("UPDATE model_versions SET metadata = :m"), {"m": poison})
        db.execute(sa.text("UPDATE checkpoints SET hparams = :m, source = :m"), {"m": poison})
    engine.dispose()

    models = {m.name: m for m in registry.get_models(name=ns)}
    assert models[good.name].metadata == {"k": "v"}
    assert UNREADABLE_KEY in models[bad.name].metadata
    version = registry.get_model(bad.name).get_version()
    assert UNREADABLE_KEY in version.metadata
    assert UNREADABLE_KEY in version.checkpoint.hparams
    assert UNREADABLE_KEY in version.checkpoint.source
    assert [v.version for v in registry.get_model(bad.name).get_versions()] == [1]
    assert len(registry.get_checkpoints()) == 1
    assert len(registry.get_model(bad.name).history()) >= 2


def test_labels_are_limited_in_number_and_length(registry: Registry, ns: str) -> None:
    with pytest.raises(ValidationError, match=f"labels: .*at most {MAX_LABELS}"):
        registry.create_model(f"{ns}many", labels=[f"l{i}" for i in range(MAX_LABELS + 1)])
    with pytest.raises(ValidationError, match="labels"):
        registry.create_model(f"{ns}long", labels=["x" * 129])
    with pytest.raises(ValidationError, match="control characters"):
        registry.create_model(f"{ns}ctl", labels=["a\x00b"])
    model = registry.create_model(f"{ns}ok", labels=[f"l{i}" for i in range(MAX_LABELS)])
    with pytest.raises(ValidationError, match="labels"):
        model.set_labels([f"l{i}" for i in range(MAX_LABELS + 1)])
    assert len(model.reload().labels) == MAX_LABELS
    with pytest.raises(NotFoundError):
        registry.get_model(f"{ns}many")


def test_nul_is_refused_in_text_and_filters(
    registry: Registry, ns: str, model_folder: Path
) -> None:
    registry.create_model(f"{ns}a", description="alpha")
    registry.create_model(f"{ns}b", description="beta")
    for filters in ({"name": "\x00"}, {"description": "\x00"}, {"labels": ["\x00"]}):
        with pytest.raises(ValidationError, match="NUL"):
            registry.get_models(**filters)
    with pytest.raises(ValidationError, match="description: must not contain NUL"):
        registry.create_model(f"{ns}c", description="a\x00b")
    with pytest.raises(ValidationError, match="notes: must not contain NUL"):
        registry.get_model(f"{ns}a").set_notes("a\x00b")
    with pytest.raises(ValidationError, match="add: must not contain NUL"):
        registry.get_model(f"{ns}a").add_metadata({"k": "a\x00b"})
    with pytest.raises(ValidationError, match="run: must not contain NUL"):
        registry.create_checkpoint(model_folder, run="r\x00")
    assert registry.get_model(f"{ns}a").description == "alpha"
    assert [m.name for m in registry.get_models(name=ns)] == [f"{ns}a", f"{ns}b"]


@pytest.fixture
def live(threaded_jupyter: ThreadedJupyter, tmp_path: Path) -> ThreadedJupyter:
    threaded_jupyter.use_registry(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "a"))
    return threaded_jupyter


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 255, 1000, 200_000])
def test_rest_answers_400_for_deep_json_bodies(live: ThreadedJupyter, levels: int) -> None:
    headers = {"Authorization": f"token {live.token}"}
    url = f"{live.url}registry/api/v1/models"
    body = '{"name": "deep", "metadata": ' + '{"a": ' * levels + "1" + "}" * levels + "}"
    response = requests.post(url, data=body, headers=headers, timeout=30)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "ValidationError"
    assert "nested" in error["message"]
    listed = requests.get(url, headers=headers, timeout=30)
    assert listed.status_code == 200 and listed.json()["total"] == 0


def test_rest_refuses_nul_in_search(live: ThreadedJupyter) -> None:
    headers = {"Authorization": f"token {live.token}"}
    url = f"{live.url}registry/api/v1/models"
    assert requests.post(url, json={"name": "m"}, headers=headers, timeout=30).status_code == 201
    for query in ("name=%00", "description=%00", "label=%00"):
        response = requests.get(f"{url}?{query}", headers=headers, timeout=30)
        assert response.status_code == 400, (query, response.text)
        assert "NUL" in response.json()["error"]["message"]
