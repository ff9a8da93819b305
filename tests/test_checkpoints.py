"""Checkpoints: resources, .registryignore, immutability, download, pinning (SPEC §1, §6)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_registry import NotFoundError, Registry, ValidationError


def test_resources_like_determined(registry: Registry, model_folder: Path) -> None:
    ckpt = registry.create_checkpoint(
        model_folder, framework="torch-2.13.0", format="files", entrypoint="model_def:Net"
    )
    assert ckpt.resources == {
        "code/": 0,
        "code/model_def.py": len("class Net:\n    pass\n"),
        "weights.bin": 25224,
    }
    assert list(ckpt.resources) == sorted(ckpt.resources)
    assert (ckpt.framework, ckpt.format, ckpt.entrypoint) == (
        "torch-2.13.0",
        "files",
        "model_def:Net",
    )
    assert len(ckpt.uuid) == 36
    assert registry.get_checkpoint(ckpt.uuid).resources == ckpt.resources


def test_single_file_checkpoint(registry: Registry, tmp_path: Path) -> None:
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes(b"w" * 1000)
    ckpt = registry.create_checkpoint(weights)
    assert ckpt.resources == {"weights.safetensors": 1000}


def test_registryignore_and_bytecode(registry: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    (folder / "data").mkdir(parents=True)
    (folder / "src" / "__pycache__").mkdir(parents=True)
    (folder / "data" / "big.csv").write_text("1,2\n")
    (folder / "src" / "model.py").write_text("x = 1\n")
    (folder / "src" / "model.pyc").write_bytes(b"\0")
    (folder / "src" / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"\0")
    (folder / "notes.log").write_text("log")
    (folder / "keep.log").write_text("keep")
    (folder / ".registryignore").write_text("data/\n*.log\n!keep.log\n")
    ckpt = registry.create_checkpoint(folder)
    assert set(ckpt.resources) == {".registryignore", "keep.log", "src/", "src/model.py"}


def test_files_copied_at_creation(registry: Registry, model_folder: Path, tmp_path: Path) -> None:
    original = (model_folder / "weights.bin").read_bytes()
    ckpt = registry.create_checkpoint(model_folder)
    (model_folder / "weights.bin").write_bytes(b"changed later")
    (model_folder / "code" / "model_def.py").unlink()
    out = ckpt.download(tmp_path / "out")
    assert (out / "weights.bin").read_bytes() == original
    assert (out / "code" / "model_def.py").exists()


def test_download_default_path_and_load_files(
    registry: Registry, ns: str, model_folder: Path
) -> None:
    ckpt = registry.create_checkpoint(model_folder)
    mv = registry.create_model(f"{ns}m").register_version(ckpt)
    path = mv.download()
    assert path == Path("checkpoints") / ckpt.uuid
    assert (path / "weights.bin").read_bytes() == (model_folder / "weights.bin").read_bytes()
    loaded = mv.load()
    assert isinstance(loaded, Path)
    assert (loaded / "weights.bin").read_bytes() == (model_folder / "weights.bin").read_bytes()
    assert mv.load() == loaded  # cached, verified copy reused


def test_metadata_fields_validated_before_upload(registry: Registry, model_folder: Path) -> None:
    with pytest.raises(ValidationError, match="NaN"):
        registry.create_checkpoint(model_folder, metrics={"loss": float("nan")})
    with pytest.raises(ValidationError, match="entrypoint"):
        registry.create_checkpoint(model_folder, entrypoint="not an entrypoint")
    assert registry.get_checkpoints() == []


def test_entrypoint_forms(registry: Registry, model_folder: Path) -> None:
    for entrypoint in (
        ":MNistTrial",
        "model_def:CIFAR10Trial",
        "determined_lib.trial:trial_classes.NestedTrial",
    ):
        assert (
            registry.create_checkpoint(model_folder, entrypoint=entrypoint).entrypoint == entrypoint
        )


def test_missing_path(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such file"):
        registry.create_checkpoint(tmp_path / "nope")


def test_get_checkpoints_order_and_runs(registry: Registry, model_folder: Path) -> None:
    a1 = registry.create_checkpoint(model_folder, run="run-a")
    b1 = registry.create_checkpoint(model_folder, run="run-b")
    a2 = registry.create_checkpoint(model_folder, run="run-a")
    assert [c.uuid for c in registry.get_checkpoints()] == [a2.uuid, b1.uuid, a1.uuid]
    assert [c.uuid for c in registry.get_checkpoints(run="run-a")] == [a1.uuid, a2.uuid]
    assert [c.uuid for c in registry.get_checkpoints(limit=1)] == [a2.uuid]


def test_default_run_and_source(registry: Registry, model_folder: Path) -> None:
    ckpt = registry.create_checkpoint(model_folder, metadata={"step": 3})
    assert ckpt.run and "@" in ckpt.run
    source = ckpt.source
    assert {"python", "timestamp", "packages", "cwd"} <= set(source)
    assert ckpt.metadata == {"step": 3}


def test_unknown_checkpoint(registry: Registry) -> None:
    with pytest.raises(NotFoundError):
        registry.get_checkpoint("00000000-0000-0000-0000-000000000000")


def test_load_unknown_format_is_a_clear_error(registry: Registry, model_folder: Path) -> None:
    ckpt = registry.create_checkpoint(model_folder, format="mystery")
    with pytest.raises(ValidationError, match="no installed framework adapter loads format"):
        ckpt.load()


def test_empty_folder_checkpoint(registry: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    (folder / "sub").mkdir(parents=True)
    ckpt = registry.create_checkpoint(folder)
    assert ckpt.resources == {"sub/": 0}
    assert (ckpt.download(tmp_path / "out") / "sub").is_dir()


def test_large_file_streams(registry: Registry, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as out:
        for _ in range(24):
            out.write(os.urandom(1024 * 1024))
    ckpt = registry.create_checkpoint(big)
    out = ckpt.download(tmp_path / "out")
    assert (out / "big.bin").read_bytes() == big.read_bytes()
