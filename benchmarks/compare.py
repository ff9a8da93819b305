"""Side by side: our server vs an MLflow server, same workload, same machine, same run.

Run: ``python -m benchmarks compare`` (add ``--quick`` for a short run). The
MLflow server is pip-installed into ``benchmarks/.mlflow-venv`` on first use,
run with a SQLite backend and ``--workers 1`` (its best mode on this machine
kind) on a free loopback port, and stopped at the end. Our server is a real
``jupyter server`` with the extension, driven through the SDK in remote mode.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import requests

from .drivers import Driver, MlflowDriver, OurDriver
from .timing import HEADER, Phase, measure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers import free_port  # noqa: E402  (the tests' throwaway-server helpers)

MLFLOW_VERSION = "3.17.2"


@dataclass
class Workload:
    models: int = 2000
    version_models: int = 20
    versions_each: int = 50
    reads: int = 1000
    writers: int = 8
    writes_each: int = 50
    transfer_mib: int = 512

    @classmethod
    def quick(cls) -> Workload:
        return cls(200, 4, 10, 100, 8, 10, 64)


class TreeRss:
    """Peak resident memory of a process and its children, sampled in the background."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.baseline = self.now()
        self.peak = self.baseline
        self._running = False

    def processes(self) -> list[psutil.Process]:
        return [self.root, *self.root.children(recursive=True)]

    def now(self) -> int:
        total = 0
        for process in self.processes():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    @contextmanager
    def sampling(self) -> Iterator[TreeRss]:
        import threading

        self._running = True

        def sample() -> None:
            while self._running:
                self.peak = max(self.peak, self.now())
                time.sleep(0.02)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._running = False
            thread.join()


def ensure_mlflow(venv_dir: Path) -> Path:
    executable = venv_dir / "bin" / "mlflow"
    if not executable.exists():
        print(f"installing mlflow=={MLFLOW_VERSION} into {venv_dir} …", flush=True)
        venv.create(venv_dir, with_pip=True)
        subprocess.run(
            [str(venv_dir / "bin" / "pip"), "install", "-q", f"mlflow=={MLFLOW_VERSION}"],
            check=True,
        )
    return executable


@contextmanager
def mlflow_server(executable: Path, folder: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    log = open(folder / "mlflow.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            str(executable),
            "server",
            "--backend-store-uri",
            f"sqlite:///{folder / 'mlflow.db'}",
            "--artifacts-destination",
            str(folder / "mlflow-artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError((folder / "mlflow.log").read_text()[-3000:])
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        else:
            raise RuntimeError("mlflow server did not start")
        yield url, process.pid
    finally:
        for child in psutil.Process(process.pid).children(recursive=True):
            child.terminate()
        process.terminate()
        process.wait(30)
        log.close()


def writer(system: str, url: str, token: str, model: str, count: int, flag: str) -> None:
    """Phase f worker process: register ``count`` versions once ``flag`` exists."""
    if system == "mlflow":
        driver: Any = MlflowDriver(url)
        call: Callable[[], int] = lambda: driver.create_version(model, {"w": "1"})  # noqa: E731
    else:
        from jupyter_registry import Registry

        target = Registry(server=url, token=token).get_model(model)
        checkpoint = target.get_version(1).checkpoint.uuid
        call = lambda: target.register_version(checkpoint).version  # noqa: E731
    while not os.path.exists(flag):
        time.sleep(0.005)
    latencies, numbers, errors = [], [], 0
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            numbers.append(call())
        except Exception:  # counted and reported as errors, not hidden
            errors += 1
        latencies.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"latencies": latencies, "numbers": numbers, "errors": errors}))


def concurrent_writes(
    system: str, url: str, token: str, model: str, w: Workload, tmp: Path
) -> tuple[Phase, str]:
    flag = tmp / f"go-{system}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.compare",
                "writer",
                system,
                url,
                token,
                model,
                str(w.writes_each),
                str(flag),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(w.writers)
    ]
    time.sleep(3)
    start = time.perf_counter()
    flag.touch()
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    wall = time.perf_counter() - start
    latencies = [x for r in results for x in r["latencies"]]
    numbers = sorted(n for r in results for n in r["numbers"])
    errors = sum(r["errors"] for r in results)
    duplicates = len(numbers) - len(set(numbers))
    expected = w.writers * w.writes_each
    gaps = (max(numbers) - min(numbers) + 1 - len(set(numbers))) if numbers else 0
    note = f"{len(numbers)}/{expected} ok, {errors} errors, {duplicates} duplicates, {gaps} gaps"
    return Phase(f"f {w.writers} procs x {w.writes_each} registrations", latencies, wall), note


