"""Speed a user feels (issue 17): each row beside its physical yardstick and its goal.

Run: ``python -m benchmarks feel`` (``--quick`` for a ~2 minute run,
``--skip-mlflow`` to leave MLflow's columns "n/a"). Start-up and load rows
time whole new processes, because that is what a user waits for; the remote
rows use one throwaway ``jupyter server`` with the extension and, where the
issue compares with MLflow, the ``mlflow server`` that ``compare`` installs.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from .compare import ROOT, _cp, ensure_mlflow, mlflow_server
from .drivers import MlflowDriver
from .transfer import MIB, write_random


@dataclass
class Sizes:
    repeats: int
    requests: int
    transfer_mib: int

    @classmethod
    def pick(cls, quick: bool) -> Sizes:
        return cls(3, 50, 32) if quick else cls(9, 300, 256)


@dataclass
class Row:
    what: str
    ours: str
    yardstick: str
    mlflow: str
    measured: str
    goal: str
    met: bool


def print_table(rows: list[Row]) -> None:
    """One aligned table: the cells are strings so each column fits its widest entry."""
    header = ["what the user does", "ours", "yardstick", "MLflow", "measured", "goal", "met"]
    cells = [
        [r.what, r.ours, r.yardstick, r.mlflow, r.measured, r.goal, "met" if r.met else "NOT met"]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *cells]:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def process_seconds(code: str, env: dict[str, str], repeats: int) -> float:
    """Median wall time of ``repeats`` new ``python -c code`` processes."""
    return median_run([sys.executable, "-c", code], env, repeats)


def median_run(command: list[str], env: dict[str, str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def startup_rows(tmp: Path, sizes: Sizes) -> list[Row]:
    """Rows 1-2: the CLI and the SDK on a fresh registry, against Python + SQLite open."""
    env = {**os.environ, "JUPYTER_REGISTRY_HOME": str(tmp / "fresh-home")}
    env.pop("JUPYTER_REGISTRY_SERVER", None)
    jupyter = str(Path(sys.executable).parent / "jupyter")
    yard = process_seconds(
        f"import sqlite3; sqlite3.connect({str(tmp / 'yard.db')!r}).execute('select 1')",
        env,
        sizes.repeats,
    )
    cli = median_run([jupyter, "registry", "model", "list"], env, sizes.repeats)
    sdk = process_seconds(
        "from jupyter_registry import Registry; Registry().get_models(limit=10)",
        env,
        sizes.repeats,
    )
    return [
        Row("`jupyter registry model list` (fresh)", f"{cli:.2f} s", f"{yard:.2f} s", "",
            f"{cli / yard:.1f}x", "<= 0.30 s", cli <= 0.30),
        Row("new process Registry() + first call", f"{sdk:.2f} s", f"{yard:.2f} s", "",
            f"{sdk / yard:.1f}x", "<= 0.20 s", sdk <= 0.20),
    ]  # fmt: skip


def load_row(tmp: Path, sizes: Sizes) -> Row:
    """Row 3: a ~23 MB torch model loaded by reference vs safetensors' own load_file."""
    import torch
    from safetensors.torch import save_file

    from jupyter_registry import Registry

    home = tmp / "load-home"
    env = {**os.environ, "JUPYTER_REGISTRY_HOME": str(home)}
    env.pop("JUPYTER_REGISTRY_SERVER", None)
    os.environ["JUPYTER_REGISTRY_HOME"] = str(home)
    try:
        module = torch.nn.Embedding(22500, 256)
        registry = Registry()
        model = registry.create_model("feel-torch")
        model.register_version(registry.save_checkpoint(module))
    finally:
        del os.environ["JUPYTER_REGISTRY_HOME"]
    weights = tmp / "plain.safetensors"
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(weights))
    megabytes = weights.stat().st_size / 1e6
    plain = process_seconds(
        f"import torch; from safetensors.torch import load_file; load_file({str(weights)!r})",
        env,
        sizes.repeats,
    )
    ours = process_seconds(
        "from jupyter_registry import Registry; "
        "Registry().get_model_version('feel-torch:latest').load()",
        env,
        sizes.repeats,
    )
    ratio = ours / plain
    return Row(
        f"new process: load() of a {megabytes:.0f} MB torch model",
        f"{ours:.2f} s",
        f"{plain:.2f} s load_file",
        "",
        f"{ratio:.2f}x",
        "<= 1.10x",
        ratio <= 1.10,
    )


def p50_ms(call: Callable[[], object], count: int) -> tuple[float, float]:
    """Median latency in ms and operations per second of ``count`` sequential calls."""
    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - t0) * 1000)
    return statistics.median(latencies), count / (time.perf_counter() - start)


@dataclass
class Remote:
    """What the remote rows measured on our server."""

    register_ms: float
    register_ops: float
    save_ms: float
    save_ops: float
    status_ms: float
    read_ms: float
    up_mbs: float
    down_mbs: float


