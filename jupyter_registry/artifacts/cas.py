"""Content-addressed blob storage: the rules every artifact store shares.

A blob lives at ``<root>/blobs/<sha[:2]>/<sha[2:]>``. Writes stream into a
temporary name while hashing and are renamed into place only when complete,
so a reader never sees a partial blob and identical content is stored once.
Every read re-hashes what it returns and raises
:class:`~jupyter_registry.errors.IntegrityError` in place of the last chunk of
a corrupted or truncated blob, so bad bytes never arrive complete.

How bytes reach the temporary name, and how it is renamed, is left to a
strategy: :class:`~jupyter_registry.artifacts.fsspec_store.FsspecBlobStore`
does it plainly on any fsspec filesystem (S3 and the like), and
:class:`~jupyter_registry.artifacts.local_store.LocalBlobStore` uses the
kernel's fast paths on a local disk, falling back to the plain way where they
are refused. :func:`~jupyter_registry.artifacts.open_blob_store` picks one
from the URI.

The store reaches its files through the few calls of :class:`Files`: any
fsspec filesystem has them, and the local store has its own
(:class:`~jupyter_registry.artifacts.local_store.LocalFiles`), so a local
registry never imports fsspec.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import IO, Any, BinaryIO, Protocol

from ..errors import IntegrityError, NotFoundError, StorageError, ValidationError
from ..schemas import BlobInfo

CHUNK = 4 * 1024 * 1024

Progress = Callable[[int], object]
Write = Callable[[bytes], object]


class Files(Protocol):
    """The filesystem calls a blob store makes, named and behaving as fsspec's."""

    def exists(self, path: str) -> bool: ...
    def size(self, path: str) -> int: ...
    def open(self, path: str, mode: str = "rb") -> IO[Any]: ...
    def cat_file(self, path: str, *, start: int, end: int) -> bytes: ...
    def modified(self, path: str) -> datetime: ...
    def rm(self, path: str) -> None: ...
    def mv(self, path1: str, path2: str) -> None: ...
    def find(self, path: str) -> list[str]: ...


