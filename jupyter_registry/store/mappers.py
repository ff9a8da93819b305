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
    DescribeCheckpoint,
    DescribeModel,
    DescribeVersion,
    readable_json,
)
from . import statements as sql


def describe_models(db: Connection, rows: Sequence[Any]) -> list[DescribeModel]:
    """Rows of :data:`statements.MODELS`, with their labels, aliases and maintainers."""
    labels: dict[int, list[str]] = {row.id: [] for row in rows}
    aliases: dict[int, dict[str, int]] = {row.id: {} for row in rows}
    maintainers: dict[int, list[str]] = {row.id: [] for row in rows}
    if labels:
        for model_id, label in db.execute(sql.LABELS_OF, {"ids": list(labels)}):
            labels[model_id].append(label)
        for model_id, alias, number in db.execute(sql.ALIASES_OF_MODELS, {"ids": list(labels)}):
            aliases[model_id][alias] = number
        for model_id, user in db.execute(sql.MAINTAINERS_OF, {"ids": list(labels)}):
            maintainers[model_id].append(user)
    return [
        DescribeModel(
            name=row.name,
            description=row.description,
            metadata=readable_json(row.meta, "metadata"),
            labels=labels[row.id],
            aliases=aliases[row.id],
            notes=row.notes,
            archived=row.archived,
            creation_time=row.creation_time,
            last_updated_time=row.last_updated_time,
            num_versions=row.num_versions,
            latest_version=row.latest_version,
            created_by=row.created_by,
            updated_by=row.updated_by,
            maintainers=maintainers[row.id],
        )
        for row in rows
    ]


def describe_checkpoints(db: Connection, rows: Sequence[Any]) -> list[DescribeCheckpoint]:
    """Rows carrying :data:`statements.CHECKPOINTS` columns, with their files."""
    files: dict[int, list[Any]] = {row.checkpoint_id: [] for row in rows}
    if files:
        for entry in db.execute(sql.FILES_OF, {"ids": list(files)}):
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
    """Rows of :data:`statements.VERSIONS`, with their aliases and checkpoints.

    ``model_name`` names the one model of the rows; ``None`` when they are of
    several models and each row carries its own ``model_name`` column.
    """
    aliases: dict[int, list[str]] = {row.id: [] for row in rows}
    if aliases:
        for version_id, alias in db.execute(sql.ALIASES_OF_VERSIONS, {"ids": list(aliases)}):
            aliases[version_id].append(alias)
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
