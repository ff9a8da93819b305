"""Faults: a full disk, a locked database, dropped and refused PostgreSQL connections."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import Backend
from servers import Postgres, free_port

from jupyter_registry import Registry, RegistryError
from jupyter_registry.errors import StorageError

FULL_DISK = """
import resource, signal
from jupyter_registry import Registry, RegistryError
from jupyter_registry.artifacts import open_blob_store
{setup}
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.RLIM_INFINITY))
try:
    {call}
except RegistryError as exc:
    print(type(exc).__name__, exc)
"""


def _refused_as_full(setup: str, call: str, limit: int, env: dict[str, str] | None = None) -> None:
    """Run ``call`` in a process whose files may not grow past ``limit`` bytes."""
    script = FULL_DISK.format(setup=setup, call=call, limit=limit)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("StorageError cannot write to the artifact store"), out.stdout
    assert "File too large" in out.stdout


def test_full_disk_is_a_clear_error_and_registers_nothing(tmp_path: Path) -> None:
    backend = Backend("sqlite", f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "artifacts"))
    registry = backend.registry()
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (8 * 1024 * 1024))
    call = f"registry.create_checkpoint({str(big)!r})"
    _refused_as_full("registry = Registry()", call, 2 * 1024 * 1024, env=backend.env())
    assert registry.get_checkpoints() == []
    assert list((tmp_path / "artifacts" / "tmp").iterdir()) == []
    assert registry.create_checkpoint(big).resources == {"big.bin": 8 * 1024 * 1024}


def test_full_disk_during_a_streamed_upload_stores_nothing(tmp_path: Path) -> None:
    """The path of server uploads (aligned writes past the page cache) on a full disk."""
    setup = f"blobs = open_blob_store({str(tmp_path / 'artifacts')!r})"
    _refused_as_full(setup, 'blobs.put(iter([b"x" * 1000_000] * 8))', 2 * 1024 * 1024 + 100)
    assert list((tmp_path / "artifacts" / "tmp").iterdir()) == []
    assert list((tmp_path / "artifacts" / "blobs").iterdir()) == []


def test_briefly_locked_sqlite_waits_then_writes(tmp_path: Path) -> None:
    registry = Registry(database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=str(tmp_path / "a"))
    locker = sqlite3.connect(tmp_path / "r.db", isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    released = threading.Event()

    def release() -> None:
        time.sleep(1.5)
        locker.execute("COMMIT")
        released.set()

    threading.Thread(target=release).start()
    start = time.monotonic()
    registry.create_model("after-lock")
    assert released.is_set() and time.monotonic() - start >= 1.0
    assert registry.get_model("after-lock").name == "after-lock"


@pytest.mark.postgres
def test_dropped_postgres_connections_recover(postgres: Postgres) -> None:
    import psycopg

    url = postgres.create_database("faults_drop")
    registry = Registry(database=url, artifacts="/tmp/jr-faults-artifacts")
    registry.create_model("before")
    with psycopg.connect(postgres.admin_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = 'faults_drop' AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed and killed[0] >= 1
    registry.create_model("after")
    assert [m.name for m in registry.get_models()] == ["after", "before"]


def test_unreachable_database_is_a_clear_error() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=3"
    with pytest.raises(StorageError, match="is unavailable") as info:
        Registry(database=url, artifacts="/tmp/jr-unused")
    assert isinstance(info.value, RegistryError)


def test_unusable_artifact_folder_is_a_clear_error(tmp_path: Path) -> None:
    """As root no permission bit stops a write, so make the folder impossible instead."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the artifact folder should be")
    with pytest.raises(StorageError, match=r"cannot use .* as the artifact store"):
        Registry(database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=str(blocker / "artifacts"))


def test_artifact_folder_broken_after_start_registers_nothing(
    tmp_path: Path, model_folder: Path
) -> None:
    registry = Registry(database=f"sqlite:///{tmp_path / 'r.db'}", artifacts=str(tmp_path / "a"))
    model = registry.create_model("m")
    (tmp_path / "a" / "tmp").rmdir()
    (tmp_path / "a" / "tmp").write_text("uploads cannot be staged here any more")
    with pytest.raises(StorageError, match="cannot write to the artifact store"):
        registry.create_checkpoint(model_folder)
    assert registry.get_checkpoints() == [] and model.reload().num_versions == 0
