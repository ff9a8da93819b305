"""How the HTTP client moves files: hashed while sent, in resumable chunks, or bundled.

A file is read once. Its bytes are hashed as they are sent into an upload
session (``POST uploads``), one chunk per request, each chunk's SHA-256 as
received answered by the server and compared with the client's own; the
commit sends every chunk's hash again for the server to check, so the
stored bytes are the ones the client read, end to end. The server then
stores the file under its own hash of the joined bytes (a one-chunk file's
hash is its chunk's, which both sides computed). Each byte is hashed once
by the client, and once (one chunk) or twice (several) by the server. A
connection that drops mid-chunk is resumed: the client asks the server what
it holds (``GET uploads/{id}``) and sends only the chunks it lacks.

The trade-off of hashing while sending: the client cannot ask "do you already
have this content?" before reading the whole file, which was the point of
hashing first. It keeps that shortcut where it costs no extra read: a file
whose identity on disk (device, inode, size, modification time) is the same
as one this client already uploaded is known by its hash, and skipped when
the server still holds it. Anything else is sent; the server keeps one copy
of content it already has.

A small checkpoint (files under :data:`~jupyter_registry.api.BUNDLE_MAX_BYTES`
in all) goes as one ``multipart/form-data`` request with its checkpoint and
version JSON (:func:`encode_bundle`).
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from ..errors import IntegrityError
from ..schemas import (
    BundleVersion,
    CheckpointFile,
    ChunkInfo,
    CreateCheckpoint,
    parse,
)
from .protocol import Progress

#: Files over this are sent in several chunks, each resumable on its own.
CHUNK_BYTES = 64 * 1024 * 1024
READ_BYTES = 4 * 1024 * 1024
EMPTY_SHA256 = hashlib.sha256().hexdigest()
FileKey = tuple[int, int, int, int]


class Digest(Protocol):
    """A running hash, as :func:`hashlib.sha256` makes."""

    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> Digest: ...


def file_key(path: Path) -> FileKey:
    """A file's identity on disk: the same key means the same bytes, without reading them."""
    stat = os.stat(path)
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


class UploadedHashes:
    """The hashes of files this client uploaded, by their identity on disk (thread-safe)."""

    def __init__(self) -> None:
        self._known: dict[FileKey, str] = {}
        self._lock = threading.Lock()

    def get(self, key: FileKey) -> str | None:
        with self._lock:
            return self._known.get(key)

    def remember(self, key: FileKey, sha256: str) -> None:
        with self._lock:
            self._known[key] = sha256


class ChunkReader:
    """One chunk of an open file as a request body: hashed and counted as it is sent.

    ``requests`` sends a body with a length as Content-Length and reads it
    in small pieces; this hands back at least :data:`READ_BYTES` per read.
    Each piece is hashed on ``hasher`` (one thread, so in order) while the
    caller sends it: hashing releases the GIL, so the file costs
    max(hash, send) rather than their sum. At most one piece waits to be hashed.
    """

    def __init__(
        self, handle: BinaryIO, length: int, hasher: Executor, progress: Progress | None
    ) -> None:
        self.handle, self.left, self.hasher, self.progress = handle, length, hasher, progress
        self.length = length
        self.digest = hashlib.sha256()
        self.hashing: Future[None] | None = None
        self.sent = 0

    def __len__(self) -> int:
        return self.length

    def read(self, n: int = -1) -> bytes:
        want = READ_BYTES if n is None or n < 0 else max(n, READ_BYTES)
        data = self.handle.read(min(want, self.left))
        self.left -= len(data)
        if self.hashing is not None:
            self.hashing.result()
        self.hashing = self.hasher.submit(self.digest.update, data)
        self.sent += len(data)
        if data and self.progress is not None:
            self.progress(len(data))
        return data

    def sha256(self) -> str:
        """The hash of what was read, once the last piece is hashed."""
        if self.hashing is not None:
            self.hashing.result()
        return self.digest.hexdigest()

    def take_back(self) -> None:
        """The chunk did not arrive: un-count its bytes from the progress bar."""
        if self.hashing is not None:
            self.hashing.result()  # the hasher must be done with this chunk's pieces
        if self.sent and self.progress is not None:
            self.progress(-self.sent)
        self.sent = 0


def hash_range(handle: BinaryIO, offset: int, length: int, digest: Digest) -> None:
    """Hash ``length`` bytes at ``offset``: a chunk the server got before a drop."""
    handle.seek(offset)
    while length > 0 and (data := handle.read(min(READ_BYTES, length))):
        digest.update(data)
        length -= len(data)


def check_chunk(info: ChunkInfo, sha256: str, size: int) -> None:
    if (info.sha256, info.size) != (sha256, size):
        raise IntegrityError(
            f"chunk {info.index} arrived as {info.size} bytes hashing to {info.sha256}; "
            f"{size} bytes hashing to {sha256} were sent"
        )


def read_bundle(
    request: CreateCheckpoint, sources: Sequence[tuple[str, Path]]
) -> tuple[CreateCheckpoint, dict[str, bytes]]:
    """Each file's bytes (read once) and the checkpoint request naming their hashes."""
    contents = {path: Path(source).read_bytes() for path, source in sources}
    files = [
        CheckpointFile(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        for path, data in contents.items()
    ]
    # Parsed again, not copied: the file list is checked as a whole by its schema.
    return parse(CreateCheckpoint, {**request.model_dump(), "files": files}), contents


def encode_bundle(
    request: CreateCheckpoint, version: BundleVersion | None, contents: dict[str, bytes]
) -> tuple[str, bytes]:
    """The ``multipart/form-data`` body of ``POST bundles`` and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = [_part('name="checkpoint"', request.model_dump_json(exclude_unset=True).encode())]
    if version is not None:
        parts.append(_part('name="version"', version.model_dump_json(exclude_unset=True).encode()))
    for path, data in contents.items():
        # RFC 7578's percent-encoded form keeps any path byte-exact.
        parts.append(_part(f"name=\"file\"; filename*=UTF-8''{quote(path, safe='')}", data))
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part for part in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return f"multipart/form-data; boundary={boundary}", body


def _part(disposition: str, data: bytes) -> bytes:
    return f"Content-Disposition: form-data; {disposition}\r\n\r\n".encode() + data + b"\r\n"
