"""The content-addressed blob store, on a local folder and on a real S3 server."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest

from jupyter_registry import IntegrityError, Registry, ValidationError
from jupyter_registry.artifacts import BlobStore


@pytest.fixture(params=["local", "s3"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict]:
    if request.param == "local":
        return str(tmp_path / "artifacts"), {}
    server = request.getfixturevalue("s3")
    import s3fs

    fs = s3fs.S3FileSystem(**server.storage_options)
    bucket = f"b{uuid.uuid4().hex[:10]}"
    fs.mkdir(bucket)
    s3fs.S3FileSystem.clear_instance_cache()
    return f"s3://{bucket}/registry", server.storage_options


@pytest.fixture
def blobs(store_uri: tuple[str, dict]) -> BlobStore:
    uri, options = store_uri
    return BlobStore(uri, options)


def test_put_read_roundtrip(blobs: BlobStore) -> None:
    data = os.urandom(300_000)
    info = blobs.put(iter([data[:1000], data[1000:]]))
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.size == len(data)
    assert b"".join(blobs.read(info.sha256, info.size)) == data
    assert blobs.exists(info.sha256)


def test_identical_content_stored_once(blobs: BlobStore) -> None:
    first = blobs.put(iter([b"same bytes"]))
    second = blobs.put(iter([b"same bytes"]))
    assert first == second
    assert list(blobs.all_blobs()) == [first.sha256]


def test_expected_hash_mismatch_stores_nothing(blobs: BlobStore) -> None:
    with pytest.raises(ValidationError, match="does not match its sha256"):
        blobs.put(iter([b"payload"]), expected_sha256="0" * 64)
    assert list(blobs.all_blobs()) == []


def test_corrupted_blob_detected(blobs: BlobStore) -> None:
    info = blobs.put(iter([b"a" * 10_000]))
    with blobs.fs.open(blobs.path(info.sha256), "wb") as out:
        out.write(b"b" * 10_000)
    with pytest.raises(IntegrityError, match="corrupted"):
        b"".join(blobs.read(info.sha256, info.size))


def test_truncated_blob_detected(blobs: BlobStore) -> None:
    info = blobs.put(iter([b"a" * 10_000]))
    with blobs.fs.open(blobs.path(info.sha256), "wb") as out:
        out.write(b"a" * 9_000)
    with pytest.raises(IntegrityError, match="truncated"):
        b"".join(blobs.read(info.sha256, info.size))


def test_registry_on_store(store_uri: tuple[str, dict], tmp_path: Path, model_folder: Path) -> None:
    """The whole SDK path (create, dedupe, download, corruption) on this store."""
    uri, options = store_uri
    registry = Registry(
        database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=uri, storage_options=options
    )
    first = registry.create_checkpoint(model_folder)
    second = registry.create_checkpoint(model_folder)
    blobs = registry.client.service.blobs
    assert len(list(blobs.all_blobs())) == 2  # two files, stored once across two checkpoints
    out = second.download(tmp_path / "out")
    assert (out / "weights.bin").read_bytes() == (model_folder / "weights.bin").read_bytes()
    sha = next(f.sha256 for f in first.info.files if f.path == "weights.bin")
    with blobs.fs.open(blobs.path(sha), "wb") as handle:
        handle.write(b"corrupt")
    with pytest.raises(IntegrityError):
        first.download(tmp_path / "bad")
    assert not (tmp_path / "bad" / "weights.bin").exists()
