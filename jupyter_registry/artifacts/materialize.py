"""Write a checkpoint's files to a local folder from verified blob streams.

Each file is written under a temporary name and renamed into place only when
its bytes have been verified, so an interrupted or corrupted download never
leaves a plausible-looking file behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from ..schemas import DescribeCheckpoint

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
            with open(partial, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return dest
