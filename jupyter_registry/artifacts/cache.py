"""The local cache of downloaded checkpoints, checked on every use.

An entry is ``<cache>/<uuid>/`` holding ``files/`` (the checkpoint's files)
and ``manifest.json`` (the checkpoint as the registry described it, each
file's sha256 and size, and its size, mtime_ns, inode and ctime_ns right
after the verified download). Both are published together by one rename, so an entry is either
whole or absent. On each use every file is stat'ed and compared with the
manifest: a file whose stat changed is re-hashed, and one that no longer
matches its sha256, a missing or an extra file, or a manifest that disagrees
with the registry discards the entry, which is then downloaded again. An
untouched entry therefore costs one ``stat`` per file; ``verify=True``
re-hashes every file regardless. The ctime is in the stat because no one can
set it: a file rewritten and given back its old mtime still shows a new one.

The recorded description lets an offline registry (``JUPYTER_REGISTRY_OFFLINE``)
load a cached checkpoint by uuid without asking anyone: see :func:`cached_description`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..schemas import DescribeCheckpoint

MANIFEST = "manifest.json"
FILES = "files"

Download = Callable[[Path], object]


def _stat(path: Path) -> list[int]:
    info = path.lstat()
    return [info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns]


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _manifest(checkpoint: DescribeCheckpoint, files: Path) -> dict[str, Any]:
    return {
        "uuid": checkpoint.uuid,
        "checkpoint": checkpoint.model_dump(mode="json"),
        "files": {
            f.path: {"sha256": f.sha256, "size": f.size, "stat": _stat(files / f.path)}
            for f in checkpoint.files
        },
    }


def _on_disk(files: Path) -> tuple[set[str], set[str]]:
    """Every regular file and folder under ``files``; anything else makes the entry unsound."""
    found_files, found_dirs = set(), set()
    for current, dirs, names in os.walk(files):
        rel = Path(current).relative_to(files)
        for name in dirs:
            if Path(current, name).is_symlink():
                raise ValueError(f"{name} became a link")
            found_dirs.add((rel / name).as_posix())
        for name in names:
            if not Path(current, name).is_file() or Path(current, name).is_symlink():
                raise ValueError(f"{name} is not a plain file")
            found_files.add((rel / name).as_posix())
    return found_files, found_dirs


def _is_sound(entry: Path, checkpoint: DescribeCheckpoint, verify: bool) -> bool:
    """Whether the entry still holds exactly the checkpoint's files (refreshing changed stats)."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        recorded = manifest["files"]
        expected = {f.path: (f.sha256, f.size) for f in checkpoint.files}
        if {p: (r["sha256"], r["size"]) for p, r in recorded.items()} != expected:
            return False
        files = entry / FILES
        found_files, found_dirs = _on_disk(files)
        wanted_dirs = {p.removesuffix("/") for p in checkpoint.resources if p.endswith("/")}
        for path in expected:
            parts = path.split("/")
            wanted_dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
        if found_files != set(expected) or found_dirs != wanted_dirs:
            return False
        changed = False
        for path, (sha256, size) in expected.items():
            stat = _stat(files / path)
            if verify or stat != recorded[path]["stat"]:
                if stat[0] != size or _sha256(files / path) != sha256:
                    return False
                recorded[path]["stat"] = _stat(files / path)
                changed = True
        if changed or "checkpoint" not in manifest:  # entries older than the description too
            manifest["checkpoint"] = checkpoint.model_dump(mode="json")
            _write_json(entry / MANIFEST, manifest)
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _write_json(path: Path, value: dict[str, Any]) -> None:
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    partial.write_text(json.dumps(value))
    os.replace(partial, path)


def _discard(entry: Path) -> None:
    """Move a bad entry out of the way in one step, then delete it."""
    trash = entry.with_name(f".{entry.name}.{uuid.uuid4().hex}.discarded")
    with contextlib.suppress(FileNotFoundError):
        os.rename(entry, trash)
    shutil.rmtree(trash, ignore_errors=True)


def cached_description(cache: Path, checkpoint_uuid: str) -> DescribeCheckpoint | None:
    """The checkpoint as recorded in its cache entry, or None if none is cached.

    Only the description: whether the entry's files are still sound is
    :func:`cached_checkpoint`'s question, asked when they are used.
    """
    try:
        entry = cache / str(uuid.UUID(checkpoint_uuid))  # a uuid, never a path
        manifest = json.loads((entry / MANIFEST).read_text())
        return DescribeCheckpoint.model_validate(manifest["checkpoint"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def cached_checkpoint(
    cache: Path, checkpoint: DescribeCheckpoint, download: Download, verify: bool = False
) -> Path:
    """The files of a sound cache entry for ``checkpoint``, fetched with ``download`` if needed."""
    entry = cache / checkpoint.uuid
    if entry.exists():
        if _is_sound(entry, checkpoint, verify):
            return entry / FILES
        _discard(entry)
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{checkpoint.uuid}.", dir=cache))
    try:
        download(staging / FILES)
        _write_json(staging / MANIFEST, _manifest(checkpoint, staging / FILES))
        try:
            os.rename(staging, entry)
        except OSError:
            # Another process published the same checkpoint first: keep its entry if sound.
            if not _is_sound(entry, checkpoint, verify=False):
                _discard(entry)
                os.rename(staging, entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entry / FILES
