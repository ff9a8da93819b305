"""Does latency stay flat as the registry grows?

Run: ``python -m benchmarks scale`` (SQLite and a throwaway PostgreSQL at
1,000 to 50,000 models), or ``python -m benchmarks scale --pg`` (PostgreSQL
only, 200,000 models with 5 versions each: 1,000,000 versions). The registry
is filled in bulk straight into the schema (``COPY`` on PostgreSQL, multi-row
``INSERT`` on SQLite; setup speed is not what is measured), then the SDK's
hot reads are timed at each size: the first page of models in every sort the
API offers, a version by alias, the latest version and a model's newest
versions page.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, insert, text

from jupyter_registry import ModelSortBy, OrderBy, Registry
from jupyter_registry.schemas import ListModelsQuery
from jupyter_registry.store.orm import AliasRow, CheckpointRow, LabelRow, ModelRow, VersionRow

from .timing import HEADER, Phase, measure

ROOT = Path(__file__).resolve().parents[1]
BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
BATCH = 20_000

MODEL_COLUMNS = (
    "id",
    "name",
    "description",
    "metadata",
    "notes",
    "archived",
    "creation_time",
    "last_updated_time",
    "last_version",
)
VERSION_COLUMNS = ("id", "model_id", "version", "checkpoint_id", "metadata", "notes")
VERSION_COLUMNS += ("creation_time",)


def model_rows(start: int, stop: int, versions_each: int) -> Iterator[tuple[Any, ...]]:
    """Models ``start..stop``: every tenth without a description, updated in a shuffled order."""
    for i in range(start, stop):
        yield (
            i + 1,
            f"model-{i:06d}",
            None if i % 10 == 0 else f"model number {i}",
            {"i": i},
            "",
            False,
            BASE + timedelta(seconds=i),
            BASE + timedelta(seconds=(i * 7919) % 1_000_003),
            versions_each,
        )


def version_rows(
    start: int, stop: int, versions_each: int, checkpoint_id: int
) -> Iterator[tuple[Any, ...]]:
    for i in range(start, stop):
        for v in range(1, versions_each + 1):
            created = BASE + timedelta(seconds=i, milliseconds=v)
            yield (i * versions_each + v, i + 1, v, checkpoint_id, {}, "", created)


def alias_rows(start: int, stop: int, versions_each: int) -> Iterator[tuple[int, str, int]]:
    """A ``production`` alias on each model's first version."""
    for i in range(start, stop):
        yield (i + 1, "production", i * versions_each + 1)


def label_rows(start: int, stop: int) -> Iterator[tuple[int, str, int]]:
    for i in range(start, stop):
        yield (i + 1, "bench", 0)


