"""Dispatch ``python -m benchmarks <name> [options]``."""

from __future__ import annotations

import importlib
import sys

SUITES = {
    "core": "benchmarks.core",
    "feel": "benchmarks.feel",
    "compare": "benchmarks.compare",
    "scale": "benchmarks.scale",
    "search": "benchmarks.search",
    "transfer": "benchmarks.transfer",
    "s3": "benchmarks.s3_transfer",
}


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "core"
    if name not in SUITES:
        raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(sorted(SUITES))}")
    rest = sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == name else sys.argv[1:]
    importlib.import_module(SUITES[name]).main(rest)


if __name__ == "__main__":
    main()
