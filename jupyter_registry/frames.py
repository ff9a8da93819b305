"""Pure DataFrame builders shared by the SDK (``to_pandas``) and the widgets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .schemas import (
    DescribeAction,
    DescribeCheckpoint,
    DescribeComparison,
    DescribeModel,
    DescribeVersion,
)

MODEL_COLUMNS = [
    "name",
    "description",
    "labels",
    "versions",
    "latest_version",
    "archived",
    "creation_time",
    "created_by",
    "last_updated_time",
]
VERSION_COLUMNS = [
    "version",
    "name",
    "aliases",
    "comment",
    "creation_time",
    "created_by",
    "checkpoint",
    "framework",
    "format",
]
CHECKPOINT_COLUMNS = [
    "uuid",
    "run",
    "framework",
    "format",
    "entrypoint",
    "creation_time",
    "created_by",
]
ACTION_COLUMNS = ["time", "user", "action", "version", "alias", "details"]


def _scalar_items(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{prefix}.{key}": value
        for key, value in values.items()
        if isinstance(value, (int, float, str, bool)) or value is None
    }


def models_frame(models: Sequence[DescribeModel]) -> pd.DataFrame:
    rows = [
        {
            "name": m.name,
            "description": m.description,
            "labels": list(m.labels),
            "versions": m.num_versions,
            "latest_version": m.latest_version,
            "archived": m.archived,
            "creation_time": m.creation_time,
            "created_by": m.created_by,
            "last_updated_time": m.last_updated_time,
        }
        for m in models
    ]
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def versions_frame(versions: Sequence[DescribeVersion]) -> pd.DataFrame:
    """One row a version; scalar checkpoint metrics appear as ``metrics.<name>`` columns."""
    rows = [
        {
            "version": v.version,
            "name": v.name,
            "aliases": list(v.aliases),
            "comment": v.comment,
            "creation_time": v.creation_time,
            "created_by": v.created_by,
            "checkpoint": v.checkpoint.uuid,
            "framework": v.checkpoint.framework,
            "format": v.checkpoint.format,
            **_scalar_items("metrics", v.checkpoint.metrics),
        }
        for v in versions
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=VERSION_COLUMNS)
    return frame


def checkpoints_frame(checkpoints: Sequence[DescribeCheckpoint]) -> pd.DataFrame:
    rows = [
        {
            "uuid": c.uuid,
            "run": c.run,
            "framework": c.framework,
            "format": c.format,
            "entrypoint": c.entrypoint,
            "creation_time": c.creation_time,
            "created_by": c.created_by,
            **_scalar_items("metrics", c.metrics),
        }
        for c in checkpoints
    ]
    frame = pd.DataFrame(rows)
    return pd.DataFrame(columns=CHECKPOINT_COLUMNS) if frame.empty else frame


def actions_frame(actions: Sequence[DescribeAction]) -> pd.DataFrame:
    """A model's action history, oldest first: when, who, what."""
    rows = [
        {
            "time": a.time,
            "user": a.user,
            "action": a.action,
            "version": a.version,
            "alias": a.alias,
            "details": dict(a.details),
        }
        for a in actions
    ]
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


def comparison_frame(comparison: DescribeComparison) -> pd.DataFrame:
    """One column a version (``v1``, ``v3``…), one row a compared field, indexed by its key.

    Cells keep their JSON values (lists, objects, ``None`` where a version has
    no such field); built column by column so a list in a cell stays one value.
    """
    keys = pd.Index([row.key for row in comparison.rows], name="field", dtype=object)
    rows = comparison.rows
    columns = {
        f"v{number}": pd.Series([row.values[i] for row in rows], index=keys, dtype=object)
        for i, number in enumerate(comparison.versions)
    }
    return pd.DataFrame(columns, index=keys)
