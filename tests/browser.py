"""A real ``jupyter lab`` subprocess and Debian's Chromium, for browser tests.

``start_lab`` runs JupyterLab on a free loopback port with a random token, its
user settings and workspaces in the given folder and the "news" toast off, so
screenshots and clicks stay deterministic. ``CHROMIUM_ARGS`` are the flags
that work here (TOOLCHAIN.md D); never ``playwright install``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from servers import free_port, stop_process

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LabProcess:
    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]

    def open_url(self, path: str = "lab") -> str:
        return f"{self.url}{path}?token={self.token}"

    def stop(self) -> None:
        stop_process(self.process)


def start_lab(
    base: Path, env: dict[str, str], timeout: float = 90, app: str = "jupyterlab"
) -> LabProcess:
    """``jupyter lab`` serving ``base/root``; ``env`` reaches the server and its kernels.

    ``app="notebook"`` starts Notebook 7 instead (same settings, same layout).
    """
    settings_class = "JupyterNotebookApp" if app == "notebook" else "LabApp"
    root, settings = base / "root", base / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    root.mkdir(exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    token, port = uuid.uuid4().hex, free_port()
    cmd = [
        sys.executable, "-m", app,
        "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        f"--{settings_class}.user_settings_dir={settings}",
        f"--{settings_class}.workspaces_dir={base / 'workspaces'}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = base / "lab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    lab = LabProcess(f"http://127.0.0.1:{port}/", token, root, log, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(f"{lab.url}api/status", params={"token": token}, timeout=2).ok:
                return lab
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    lab.stop()
    raise RuntimeError(f"jupyter lab did not start:\n{log.read_text(errors='replace')[-3000:]}")
