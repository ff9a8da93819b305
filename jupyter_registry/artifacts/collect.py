"""Turn a file or folder into the entries of a checkpoint's ``resources``.

Folders honour a ``.registryignore`` at their top (gitignore syntax, like
Determined's ``.detignore``); byte-compiled Python is always left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ..errors import NotFoundError, ValidationError

IGNORE_FILE = ".registryignore"
ALWAYS_IGNORED = ("*.pyc", "__pycache__/")


@dataclass(frozen=True)
class Entry:
    """A relative POSIX path: a directory (``path`` ends with ``/``) or a file on disk."""

    path: str
    source: Path | None
    size: int

    @property
    def is_dir(self) -> bool:
        return self.source is None


def _spec(root: Path) -> pathspec.PathSpec:
    lines = list(ALWAYS_IGNORED)
    ignore_file = root / IGNORE_FILE
    if ignore_file.is_file():
        lines += ignore_file.read_text().splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def collect(path: str | os.PathLike[str]) -> list[Entry]:
    """The entries of a checkpoint made from ``path``, sorted by path."""
    root = Path(path).expanduser()
    if not root.exists():
        raise NotFoundError(f"no such file or folder: {root}")
    if root.is_file():
        return [Entry(root.name, root.resolve(), root.stat().st_size)]
    if not root.is_dir():
        raise ValidationError(f"{root} is neither a file nor a folder")
    spec = _spec(root)
    entries: list[Entry] = []
    for current, dirs, files in os.walk(root):
        rel = Path(current).relative_to(root).as_posix()
        prefix = "" if rel == "." else f"{rel}/"
        dirs[:] = sorted(d for d in dirs if not spec.match_file(f"{prefix}{d}/"))
        for d in dirs:
            entries.append(Entry(f"{prefix}{d}/", None, 0))
        for name in sorted(files):
            rel_file = f"{prefix}{name}"
            if spec.match_file(rel_file):
                continue
            full = Path(current, name)
            if full.is_file():
                entries.append(Entry(rel_file, full, full.stat().st_size))
    return sorted(entries, key=lambda e: e.path)
