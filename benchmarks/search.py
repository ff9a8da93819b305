"""Is the filter language fast on a big registry? (50,000 models, 100,000 versions)

Run: ``python -m benchmarks search`` (SQLite and a throwaway PostgreSQL).
The registry is filled in bulk through the ORM tables (setup speed is not what
is measured); then ``search_models`` and ``search_versions`` with three
conditions each are timed through the embedded SDK, a first page of 100 and
the total as the panel asks, at selective and at broad conditions.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from jupyter_registry import Registry
from jupyter_registry.schemas import ListModelsQuery, SearchVersionsQuery
from jupyter_registry.store.orm import (
    AliasRow,
    CheckpointRow,
    CheckpointValueRow,
    LabelRow,
    ModelRow,
    ModelValueRow,
    VersionRow,
)
from jupyter_registry.store.search_values import values

from .scale import ROOT, refresh_statistics
from .timing import HEADER, measure

OWNERS = [f"user{i}" for i in range(40)]
LABELS = ["vision", "nlp", "audio", "tabular", "rl"]
DATASETS = [f"dataset-{i}" for i in range(200)]

MODEL_QUERIES = [
    (
        "models: 3 conditions, selective",
        "metadata.owner = 'user7' and labels contains 'vision' and metadata.size > 500",
    ),
    (
        "models: 3 conditions, broad",
        "labels contains 'vision' and metadata.size >= 0 and not archived = true",
    ),
    (
        "models: one dataset or another",
        "metadata.dataset in ('dataset-3', 'dataset-4') and alias = 'production'",
    ),
]
VERSION_QUERIES = [
    (
        "versions: 3 conditions by acc",
        "metrics.acc > 0.99 and labels contains 'vision' and hparams.lr <= 0.01",
        "metrics.acc desc",
    ),
    (
        "versions: broad, best first",
        "metrics.acc > 0.5 and hparams.lr <= 0.1 and format = 'safetensors'",
        "metrics.acc desc",
    ),
    (
        "versions: one model's production",
        "alias = 'production' and model contains 'model-0001' and metrics.acc > 0.2",
        None,
    ),
]


def _rows(first: int, last: int, rng: random.Random) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    models = [
        {
            "name": f"model-{i:06d}",
            "description": f"model number {i}",
            "metadata_": {
                "owner": OWNERS[i % len(OWNERS)],
                "dataset": DATASETS[i % len(DATASETS)],
                "size": i % 1000,
            },
            "notes": "",
            "archived": i % 50 == 0,
            "creation_time": base + timedelta(seconds=i),
            "last_updated_time": base + timedelta(seconds=i),
            "last_version": 2,
        }
        for i in range(first, last)
    ]
    checkpoints = [
        {
            "uuid": f"{i:08d}-0000-4000-8000-{v:012d}",
            "format": "safetensors" if v == 2 else "files",
            "metrics": {"acc": round(rng.random(), 4), "loss": rng.random()},
            "hparams": {"lr": rng.choice([0.1, 0.01, 0.001]), "layers": rng.randint(1, 12)},
            "metadata_": {},
            "source": {},
            "creation_time": base + timedelta(seconds=i),
        }
        for i in range(first, last)
        for v in (1, 2)
    ]
    return models, checkpoints


def grow(registry: Registry, size: int) -> None:
    """``size`` models with two labels, three metadata keys and two versions each."""
    engine = registry.client.service.store.engine
    rng = random.Random(18)
    for first in range(0, size, 5000):
        last = min(size, first + 5000)
        models, checkpoints = _rows(first, last, rng)
        with Session(engine) as session, session.begin():
            session.execute(insert(ModelRow), models)
            session.execute(insert(CheckpointRow), checkpoints)
            names = select(ModelRow.name, ModelRow.id).where(ModelRow.name >= f"model-{first:06d}")
            model_ids = dict(session.execute(names).all())
            uuids = select(CheckpointRow.uuid, CheckpointRow.id)
            ckpt_ids = dict(
                session.execute(uuids.where(CheckpointRow.uuid >= f"{first:08d}")).all()
            )
            session.execute(
                insert(LabelRow),
                [
                    {"model_id": model_ids[f"model-{i:06d}"], "label": label, "position": n}
                    for i in range(first, last)
                    for n, label in enumerate({LABELS[i % 5], LABELS[(i // 5) % 5]})
                ],
            )
            session.execute(
                insert(VersionRow),
                [
                    {
                        "model_id": model_ids[f"model-{i:06d}"],
                        "version": v,
                        "checkpoint_id": ckpt_ids[f"{i:08d}-0000-4000-8000-{v:012d}"],
                        "metadata_": {},
                        "notes": "",
                        "creation_time": datetime(2026, 1, 1, tzinfo=timezone.utc)
                        + timedelta(seconds=i, milliseconds=v),
                    }
                    for i in range(first, last)
                    for v in (1, 2)
                ],
            )
            versions = session.execute(
                select(VersionRow.id, VersionRow.model_id).where(
                    VersionRow.model_id.in_(list(model_ids.values())), VersionRow.version == 1
                )
            )
            session.execute(
                insert(AliasRow),
                [{"model_id": m, "alias": "production", "version_id": v} for v, m in versions],
            )
            _index(session, models, model_ids, checkpoints, ckpt_ids)


def _index(session: Session, models, model_ids, checkpoints, ckpt_ids) -> None:  # type: ignore[no-untyped-def]
    """What the store's writes do for each document (store/search_values.py), in bulk."""
    model_values = [
        {**row, "owner_id": model_ids[m["name"]]}
        for m in models
        for row in values("metadata", m["metadata_"])
    ]
    checkpoint_values = [
        {**row, "owner_id": ckpt_ids[c["uuid"]]}
        for c in checkpoints
        for field in ("metrics", "hparams")
        for row in values(field, c[field])
    ]
    session.execute(insert(ModelValueRow), model_values)
    session.execute(insert(CheckpointValueRow), checkpoint_values)