def run_workload(
    driver: Driver, w: Workload, tmp: Path, server_pid: int, token: str, url: str
) -> dict[str, Any]:
    phases: dict[str, Phase] = {}
    meta = {f"key{i}": f"value{i}" for i in range(4)}
    names = [f"bench-{i:05d}{'-hit' if i % 10 == 0 else ''}" for i in range(w.models)]
    phases["a"] = measure(
        "a create model (+desc, 4 keys)",
        names,
        lambda n: driver.create_model(str(n), f"description of {n}", meta),
    )
    targets = names[: w.version_models]
    jobs = [t for t in targets for _ in range(w.versions_each)]
    vmeta = {f"k{i}": f"v{i}" for i in range(3)}
    phases["b"] = measure(
        "b create version (3 keys)", jobs, lambda m: driver.create_version(str(m), vmeta)
    )
    state: dict[str, Any] = {"token": None}

    def page(offset: object) -> None:
        state["token"] = driver.page(int(offset), state["token"])  # type: ignore[arg-type]

    phases["c1"] = measure("c1 page of 100 models", range(0, w.models, 100), page)
    hits = w.models // 10
    phases["c2"] = measure(
        f"c2 name search ({hits} hits)",
        range(min(50, w.reads)),
        lambda _: driver.search("hit", hits),
    )
    hot = targets[0]
    phases["d1"] = measure("d1 get latest version", range(w.reads), lambda _: driver.latest(hot))
    driver.set_alias(hot, "production", 1)
    phases["d2"] = measure(
        "d2 get version by alias", range(w.reads), lambda _: driver.by_alias(hot, "production")
    )
    phases["e"] = measure(
        "e set one metadata key", range(w.reads), lambda i: driver.set_metadata(hot, "k", str(i))
    )
    system = "mlflow" if isinstance(driver, MlflowDriver) else "ours"
    phases["f"], f_note = concurrent_writes(system, url, token, targets[1], w, tmp)

    big = tmp / "big.bin"
    rss = TreeRss(server_pid)
    with rss.sampling():
        t0 = time.perf_counter()
        handle = driver.upload(big)
        up = time.perf_counter() - t0
        t0 = time.perf_counter()
        driver.download(handle, tmp / f"down-{system}")
        down = time.perf_counter() - t0
    shutil.rmtree(tmp / f"down-{system}", ignore_errors=True)
    return {
        "phases": phases,
        "f_note": f_note,
        "up_mbs": w.transfer_mib * 1.048576 / up,
        "down_mbs": w.transfer_mib * 1.048576 / down,
        "rss_before_mib": rss.baseline / 2**20,
        "rss_peak_mib": rss.peak / 2**20,
        "processes": len(rss.processes()),
    }


def _cp(big: Path, target: Path, sync: bool) -> float:
    t0 = time.perf_counter()
    shutil.copyfile(big, target)
    if sync:
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())
    elapsed = time.perf_counter() - t0
    target.unlink()
    return big.stat().st_size / 1e6 / elapsed


def _embedded_checkpoint(big: Path, tmp: Path, run: int) -> float:
    from jupyter_registry import Registry

    registry = Registry(
        database=f"sqlite:///{tmp / f'embedded{run}.db'}", artifacts=str(tmp / f"embedded{run}")
    )
    t0 = time.perf_counter()
    registry.create_checkpoint(big)
    elapsed = time.perf_counter() - t0
    shutil.rmtree(tmp / f"embedded{run}")
    return big.stat().st_size / 1e6 / elapsed