def _copy(engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[Any]) -> None:
    """PostgreSQL's ``COPY … FROM STDIN``: the fastest way in, a million rows in seconds."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
        raw.commit()
    finally:
        raw.close()


def _insert(engine: Engine, table: Table, columns: tuple[str, ...], rows: Iterator[Any]) -> None:
    """Multi-row ``INSERT`` in batches (SQLite has no ``COPY``)."""
    keys = [table.c[name].key for name in columns]
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(dict(zip(keys, row, strict=True)))
            if len(batch) >= BATCH:
                connection.execute(insert(table), batch)
                batch = []
        if batch:
            connection.execute(insert(table), batch)


def grow(engine: Engine, start: int, stop: int, versions_each: int, checkpoint_id: int) -> None:
    """Models ``start..stop`` with their versions, a label and a production alias, in bulk."""
    tables: list[tuple[Table, tuple[str, ...], Iterator[Any]]] = [
        (ModelRow.__table__, MODEL_COLUMNS, model_rows(start, stop, versions_each)),
        (LabelRow.__table__, ("model_id", "label", "position"), label_rows(start, stop)),
        (
            VersionRow.__table__,
            VERSION_COLUMNS,
            version_rows(start, stop, versions_each, checkpoint_id),
        ),
        (
            AliasRow.__table__,
            ("model_id", "alias", "version_id"),
            alias_rows(start, stop, versions_each),
        ),
    ]
    for table, columns, rows in tables:
        if engine.dialect.name == "postgresql":
            _copy(engine, table.name, columns, rows)
        else:
            _insert(engine, table, columns, rows)
    if engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
        with engine.begin() as connection:
            for table in ("models", "model_versions"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                connection.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))


def refresh_statistics(engine: Engine) -> None:
    """What autovacuum does on a live PostgreSQL soon after a bulk insert of this size.

    Without planner statistics the fresh tables look empty, and PostgreSQL
    scans where a live database would use its indexes (the trigram index of
    name search among them). SQLite plans without statistics.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def phases(registry: Registry, size: int, ops: int) -> list[Phase]:
    """The hot reads at one size; each prints its p50, and the first page its total."""
    hot = registry.get_model(f"model-{size // 2:06d}")
    timed = []
    for sort_by in ModelSortBy:
        for order_by in OrderBy:
            timed.append(
                measure(
                    f"first page, {sort_by.value} {order_by.value}",
                    range(ops),
                    lambda _, s=sort_by, o=order_by: registry.get_models(
                        sort_by=s, order_by=o, limit=100
                    ),
                )
            )
    timed += [
        measure(
            "page 100 rows deep in the middle",
            range(ops),
            lambda _, middle=size // 2: registry.get_models(limit=100, offset=middle),
        ),
        measure(
            "name search (substring)",
            range(ops),
            lambda _: registry.get_models(name="model-0001", limit=100),
        ),
        measure("get latest version", range(ops), lambda _, model=hot: model.get_version()),
        measure(
            "get version by alias",
            range(ops),
            lambda _, model=hot: model.get_version("production"),
        ),
        measure(
            "newest versions page",
            range(ops),
            lambda _, model=hot: model.get_versions(limit=100),
        ),
    ]
    return timed


def run(label: str, database: str, sizes: list[int], versions_each: int, ops: int) -> None:
    with tempfile.TemporaryDirectory(prefix="jr-scale-") as tmp:
        registry = Registry(database=database, artifacts=str(Path(tmp, "artifacts")))
        folder = Path(tmp, "ckpt")
        folder.mkdir()
        (folder / "w.bin").write_bytes(os.urandom(1024))
        checkpoint = registry.create_checkpoint(folder)
        engine: Engine = registry.client.service.store.engine
        with engine.connect() as connection:
            checkpoint_id = connection.scalar(
                text(f"SELECT id FROM {CheckpointRow.__tablename__} WHERE uuid = :uuid"),
                {"uuid": checkpoint.uuid},
            )
        print(f"\n{label}: {versions_each} versions per model")
        # the fastest run beside the percentiles: on a shared machine it shows
        # what a read costs when it gets the CPU
        print(f"{'models':>8} " + HEADER + f" {'min ms':>8}")
        grown = 0
        for size in sizes:
            t0 = time.perf_counter()
            grow(engine, grown, size, versions_each, checkpoint_id)
            grown = size
            fill = time.perf_counter() - t0
            refresh_statistics(engine)
            for phase in phases(registry, size, ops):
                print(f"{size:>8} " + phase.row() + f" {min(phase.latencies_ms):>8.2f}")
            page = registry.client.list_models(ListModelsQuery())
            estimate = " (an estimate)" if page.total_is_estimate else ""
            print(f"{'':>8} first page's total: {page.total:,}{estimate}")
            print(f"{'':>8} (filled to {size} models in {fill:.1f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scale")
    parser.add_argument("--sizes", help="model counts to measure at (default 1000,10000,50000)")
    parser.add_argument("--versions-each", type=int, help="default 4; 5 with --pg")
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--pg", action="store_true", help="PostgreSQL only, 200,000 models and 1,000,000 versions"
    )
    args = parser.parse_args(argv)
    default_sizes = "10000,200000" if args.pg else "1000,10000,50000"
    sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    versions_each = args.versions_each or (5 if args.pg else 4)
    if not args.pg:
        with tempfile.TemporaryDirectory(prefix="jr-scale-db-") as tmp:
            run("SQLite", f"sqlite:///{tmp}/registry.db", sizes, versions_each, args.ops)
    if args.pg or not args.skip_postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        from servers import start_postgres

        server = start_postgres()
        try:
            run("PostgreSQL", server.create_database("scale"), sizes, versions_each, args.ops)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
