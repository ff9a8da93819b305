"""Maintenance through the admin protocol: ``migrate`` and ``gc``, embedded and remote.

Collected again by test_remote_contract.py, where they run through a Jupyter
server's ``POST admin/migrate`` and ``POST admin/gc``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from jupyter_registry import Registry, ValidationError
from jupyter_registry.store.migrate import head_revision


def test_migrate_reports_the_head_revision(registry: Registry) -> None:
    assert registry.migrate() == head_revision()
    assert registry.migrate() == head_revision(), "upgrading again changes nothing"


def test_gc_deletes_only_old_unreferenced_blobs(
    registry: Registry, tmp_path: Path, ns: str
) -> None:
    kept_file, dropped_file = tmp_path / "kept.bin", tmp_path / "dropped.bin"
    kept_file.write_bytes(os.urandom(4096))
    dropped_file.write_bytes(os.urandom(4096))
    kept = registry.create_checkpoint(kept_file)
    dropped = registry.create_checkpoint(dropped_file)
    dropped_sha = dropped.info.files[0].sha256
    dropped.delete()

    assert dropped_sha not in registry.gc(), "an hour's grace keeps a young blob"
    assert dropped_sha in registry.gc(grace=timedelta(0))
    assert dropped_sha not in registry.gc(grace=timedelta(0)), "deleted once"
    out = registry.get_checkpoint(kept.uuid).download(tmp_path / "out")
    assert (out / "kept.bin").read_bytes() == kept_file.read_bytes()


def test_gc_refuses_a_negative_grace(registry: Registry) -> None:
    with pytest.raises(ValidationError, match="grace"):
        registry.gc(grace=timedelta(seconds=-1))
