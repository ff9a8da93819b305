"""Team scale: two Jupyter servers over one PostgreSQL database and one S3 bucket."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Backend
from jupyter_proc import JupyterServer, start_jupyter
from servers import Postgres, S3Server

from jupyter_registry import Registry

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.s3]

WORKERS = str(Path(__file__).with_name("workers.py"))


@pytest.fixture
def two_servers(postgres: Postgres, s3: S3Server) -> Iterator[list[JupyterServer]]:
    import s3fs

    bucket = f"team{uuid.uuid4().hex[:10]}"
    s3fs.S3FileSystem(**s3.storage_options).mkdir(bucket)
    s3fs.S3FileSystem.clear_instance_cache()
    shared = {
        "database": postgres.create_database(f"team_{uuid.uuid4().hex[:12]}"),
        "artifacts": f"s3://{bucket}/registry",
        "storage_options": json.dumps(s3.storage_options),
    }
    servers = [start_jupyter(shared), start_jupyter(shared)]
    yield servers
    for server in servers:
        server.stop()


def test_two_servers_serve_one_registry(
    two_servers: list[JupyterServer], tmp_path: Path, model_folder: Path
) -> None:
    a, b = (Registry(server=s.url, token=s.token) for s in two_servers)
    model = a.create_model("shared-model", labels=["team"])
    assert [m.name for m in b.get_models(labels=["team"])] == ["shared-model"]
    checkpoint = a.create_checkpoint(model_folder)
    downloaded = b.get_checkpoint(checkpoint.uuid).download(tmp_path / "via-b")
    assert (downloaded / "weights.bin").read_bytes() == (model_folder / "weights.bin").read_bytes()

    flag = tmp_path / "go"
    envs = [Backend("remote", server=s.url, token=s.token).env() for s in two_servers]
    procs = [
        subprocess.Popen(
            [sys.executable, WORKERS, "register", model.name, checkpoint.uuid, "25", str(flag)],
            env=envs[i % 2],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    time.sleep(1.0)
    flag.touch()
    numbers = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        numbers.extend(json.loads(out.strip().splitlines()[-1]))
    assert sorted(numbers) == list(range(1, 201))
    assert b.get_model("shared-model").num_versions == 200
    assert a.get_model("shared-model").get_version().version == 200
