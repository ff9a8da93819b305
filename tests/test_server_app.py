"""The server extension as an ``ExtensionApp``: configured, serving, and stopped cleanly.

Runs in pytest-jupyter's in-process ``ServerApp`` with the extension enabled
the way the installed ``jupyter_server_config.d`` file enables it, so the
extension manager itself loads, links and stops the app.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_registry import Registry
from jupyter_registry.config import ENV_ARTIFACTS, ENV_DATABASE
from jupyter_registry.server.app import RegistryApp

ROOT = Path(__file__).parents[1]


@pytest.fixture
def restored_environ() -> Iterator[None]:
    """The extension exports its locations for kernels; keep them from the next test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def jp_server_config(tmp_path: Path, restored_environ: None) -> Config:
    enabling = json.loads((ROOT / "jupyter-config/server-config/jupyter_registry.json").read_text())
    # Once any server of this process loaded notebook_shim, it has patched the extension
    # manager class to expect it, so it comes along.
    enabling["ServerApp"]["jpserver_extensions"]["notebook_shim"] = True
    return Config(
        {
            **enabling,
            "RegistryConfig": {
                "database": f"sqlite:///{tmp_path / 'served.db'}",
                "artifacts": str(tmp_path / "served-artifacts"),
            },
        }
    )


def _the_app(serverapp: Any) -> RegistryApp:
    (app,) = serverapp.extension_manager.extension_apps["jupyter_registry"]
    assert isinstance(app, RegistryApp)
    return app


def _upload_threads() -> set[threading.Thread]:
    """Upload writer threads of every server in this process (a session's shared one too)."""
    return {t for t in threading.enumerate() if t.name.startswith("registry-upload")}


async def test_configured_by_registry_config_and_shared_with_kernels(
    jp_serverapp: Any, jp_fetch: Any, tmp_path: Path
) -> None:
    response = await jp_fetch("registry", "api", "v1", "models", method="GET")
    assert json.loads(response.body)["total"] == 0
    assert os.environ[ENV_DATABASE] == f"sqlite:///{tmp_path / 'served.db'}"
    assert os.environ[ENV_ARTIFACTS] == str(tmp_path / "served-artifacts")
    # a kernel's embedded Registry() opens the registry the server serves
    Registry().create_model("from-a-kernel")
    response = await jp_fetch("registry", "api", "v1", "models", "from-a-kernel", method="GET")
    assert json.loads(response.body)["name"] == "from-a-kernel"


async def test_stopping_the_extension_releases_what_it_owns(
    jp_serverapp: Any, jp_fetch: Any
) -> None:
    app = _the_app(jp_serverapp)
    others = _upload_threads()
    await jp_fetch("registry", "api", "v1", "models", method="GET")
    content = os.urandom(4096)
    sha256 = hashlib.sha256(content).hexdigest()
    await jp_fetch("registry", "api", "v1", "blobs", sha256, method="PUT", body=content)
    writers = _upload_threads() - others
    assert writers, "the upload ran on the extension's writer pool"
    engine = app.service.store.engine  # type: ignore[union-attr]
    assert engine.pool.checkedin() > 0, "the API call left a pooled connection"

    await jp_serverapp.extension_manager.stop_all_extensions()

    deadline = time.monotonic() + 10
    while any(t.is_alive() for t in writers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.is_alive() for t in writers), "idle upload writers end with the extension"
    assert engine.pool.checkedin() == 0, "the database connections are closed"
    assert app.webhooks is not None and app.webhooks.closed
