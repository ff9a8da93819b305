"""Write a checkpoint's files to a local folder from verified blob streams.

Each file is written under a temporary name and renamed into place only when
its bytes have been verified and are on disk (fsynced), so an interrupted or
corrupted download, or a crash right after one, never leaves a
plausible-looking file behind. Large files bypass the page cache where the
filesystem allows (:class:`~jupyter_registry.artifacts.localfiles.NewFile`),
which on this project's VMs is also the faster way to write them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from ..schemas import DescribeCheckpoint
from .localfiles import NewFile

BlobReader = Callable[[str], tuple[int, Iterator[bytes]]]
Progress = Callable[[int], object]


def write_checkpoint(
    checkpoint: DescribeCheckpoint,
    dest: Path,
    read_blob: BlobReader,
    progress: Progress | None = None,
) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for path in checkpoint.resources:
        if path.endswith("/"):
            (dest / path).mkdir(parents=True, exist_ok=True)
    for entry in checkpoint.files:
        target = dest / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            _, chunks = read_blob(entry.sha256)
            out = NewFile(str(partial))
            try:
                for chunk in chunks:
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
                out.finish()
            finally:
                out.close()
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return dest
