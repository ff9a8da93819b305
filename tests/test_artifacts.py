"""The content-addressed blob store, on a local folder and on a real S3 server."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyter_registry import ConflictError, IntegrityError, Registry, ValidationError
from jupyter_registry.artifacts import (
    BlobStore,
    FsspecBlobStore,
    LocalBlobStore,
    local_store,
    open_blob_store,
)
from jupyter_registry.artifacts.localfiles import ALIGN, DIRECT_BLOCK, NewFile
from jupyter_registry.config import RegistryConfig
from jupyter_registry.service import RegistryService


@pytest.fixture(params=["local", "memory", "s3"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict]:
    """A local folder (the local store) and two filesystems the plain store serves."""
    if request.param == "local":
        return str(tmp_path / "artifacts"), {}
    if request.param == "memory":
        return f"memory://{uuid.uuid4().hex}/registry", {}
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
    return open_blob_store(uri, options)


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


def test_put_file_reports_progress_and_stores_once(
    blobs: BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_store, "COPY_RANGE", 64 * 1024)
    data = os.urandom(300_000)
    source = tmp_path / "weights.bin"
    source.write_bytes(data)
    reported: list[int] = []
    info = blobs.put_file(source, reported.append)
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.size == len(data)
    assert sum(reported) == len(data)
    if isinstance(blobs, LocalBlobStore):  # one report per kernel-copied range
        assert reported == [65536] * 4 + [300_000 - 4 * 65536]
    assert b"".join(blobs.read(info.sha256, info.size)) == data
    assert blobs.put_file(source) == info
    assert list(blobs.all_blobs()) == [info.sha256]


def test_put_file_of_an_empty_file(blobs: BlobStore, tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    info = blobs.put_file(tmp_path / "empty")
    assert info.sha256 == hashlib.sha256(b"").hexdigest() and info.size == 0
    assert b"".join(blobs.read(info.sha256, 0)) == b""


def test_the_uri_picks_the_store(tmp_path: Path) -> None:
    assert type(open_blob_store(str(tmp_path / "a"))) is LocalBlobStore
    assert type(open_blob_store(f"file://{tmp_path / 'b'}")) is LocalBlobStore
    assert type(open_blob_store(f"memory://{uuid.uuid4().hex}")) is FsspecBlobStore


def test_local_store_without_a_kernel_copy_stores_files_the_plain_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where Python has no copy_file_range (not Linux), a file is read and written in chunks."""
    monkeypatch.delattr(os, "copy_file_range")
    data = os.urandom(300_000)
    (tmp_path / "w.bin").write_bytes(data)
    blobs = open_blob_store(str(tmp_path / "artifacts"))
    reported: list[int] = []
    info = blobs.put_file(tmp_path / "w.bin", reported.append)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert reported == [len(data)]  # one read of the whole (small) file, not 64 KiB ranges
    assert b"".join(blobs.read(info.sha256, info.size)) == data
    assert list((tmp_path / "artifacts" / "tmp").iterdir()) == []


def _hashing_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("jupyter-registry-sha256")}


@pytest.mark.parametrize("write", ["put", "put_file"])
def test_the_hashing_thread_is_the_stores_and_ends_with_its_service(
    tmp_path: Path, write: str
) -> None:
    """No thread until the first write; the service's close() ends it, leaving none behind."""
    (tmp_path / "w.bin").write_bytes(b"weights")
    before = _hashing_threads()
    config = RegistryConfig(
        database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=str(tmp_path / "a")
    )
    service = RegistryService.from_config(config)
    assert _hashing_threads() - before == set()  # threads of earlier tests' stores may end
    if write == "put":
        service.put_blob(iter([b"weights"]))
    else:
        service.put_file(str(tmp_path / "w.bin"))
    started = _hashing_threads() - before
    assert len(started) == 1
    service.close()
    for thread in started:
        thread.join(timeout=10)
        assert not thread.is_alive()


def _rewritten(source: Path) -> None:
    with open(source, "r+b") as out:
        out.seek(70_000)
        out.write(b"changed")


def _grown(source: Path) -> None:
    with open(source, "ab") as out:
        out.write(b"more")


def _shrunk(source: Path) -> None:
    os.truncate(source, 100_000)


@pytest.mark.parametrize("change", [_rewritten, _grown, _shrunk])
def test_local_file_changed_during_the_copy_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None]
) -> None:
    monkeypatch.setattr(local_store, "COPY_RANGE", 64 * 1024)
    blobs = open_blob_store(str(tmp_path / "artifacts"))
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(300_000))

    def writer(copied: int) -> None:
        if copied and not hasattr(writer, "done"):
            writer.done = True  # type: ignore[attr-defined]
            time.sleep(0.02)  # past the timestamp tick of the copy's start, on any kernel
            change(source)

    with pytest.raises(ConflictError, match=r"weights\.bin changed while it was being copied"):
        blobs.put_file(source, writer)
    assert list(blobs.all_blobs()) == []
    assert list((tmp_path / "artifacts" / "tmp").iterdir()) == []
    assert blobs.put_file(source).size == source.stat().st_size  # a quiet file goes in


def test_local_file_copied_without_copy_file_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Across filesystems on some kernels copy_file_range refuses; sendfile does the copy."""

    def refuse(*args: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    monkeypatch.setattr(local_store, "COPY_RANGE", 64 * 1024)
    data = os.urandom(200_000)
    (tmp_path / "w.bin").write_bytes(data)
    blobs = open_blob_store(str(tmp_path / "artifacts"))
    info = blobs.put_file(tmp_path / "w.bin")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert b"".join(blobs.read(info.sha256, info.size)) == data


@pytest.mark.parametrize(
    "size", [0, 1, ALIGN, ALIGN + 1, DIRECT_BLOCK, DIRECT_BLOCK + 5, 3 * DIRECT_BLOCK - 7]
)
def test_new_file_holds_exactly_what_was_written(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    out = NewFile(str(tmp_path / "f"))
    try:
        for start in range(0, size, 300_001):  # pieces that straddle the aligned blocks
            out.write(data[start : start + 300_001])
        out.finish()
    finally:
        out.close()
    assert (tmp_path / "f").read_bytes() == data


def test_new_file_without_o_direct(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A filesystem refusing O_DIRECT, at open or at the first write, gets ordinary writes."""
    real_open, real_write = os.open, os.write

    def refuse_at_open(path: str, flags: int, mode: int = 0o777) -> int:
        if flags & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, mode)

    def refuse_direct_writes(fd: int, data: object) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(fd, data)  # type: ignore[arg-type]

    data = os.urandom(DIRECT_BLOCK + 12345)
    for name, patch in (("open", refuse_at_open), ("write", refuse_direct_writes)):
        with monkeypatch.context() as m:
            m.setattr(os, name, patch)
            out = NewFile(str(tmp_path / name))
            try:
                out.write(data)
                out.finish()
            finally:
                out.close()
            assert not out.direct
        assert (tmp_path / name).read_bytes() == data


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
