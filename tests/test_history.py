"""Who did what: created_by/updated_by and the per-model action history, embedded and remote."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from conftest import Backend, make_backend

from jupyter_registry import NotFoundError, Registry, ValidationError
from jupyter_registry.schemas import ChangesQuery, parse


@pytest.fixture(params=["sqlite", "remote"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)


def test_history_lists_every_change_in_order(
    registry: Registry, backend: Backend, model_folder: Path
) -> None:
    model = registry.create_model("hist", labels=["a"])
    checkpoint = registry.create_checkpoint(model_folder)
    model.register_version(checkpoint, aliases=["staging"])
    model.register_version(checkpoint)
    model.set_alias("production", 2)
    model.add_metadata({"k": 1})
    model.get_version(1).set_notes("first")
    model.remove_alias("staging")
    model.get_version(1).delete()
    history = model.history()
    assert list(history["action"]) == [
        "model.created",
        "version.registered",
        "alias.set",
        "version.registered",
        "alias.set",
        "model.updated",
        "version.updated",
        "alias.removed",
        "version.deleted",
    ]
    assert list(history["version"].fillna(0).astype(int)) == [0, 1, 1, 2, 2, 0, 1, 0, 1]
    assert history["time"].is_monotonic_increasing
    assert history.iloc[5]["details"] == {"fields": ["metadata"]}
    users = set(history["user"])
    assert len(users) == 1 and None not in users
    if backend.name != "remote":
        assert users == {getpass.getuser()}
    info = registry.get_model("hist").info
    assert info.created_by == info.updated_by == users.pop()
    assert model.get_version(2).info.created_by == info.created_by


def test_history_outlives_the_model(registry: Registry) -> None:
    model = registry.create_model("gone")
    model.delete()
    assert list(model.history()["action"]) == ["model.created", "model.deleted"]
    with pytest.raises(NotFoundError):
        registry.client.get_history("never-existed")


def test_change_feed_follows_every_model_from_a_cursor(
    registry: Registry, model_folder: Path
) -> None:
    """``list_changes``: what a server reads to announce other writers' changes."""
    client = registry._client
    start = client.list_changes(ChangesQuery())
    assert start.changes == []
    registry.create_model("feed-a")
    registry.create_model("feed-b").register_version(
        registry.create_checkpoint(model_folder), aliases=["staging"]
    )
    page = client.list_changes(ChangesQuery(after=start.cursor, limit=2))
    assert [(c.model_name, c.action) for c in page.changes] == [
        ("feed-a", "model.created"),
        ("feed-b", "model.created"),
    ]
    rest = client.list_changes(ChangesQuery(after=page.cursor))
    assert [(c.action, c.version, c.alias) for c in rest.changes] == [
        ("version.registered", 1, None),
        ("alias.set", 1, "staging"),
    ]
    assert client.list_changes(ChangesQuery(after=rest.cursor)).changes == []
    assert client.list_changes(ChangesQuery(after=rest.cursor)).cursor == rest.cursor
    with pytest.raises(ValidationError, match="after"):
        parse(ChangesQuery, {"after": -1})
