"""Versions of one model side by side: the comparison every surface shows.

The service builds it here from the versions' descriptions, so the REST API,
the HTTP client, the CLI, the widget and the panel show the same rows in the
same order and agree on which of them differ. It is pure: no I/O, no pandas
(the SDK makes the DataFrame), only JSON values, so a comparison read through
a server is the one computed in process.

Columns are the versions in the order asked for (the model's newest versions,
oldest first, when none are named); the first column is the baseline that
``files changed`` is measured against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .schemas import CompareRow, DescribeCheckpoint, DescribeComparison, DescribeVersion

#: At most this many paths are named in one ``files changed`` cell; the rest are counted.
MAX_FILES_NAMED = 20
#: Fields a version may carry when typed lineage is recorded (base model, relation).
LINEAGE_FIELDS = ("base", "relation", "relations")


def _normal(value: Any) -> Any:
    """A value reduced to what equality should see: ``1`` and ``1.0`` alike, ``True`` not."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((str(k), _normal(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("array", tuple(_normal(v) for v in value))
    return ("other", repr(value))


def _differ(values: Sequence[Any]) -> bool:
    return len({repr(_normal(v)) for v in values}) > 1


def _row(section: str, name: str, values: list[Any], key: str | None = None) -> CompareRow:
    return CompareRow(
        key=key or (f"{section}.{name}" if section not in ("checkpoint", "version") else name),
        section=section,
        name=name,
        values=values,
        differs=_differ(values),
    )


def _keyed_rows(
    section: str, key_prefix: str, objects: Sequence[dict[str, Any]]
) -> list[CompareRow]:
    """One row per key found in any of ``objects`` (sorted), ``None`` where one lacks it."""
    keys = sorted({key for obj in objects for key in obj})
    return [
        _row(section, key, [obj.get(key) for obj in objects], f"{key_prefix}.{key}") for key in keys
    ]


def _files_changed(base: DescribeCheckpoint, other: DescribeCheckpoint) -> list[str]:
    """Paths whose content (by SHA-256) differs between two checkpoints, with how."""
    before = {f.path: f.sha256 for f in base.files}
    after = {f.path: f.sha256 for f in other.files}
    changes = sorted(
        [f"{path} (added)" for path in after.keys() - before.keys()]
        + [f"{path} (removed)" for path in before.keys() - after.keys()]
        + [f"{p} (changed)" for p in before.keys() & after.keys() if before[p] != after[p]]
    )
    if len(changes) > MAX_FILES_NAMED:
        hidden = len(changes) - MAX_FILES_NAMED
        changes = [*changes[:MAX_FILES_NAMED], f"… and {hidden} more"]
    return changes


def _file_rows(checkpoints: Sequence[DescribeCheckpoint]) -> list[CompareRow]:
    sizes = [sum(f.size for f in c.files) for c in checkpoints]
    counts = [len(c.files) for c in checkpoints]
    changed: list[Any] = [None] + [_files_changed(checkpoints[0], c) for c in checkpoints[1:]]
    return [
        _row("files", "size", sizes, "size"),
        _row("files", "files", counts, "files"),
        CompareRow(
            key="files changed",
            section="files",
            name="files changed",
            values=changed,
            differs=any(changed[1:]),
        ),
    ]


def _source_facts(source: dict[str, Any]) -> dict[str, Any]:
    """The captured lineage worth comparing: where and with what a checkpoint was made."""
    git = source.get("git") if isinstance(source.get("git"), dict) else {}
    facts = {
        "notebook": source.get("notebook"),
        "script": source.get("script"),
        "git commit": git.get("commit"),
        "git dirty": git.get("dirty"),
        "python": source.get("python"),
    }
    packages = source.get("packages")
    if isinstance(packages, dict):
        facts.update({f"packages.{name}": version for name, version in packages.items()})
    return {key: value for key, value in facts.items() if value is not None}


def _lineage_rows(versions: Sequence[DescribeVersion]) -> list[CompareRow]:
    """Typed relations when versions carry them, then the run and captured source."""
    dumped = [v.model_dump(mode="json") for v in versions]
    typed = [
        _row("lineage", field, [d.get(field) for d in dumped])
        for field in LINEAGE_FIELDS
        if field in type(versions[0]).model_fields and any(d.get(field) for d in dumped)
    ]
    runs = [_row("lineage", "run", [v.checkpoint.run for v in versions])]
    facts = [_source_facts(v.checkpoint.source) for v in versions]
    return typed + runs + _keyed_rows("lineage", "lineage", facts)


def _plain_rows(
    section: str, versions: Sequence[DescribeVersion], fields: dict[str, Callable[[Any], Any]]
) -> list[CompareRow]:
    return [_row(section, name, [read(v) for v in versions]) for name, read in fields.items()]


def compare_rows(versions: Sequence[DescribeVersion]) -> list[CompareRow]:
    """Every row, in the order surfaces show them: what a user weighs first comes first."""
    if not versions:
        return []
    checkpoints = [v.checkpoint for v in versions]
    checkpoint_fields: dict[str, Callable[[Any], Any]] = {
        "framework": lambda v: v.checkpoint.framework,
        "format": lambda v: v.checkpoint.format,
        "checkpoint": lambda v: v.checkpoint.uuid,
    }
    version_fields: dict[str, Callable[[Any], Any]] = {
        "aliases": lambda v: sorted(v.aliases),
        "name": lambda v: v.name,
        "comment": lambda v: v.comment,
        "created": lambda v: v.creation_time.isoformat(),
        "created_by": lambda v: v.created_by,
    }
    return [
        *_keyed_rows("metrics", "metrics", [c.metrics for c in checkpoints]),
        *_keyed_rows("hparams", "hparams", [c.hparams for c in checkpoints]),
        *_plain_rows("checkpoint", versions, checkpoint_fields),
        *_file_rows(checkpoints),
        *_plain_rows("version", versions, version_fields),
        *_keyed_rows("metadata", "metadata", [v.metadata for v in versions]),
        *_keyed_rows(
            "checkpoint metadata", "checkpoint.metadata", [c.metadata for c in checkpoints]
        ),
        *_lineage_rows(versions),
    ]


def unique_versions(versions: Iterable[DescribeVersion]) -> list[DescribeVersion]:
    """Each version once, where it was first named (``3`` and an alias of v3 are one column)."""
    seen: dict[int, DescribeVersion] = {}
    for version in versions:
        seen.setdefault(version.version, version)
    return list(seen.values())


def compare_versions(
    model_name: str, versions: Sequence[DescribeVersion], only_differences: bool = False
) -> DescribeComparison:
    """The comparison of ``versions`` (columns in this order); only differing rows if asked."""
    columns = unique_versions(versions)
    rows = compare_rows(columns)
    if only_differences:
        rows = [row for row in rows if row.differs]
    return DescribeComparison(
        model_name=model_name, versions=[v.version for v in columns], rows=rows
    )
