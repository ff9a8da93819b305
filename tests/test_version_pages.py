"""Version pages: a version's files, and a safetensors file's tensors read from its header alone.

Contract tests (every backend; remote through tests/test_remote_contract.py).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import Backend
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch
from test_cli import assert_one_line_error, run, run_json

from jupyter_registry import IntegrityError, NotFoundError, Registry, ValidationError
from jupyter_registry.artifacts.safetensors_header import MAX_HEADER_BYTES


def _blob_file(tmp_path: Path, sha256: str) -> Path:
    """The stored blob on disk, wherever this backend (or its server) keeps artifacts."""
    (found,) = tmp_path.glob(f"**/blobs/{sha256[:2]}/{sha256[2:]}")
    return found


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    folder = tmp_path / "weights"
    folder.mkdir()
    tensors = {
        "encoder.weight": torch.zeros((64, 32), dtype=torch.float32),
        "encoder.bias": torch.zeros(64, dtype=torch.bfloat16),
        "head.weight": torch.zeros((10, 64), dtype=torch.float16),
        "step": torch.tensor(3, dtype=torch.int64),
    }
    save_torch(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    save_numpy({"table": np.ones((5, 7), dtype=np.int32)}, str(folder / "extra.safetensors"))
    (folder / "README.md").write_text("# weights\n")
    return folder


def test_a_versions_files_and_tensors(registry: Registry, ns: str, weights: Path) -> None:
    model = registry.create_model(f"{ns}m")
    version = model.register_version(registry.create_checkpoint(weights))
    assert version.files == {p.name: p.stat().st_size for p in weights.iterdir() if p.is_file()}
    info = version.tensors("model.safetensors")
    shapes = {t.name: (t.dtype, t.shape, t.parameters) for t in info.tensors}
    assert shapes == {
        "encoder.weight": ("F32", [64, 32], 2048),
        "encoder.bias": ("BF16", [64], 64),
        "head.weight": ("F16", [10, 64], 640),
        "step": ("I64", [], 1),
    }
    assert info.parameters == 2048 + 64 + 640 + 1
    assert info.metadata == {"format": "pt"}
    assert info.size == (weights / "model.safetensors").stat().st_size
    extra = registry.get_model_version(f"{ns}m:1").tensors("extra.safetensors")
    assert [(t.name, t.dtype, t.shape) for t in extra.tensors] == [("table", "I32", [5, 7])]


def test_only_the_header_is_read(
    registry: Registry, ns: str, weights: Path, tmp_path: Path
) -> None:
    """A blob whose tensor bytes are corrupt still gives its header: nothing past it was read."""
    model = registry.create_model(f"{ns}m")
    version = model.register_version(registry.create_checkpoint(weights))
    entry = next(f for f in version.info.checkpoint.files if f.path == "model.safetensors")
    blob = _blob_file(tmp_path, entry.sha256)
    header_end = 8 + struct.unpack("<Q", blob.read_bytes()[:8])[0]
    with open(blob, "r+b") as handle:
        handle.seek(header_end)
        handle.write(b"\xff" * (entry.size - header_end))
    info = version.tensors("model.safetensors")
    assert info.header_bytes == header_end
    assert info.parameters == 2753
    with pytest.raises(IntegrityError):  # the whole file, read, is found corrupt
        version.download(tmp_path / "copy")


def _safetensors(header: bytes, length: int | None = None, tail: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header) if length is None else length) + header + tail


def _entry(dtype: str = "F32", shape: object = (2,), offsets: object = (0, 8)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}  # type: ignore[call-overload]


HOSTILE_FILES = {
    "too short": (b"\x01\x02", "fewer than the 8"),
    "huge header claimed": (_safetensors(b"{}", length=2**63), "the limit is"),
    "over the cap": (_safetensors(b"{}", length=MAX_HEADER_BYTES + 1), "the limit is"),
    "header past the end": (_safetensors(b"{}", length=4096), "past the end"),
    "not JSON": (_safetensors(b"{nope"), "not JSON"),
    "deep JSON": (_safetensors(b"[" * 100_000 + b"]" * 100_000), "not JSON"),
    "not an object": (_safetensors(b"[1, 2]"), "not a JSON object"),
    "unknown dtype": (
        _safetensors(json.dumps({"t": _entry(dtype="F128")}).encode(), tail=b"\0" * 8),
        "unknown dtype",
    ),
    "offsets outside": (
        _safetensors(json.dumps({"t": _entry(offsets=(0, 10**12))}).encode(), tail=b"\0" * 8),
        "outside the file",
    ),
    "shape does not fit": (
        _safetensors(json.dumps({"t": _entry(shape=(10**9, 10**9))}).encode(), tail=b"\0" * 8),
        "does not fit",
    ),
    "negative size": (
        _safetensors(json.dumps({"t": _entry(shape=(-2,))}).encode(), tail=b"\0" * 8),
        "not a list of sizes",
    ),
    "bad metadata": (
        _safetensors(json.dumps({"__metadata__": {"a": 1}}).encode()),
        "__metadata__",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_hostile_header_is_a_clear_error(
    registry: Registry, ns: str, tmp_path: Path, case: str
) -> None:
    content, words = HOSTILE_FILES[case]
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "bad.safetensors").write_bytes(content)
    checkpoint = registry.create_checkpoint(folder)
    with pytest.raises(ValidationError) as refused:
        checkpoint.tensors("bad.safetensors")
    assert "bad.safetensors is not a readable safetensors file" in refused.value.message
    assert words in refused.value.message


def test_tensors_of_a_missing_file_or_checkpoint(
    registry: Registry, ns: str, weights: Path
) -> None:
    checkpoint = registry.create_checkpoint(weights)
    with pytest.raises(NotFoundError, match=r"no file 'nope\.safetensors'"):
        checkpoint.tensors("nope.safetensors")
    with pytest.raises(NotFoundError):
        registry.client.get_tensors("00000000-0000-0000-0000-000000000000", "model.safetensors")
    with pytest.raises(ValidationError):
        checkpoint.tensors("README.md")


def test_a_versions_own_notes_and_metadata_are_edited_and_kept(
    registry: Registry, ns: str, weights: Path
) -> None:
    model = registry.create_model(f"{ns}m")
    version = model.register_version(registry.create_checkpoint(weights))
    version.set_notes("## Trained on\n\nmnist-v2")
    version.add_metadata({"reviewed": True})
    again = registry.get_model_version(f"{ns}m:1")
    assert again.notes == "## Trained on\n\nmnist-v2"
    assert again.metadata == {"reviewed": True}
    saved = [d for d in model.history()["details"] if "notes" in d]
    assert saved == [{"fields": ["notes"], "notes": "## Trained on\n\nmnist-v2"}]


def test_cli_lists_a_files_tensors(backend: Backend, ns: str, weights: Path) -> None:
    registry = backend.registry()
    registry.create_model(f"{ns}m").register_version(registry.create_checkpoint(weights))
    shown = run_json(backend, "model", "tensors", f"{ns}m", "1", "model.safetensors")
    assert shown["parameters"] == 2753 and len(shown["tensors"]) == 4
    table = run(backend, "model", "tensors", f"{ns}m", "latest", "model.safetensors").stdout
    assert "encoder.weight" in table and "64 x 32" in table and "2,753 parameters" in table
    refused = run(backend, "model", "tensors", f"{ns}m", "1", "README.md", code=1)
    assert_one_line_error(refused, "README.md is not a readable safetensors file")
