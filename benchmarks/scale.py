"""Does latency stay flat as the registry grows? (50,000 models, 200,000 versions)

Run: ``python -m benchmarks scale`` (SQLite and a throwaway PostgreSQL).
The registry is filled in bulk through the ORM tables (setup speed is not what
is measured), then the SDK's hot reads are timed at each size.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from jupyter_registry import ModelSortBy, OrderBy, Registry
from jupyter_registry.store.orm import AliasRow, LabelRow, ModelRow, VersionRow

from .timing import HEADER, measure

ROOT = Path(__file__).resolve().parents[1]


def grow(registry: Registry, start: int, stop: int, versions_each: int, checkpoint_id: int) -> None:
    """Insert models ``start..stop`` with their versions and a production alias, in bulk."""
    service = registry.client.service
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    batch = 5000
    for first in range(start, stop, batch):
        last = min(stop, first + batch)
        with Session(service.store.engine) as session, session.begin():
            session.execute(
                insert(ModelRow),
                [
                    {
                        "name": f"model-{i:06d}",
                        "description": f"model number {i}",
                        "metadata_": {"i": i},
                        "notes": "",
                        "archived": False,
                        "creation_time": base + timedelta(seconds=i),
                        "last_updated_time": base + timedelta(seconds=i),
                        "last_version": versions_each,
                    }
                    for i in range(first, last)
                ],
            )
            ids = dict(
                session.query(ModelRow.name, ModelRow.id)
                .filter(ModelRow.name >= f"model-{first:06d}", ModelRow.name < f"model-{last:06d}")
                .all()
            )
            session.execute(
                insert(LabelRow),
                [
                    {"model_id": ids[f"model-{i:06d}"], "label": "bench", "position": 0}
                    for i in range(first, last)
                ],
            )
            session.execute(
                insert(VersionRow),
                [
                    {
                        "model_id": ids[f"model-{i:06d}"],
                        "version": v,
                        "checkpoint_id": checkpoint_id,
                        "metadata_": {},
                        "notes": "",
                        "creation_time": base + timedelta(seconds=i, milliseconds=v),
                    }
                    for i in range(first, last)
                    for v in range(1, versions_each + 1)
                ],
            )
            first_versions = session.query(VersionRow.id, VersionRow.model_id).filter(
                VersionRow.model_id.in_(list(ids.values())), VersionRow.version == 1
            )
            session.execute(
                insert(AliasRow),
                [
                    {"model_id": m, "alias": "production", "version_id": v}
                    for v, m in first_versions
                ],
            )


def refresh_statistics(registry: Registry) -> None:
    """What autovacuum does on a live PostgreSQL soon after a bulk insert of this size.

    Without planner statistics the fresh tables look empty, and PostgreSQL
    scans where a live database would use its indexes (the trigram index of
    name search among them). SQLite plans without statistics.
    """
    engine = registry.client.service.store.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def run(label: str, database: str, sizes: list[int], versions_each: int, ops: int) -> None:
    with tempfile.TemporaryDirectory(prefix="jr-scale-") as tmp:
        registry = Registry(database=database, artifacts=str(Path(tmp, "artifacts")))
        folder = Path(tmp, "ckpt")
        folder.mkdir()
        (folder / "w.bin").write_bytes(os.urandom(1024))
        checkpoint = registry.create_checkpoint(folder)
        service = registry.client.service
        with Session(service.store.engine) as session:
            from jupyter_registry.store.orm import CheckpointRow

            checkpoint_id = session.query(CheckpointRow.id).filter_by(uuid=checkpoint.uuid).scalar()
        print(f"\n{label}: {versions_each} versions per model")
        print(f"{'models':>8} " + HEADER)
        grown = 0
        for size in sizes:
            t0 = time.perf_counter()
            grow(registry, grown, size, versions_each, checkpoint_id)
            grown = size
            fill = time.perf_counter() - t0
            refresh_statistics(registry)
            hot = registry.get_model(f"model-{size // 2:06d}")
            phases = [
                measure("first page by name", range(ops), lambda _: registry.get_models(limit=100)),
                measure(
                    "first page, last updated desc",
                    range(ops),
                    lambda _: registry.get_models(
                        sort_by=ModelSortBy.LAST_UPDATED_TIME, order_by=OrderBy.DESC, limit=100
                    ),
                ),
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
            ]
            for phase in phases:
                print(f"{size:>8} " + phase.row())
            print(f"{'':>8} (filled to {size} models in {fill:.1f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scale")
    parser.add_argument("--sizes", default="1000,10000,50000", help="model counts to measure at")
    parser.add_argument("--versions-each", type=int, default=4)
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="jr-scale-db-") as tmp:
        run("SQLite", f"sqlite:///{tmp}/registry.db", sizes, args.versions_each, args.ops)
    if not args.skip_postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        from servers import start_postgres

        server = start_postgres()
        try:
            run("PostgreSQL", server.create_database("scale"), sizes, args.versions_each, args.ops)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
