"""Migration 0006 copies existing documents into the search index, and drops it on downgrade."""

from __future__ import annotations

from pathlib import Path

from conftest import Backend
from sqlalchemy import inspect

from jupyter_registry.store.migrate import downgrade, upgrade


def test_upgrade_indexes_what_is_already_there(backend: Backend, tmp_path: Path) -> None:
    registry = backend.registry()
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    model = registry.create_model("old", metadata={"owner": "ana", "size": 3, "ok": True})
    checkpoint = registry.create_checkpoint(weights, metrics={"acc": 0.9}, hparams={"lr": 0.1})
    model.register_version(checkpoint, metadata={"stage": "eval"})
    engine = registry.client.service.store.engine

    downgrade(engine, "0004")
    assert "model_values" not in inspect(engine).get_table_names()
    upgrade(engine)

    assert [m.name for m in registry.search_models("metadata.owner = 'ana' and metadata.size > 2")]
    assert registry.search_models("metadata.ok = true")[0].name == "old"
    found = registry.search_versions(
        "metrics.acc >= 0.9 and hparams.lr = 0.1 and metadata.stage = 'eval'"
    )
    assert [(v.model_name, v.version) for v in found] == [("old", 1)]
