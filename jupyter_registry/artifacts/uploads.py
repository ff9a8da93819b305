"""Resumable uploads: a file's bytes arriving in chunks, kept beside the store's temporary files.

An upload session lives under ``<root>/uploads/<id>/``: ``meta`` (the file's
size and chunk size), each chunk's bytes (``<index>``, see
:meth:`~jupyter_registry.artifacts.cas.BlobStore.write_part`) and, written
only once a chunk is complete and durable, its marker (``<index>.sha256``)
with its hash as received. The markers are what the server holds: a chunk
cut off mid-way leaves no marker, so a resuming client is told to send it
again. Nothing here needs a database table, and any store's filesystem
(local or fsspec) can hold it.

Committing checks every chunk against the hash the client computed while
sending it, then stores the whole under its SHA-256: kept running while
chunks arrive in order in this process (a single chunk's hash already is
the whole's), else hashed from the joined bytes; checked against the
client's when it sends one. Sessions nobody finishes are
removed by garbage collection once untouched for the grace period.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import NotFoundError, ValidationError
from ..schemas import MAX_CHUNKS, BlobInfo, ChunkInfo, UploadStatus
from .cas import BlobStore, Files

MARKER = ".sha256"


class UploadSessions:
    """The resumable uploads of one blob store."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs
        self.fs = blobs.fs
        self.base = f"{blobs.root}/uploads"
        #: Per upload whose chunks arrived in order in this process: the next chunk's
        #: index and the hash of everything before it, so commit need not hash again.
        self._running: dict[str, tuple[int, Any]] = {}
        self._lock = threading.Lock()

    def _follow(self, upload_id: str, index: int) -> Any | None:
        """The running hash to extend with chunk ``index``, if it is the next one in order.

        A chunk sent again that the running hash already covers breaks the chain.
        """
        with self._lock:
            following, digest = self._running.get(upload_id, (0, None))
            if index == following:
                return digest.copy() if digest is not None else hashlib.sha256()
            if index < following:
                self._running.pop(upload_id, None)
            return None

    def _followed(self, upload_id: str, index: int, digest: Any) -> None:
        with self._lock:
            following, _ = self._running.get(upload_id, (0, None))
            if following == index:
                self._running[upload_id] = (index + 1, digest)

    def _folder(self, upload_id: str) -> str:
        return f"{self.base}/{upload_id}"

    def _write_small(self, path: str, data: bytes) -> None:
        """Write a small file whole and durable, or not at all."""
        with self.blobs.staged([data]) as (tmp, _, _):
            self.blobs.place(tmp, path)

    def start(self, size: int, chunk_size: int) -> UploadStatus:
        if -(-size // chunk_size) > MAX_CHUNKS:
            raise ValidationError(
                f"{size} bytes in chunks of {chunk_size} is over {MAX_CHUNKS} chunks; "
                "use larger chunks"
            )
        upload_id = uuid.uuid4().hex
        meta = json.dumps({"size": size, "chunk_size": chunk_size}).encode()
        self._write_small(f"{self._folder(upload_id)}/meta", meta)
        return UploadStatus(upload_id=upload_id, size=size, chunk_size=chunk_size, chunks=[])

    def _meta(self, upload_id: str) -> tuple[int, int]:
        try:
            with self.fs.open(f"{self._folder(upload_id)}/meta", "rb") as handle:
                meta = json.loads(handle.read())
        except FileNotFoundError:
            raise NotFoundError(f"no upload {upload_id} (finished, abandoned or expired)") from None
        return int(meta["size"]), int(meta["chunk_size"])

    def _received(self, upload_id: str) -> dict[int, ChunkInfo]:
        received = {}
        for path in self.fs.find(self._folder(upload_id)):
            name = path.rsplit("/", 1)[-1]
            if name.endswith(MARKER) and name.removesuffix(MARKER).isdigit():
                with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
                    with self.fs.open(path, "rb") as handle:
                        info = ChunkInfo.model_validate_json(handle.read())
                    received[info.index] = info
        return received

    def status(self, upload_id: str) -> UploadStatus:
        size, chunk_size = self._meta(upload_id)
        chunks = sorted(self._received(upload_id).values(), key=lambda c: c.index)
        return UploadStatus(upload_id=upload_id, size=size, chunk_size=chunk_size, chunks=chunks)

    def write_chunk(self, upload_id: str, index: int, stream: Iterable[bytes]) -> ChunkInfo:
        """Store chunk ``index`` if it is exactly as long as it must be; its hash as received."""
        size, chunk_size = self._meta(upload_id)
        count = -(-size // chunk_size)
        if index >= count:
            raise ValidationError(f"upload {upload_id} has {count} chunks, no chunk {index}")
        offset = index * chunk_size
        length = min(chunk_size, size - offset)
        self._drop_marker(upload_id, index)  # until the new bytes are all in
        running = self._follow(upload_id, index)
        if running is not None:
            stream = _teed(stream, running)
        try:
            sha256, _ = self.blobs.write_part(
                self._folder(upload_id), index, chunk_size, length, stream
            )
        except ValidationError as exc:
            raise ValidationError(
                f"chunk {index} of upload {upload_id}: {exc.message}; nothing was kept"
            ) from None
        info = ChunkInfo(index=index, size=length, sha256=sha256)
        marker = f"{self._folder(upload_id)}/{index}{MARKER}"
        self._write_small(marker, info.model_dump_json().encode())
        if running is not None:
            self._followed(upload_id, index, running)
        return info

    def commit(self, upload_id: str, hashes: list[str], sha256: str | None) -> BlobInfo:
        """Store the whole file once every chunk is here and matches the client's hash of it.

        A chunk that arrived different from what the client sent is dropped,
        so the status asks for it again, and the upload stays open. The
        joined bytes are hashed here (the client's chunk hashes already prove
        they are what it read), and, given ``sha256``, must match it.
        """
        size, chunk_size = self._meta(upload_id)
        count = -(-size // chunk_size)
        if len(hashes) != count:
            raise ValidationError(f"upload {upload_id} has {count} chunks, not {len(hashes)}")
        received = self._received(upload_id)
        missing = [i for i in range(count) if i not in received]
        if missing:
            raise ValidationError(f"upload {upload_id} is missing chunks {missing[:20]}")
        damaged = [i for i in range(count) if received[i].sha256 != hashes[i]]
        for index in damaged:
            self._drop_marker(upload_id, index)
        if damaged:
            with self._lock:
                self._running.pop(upload_id, None)
        if damaged:
            raise ValidationError(
                f"chunks {damaged[:20]} of upload {upload_id} differ from what was sent; "
                "send them again"
            )
        with self._lock:
            following, digest = self._running.pop(upload_id, (0, None))
        known = digest.hexdigest() if following == count and digest is not None else None
        if count == 1:
            known = received[0].sha256  # one chunk: its hash is the whole's
        info = self.blobs.join_parts(self._folder(upload_id), count, size, sha256, known)
        self.delete(upload_id)
        return info

    def _drop_marker(self, upload_id: str, index: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(f"{self._folder(upload_id)}/{index}{MARKER}")

    def delete(self, upload_id: str) -> None:
        """Remove a session and whatever it received (markers first, the meta last)."""
        self._meta(upload_id)
        paths = self.fs.find(self._folder(upload_id))
        for path in sorted(paths, key=lambda p: (p.endswith("/meta"), not p.endswith(MARKER))):
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(path)
        if _on_local_disk(self.fs):
            with contextlib.suppress(OSError):
                os.rmdir(self._folder(upload_id))

    def remove_stale(self, cutoff: float) -> int:
        """Delete sessions untouched since ``cutoff`` (epoch seconds): abandoned uploads."""
        if not self.fs.exists(self.base):
            return 0
        newest: dict[str, float] = {}
        for path in self.fs.find(self.base):
            upload_id = path[len(self.base) + 1 :].split("/", 1)[0]
            with contextlib.suppress(FileNotFoundError):
                stamp = self.fs.modified(path).timestamp()
                newest[upload_id] = max(newest.get(upload_id, 0.0), stamp)
        stale = [upload_id for upload_id, stamp in newest.items() if stamp < cutoff]
        for upload_id in stale:
            with contextlib.suppress(NotFoundError):
                self.delete(upload_id)
        return len(stale)


def _teed(stream: Iterable[bytes], digest: Any) -> Iterator[bytes]:
    """The stream's chunks, each also fed to ``digest`` (on the thread that reads them)."""
    for chunk in stream:
        digest.update(chunk)
        yield chunk


def _on_local_disk(fs: Files) -> bool:
    """Whether ``fs`` is a local disk, where an emptied folder stays behind unless removed."""
    protocol = getattr(fs, "protocol", "file")  # LocalFiles has none: it is local
    return "file" in (protocol if isinstance(protocol, tuple) else (protocol,))