def run(label: str, database: str, size: int, ops: int) -> None:
    with tempfile.TemporaryDirectory(prefix="jr-search-") as tmp:
        registry = Registry(database=database, artifacts=str(Path(tmp, "artifacts")))
        t0 = time.perf_counter()
        grow(registry, size)
        refresh_statistics(registry.client.service.store.engine)
        filled = time.perf_counter() - t0
        print(f"\n{label}: {size} models, {2 * size} versions (filled in {filled:.1f} s)")
        print(f"{'matches':>8} " + HEADER)
        # the yardstick: an unfiltered first page, the cheapest list there is, on this machine now
        baseline = measure(
            "first page, no filter", range(ops), lambda _: registry.get_models(limit=100)
        )
        print(f"{size:>8} " + baseline.row())
        for name, expression in MODEL_QUERIES:
            total = registry.client.list_models(ListModelsQuery(filter=expression, limit=1)).total
            phase = measure(
                name, range(ops), lambda _, e=expression: registry.search_models(e, limit=100)
            )
            print(f"{total:>8} " + phase.row())
        for name, expression, order in VERSION_QUERIES:
            query = SearchVersionsQuery(filter=expression, limit=1)
            total = registry.client.search_versions(query).total
            phase = measure(
                name,
                range(ops),
                lambda _, e=expression, o=order: registry.search_versions(e, order_by=o, limit=100),
            )
            print(f"{total:>8} " + phase.row())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks search")
    parser.add_argument("--size", type=int, default=50_000, help="number of models")
    parser.add_argument("--ops", type=int, default=50)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="jr-search-db-") as tmp:
            run("SQLite", f"sqlite:///{tmp}/registry.db", args.size, args.ops)
    if not args.skip_postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        from servers import start_postgres

        server = start_postgres()
        try:
            run("PostgreSQL", server.create_database("search"), args.size, args.ops)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
