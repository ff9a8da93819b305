"""Safetensors headers on every artifact store, and cards and tensors over raw REST.

The contract tests (tests/test_version_pages.py, tests/test_cards.py) go through
the SDK; here the stores' own ranged reads (a local file, fsspec's memory
filesystem, S3 through s3fs) and the HTTP statuses and error bodies are checked.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import requests
from jupyter_proc import ThreadedJupyter
from safetensors.numpy import save_file
from test_artifacts import store_uri
from test_server_api import api, error_of, http, server

from jupyter_registry import IntegrityError, Registry

__all__ = ["http", "server", "store_uri"]


def _weights(folder: Path) -> Path:
    folder.mkdir()
    save_file(
        {"a": np.zeros((300, 200), np.float32), "b": np.zeros(7, np.int8)},
        str(folder / "w.safetensors"),
    )
    return folder


def test_only_the_header_is_read_on_every_store(
    store_uri: tuple[str, dict], tmp_path: Path
) -> None:
    uri, options = store_uri
    registry = Registry(
        database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=uri, storage_options=options
    )
    checkpoint = registry.create_checkpoint(_weights(tmp_path / "weights"))
    (entry,) = checkpoint.info.files
    blobs = registry.client.service.blobs
    content = (tmp_path / "weights" / "w.safetensors").read_bytes()
    header_end = 8 + struct.unpack("<Q", content[:8])[0]
    with blobs.fs.open(blobs.path(entry.sha256), "wb") as handle:
        handle.write(content[:header_end] + b"\xff" * (len(content) - header_end))
    info = checkpoint.tensors("w.safetensors")
    assert [(t.name, t.shape) for t in info.tensors] == [("a", [300, 200]), ("b", [7])]
    assert info.parameters == 60_007 and info.header_bytes == header_end
    with pytest.raises(IntegrityError):
        checkpoint.download(tmp_path / "copy")


def test_cards_and_tensors_over_rest(
    server: ThreadedJupyter, http: requests.Session, tmp_path: Path
) -> None:
    registry = Registry(server=server.url, token=server.token)
    checkpoint = registry.create_checkpoint(_weights(tmp_path / "weights"))
    assert http.post(api(server, "models"), json={"name": "m", "notes": "# ok"}).ok
    bad = {"notes": "---\nlicense: mit\ntags: 5\n---\n"}
    error = error_of(http.patch(api(server, "models/m"), json=bad), 400)
    assert error["type"] == "ValidationError"
    assert error["message"] == "model card line 3: tags must be a list"
    assert http.get(api(server, "models/m")).json()["notes"] == "# ok"

    route = api(server, f"checkpoints/{checkpoint.uuid}/safetensors")
    answer = http.get(route, params={"path": "w.safetensors"})
    assert answer.status_code == 200
    assert answer.json()["parameters"] == 60_007
    assert error_of(http.get(route), 400)["type"] == "ValidationError"
    assert error_of(http.get(route, params={"path": "nope"}), 404)["type"] == "NotFoundError"
    other = api(server, "checkpoints/no-such-uuid/safetensors")
    error_of(http.get(other, params={"path": "w.safetensors"}), 404)
