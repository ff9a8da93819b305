"""The plain artifact store: ordinary reads and writes through fsspec (S3, GCS, memory, …).

It is also the fallback of the local store wherever the kernel's fast paths
are refused, so every store can always do what this one does.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import BinaryIO

from ..schemas import BlobInfo
from .cas import CHUNK, BlobStore, Progress, Write


def _counted(handle: BinaryIO, progress: Progress | None) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        if progress is not None:
            progress(len(chunk))
        yield chunk


class FsspecBlobStore(BlobStore):
    """Blobs on any fsspec filesystem, written and renamed with its own calls."""

    def put_file(self, path: str | os.PathLike[str], progress: Progress | None = None) -> BlobInfo:
        """Store a local file's content read in chunks, reporting each to ``progress``."""
        with open(path, "rb") as handle:
            return self.put(_counted(handle, progress))

    @contextlib.contextmanager
    def _writing(self, tmp: str) -> Iterator[Write]:
        with self.fs.open(tmp, "wb") as out:
            yield out.write

    def _place(self, tmp: str, final: str) -> None:
        self.fs.mv(tmp, final)

    def _refresh(self, final: str) -> None:
        """Nothing: object stores have no settable modification time."""
