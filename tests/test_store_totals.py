"""Totals above ``EXACT_UP_TO``: PostgreSQL's estimate, flagged; SQLite's exact count.

The rows are inserted straight into the tables (the API would take minutes
for this many), so these run embedded on both databases, not remote.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import Backend
from sqlalchemy import insert, text
from test_page_totals import page

from jupyter_registry import Registry
from jupyter_registry.store.orm import ModelRow, VersionRow
from jupyter_registry.store.totals import EXACT_UP_TO


def _bulk_models(registry: Registry, count: int) -> None:
    """Insert ``count`` models straight into the tables: the API would take minutes."""
    engine = registry.client.service.store.engine
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = [
        {
            "name": f"bulk-{i:06d}",
            "description": f"bulk {i}",
            "metadata_": {},
            "notes": "",
            "archived": False,
            "creation_time": now + timedelta(seconds=i),
            "last_updated_time": now + timedelta(seconds=i),
            "last_version": 0,
        }
        for i in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(ModelRow), rows)
        if engine.dialect.name == "postgresql":  # what autovacuum soon does after a bulk insert
            connection.execute(text("ANALYZE models"))


def test_a_total_above_the_bound_is_an_estimate_on_postgresql(backend: Backend) -> None:
    """Past ``EXACT_UP_TO`` matches PostgreSQL estimates and says so; SQLite stays exact."""
    registry = backend.registry()
    count = EXACT_UP_TO + 50
    _bulk_models(registry, count)
    first = page(registry, limit=10)
    if backend.name == "postgresql":
        assert first.total_is_estimate
        assert first.total > EXACT_UP_TO
    else:
        assert (first.total, first.total_is_estimate) == (count, False)
    assert [m.name for m in first.models] == [f"bulk-{i:06d}" for i in range(10)]
    # a filter matching them all is estimated the same way (its parameters reach EXPLAIN)
    filtered = page(registry, description="bulk", archived=False, limit=10)
    assert filtered.total_is_estimate == (backend.name == "postgresql")
    assert filtered.total > EXACT_UP_TO
    # a filter matching few, and the last (short) page, stay exact everywhere
    few = page(registry, name="bulk-00001", limit=5)
    assert (few.total, few.total_is_estimate) == (10, False)
    last = page(registry, offset=count - 3, limit=10)
    assert (last.total, last.total_is_estimate) == (count, False)
    # the SDK pages on to the end whatever the estimate says
    assert len(registry.get_models()) == count


def test_a_model_with_many_versions_gets_an_estimated_total_on_postgresql(
    backend: Backend, model_folder: Path
) -> None:
    registry = backend.registry()
    model = registry.create_model("many")
    model.register_version(registry.create_checkpoint(model_folder))
    engine = registry.client.service.store.engine
    count = EXACT_UP_TO + 50
    with engine.begin() as connection:
        model_id, checkpoint_id = connection.execute(
            text("SELECT model_id, checkpoint_id FROM model_versions")
        ).one()
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        connection.execute(
            insert(VersionRow),
            [
                {
                    "model_id": model_id,
                    "version": v,
                    "checkpoint_id": checkpoint_id,
                    "metadata_": {},
                    "notes": "",
                    "creation_time": now,
                }
                for v in range(2, count + 1)
            ],
        )
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE model_versions"))
    newest = registry.client.list_versions("many", 0, 3)
    assert [v.version for v in newest.versions] == [count, count - 1, count - 2]
    if backend.name == "postgresql":
        assert newest.total_is_estimate and newest.total > EXACT_UP_TO
    else:
        assert (newest.total, newest.total_is_estimate) == (count, False)
    oldest = registry.client.list_versions("many", count - 2, 10)
    assert [v.version for v in oldest.versions] == [2, 1]
    assert (oldest.total, oldest.total_is_estimate) == (count, False)


def test_the_widgets_pager_says_about_for_an_estimate() -> None:
    from jupyter_registry.widgets.html import page_summary

    assert page_summary(0, 100, 10_050, 100, "models") == ("1-100 of 10,050 models · page 1 of 101")
    assert page_summary(0, 100, 10_050, 100, "models", estimate=True) == (
        "1-100 of about 10,050 models · page 1 of about 101"
    )
