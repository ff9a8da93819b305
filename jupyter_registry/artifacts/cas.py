"""Content-addressed blob storage on any fsspec filesystem.

A blob lives at ``<root>/blobs/<sha[:2]>/<sha[2:]>``. Writes stream into a
temporary name while hashing and are renamed into place only when complete,
so a reader never sees a partial blob and identical content is stored once.
Every read re-hashes what it returns and raises
:class:`~jupyter_registry.errors.IntegrityError` at the end of a corrupted or
truncated blob, so bad bytes are never silently accepted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..errors import IntegrityError, NotFoundError, StorageError, ValidationError
from ..schemas import BlobInfo

CHUNK = 4 * 1024 * 1024
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jupyter-registry-sha256")


def _chunks(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    if hasattr(stream, "read"):
        while chunk := stream.read(CHUNK):  # type: ignore[union-attr]
            yield chunk
    else:
        yield from stream  # type: ignore[misc]


class BlobStore:
    """SHA-256 addressed, write-once blobs under one fsspec URI."""

    def __init__(self, uri: str, storage_options: dict[str, Any] | str | None = None) -> None:
        if isinstance(storage_options, str):
            storage_options = json.loads(storage_options) if storage_options.strip() else {}
        self.uri = uri
        self.fs, root = fsspec.core.url_to_fs(uri, **(storage_options or {}))
        self.root = root.rstrip("/")
        self.local = isinstance(self.fs, LocalFileSystem)
        if self.local:
            try:
                for sub in ("blobs", "tmp"):
                    Path(self.root, sub).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot use {uri} as the artifact store: {exc}") from None

    def path(self, sha256: str) -> str:
        return f"{self.root}/blobs/{sha256[:2]}/{sha256[2:]}"

    def exists(self, sha256: str) -> bool:
        return bool(self.fs.exists(self.path(sha256)))

    def size(self, sha256: str) -> int | None:
        try:
            return int(self.fs.size(self.path(sha256)))
        except FileNotFoundError:
            return None

    def put(
        self,
        stream: BinaryIO | Iterable[bytes],
        expected_sha256: str | None = None,
        expected_size: int | None = None,
    ) -> BlobInfo:
        """Store a stream; with an expected hash/size, refuse content that does not match."""
        tmp = f"{self.root}/tmp/{uuid.uuid4().hex}"
        try:
            return self._put(tmp, stream, expected_sha256, expected_size)
        except OSError as exc:
            raise StorageError(f"cannot write to the artifact store {self.uri}: {exc}") from None
        finally:
            with contextlib.suppress(OSError):
                if self.fs.exists(tmp):
                    self.fs.rm(tmp)

    def _put(
        self,
        tmp: str,
        stream: BinaryIO | Iterable[bytes],
        expected_sha256: str | None,
        expected_size: int | None,
    ) -> BlobInfo:
        digest = hashlib.sha256()
        size = 0
        if self.local:
            Path(tmp).parent.mkdir(parents=True, exist_ok=True)
        with self.fs.open(tmp, "wb") as out:
            pending: Future[None] | None = None
            for chunk in _chunks(stream):
                # Hash the chunk on the hashing thread while this one writes it:
                # both release the GIL, so large files cost max(hash, write), not the sum.
                hashed = _HASHER.submit(digest.update, chunk)
                out.write(chunk)
                size += len(chunk)
                if pending is not None:
                    pending.result()
                pending = hashed
            if pending is not None:
                pending.result()
            if self.local:
                out.flush()
                os.fsync(out.fileno())
        sha256 = digest.hexdigest()
        if expected_sha256 is not None and sha256 != expected_sha256:
            raise ValidationError(
                f"upload does not match its sha256: expected {expected_sha256}, got {sha256}"
            )
        if expected_size is not None and size != expected_size:
            raise ValidationError(
                f"upload does not match its size: expected {expected_size}, got {size}"
            )
        self._commit(tmp, sha256, size)
        return BlobInfo(sha256=sha256, size=size)

    def _commit(self, tmp: str, sha256: str, size: int) -> None:
        final = self.path(sha256)
        if self.size(sha256) == size:
            if self.local:
                os.utime(final)
            return
        if self.local:
            Path(final).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        else:
            self.fs.mv(tmp, final)

    def read(self, sha256: str, size: int) -> Iterator[bytes]:
        """Stream a blob's bytes, verifying hash and size as the last chunk goes out."""
        try:
            handle = self.fs.open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {sha256} is missing from the artifact store") from None
        digest = hashlib.sha256()
        seen = 0
        with handle:
            while chunk := handle.read(CHUNK):
                seen += len(chunk)
                if seen > size:
                    break
                digest.update(chunk)
                yield chunk
        if seen != size or digest.hexdigest() != sha256:
            raise IntegrityError(
                f"blob {sha256} is corrupted or truncated in the artifact store "
                f"({seen} bytes read, {size} expected)"
            )

    def modified(self, sha256: str) -> float:
        """Last write time (epoch seconds); a re-upload of existing content refreshes it."""
        return float(self.fs.modified(self.path(sha256)).timestamp())

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.path(sha256))

    def remove_stale_uploads(self, cutoff: float) -> int:
        """Delete temporary files of uploads that died (killed process) before ``cutoff``."""
        base = f"{self.root}/tmp"
        if not self.fs.exists(base):
            return 0
        removed = 0
        for path in self.fs.find(base):
            with contextlib.suppress(FileNotFoundError):
                if self.fs.modified(path).timestamp() < cutoff:
                    self.fs.rm(path)
                    removed += 1
        return removed

    def all_blobs(self) -> Iterator[str]:
        """Every stored blob's SHA-256 (for garbage collection)."""
        base = f"{self.root}/blobs"
        if not self.fs.exists(base):
            return
        for path in self.fs.find(base):
            parts = path.rstrip("/").split("/")
            sha = parts[-2] + parts[-1]
            if len(sha) == 64:
                yield sha
