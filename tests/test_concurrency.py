"""Many writer processes at once: no duplicate or lost version numbers, no lost metadata."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Backend

from jupyter_registry import NotFoundError

WORKERS = str(Path(__file__).with_name("workers.py"))


def _run_all(backend: Backend, tmp_path: Path, argv_per_worker: list[list[str]]) -> list:
    flag = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, WORKERS, *argv, str(flag)],
            env=backend.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argv_per_worker
    ]
    time.sleep(1.0)  # let every process import and connect, then release them together
    flag.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.slow
def test_8_processes_x_25_registrations(
    backend: Backend, ns: str, tmp_path: Path, model_folder: Path
) -> None:
    registry = backend.registry()
    model = registry.create_model(f"{ns}hot")
    checkpoint = registry.create_checkpoint(model_folder)
    results = _run_all(
        backend, tmp_path, [["register", model.name, checkpoint.uuid, "25"] for _ in range(8)]
    )
    numbers = sorted(n for worker in results for n in worker)
    assert numbers == list(range(1, 201))
    assert all(worker == sorted(worker) for worker in results)
    assert [v.version for v in model.get_versions()] == list(range(200, 0, -1))


@pytest.mark.slow
def test_6_processes_add_different_metadata_keys(backend: Backend, ns: str, tmp_path: Path) -> None:
    registry = backend.registry()
    model = registry.create_model(f"{ns}meta", metadata={"base": True})
    _run_all(backend, tmp_path, [["add_metadata", model.name, f"w{i}", "20"] for i in range(6)])
    metadata = model.reload().metadata
    assert len(metadata) == 1 + 6 * 20
    assert all(metadata[f"w{w}-{i}"] == i for w in range(6) for i in range(20))


def test_killed_before_commit_leaves_no_version(
    backend: Backend, ns: str, tmp_path: Path, model_folder: Path
) -> None:
    registry = backend.registry()
    model = registry.create_model(f"{ns}crash")
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, WORKERS, "die", model.name, str(model_folder), str(ready)],
        env=backend.env(),
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert registry.get_checkpoints() == []
    with pytest.raises(NotFoundError):
        model.get_version()
    # the registry keeps working: the same files register fine, and numbering starts at 1
    checkpoint = registry.create_checkpoint(model_folder)
    assert model.register_version(checkpoint).version == 1
    assert model.reload().num_versions == 1


def test_killed_during_upload_leaves_nothing_visible(
    backend: Backend, ns: str, tmp_path: Path, model_folder: Path
) -> None:
    registry = backend.registry()
    service = registry.client.service
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, WORKERS, "die_uploading", str(ready)], env=backend.env()
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert registry.get_checkpoints() == []
    assert list(service.blobs.all_blobs()) == []
    tmp_files = list(Path(backend.artifacts, "tmp").iterdir())
    assert len(tmp_files) == 1  # the dead upload's partial file, under a temporary name
    assert service.gc() == [] and len(list(Path(backend.artifacts, "tmp").iterdir())) == 1
    service.gc(grace=timedelta(0))
    assert list(Path(backend.artifacts, "tmp").iterdir()) == []
    assert registry.create_checkpoint(model_folder).resources
