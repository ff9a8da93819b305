"""Lineage relations seen from the store: renames and a concurrent delete of a base.

Not in the remote contract rerun: renaming is the service's (and the MLflow
API's), not the SDK's, and the race needs PostgreSQL, where two write
transactions really run at once (SQLite runs one at a time).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import Backend
from sqlalchemy import create_engine, text

from jupyter_registry import NotFoundError, Registry
from jupyter_registry.client.local import LocalClient


@pytest.fixture
def ckpt(registry: Registry, model_folder: Path):
    return registry.create_checkpoint(model_folder, metrics={"acc": 0.9}, run="lineage-run")


def _bases(version) -> list[tuple[str, int, str, bool]]:
    return [(b.model_name, b.version, b.relation.value, b.deleted) for b in version.bases]


def test_a_renamed_base_model_is_named_by_its_new_name(registry: Registry, ns: str, ckpt) -> None:
    base = registry.create_model(f"{ns}old")
    base.register_version(ckpt)
    base.register_version(ckpt)
    tuned = registry.create_model(f"{ns}tuned")
    tuned.register_version(ckpt, base=f"{ns}old:1")
    tuned.register_version(ckpt, base=f"{ns}old:2")
    base.get_version(1).delete()
    assert isinstance(registry.client, LocalClient)
    registry.client.service.rename_model(f"{ns}old", f"{ns}new")
    assert _bases(tuned.get_version(1)) == [(f"{ns}new", 1, "finetune", True)]
    assert _bases(tuned.get_version(2)) == [(f"{ns}new", 2, "finetune", False)]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_base_deleted_while_registering_is_not_found(
    backend: Backend, registry: Registry, ns: str, ckpt
) -> None:
    """A concurrent delete of the base either waits for the registration or makes the base
    missing: never a foreign-key failure surfacing as a storage error (PostgreSQL)."""
    registry.create_model(f"{ns}base").register_version(ckpt)
    tuned = registry.create_model(f"{ns}tuned")
    engine = create_engine(backend.database)
    outcome: list[BaseException | None] = []

    def register() -> None:
        try:
            tuned.register_version(ckpt, base=f"{ns}base:1")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    with engine.connect() as other:
        other.execute(
            text(
                "DELETE FROM model_versions WHERE version = 1 AND model_id = "
                "(SELECT id FROM models WHERE name = :name)"
            ),
            {"name": f"{ns}base"},
        )
        worker = threading.Thread(target=register)
        worker.start()
        worker.join(1.5)  # the registration reaches the base's row and waits on the delete
        other.commit()
    worker.join(30)
    engine.dispose()
    assert len(outcome) == 1 and isinstance(outcome[0], NotFoundError), outcome
    assert tuned.reload().num_versions == 0
