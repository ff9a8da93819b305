"""Real ``jupyter server`` subprocesses with the registry extension, and the remote backend.

Loaded as a pytest plugin from ``conftest.py``. ``start_jupyter`` runs the
installed extension exactly as a user's server would (token auth,
unauthenticated access refused), on a free loopback port, with the registry
storage given in a config file through ``c.RegistryConfig``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from jupyter_server.serverapp import ServerApp
from servers import free_port, stop_process
from traitlets.config import Config

from jupyter_registry.config import RegistryConfig
from jupyter_registry.server.base import SERVICE_KEY
from jupyter_registry.service import RegistryService


@dataclass
class JupyterServer:
    process: subprocess.Popen[bytes]
    folder: Path
    url: str
    token: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def api(self, *path: str) -> str:
        return self.url + "registry/api/v1/" + "/".join(path)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_jupyter(
    registry: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    extra_config: dict[str, Any] | None = None,
) -> JupyterServer:
    """Start ``jupyter server`` with ``c.RegistryConfig`` set from ``registry``."""
    folder = Path(tempfile.mkdtemp(prefix="jr-jupyter-"))
    token = uuid.uuid4().hex
    port = free_port()
    config = {
        "ServerApp": {
            "ip": "127.0.0.1",
            "port": port,
            "port_retries": 0,
            "token": token,
            "open_browser": False,
            "allow_root": True,
            "root_dir": str(folder),
            "allow_unauthenticated_access": False,
            "jpserver_extensions": {"jupyter_registry": True},
        },
        "RegistryConfig": registry or {},
    }
    for section, values in (extra_config or {}).items():  # merged, so ServerApp can be extended
        config.setdefault(section, {}).update(values)
    (folder / "jupyter_server_config.json").write_text(json.dumps(config))
    process_env = {**os.environ, **(env or {}), "JUPYTER_CONFIG_DIR": str(folder)}
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--config={folder / 'jupyter_server_config.json'}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=process_env,
        cwd=folder,
    )
    server = JupyterServer(process, folder, f"http://127.0.0.1:{port}/", token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter server exited:\n{server.log()[-3000:]}")
        try:
            status = requests.get(server.api("models"), headers=server.headers(), timeout=2)
            if status.status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError("jupyter server did not start in time")


class PeakRss:
    """Samples a process's resident memory in a background thread; ``peak`` is the maximum seen."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.process = psutil.Process(pid)
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(self.interval)

    @property
    def growth(self) -> int:
        return self.peak - self.baseline

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _ThreadServerApp(ServerApp):
    """A ServerApp that may run off the main thread (signals belong to pytest)."""

    def init_signal(self) -> None:
        pass


class ThreadedJupyter:
    """A real Jupyter server with the extension, on its own IO loop in a thread of this process.

    Its SDK clients still talk HTTP to it like to any server; being in-process
    only lets :meth:`use_registry` give each test a fresh, empty registry in
    well under a second instead of a 3-second server start.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.token = uuid.uuid4().hex
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self._config = Config(
            {
                "ServerApp": {
                    "ip": "127.0.0.1",
                    "port": port,
                    "port_retries": 0,
                    "token": self.token,
                    "open_browser": False,
                    "allow_root": True,
                    "root_dir": str(folder),
                    "allow_unauthenticated_access": False,
                    "jpserver_extensions": {"jupyter_registry": True},
                },
                "RegistryConfig": {
                    "database": f"sqlite:///{folder / 'registry.db'}",
                    "artifacts": str(folder / "artifacts"),
                },
            }
        )
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        saved_env = dict(os.environ)
        self.thread = threading.Thread(target=self._run, name="jupyter-server", daemon=True)
        self.thread.start()
        if not self._ready.wait(60) or self._failure is not None:
            raise RuntimeError(f"in-process jupyter server failed: {self._failure!r}")
        # The extension exports its storage to the environment for kernels; keep
        # that from leaking into the other tests of this process.
        os.environ.clear()
        os.environ.update(saved_env)

    def _run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            self.app = _ThreadServerApp(config=self._config)
            self.app.initialize(argv=[])
            self.app.io_loop.add_callback(self._ready.set)
            self.app.start()
        except BaseException as exc:
            self._failure = exc
            self._ready.set()

    @property
    def service(self) -> RegistryService:
        return self.app.web_app.settings[SERVICE_KEY]  # type: ignore[no-any-return]

    def use_registry(self, database: str, artifacts: str) -> None:
        """Point the running extension at another registry, keeping its event listeners."""
        fresh = RegistryService.from_config(RegistryConfig(database=database, artifacts=artifacts))
        fresh.listeners.extend(self.service.listeners)
        self.app.web_app.settings[SERVICE_KEY] = fresh

    def stop(self) -> None:
        self.app.io_loop.add_callback(self.app._stop)
        self.thread.join(15)


@pytest.fixture(scope="session")
def threaded_jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedJupyter]:
    server = ThreadedJupyter(tmp_path_factory.mktemp("threaded-jupyter"))
    yield server
    server.stop()


@pytest.fixture
def remote_backend_factory(threaded_jupyter: ThreadedJupyter) -> Callable[[Path], Any]:
    """The ``remote`` backend: the SDK over HTTP to a Jupyter server, fresh registry per test."""
    from conftest import Backend

    def make(tmp_path: Path) -> Any:
        threaded_jupyter.use_registry(
            f"sqlite:///{tmp_path / 'remote-registry.db'}", str(tmp_path / "remote-artifacts")
        )
        return Backend("remote", server=threaded_jupyter.url, token=threaded_jupyter.token)

    return make
