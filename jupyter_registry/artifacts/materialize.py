"""Write a checkpoint's files to a local folder from verified blob streams.

The files are first written into a private staging folder beside the
destination, each fsynced once its bytes have been verified; only when every
file is complete does the staging folder become the destination (one rename)
or, for a folder the user already has, its files move into it. A failed
download (a corrupted blob, a dropped connection, a full disk, Ctrl-C) thus
removes everything it wrote, parent folders it created included, and never
touches what was in the destination before.

The file list is checked before anything is written, against the same rule
that guards new checkpoints (:func:`~jupyter_registry.schemas.check_file_layout`),
so a checkpoint stored under older, looser rules fails with a
:class:`~jupyter_registry.errors.ValidationError` instead of writing outside
the folder or half of itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import ValidationError
from ..schemas import DescribeCheckpoint, check_file_layout
from .localfiles import new_file

BlobReader = Callable[[str], tuple[int, Iterator[bytes]]]
Progress = Callable[[int], object]


def checked_layout(checkpoint: DescribeCheckpoint) -> list[str]:
    """The checkpoint's directories, once its whole file list is known to be writable."""
    directories = [path for path in checkpoint.resources if path.endswith("/")]
    try:
        check_file_layout((f.path for f in checkpoint.files), directories)
    except ValueError as exc:
        raise ValidationError(
            f"checkpoint {checkpoint.uuid} cannot be written to a folder: {exc}"
        ) from None
    return directories


def _make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    created = []
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        created.append(path)
    return created


def _write_file(target: Path, chunks: Iterator[bytes], progress: Progress | None) -> None:
    with new_file(str(target)) as write:
        for chunk in chunks:
            write(chunk)
            if progress is not None:
                progress(len(chunk))


def _check_merge(staging: Path, dest: Path) -> list[tuple[Path, Path]]:
    """Moves that put the staged files into the existing ``dest``, checked before any is made."""
    moves = []
    for current, dirs, files in os.walk(staging):
        rel = Path(current).relative_to(staging)
        for name in dirs:
            there = dest / rel / name
            if there.is_symlink() or (there.exists() and not there.is_dir()):
                raise ValidationError(f"{there} is in the way of the checkpoint's folder {name!r}")
        for name in files:
            there = dest / rel / name
            if there.is_symlink() or there.is_dir():
                raise ValidationError(f"{there} is in the way of the checkpoint's file {name!r}")
            moves.append((Path(current, name), there))
    return moves


def _publish(staging: Path, dest: Path) -> None:
    if not dest.exists() and not dest.is_symlink():
        os.rename(staging, dest)
        return
    moves = _check_merge(staging, dest)
    for source, target in moves:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
    for current, dirs, _ in os.walk(staging):
        for name in dirs:
            (dest / Path(current, name).relative_to(staging)).mkdir(exist_ok=True)


def write_checkpoint(
    checkpoint: DescribeCheckpoint,
    dest: Path,
    read_blob: BlobReader,
    progress: Progress | None = None,
) -> Path:
    """Download the checkpoint's files into ``dest``: all of them, or nothing."""
    directories = checked_layout(checkpoint)
    if dest.exists() and not dest.is_dir():
        raise ValidationError(f"cannot download into {dest}: it is not a folder")
    created = _make_folder(dest.parent)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name[:64]}.", dir=dest.parent))
        try:
            for path in directories:
                (staging / path).mkdir(parents=True, exist_ok=True)
            for entry in checkpoint.files:
                target = staging / entry.path
                target.parent.mkdir(parents=True, exist_ok=True)
                _, chunks = read_blob(entry.sha256)
                _write_file(target, chunks, progress)
            _publish(staging, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        for folder in reversed(created):  # innermost first; each is empty again by now
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return dest
