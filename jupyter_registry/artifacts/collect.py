"""Turn a file or folder into the entries of a checkpoint's ``resources``.

Folders honour a ``.registryignore`` at their top (gitignore syntax, like
Determined's ``.detignore``); byte-compiled Python is always left out.

Symbolic links are followed only inside the folder: a link to a file or
folder within it is stored as a copy of its target's content, while a link
that leads out of the folder (``weights -> /etc/passwd``), dangles, or loops
back into one of its own parent folders is refused with a
:class:`~jupyter_registry.errors.ValidationError` naming the link, so a
checkpoint never silently carries files from elsewhere on the machine.
Every path is checked against the rules of a checkpoint's file list before
anything is uploaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotFoundError, ValidationError
from ..schemas import check_file_layout

if TYPE_CHECKING:
    import pathspec

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
    """The ignore rules of the folder; pathspec is imported here, only a checkpoint needs it."""
    import pathspec

    lines = list(ALWAYS_IGNORED)
    ignore_file = root / IGNORE_FILE
    if ignore_file.is_file():
        lines += ignore_file.read_text().splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _link_target(root: Path, rel: str, link: Path) -> Path:
    """Where the link ``rel`` leads, if that is an existing place inside ``root``."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a chain of links that loops
        raise ValidationError(
            f"symbolic link {rel!r} leads nowhere (missing target or a loop of links); "
            f"remove it or list it in {IGNORE_FILE}"
        ) from None
    if not target.is_relative_to(root):
        raise ValidationError(
            f"symbolic link {rel!r} points outside the checkpoint folder (to {target}); "
            f"copy the file in, or list the link in {IGNORE_FILE}"
        )
    return target


def _walk(
    folder: Path,
    prefix: str,
    root: Path,
    spec: pathspec.PathSpec,
    parents: tuple[Path, ...],
    entries: list[Entry],
) -> None:
    """Add the entries under ``folder`` (a real path), named from ``prefix``."""
    for item in os.scandir(folder):
        rel = f"{prefix}{item.name}"
        is_dir = item.is_dir()
        if spec.match_file(f"{rel}/" if is_dir else rel):
            continue
        source = Path(item.path)
        if item.is_symlink():
            source = _link_target(root, rel, source)
        if is_dir:
            if source in parents:
                raise ValidationError(
                    f"symbolic link {rel!r} points back to one of its own parent folders"
                )
            entries.append(Entry(f"{rel}/", None, 0))
            _walk(source, f"{rel}/", root, spec, (*parents, source), entries)
        elif source.is_file():
            entries.append(Entry(rel, source, source.stat().st_size))


def collect(path: str | os.PathLike[str]) -> list[Entry]:
    """The entries of a checkpoint made from ``path``, sorted by path."""
    root = Path(path).expanduser()
    if not root.exists():
        raise NotFoundError(f"no such file or folder: {root}")
    if root.is_file():
        entries = [Entry(root.name, root.resolve(), root.stat().st_size)]
    elif root.is_dir():
        real = root.resolve()
        entries = []
        _walk(real, "", real, _spec(root), (real,), entries)
    else:
        raise ValidationError(f"{root} is neither a file nor a folder")
    try:
        check_file_layout(
            (e.path for e in entries if not e.is_dir), (e.path for e in entries if e.is_dir)
        )
    except ValueError as exc:
        raise ValidationError(f"{root}: {exc}") from None
    return sorted(entries, key=lambda e: e.path)
