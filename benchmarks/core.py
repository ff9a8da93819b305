"""Embedded SDK on SQLite: create-model, register-version, list a page, get-latest.

Run: ``python -m benchmarks core [--models 10000]``. Uses a throwaway registry
home, so it never touches the user's registry.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from .timing import HEADER, measure


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks core")
    parser.add_argument("--models", type=int, default=10_000, help="models in the registry")
    parser.add_argument("--ops", type=int, default=1_000, help="operations per timed phase")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="jr-bench-") as home:
        os.environ["JUPYTER_REGISTRY_HOME"] = home
        from jupyter_registry import Registry

        registry = Registry()
        folder = Path(home, "ckpt")
        folder.mkdir()
        (folder / "weights.bin").write_bytes(os.urandom(4096))
        checkpoint = registry.create_checkpoint(folder)

        create = measure(
            "create_model (description+metadata)",
            range(args.models),
            lambda i: registry.create_model(
                f"model-{i:06d}", description=f"model number {i}", metadata={"i": i, "k": "v"}
            ),
        )
        model = registry.get_model("model-000000")
        register = measure(
            "register_version", range(args.ops), lambda _: model.register_version(checkpoint)
        )
        pages = args.models // 100
        list_page = measure(
            f"get_models page of 100 (of {args.models})",
            range(min(args.ops, pages)),
            lambda p: registry.get_models(limit=100, offset=(p * 100) % args.models),
        )
        search = measure(
            "get_models name substring",
            range(min(args.ops, 200)),
            lambda p: registry.get_models(name=f"model-00{p % 100:02d}", limit=100),
        )
        latest = measure("get_version() latest", range(args.ops), lambda _: model.get_version())

        print(f"jupyter_registry embedded SQLite benchmark — {time.strftime('%Y-%m-%d')}")
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(HEADER)
        for phase in (create, register, list_page, search, latest):
            print(phase.row())


if __name__ == "__main__":
    main()
