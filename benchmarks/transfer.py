"""A large checkpoint through a real Jupyter server, against ``cp`` of the same file.

Run: ``python -m benchmarks transfer [--mib 512]``. Starts a throwaway
``jupyter server`` with the registry extension (SQLite + local artifact folder
in a temporary directory), uploads one file of random bytes with
``Registry(server=…).create_checkpoint`` and downloads it back with
``Checkpoint.download``, sampling the server's RSS throughout.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from jupyter_proc import PeakRss, start_jupyter

MIB = 1024 * 1024


@dataclass
class Transfer:
    size: int
    cp_s: float
    upload_s: float
    download_s: float
    upload_rss_growth: int
    download_rss_growth: int
    intact: bool

    def report(self) -> str:
        mib = self.size / MIB
        up, down = self.upload_rss_growth / MIB, self.download_rss_growth / MIB
        lines = [
            f"file: {mib:.0f} MiB of random bytes",
            f"cp:       {self.cp_s:6.2f} s  ({mib / self.cp_s:7.1f} MiB/s)",
            f"upload:   {self.upload_s:6.2f} s  ({mib / self.upload_s:7.1f} MiB/s)  "
            f"{self.upload_s / self.cp_s:.1f}x cp;  server RSS +{up:.1f} MiB",
            f"download: {self.download_s:6.2f} s  ({mib / self.download_s:7.1f} MiB/s)  "
            f"{self.download_s / self.cp_s:.1f}x cp;  server RSS +{down:.1f} MiB",
            f"round trip intact: {self.intact}",
        ]
        return "\n".join(lines)


def write_random(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(4 * MIB, left))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def run(folder: Path, size: int) -> Transfer:
    """Upload and download one ``size``-byte file through a fresh server in ``folder``."""
    from jupyter_registry import Registry

    source = folder / "checkpoint" / "weights.bin"
    expected = write_random(source, size)
    start = time.perf_counter()
    shutil.copyfile(source, folder / "copy.bin")
    cp_s = time.perf_counter() - start
    (folder / "copy.bin").unlink()

    home = folder / "server-registry"
    server = start_jupyter(
        {"database": f"sqlite:///{home / 'registry.db'}", "artifacts": str(home / "artifacts")}
    )
    try:
        registry = Registry(server=server.url, token=server.token)
        warm = folder / "warm"
        write_random(warm / "w.bin", MIB)
        registry.create_checkpoint(warm).download(folder / "warm-down")
        with PeakRss(server.pid) as up:
            start = time.perf_counter()
            checkpoint = registry.create_checkpoint(source.parent)
            upload_s = time.perf_counter() - start
        with PeakRss(server.pid) as down:
            start = time.perf_counter()
            target = checkpoint.download(folder / "downloaded")
            download_s = time.perf_counter() - start
        intact = file_sha256(target / "weights.bin") == expected
    finally:
        server.stop()
    return Transfer(size, cp_s, upload_s, download_s, up.growth, down.growth, intact)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks transfer")
    parser.add_argument("--mib", type=int, default=512, help="file size in MiB")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jr-bench-transfer-") as folder:
        print(run(Path(folder), args.mib * MIB).report())
