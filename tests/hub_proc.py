"""A real JupyterHub subprocess with the registry as a hub-managed service.

PyPI's JupyterHub with npm's configurable-http-proxy (``scripts/hub-proxy.sh``,
run by ``make setup``), the dummy authenticator (one shared password) and the
local-process spawner, each user's server in its own home under the hub's
temporary folder. The registry runs once, as the service ``registry``: the
same ``jupyterhub-singleuser`` (a ``jupyter server`` with JupyterHub's
identity provider) with this extension and a SQLite registry. Users' servers
forward their registry API to it, which is the configuration ``docs/team.md``
documents; :func:`hub_config` writes that file with test ports and folders.
"""

from __future__ import annotations

import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from servers import free_port, stop_process, wait_until_up

PROXY = Path(__file__).parents[1] / "scripts/hub-proxy/node_modules/.bin/configurable-http-proxy"
PASSWORD = "registry-team"
SERVICE = "registry"


def hub_config(folder: Path, port: int, registry_port: int, admin_token: str) -> str:
    """docs/team.md's jupyterhub_config.py with loopback ports and folders under ``folder``."""
    hub = f"http://127.0.0.1:{port}/"
    singleuser = [sys.executable, "-m", "jupyterhub.singleuser"]
    if os.geteuid() == 0:
        singleuser.append("--allow-root")
    values: dict[str, Any] = {
        "port": port,
        "hub_port": free_port(),
        "proxy_api": f"http://127.0.0.1:{free_port()}",
        "proxy": [str(PROXY)],
        "db": f"sqlite:///{folder / 'jupyterhub.sqlite'}",
        "cookie_secret": str(folder / "jupyterhub_cookie_secret"),
        "home": str(folder / "home" / "{username}"),
        "singleuser": singleuser,
        "registry_url": f"http://127.0.0.1:{registry_port}",
        "registry_env": {
            "JUPYTER_REGISTRY_DATABASE": f"sqlite:///{folder / 'registry' / 'registry.db'}",
            "JUPYTER_REGISTRY_ARTIFACTS": str(folder / "registry" / "artifacts"),
        },
        "registry_cwd": str(folder / "registry"),
        "registry_api": f"{hub}services/{SERVICE}/",
        "password": PASSWORD,
        "admin_token": admin_token,
    }
    template = string.Template(Path(__file__).with_name("hub_config.py.in").read_text())
    return template.substitute({k: repr(v) for k, v in values.items()})


@dataclass
class Hub:
    process: subprocess.Popen[bytes]
    folder: Path
    url: str
    admin_token: str

    @property
    def registry(self) -> str:
        """The central registry's URL: the service, reached through the hub's proxy."""
        return f"{self.url}services/{SERVICE}/"

    def log(self) -> str:
        return (self.folder / "hub.log").read_text(errors="replace")

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.admin_token}"}
        response = requests.request(
            method, f"{self.url}hub/api/{path}", headers=headers, timeout=30, **kwargs
        )
        response.raise_for_status()
        return response

    def add_user(self, name: str) -> str:
        """Create ``name`` and return an API token acting as them (what a login gives)."""
        self.admin("POST", f"users/{name}")
        token = self.admin("POST", f"users/{name}/tokens", json={"note": "test login"})
        return str(token.json()["token"])

    def start_server(self, name: str, timeout: float = 120) -> str:
        """Spawn ``name``'s single-user server; its URL once it answers."""
        self.admin("POST", f"users/{name}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.admin("GET", f"users/{name}").json()["servers"].get("", {})
            if server.get("ready"):
                return f"{self.url}user/{name}/"
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(f"{name}'s server did not start:\n{self.log()[-4000:]}")

    def home(self, name: str) -> Path:
        return self.folder / "home" / name

    def stop(self) -> None:
        stop_process(self.process, timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_hub(timeout: float = 90) -> Hub:
    if not PROXY.exists():
        raise RuntimeError(f"{PROXY} is missing: run `make setup` (scripts/hub-proxy.sh)")
    folder = Path(tempfile.mkdtemp(prefix="jr-hub-"))
    (folder / "registry").mkdir()
    port, admin_token = free_port(), secrets.token_hex(16)
    config = folder / "jupyterhub_config.py"
    config.write_text(hub_config(folder, port, free_port(), admin_token))
    log = open(folder / "hub.log", "wb")  # noqa: SIM115 - lives as long as the hub
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_REGISTRY_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
        env=env,
    )
    hub = Hub(process, folder, f"http://127.0.0.1:{port}/", admin_token)
    if wait_until_up(process, lambda: requests.get(f"{hub.url}hub/api/", timeout=2).ok, timeout):
        return hub
    log = hub.log()
    hub.stop()
    raise RuntimeError(f"jupyterhub did not start:\n{log[-4000:]}")