def measure_ours(tmp: Path, sizes: Sizes, small: Path, big: Path) -> Remote:
    sys.path.insert(0, str(ROOT / "tests"))
    from jupyter_proc import start_jupyter

    from jupyter_registry import Registry

    home = tmp / "server-home"
    server = start_jupyter(
        {"database": f"sqlite:///{home / 'registry.db'}", "artifacts": str(home / "artifacts")}
    )
    try:
        registry = Registry(server=server.url, token=server.token)
        model = registry.create_model("feel-remote")
        model.register_version(registry.create_checkpoint(small))
        register_ms, register_ops = p50_ms(
            lambda: model.register_version(registry.create_checkpoint(small)), sizes.requests
        )
        save_ms, save_ops = p50_ms(lambda: model.save_version(small), sizes.requests)
        http = requests.Session()
        http.headers.update(server.headers())
        status = server.url + "api/status"
        read = server.api("models", "feel-remote")
        status_ms, read_ms = [], []
        for _ in range(sizes.requests):
            status_ms.append(p50_ms(lambda: http.get(status).raise_for_status(), 1)[0])
            read_ms.append(p50_ms(lambda: http.get(read).raise_for_status(), 1)[0])
        t0 = time.perf_counter()
        checkpoint = registry.create_checkpoint(big)
        up = time.perf_counter() - t0
        t0 = time.perf_counter()
        checkpoint.download(tmp / "down-ours")
        down = time.perf_counter() - t0
    finally:
        server.stop()
    size = (big / "big.bin").stat().st_size / 1e6
    return Remote(
        register_ms,
        register_ops,
        save_ms,
        save_ops,
        statistics.median(status_ms),
        statistics.median(read_ms),
        size / up,
        size / down,
    )


def measure_mlflow(tmp: Path, sizes: Sizes, small: Path, big: Path) -> tuple[float, float, float]:
    """MLflow's ops/s for artifact PUT + version create, and its up / down MB/s."""
    folder = tmp / "mlflow"
    folder.mkdir()
    with mlflow_server(ensure_mlflow(ROOT / "benchmarks" / ".mlflow-venv"), folder) as (url, _):
        driver = MlflowDriver(url)
        driver.create_model("feel-remote", "", {})

        body = (small / "weights.bin").read_bytes()
        target = f"{url}/api/2.0/mlflow-artifacts/artifacts/feel/weights.bin"

        def register() -> None:
            # The bytes in one send, as MLflow's client does for a small file: a file
            # object body would be sent after the headers and wait on delayed ACKs.
            driver.http.put(target, data=body).raise_for_status()
            driver.create_version("feel-remote", {})

        _, ops = p50_ms(register, sizes.requests)
        t0 = time.perf_counter()
        handle = driver.upload(big / "big.bin")
        up = time.perf_counter() - t0
        t0 = time.perf_counter()
        driver.download(handle, tmp / "down-mlflow")
        down = time.perf_counter() - t0
    size = (big / "big.bin").stat().st_size / 1e6
    return ops, size / up, size / down


def remote_rows(tmp: Path, sizes: Sizes, with_mlflow: bool) -> list[Row]:
    """Rows 4-6: small registrations, a big transfer and one read, all through a server."""
    small = tmp / "small"
    write_random(small / "weights.bin", 1024)
    big = tmp / "big"
    write_random(big / "big.bin", sizes.transfer_mib * MIB)
    synced = max(_cp(big / "big.bin", tmp / "cp-copy.bin", sync=True) for _ in range(3))
    ours = measure_ours(tmp, sizes, small, big)
    mlflow = measure_mlflow(tmp, sizes, small, big) if with_mlflow else None
    register_vs = ours.register_ops / mlflow[0] if mlflow else None
    save_vs = ours.save_ops / mlflow[0] if mlflow else None
    up_vs = (ours.up_mbs / mlflow[1], ours.down_mbs / mlflow[2]) if mlflow else None
    cp_ratio = min(ours.up_mbs, ours.down_mbs) / synced
    return [
        Row(
            "remote: create_checkpoint of a 1 KiB folder + register_version",
            f"{ours.register_ms:.1f} ms p50, {ours.register_ops:.0f} ops/s",
            f"{ours.status_ms:.2f} ms /api/status",
            f"{mlflow[0]:.0f} ops/s" if mlflow else "n/a",
            f"{register_vs:.2f}x MLflow" if register_vs else "n/a",
            ">= 3x MLflow",
            bool(register_vs and register_vs >= 3),
        ),
        Row(
            "remote: Model.save_version of it (one request)",
            f"{ours.save_ms:.1f} ms p50, {ours.save_ops:.0f} ops/s",
            f"{ours.status_ms:.2f} ms /api/status",
            f"{mlflow[0]:.0f} ops/s" if mlflow else "n/a",
            f"{save_vs:.2f}x MLflow" if save_vs else "n/a",
            ">= 3x MLflow",
            bool(save_vs and save_vs >= 3),
        ),
        Row(
            f"{sizes.transfer_mib} MiB through the server, up / down",
            f"{ours.up_mbs:.0f} / {ours.down_mbs:.0f} MB/s",
            f"{synced:.0f} MB/s cp+fsync",
            f"{mlflow[1]:.0f} / {mlflow[2]:.0f} MB/s" if mlflow else "n/a",
            f"{cp_ratio:.2f}x cp"
            + (f", {up_vs[0]:.1f}x / {up_vs[1]:.1f}x MLflow" if up_vs else ""),
            ">= 0.8x cp+fsync, >= 3x MLflow",
            cp_ratio >= 0.8 and bool(up_vs and min(up_vs) >= 3),
        ),
        Row(
            "a registry read through the server",
            f"{ours.read_ms:.2f} ms p50",
            f"{ours.status_ms:.2f} ms /api/status",
            "",
            f"{ours.read_ms / ours.status_ms:.2f}x",
            "<= 1.5x /api/status",
            ours.read_ms <= 1.5 * ours.status_ms,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks feel")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, small sizes")
    parser.add_argument("--skip-mlflow", action="store_true", help="report MLflow as n/a")
    args = parser.parse_args(argv)
    sizes = Sizes.pick(args.quick)
    with tempfile.TemporaryDirectory(prefix="jr-feel-") as name:
        tmp = Path(name)
        rows = startup_rows(tmp, sizes)
        rows.append(load_row(tmp, sizes))
        rows += remote_rows(tmp, sizes, not args.skip_mlflow)
    print(
        f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{sizes.repeats} processes per start-up row, {sizes.requests} requests per remote row"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
