"""The artifact store on a local disk: the kernel's fast paths, the plain way where refused.

A local file is copied by the kernel (``copy_file_range``, or ``sendfile``
across filesystems) range by range while the store's hashing thread hashes
each range as written to the temporary file, so the name is the hash of the
bytes actually stored, and the disk starts writing each range at once rather
than all at the final fsync. A file that changes while it is copied is
refused. A stream (an upload through the server) is written by
:func:`~jupyter_registry.artifacts.localfiles.new_file`. Where Python offers
no ``copy_file_range`` (not Linux), files are stored as the plain
:class:`~jupyter_registry.artifacts.fsspec_store.FsspecBlobStore` does.
Everything else is plain :mod:`os` calls (:class:`LocalFiles`): a local
registry has no use for fsspec, which is slow to import.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, wait
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from ..errors import ConflictError, StorageError, ValidationError
from ..schemas import BlobInfo
from .cas import Files, Progress, Write, within
from .fsspec_store import FsspecBlobStore
from .localfiles import (
    ALIGN,
    SourceChanged,
    copy_range,
    hash_range,
    new_file,
    start_writeback,
)

COPY_RANGE = 16 * 1024 * 1024  # one kernel copy: progress, writeback and hashing follow it
# How far the copy may run ahead of the hashing thread: neither waits for the
# other, and a range is still in the page cache when it is hashed.
HASHES_IN_FLIGHT = 2


def local_root(uri: str) -> str | None:
    """The absolute folder a local URI names (a path, ``file://``, ``local://``), else None."""
    if "::" in uri:
        return None
    for scheme in ("file://", "local://"):
        if uri.startswith(scheme):
            uri = uri[len(scheme) :]
            break
    else:
        if "://" in uri:
            return None
    return os.path.abspath(os.path.expanduser(uri))


class LocalFiles:
    """The :class:`~jupyter_registry.artifacts.cas.Files` calls on local paths, as fsspec's do."""

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def size(self, path: str) -> int:
        return os.stat(path).st_size

    def open(self, path: str, mode: str = "rb") -> IO[Any]:
        return open(path, mode)

    def cat_file(self, path: str, *, start: int, end: int) -> bytes:
        with open(path, "rb") as handle:
            handle.seek(start)
            return handle.read(end - start)

    def modified(self, path: str) -> datetime:
        return datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc)

    def rm(self, path: str) -> None:
        os.remove(path)

    def mv(self, path1: str, path2: str) -> None:
        shutil.move(path1, path2)

    def find(self, path: str) -> list[str]:
        """Every file below ``path``, sorted."""
        return sorted(
            os.path.join(folder, name) for folder, _, names in os.walk(path) for name in names
        )


class LocalBlobStore(FsspecBlobStore):
    """Blobs in a local folder, copied and written by the kernel's fast paths."""

    def __init__(self, uri: str, fs: Files, root: str) -> None:
        super().__init__(uri, fs, root)
        try:
            for sub in ("blobs", "tmp"):
                Path(self.root, sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot use {uri} as the artifact store: {exc}") from None

    def put_file(self, path: str | os.PathLike[str], progress: Progress | None = None) -> BlobInfo:
        """Store a local file by kernel copy, reporting each copied range to ``progress``.

        Raises :class:`ConflictError` (storing nothing) if the file changes
        while it is copied.
        """
        if not hasattr(os, "copy_file_range"):
            return super().put_file(path, progress)
        with open(path, "rb") as handle, self._temporary() as tmp:
            try:
                sha256, size = self._copy_in(handle.fileno(), tmp, progress)
            except SourceChanged as exc:
                raise ConflictError(
                    f"{os.fspath(path)} changed while it was being copied ({exc}); "
                    "nothing was stored: try again once it is no longer being written"
                ) from None
            self.commit_file(tmp, sha256, size)
            return BlobInfo(sha256=sha256, size=size)

    def _copy_in(self, source: int, tmp: str, progress: Progress | None) -> tuple[str, int]:
        """Kernel-copy ``source`` to ``tmp`` while hashing the copy; fsync; its sha256 and size."""
        before = os.fstat(source)
        size = before.st_size
        digest = hashlib.sha256()
        hasher = self._hash_thread()
        hashed: deque[Future[None]] = deque()
        Path(tmp).parent.mkdir(parents=True, exist_ok=True)
        target = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            for offset in range(0, size, COPY_RANGE):
                length = min(COPY_RANGE, size - offset)
                copy_range(source, target, offset, length)
                start_writeback(target, offset, length)
                hashed.append(hasher.submit(hash_range, digest, target, offset, length))
                if len(hashed) > HASHES_IN_FLIGHT:
                    hashed.popleft().result()
                if progress is not None:
                    progress(length)
            while hashed:
                hashed.popleft().result()
            os.fsync(target)
        finally:
            wait(hashed)  # never close the descriptor under a hash still reading it
            os.close(target)
        after = os.fstat(source)
        if (after.st_size, after.st_mtime_ns) != (size, before.st_mtime_ns):
            raise SourceChanged("it was modified")
        return digest.hexdigest(), size

    def write_part(
        self, folder: str, index: int, part_size: int, length: int, stream: Iterable[bytes]
    ) -> tuple[str, int]:
        """Write block-aligned parts in place in the folder's ``data`` file, past the page cache.

        Joining them is then a rename, not a copy; parts of another size are
        files of their own, as in any store.
        """
        if part_size % ALIGN:
            return super().write_part(folder, index, part_size, length, stream)
        Path(folder).mkdir(parents=True, exist_ok=True)
        try:
            with new_file(f"{folder}/data", index * part_size) as write:
                sha256, size = self._write_hashed(within(stream, length), write)
                if size != length:
                    raise ValidationError(f"part {index} must be {length} bytes, got {size}")
        except OSError as exc:
            raise StorageError(f"cannot write to the artifact store {self.uri}: {exc}") from None
        return sha256, size

    def join_parts(
        self, folder: str, count: int, size: int, expected: str | None, known: str | None
    ) -> BlobInfo:
        """Rename the ``data`` file the parts were written into, once hashed (unless known)."""
        data = f"{folder}/data"
        if count == 0 or not os.path.exists(data):
            return super().join_parts(folder, count, size, expected, known)
        sha256 = known
        if sha256 is None:
            digest = hashlib.sha256()
            with open(data, "rb") as handle:
                held = os.fstat(handle.fileno()).st_size
                if held != size:
                    raise ValidationError(f"the parts hold {held} bytes, not {size}")
                hash_range(digest, handle.fileno(), 0, size)
            sha256 = digest.hexdigest()
        if expected is not None and sha256 != expected:
            raise ValidationError(
                f"upload does not match its sha256: expected {expected}, got {sha256}"
            )
        self.commit_file(data, sha256, size)
        return BlobInfo(sha256=sha256, size=size)

    @contextlib.contextmanager
    def _writing(self, tmp: str) -> Iterator[Write]:
        Path(tmp).parent.mkdir(parents=True, exist_ok=True)
        with new_file(tmp) as write:
            yield write

    def _place(self, tmp: str, final: str) -> None:
        Path(final).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)

    def _refresh(self, final: str) -> None:
        os.utime(final)