def local_copy_speeds(big: Path, tmp: Path, runs: int = 3) -> tuple[float, float, float]:
    """Best of ``runs`` for cp, cp+fsync and an embedded create_checkpoint, interleaved.

    This disk's write speed comes in bursts, so the three are measured in turn,
    several times, and each is credited with its best run.
    """
    plain, synced, embedded = [], [], []
    for run in range(runs):
        plain.append(_cp(big, tmp / "cp-copy.bin", sync=False))
        synced.append(_cp(big, tmp / "cp-copy.bin", sync=True))
        embedded.append(_embedded_checkpoint(big, tmp, run))
    return max(plain), max(synced), max(embedded)


def _transfer_line(label: str, result: dict[str, Any]) -> str:
    return (
        f"  {label:<6} up {result['up_mbs']:>7.0f}  down {result['down_mbs']:>7.0f}   "
        f"RSS {result['rss_before_mib']:.0f}/{result['rss_peak_mib']:.0f} MiB   "
        f"{result['processes']} process(es)"
    )


def report(
    ours: dict[str, Any], theirs: dict[str, Any] | None, local: tuple[float, float, float]
) -> None:
    memory = psutil.virtual_memory().total / 2**30
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, MLflow {MLFLOW_VERSION} (SQLite, --workers 1), "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(f"\n{'':<36}{'jupyter_registry':^46} | {'mlflow':^22} | ratio")
    print(HEADER + " | " + f"{'ops/s':>10} {'p99 ms':>10} | {'x':>6}")
    for key, phase in ours["phases"].items():
        line = phase.row()
        if theirs:
            other = theirs["phases"][key]
            ratio = phase.ops_per_s / other.ops_per_s
            line += f" | {other.ops_per_s:>10.0f} {other.percentile(0.99):>10.1f} | {ratio:>6.1f}"
        print(line)
    print(f"\nf (ours):   {ours['f_note']}")
    if theirs:
        print(f"f (mlflow): {theirs['f_note']}")
    print("\ng artifact transfer through the server (MB/s), server RSS before/peak")
    print(_transfer_line("ours", ours))
    if theirs:
        print(_transfer_line("mlflow", theirs))
        up = ours["up_mbs"] / theirs["up_mbs"]
        down = ours["down_mbs"] / theirs["down_mbs"]
        print(f"  ratio  up {up:.1f}x  down {down:.1f}x")
    plain, synced, embedded = local
    print(
        f"  cp {plain:.0f} MB/s, cp+fsync {synced:.0f} MB/s; embedded create_checkpoint "
        f"{embedded:.0f} MB/s ({embedded / synced:.2f}x cp+fsync; best of 3, interleaved)"
    )


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "writer":
        system, url, token, model, count, flag = argv[1:7]
        writer(system, url, token, model, int(count), flag)
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks compare")
    parser.add_argument("--quick", action="store_true", help="a small workload (CI smoke run)")
    parser.add_argument("--skip-mlflow", action="store_true", help="measure only our server")
    parser.add_argument("--mlflow-venv", type=Path, default=ROOT / "benchmarks" / ".mlflow-venv")
    args = parser.parse_args(argv)
    w = Workload.quick() if args.quick else Workload()
    with tempfile.TemporaryDirectory(prefix="jr-compare-") as tmp_name:
        tmp = Path(tmp_name)
        big = tmp / "big.bin"
        with open(big, "wb") as out:
            for _ in range(w.transfer_mib):
                out.write(os.urandom(1 << 20))
        ckpt = tmp / "ckpt"
        ckpt.mkdir()
        (ckpt / "weights.bin").write_bytes(os.urandom(4096))
        local = local_copy_speeds(big, tmp)

        from jupyter_proc import start_jupyter

        server = start_jupyter({"home": str(tmp / "ours-home")})
        try:
            print("running the workload against jupyter_registry …", flush=True)
            ours = run_workload(
                OurDriver(server.url, server.token, ckpt),
                w,
                tmp,
                server.pid,
                server.token,
                server.url,
            )
        finally:
            server.stop()
        theirs = None
        if not args.skip_mlflow:
            executable = ensure_mlflow(args.mlflow_venv)
            (tmp / "mlflow").mkdir()
            with mlflow_server(executable, tmp / "mlflow") as (url, pid):
                print("running the workload against mlflow …", flush=True)
                theirs = run_workload(MlflowDriver(url), w, tmp, pid, "", url)
        report(ours, theirs, local)


if __name__ == "__main__":
    main()
