"""Shared fixtures: an isolated registry home, and real PostgreSQL / S3 servers.

Contract tests take the ``registry`` fixture, parametrised over every backend
in ``BACKENDS``; they name their models with the ``ns`` prefix and filter by
it, so backends that share one server between tests stay isolated.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import Postgres, S3Server, start_postgres, start_s3

from jupyter_registry import Registry

pytest_plugins = ("pytest_jupyter.jupyter_server", "jupyter_proc")

BACKENDS = ["sqlite", "postgresql"]
ENV_KEYS = (
    "JUPYTER_REGISTRY_HOME",
    "JUPYTER_REGISTRY_DATABASE",
    "JUPYTER_REGISTRY_ARTIFACTS",
    "JUPYTER_REGISTRY_SERVER",
    "JUPYTER_REGISTRY_TOKEN",
    "JUPYTER_REGISTRY_STORAGE_OPTIONS",
)


@pytest.fixture(autouse=True)
def registry_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty default registry and working folder."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    home = tmp_path / "registry-home"
    monkeypatch.setenv("JUPYTER_REGISTRY_HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    server = start_s3()
    yield server
    server.stop()


@dataclass
class Backend:
    """How to reach one registry, in this process or from a subprocess."""

    name: str
    database: str | None = None
    artifacts: str | None = None
    server: str | None = None
    token: str | None = None
    storage_options: dict[str, Any] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def registry(self) -> Registry:
        return Registry(
            database=self.database,
            artifacts=self.artifacts,
            server=self.server,
            token=self.token,
            storage_options=self.storage_options,
        )

    def env(self) -> dict[str, str]:
        """Environment for a subprocess whose ``Registry()`` reaches this registry."""
        env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
        values = {
            "JUPYTER_REGISTRY_HOME": os.environ.get("JUPYTER_REGISTRY_HOME"),
            "JUPYTER_REGISTRY_DATABASE": self.database,
            "JUPYTER_REGISTRY_ARTIFACTS": self.artifacts,
            "JUPYTER_REGISTRY_SERVER": self.server,
            "JUPYTER_REGISTRY_TOKEN": self.token,
        }
        env.update({k: v for k, v in values.items() if v})
        env.update(self.extra_env)
        return env


def make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if name == "sqlite":
        return Backend(name, f"sqlite:///{tmp_path / 'registry.db'}", str(tmp_path / "artifacts"))
    if name == "postgresql":
        server: Postgres = request.getfixturevalue("postgres")
        database = server.create_database(f"t_{uuid.uuid4().hex[:12]}")
        return Backend(name, database, str(tmp_path / "artifacts"))
    factory = request.getfixturevalue(f"{name}_backend_factory")
    return factory(tmp_path)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return make_backend(request.param, request, tmp_path)


@pytest.fixture
def registry(backend: Backend) -> Registry:
    return backend.registry()


@pytest.fixture
def ns() -> str:
    """A unique model-name prefix for this test."""
    return f"t{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    """A small model-definition folder like Determined's example."""
    folder = tmp_path / "model"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "model_def.py").write_text("class Net:\n    pass\n")
    (folder / "weights.bin").write_bytes(os.urandom(25224))
    return folder
