"""Schema migrations, SQLite settings and garbage collection (the layers: test_layers.py)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Backend
from sqlalchemy import inspect, text

from jupyter_registry import Registry
from jupyter_registry.service import RegistryService
from jupyter_registry.store.migrate import current_revision, downgrade, head_revision, upgrade


def test_new_database_is_at_head(backend: Backend) -> None:
    registry = backend.registry()
    engine = registry.client.service.store.engine
    assert current_revision(engine) == head_revision()
    assert registry.migrate() == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {
        "models",
        "model_versions",
        "aliases",
        "model_labels",
        "checkpoints",
        "checkpoint_files",
        "blobs",
    } <= tables
    if engine.dialect.name == "postgresql":  # substring search served by trigram indexes
        indexes = {index["name"] for index in inspect(engine).get_indexes("models")}
        assert {"ix_models_name_trgm", "ix_models_description_trgm"} <= indexes


def test_downgrade_then_reopen_upgrades(backend: Backend) -> None:
    """Migrations have real downgrades, and opening an old database upgrades it."""
    registry = backend.registry()
    engine = registry.client.service.store.engine
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert "models" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert registry.create_model("after-upgrade").name == "after-upgrade"


def test_sqlite_pragmas(tmp_path: Path) -> None:
    registry = Registry(database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=str(tmp_path / "a"))
    engine = registry.client.service.store.engine
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 30_000


def test_default_home_is_shared(registry_home: Path) -> None:
    """Two Registry() objects with no arguments see the same registry under the home."""
    Registry().create_model("shared")
    assert [m.name for m in Registry().get_models()] == ["shared"]
    assert (registry_home / "registry.db").exists()
    assert (registry_home / "artifacts" / "blobs").is_dir()


def test_gc_removes_only_unreferenced_old_blobs(backend: Backend, model_folder: Path) -> None:
    registry = backend.registry()
    service: RegistryService = registry.client.service
    kept = registry.create_checkpoint(model_folder)
    registry.create_model("m").register_version(kept)
    orphan = service.put_blob(iter([b"uploaded but never committed"]))
    dropped = registry.create_checkpoint(Path(model_folder, "code", "model_def.py"))
    (model_folder / "code" / "model_def.py").write_text("changed")
    removed_checkpoint = registry.create_checkpoint(Path(model_folder, "code", "model_def.py"))
    removed_checkpoint.delete()
    assert service.gc() == []  # everything is younger than the grace period
    old = time.time() - 7200
    for sha in service.blobs.all_blobs():
        os.utime(service.blobs.path(sha), (old, old))
    removed = service.gc(grace=timedelta(hours=1))
    assert sorted(removed) == sorted([orphan.sha256, removed_checkpoint.info.files[0].sha256])
    assert kept.download(Path("k")).joinpath("weights.bin").exists()
    assert dropped.download(Path("d")).joinpath("model_def.py").exists()


def test_checkpoint_creation_waits_for_a_running_gc(backend: Backend, model_folder: Path) -> None:
    """gc holds the blob lock to its commit, so no checkpoint can re-reference a blob it deletes."""
    registry = backend.registry()
    service: RegistryService = registry.client.service
    with service.store.write() as gc_transaction:
        gc_transaction.hold_blobs(exclusive=True)
        creating = ThreadPoolExecutor(1).submit(registry.create_checkpoint, model_folder)
        time.sleep(1.0)
        assert not creating.done(), "a checkpoint was created while gc held the blobs"
    checkpoint = creating.result(timeout=30)
    assert registry.get_checkpoint(checkpoint.uuid).info.files


def test_a_failing_listener_does_not_fail_a_committed_change(
    tmp_path: Path, model_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry(database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=str(tmp_path / "a"))
    service: RegistryService = registry.client.service
    heard: list[str] = []

    def broken(event: str, payload: dict[str, object]) -> None:
        raise RuntimeError("listener bug")

    service.listeners.extend([broken, lambda event, payload: heard.append(event)])
    model = registry.create_model("m")
    assert model.register_version(registry.create_checkpoint(model_folder)).version == 1
    assert heard == ["model.created", "checkpoint.created", "version.registered"]
    assert "listener bug" in caplog.text and "version.registered" in caplog.text


def test_migrated_schema_equals_the_model_the_store_expects(backend: Backend) -> None:
    """Alembic's migrations and ``store/orm.py`` describe the same tables, columns and indexes."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from jupyter_registry.store.orm import Base

    engine = backend.registry().client.service.store.engine
    trigram = {"ix_models_name_trgm", "ix_models_description_trgm"}  # PostgreSQL-only, by design
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            diff
            for diff in compare_metadata(context, Base.metadata)
            if not (diff[0] == "remove_index" and diff[1].name in trigram)
        ]
    assert differences == []


def test_rename_keeps_versions_aliases_maintainers_and_history(
    backend: Backend, model_folder: Path
) -> None:
    """A renamed model (MLflow's rename) keeps everything; the old name is free again."""
    from jupyter_registry.errors import ConflictError, NotFoundError, PermissionDeniedError

    registry = backend.registry()
    model = registry.create_model("before", labels=["vision"])
    model.register_version(registry.create_checkpoint(model_folder), aliases=["production"])
    registry.create_model("taken")
    service: RegistryService = registry.client.service
    with pytest.raises(ConflictError, match="taken"):
        service.rename_model("before", "taken")
    with pytest.raises(PermissionDeniedError):
        service.acting_as("someone-else").rename_model("before", "after")
    renamed = service.rename_model("before", "after")
    assert renamed.name == "after" and renamed.aliases == {"production": 1}
    assert renamed.labels == ["vision"] and renamed.maintainers == model.maintainers
    with pytest.raises(NotFoundError):
        registry.get_model("before")
    assert registry.get_model_version("after:production").version == 1
    actions = list(registry.get_model("after").history()["action"])
    assert actions[0] == "model.created" and actions[-1] == "model.renamed"
    assert registry.create_model("before").num_versions == 0
