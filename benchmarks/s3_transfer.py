"""A large file to and from S3: presigned straight to the bucket, against through the server.

Run: ``python -m benchmarks s3 [--mib 256]``. Starts a throwaway SeaweedFS S3
and two ``jupyter server``s over one bucket, one handing out presigned URLs
(``RegistryConfig.direct_transfer``, the default) and one with it off, which
streams every byte through itself. Each uploads a file of random bytes with
``Registry(server=…).create_checkpoint`` and downloads it back; the rows give
the time and the rate. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from jupyter_proc import JupyterServer, start_jupyter
from servers import S3Server, start_s3

from .transfer import MIB, file_sha256, write_random


@dataclass
class Row:
    way: str
    upload_s: float
    download_s: float
    intact: bool


def measure(way: str, server: JupyterServer, folder: Path, size: int) -> Row:
    from jupyter_registry import Registry

    registry = Registry(server=server.url, token=server.token)
    warm = folder / way / "warm"
    write_random(warm / "w.bin", MIB)
    registry.create_checkpoint(warm).download(folder / way / "warm-down")
    source = folder / way / "checkpoint" / "weights.bin"
    expected = write_random(source, size)
    start = time.perf_counter()
    checkpoint = registry.create_checkpoint(source.parent)
    upload_s = time.perf_counter() - start
    start = time.perf_counter()
    target = checkpoint.download(folder / way / "downloaded")
    download_s = time.perf_counter() - start
    intact = file_sha256(target / "weights.bin") == expected
    return Row(way, upload_s, download_s, intact)


def run(folder: Path, size: int, part_mib: int) -> list[Row]:
    import s3fs

    s3: S3Server = start_s3()
    servers: list[JupyterServer] = []
    try:
        bucket = f"bench{uuid.uuid4().hex[:10]}"
        s3fs.S3FileSystem(**s3.storage_options).mkdir(bucket)
        shared = {
            "database": f"sqlite:///{folder / 'registry.db'}",
            "artifacts": f"s3://{bucket}/registry",
            "storage_options": json.dumps(s3.storage_options),
            "direct_part_bytes": part_mib * MIB,
        }
        rows = []
        for way, direct in (("presigned", True), ("through the server", False)):
            server = start_jupyter({**shared, "direct_transfer": direct})
            servers.append(server)
            rows.append(measure(way, server, folder, size))
        return rows
    finally:
        for server in servers:
            server.stop()
        s3.stop()


def report(rows: list[Row], size: int, part_mib: int) -> str:
    mib = size / MIB
    lines = [f"file: {mib:.0f} MiB of random bytes to SeaweedFS S3 ({part_mib} MiB parts)"]
    for row in rows:
        lines.append(
            f"{row.way:<19} up {row.upload_s:6.2f} s ({mib / row.upload_s:6.1f} MiB/s)  "
            f"down {row.download_s:6.2f} s ({mib / row.download_s:6.1f} MiB/s)  "
            f"intact: {row.intact}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks s3")
    parser.add_argument("--mib", type=int, default=256, help="file size in MiB")
    parser.add_argument("--part-mib", type=int, default=64, help="direct_part_bytes in MiB")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jr-bench-s3-") as folder:
        rows = run(Path(folder), args.mib * MIB, args.part_mib)
        print(report(rows, args.mib * MIB, args.part_mib))