def chunks_of(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    """The bytes of a readable stream in CHUNK pieces, or an iterable of bytes as it comes."""
    if hasattr(stream, "read"):
        while chunk := stream.read(CHUNK):  # type: ignore[union-attr]
            yield chunk
    else:
        yield from stream  # type: ignore[misc]


def within(stream: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The stream's chunks, refused as soon as they run past ``limit`` bytes."""
    seen = 0
    for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise ValidationError(f"more than the {limit} bytes expected")
        yield chunk


class BlobStore(abc.ABC):
    """SHA-256 addressed, write-once blobs under one fsspec URI.

    Subclasses say how a temporary file is written (:meth:`_writing`), moved
    into place (:meth:`_place`) and marked as re-uploaded (:meth:`_refresh`),
    and how a local file is stored (:meth:`put_file`); addressing, hashing,
    verification, the temporary-then-rename commit and the listings that
    garbage collection reads are the same for all and live here.
    """

    def __init__(self, uri: str, fs: Files, root: str) -> None:
        self.uri = uri
        self.fs = fs
        self.root = root.rstrip("/")
        self._hasher: ThreadPoolExecutor | None = None
        self._hasher_lock = threading.Lock()

    @abc.abstractmethod
    def put_file(self, path: str | os.PathLike[str], progress: Progress | None = None) -> BlobInfo:
        """Store a local file's content, reporting the bytes copied to ``progress``."""

    @abc.abstractmethod
    def _writing(self, tmp: str) -> contextlib.AbstractContextManager[Write]:
        """A writer into the new file ``tmp``: complete and durable once the block exits cleanly."""

    @abc.abstractmethod
    def _place(self, tmp: str, final: str) -> None:
        """Rename the complete temporary file to its blob name."""

    @abc.abstractmethod
    def _refresh(self, final: str) -> None:
        """Mark an existing blob as just uploaded again, so gc does not take it as old."""

    def _hash_thread(self) -> ThreadPoolExecutor:
        """The thread that hashes beside the one writing, so a file costs max(hash, write).

        One thread, so the pieces a writer hands it are hashed in order. It is
        started on the first write (a store only read from never starts it)
        and ended by :meth:`close`.
        """
        with self._hasher_lock:
            if self._hasher is None:
                self._hasher = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="jupyter-registry-sha256"
                )
            return self._hasher

    def close(self) -> None:
        """End the hashing thread once the hashes it was given are done."""
        with self._hasher_lock:
            hasher, self._hasher = self._hasher, None
        if hasher is not None:
            hasher.shutdown()

    def path(self, sha256: str) -> str:
        return f"{self.root}/blobs/{sha256[:2]}/{sha256[2:]}"

    def exists(self, sha256: str) -> bool:
        return bool(self.fs.exists(self.path(sha256)))

    def size(self, sha256: str) -> int | None:
        try:
            return int(self.fs.size(self.path(sha256)))
        except FileNotFoundError:
            return None

    @contextlib.contextmanager
    def _temporary(self) -> Iterator[str]:
        """A temporary name in the store, removed afterwards unless committed (renamed)."""
        tmp = f"{self.root}/tmp/{uuid.uuid4().hex}"
        try:
            yield tmp
        except OSError as exc:
            raise StorageError(f"cannot write to the artifact store {self.uri}: {exc}") from None
        finally:
            with contextlib.suppress(OSError):
                if self.fs.exists(tmp):
                    self.fs.rm(tmp)

    def put(
        self,
        stream: BinaryIO | Iterable[bytes],
        expected_sha256: str | None = None,
        expected_size: int | None = None,
    ) -> BlobInfo:
        """Store a stream; with an expected hash/size, refuse content that does not match."""
        with self.staged(stream) as (tmp, sha256, size):
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise ValidationError(
                    f"upload does not match its sha256: expected {expected_sha256}, got {sha256}"
                )
            if expected_size is not None and size != expected_size:
                raise ValidationError(
                    f"upload does not match its size: expected {expected_size}, got {size}"
                )
            self.commit_file(tmp, sha256, size)
            return BlobInfo(sha256=sha256, size=size)

    @contextlib.contextmanager
    def staged(self, stream: BinaryIO | Iterable[bytes]) -> Iterator[tuple[str, str, int]]:
        """Write a stream to a temporary file while hashing it: its name, sha256 and size.

        The file is removed on leaving the block unless it was moved away
        (:meth:`place`, :meth:`commit_file`) inside it.
        """
        with self._temporary() as tmp:
            with self._writing(tmp) as write:
                sha256, size = self._write_hashed(chunks_of(stream), write)
            yield tmp, sha256, size

    def place(self, tmp: str, final: str) -> None:
        """Rename a complete temporary file to any name under the store's root."""
        self._place(tmp, final)

    def write_part(
        self, folder: str, index: int, part_size: int, length: int, stream: Iterable[bytes]
    ) -> tuple[str, int]:
        """Store part ``index`` (of ``part_size``-byte parts) of a file arriving in parts.

        The part must be exactly ``length`` bytes, or nothing of it is kept;
        its sha256 and size are returned. Here each part is a file of its
        own in ``folder``, joined at :meth:`join_parts`; a local store writes
        the parts in place in one file where it can.
        """
        with self.staged(within(stream, length)) as (tmp, sha256, size):
            if size != length:
                raise ValidationError(f"part {index} must be {length} bytes, got {size}")
            self.place(tmp, f"{folder}/{index}")
        return sha256, size

    def join_parts(
        self, folder: str, count: int, size: int, expected: str | None, known: str | None
    ) -> BlobInfo:
        """Store the file made of ``count`` parts of ``folder``; refused unless it hashes to
        ``expected`` (when given).

        ``known`` is the file's hash when it is already known (one part,
        hashed as it was written), so it is not hashed again.
        """
        if known is not None and count == 1:
            self.commit_file(f"{folder}/0", known, size)
            return BlobInfo(sha256=known, size=size)

        def parts() -> Iterator[bytes]:
            for index in range(count):
                with self.fs.open(f"{folder}/{index}", "rb") as handle:
                    yield from chunks_of(handle)

        return self.put(parts(), expected, size)

    def _write_hashed(self, chunks: Iterable[bytes], write: Write) -> tuple[str, int]:
        """Write every chunk while the hashing thread hashes it; their sha256 and total size.

        Hashing and writing both release the GIL, so each chunk is hashed on
        the other thread while this one writes it.
        """
        digest = hashlib.sha256()
        size = 0
        hasher = self._hash_thread()
        pending: Future[None] | None = None
        for chunk in chunks:
            hashed = hasher.submit(digest.update, chunk)
            write(chunk)
            size += len(chunk)
            if pending is not None:
                pending.result()
            pending = hashed
        if pending is not None:
            pending.result()
        return digest.hexdigest(), size

    def commit_file(self, tmp: str, sha256: str, size: int) -> None:
        """Give the complete ``tmp`` its blob name, unless that content is already stored."""
        final = self.path(sha256)
        if self.size(sha256) == size:
            self._refresh(final)
        else:
            self._place(tmp, final)

    def read(self, sha256: str, size: int) -> Iterator[bytes]:
        """Stream a blob's bytes; the last chunk leaves only once the whole blob is verified.

        The file is opened here, so a missing blob is a :class:`NotFoundError`
        before any byte is promised to anyone. Every chunk is held back until
        the next one has been read and hashed, so a corrupted or truncated blob
        raises :class:`IntegrityError` in place of its final chunk: whoever
        forwards the stream (the REST route, a download) can never hand on
        the complete, wrong content, and a blob of one chunk is checked before
        its first byte goes out.
        """
        try:
            handle = self.fs.open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {sha256} is missing from the artifact store") from None
        return self._verified(handle, sha256, size)

    @staticmethod
    def _verified(handle: BinaryIO, sha256: str, size: int) -> Iterator[bytes]:
        digest = hashlib.sha256()
        seen = 0
        held: bytes | None = None
        with handle:
            while chunk := handle.read(CHUNK):
                seen += len(chunk)
                if seen > size:
                    break
                digest.update(chunk)
                if held is not None:
                    yield held
                held = chunk
        if seen != size or digest.hexdigest() != sha256:
            raise IntegrityError(
                f"blob {sha256} is corrupted or truncated in the artifact store "
                f"({seen} bytes read, {size} expected)"
            )
        if held is not None:
            yield held

    def read_range(self, sha256: str, start: int, length: int) -> bytes:
        """Bytes ``[start, start + length)`` of a blob, unverified, as one ranged read.

        For a file's header (a safetensors index) without reading the file:
        the caller checks what it reads, since no hash can vouch for a part.
        """
        try:
            # by keyword: s3fs takes a version id as its second positional argument
            data = self.fs.cat_file(self.path(sha256), start=start, end=start + length)
        except FileNotFoundError:
            raise NotFoundError(f"blob {sha256} is missing from the artifact store") from None
        return bytes(data[:length])

    def modified(self, sha256: str) -> float:
        """Last write time (epoch seconds); on a local disk a re-upload refreshes it."""
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
