"""Latency bookkeeping shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass
class Phase:
    name: str
    latencies_ms: list[float]
    wall_s: float

    @property
    def ops_per_s(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else float("inf")

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> str:
        return (
            f"{self.name:<34} {len(self.latencies_ms):>6} {self.ops_per_s:>10.0f} "
            f"{statistics.median(self.latencies_ms):>8.2f} {self.percentile(0.95):>8.2f} "
            f"{self.percentile(0.99):>8.2f}"
        )


HEADER = f"{'phase':<34} {'ops':>6} {'ops/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"


def measure(name: str, items: Iterable[object], operation: Callable[[object], object]) -> Phase:
    latencies = []
    start = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        operation(item)
        latencies.append((time.perf_counter() - t0) * 1000)
    return Phase(name, latencies, time.perf_counter() - start)
