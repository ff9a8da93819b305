"""Rows to responses: rows never leave the store.

Each mapper takes the rows of one page and reads what hangs off them (labels,
aliases, files) with one query for the whole page, never one per row. Stored
JSON passes through :func:`~jupyter_registry.schemas.readable_json`, so a row
written before today's limits cannot make a whole list fail to serialise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from ..schemas import (
    CheckpointFile,
    DescribeAction,
    DescribeBase,
    DescribeCheckpoint,
    DescribeModel,
    DescribeVersion,
    readable_json,
)
from . import statements as sql


def describe_models(db: Connection, rows: Sequence[Any]) -> list[DescribeModel]:
    """Rows of :data:`statements.MODELS`, with their labels, aliases and maintainers."""
    labels: dict[int, list[tuple[int, str]]] = {row.id: [] for row in rows}
    aliases: dict[int, list[tuple[str, int]]] = {row.id: [] for row in rows}
    maintainers: dict[int, list[tuple[Any, str]]] = {row.id: [] for row in rows}
    if labels:
        for kind, model_id, value, number, since in db.execute(
            sql.MODEL_DETAILS[db.dialect.name], {"ids": list(labels)}
        ):
            if kind == "label":
                labels[model_id].append((number, value))
            elif kind == "alias":
                aliases[model_id].append((value, number))
            else:  # in the order they became maintainers, the creator first
                maintainers[model_id].append((since, value))
    return [
        DescribeModel(
            name=row.name,
            description=row.description,
            metadata=readable_json(row.meta, "metadata"),
            labels=[label for _, label in sorted(labels[row.id])],
            aliases=dict(sorted(aliases[row.id])),
            notes=row.notes,
            archived=row.archived,
            creation_time=row.creation_time,
            last_updated_time=row.last_updated_time,
            num_versions=row.num_versions,
            latest_version=row.latest_version,
            created_by=row.created_by,
            updated_by=row.updated_by,
            maintainers=[user for _, user in sorted(maintainers[row.id])],
        )
        for row in rows
    ]


def describe_checkpoints(db: Connection, rows: Sequence[Any]) -> list[DescribeCheckpoint]:
    """Rows carrying :data:`statements.CHECKPOINTS` columns, with their files."""
    files: dict[int, list[Any]] = {row.checkpoint_id: [] for row in rows}
    if files:
        for entry in db.execute(sql.FILES_OF[db.dialect.name], {"ids": list(files)}):
            files[entry.checkpoint_id].append(entry)
    return [
        DescribeCheckpoint(
            uuid=row.checkpoint_uuid,
            resources={f.path: f.size for f in files[row.checkpoint_id]},
            files=[
                CheckpointFile.model_construct(path=f.path, sha256=f.sha256, size=f.size)
                for f in files[row.checkpoint_id]
                if f.sha256 is not None
            ],
            framework=row.framework,
            format=row.format,
            entrypoint=row.entrypoint,
            hparams=readable_json(row.hparams, "hparams"),
            metrics=readable_json(row.metrics, "metrics"),
            metadata=readable_json(row.checkpoint_meta, "metadata"),
            run=row.run,
            source=readable_json(row.source, "source"),
            creation_time=row.checkpoint_time,
            created_by=row.checkpoint_created_by,
        )
        for row in rows
    ]


def describe_versions(
    db: Connection, rows: Sequence[Any], model_name: str | None
) -> list[DescribeVersion]:
    """Rows of :data:`statements.VERSIONS`, with their aliases, bases and checkpoints.

    ``model_name`` names the one model of the rows; ``None`` when they are of
    several models and each row carries its own ``model_name`` column.
    """
    aliases: dict[int, list[str]] = {row.id: [] for row in rows}
    bases: dict[int, list[DescribeBase]] = {row.id: [] for row in rows}
    if aliases:
        for version_id, alias in db.execute(
            sql.ALIASES_OF_VERSIONS[db.dialect.name], {"ids": list(aliases)}
        ):
            aliases[version_id].append(alias)
        for base in db.execute(sql.BASES_OF_VERSIONS, {"ids": list(aliases)}):
            bases[base.version_id].append(
                DescribeBase(
                    model_name=base.base_model,
                    version=base.base_version,
                    relation=base.relation,
                    deleted=bool(base.deleted),
                )
            )
    checkpoints = describe_checkpoints(db, rows)
    return [
        DescribeVersion(
            model_name=row.model_name if model_name is None else model_name,
            version=row.version,
            name=row.name,
            comment=row.comment,
            metadata=readable_json(row.meta, "metadata"),
            notes=row.notes,
            aliases=aliases[row.id],
            creation_time=row.creation_time,
            checkpoint=checkpoint,
            created_by=row.created_by,
            updated_by=row.updated_by,
            bases=bases[row.id],
        )
        for row, checkpoint in zip(rows, checkpoints, strict=True)
    ]


def describe_action(row: Any) -> DescribeAction:
    return DescribeAction(
        model_name=row.model_name,
        action=row.action,
        version=row.version,
        alias=row.alias,
        user=row.user,
        time=row.time,
        details=readable_json(row.details, "details"),
    )
