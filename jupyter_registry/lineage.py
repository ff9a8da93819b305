"""Where a checkpoint came from: notebook or script, kernel, git, Python, packages.

Recorded in ``checkpoint.source`` at creation time, cheaply (git is asked with
a short timeout and skipped when absent).
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

#: where a checkpoint's MLflow origin (``source``, ``run_id``, …) is kept in its lineage
MLFLOW_KEY = "mlflow"

KEY_PACKAGES = (
    "torch",
    "safetensors",
    "scikit-learn",
    "skops",
    "keras",
    "numpy",
    "pandas",
    "ipykernel",
    "jupyter_registry",
)


def _git(folder: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_state(folder: Path) -> dict[str, Any] | None:
    commit = _git(folder, "rev-parse", "HEAD")
    if not commit:
        return None
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status)}


def kernel_info() -> dict[str, Any]:
    """The notebook and kernel this process serves, when it is a Jupyter kernel.

    Jupyter Server gives a kernel its notebook's full path in ``JPY_SESSION_NAME``;
    the kernel id is the stem of ipykernel's connection file (``kernel-<id>.json``).
    """
    info: dict[str, Any] = {}
    notebook = os.environ.get("JPY_SESSION_NAME")
    if notebook:
        info["notebook"] = notebook
    if "ipykernel" in sys.modules:
        try:
            from ipykernel.connect import get_connection_file

            stem = Path(get_connection_file()).stem
            info["kernel_id"] = stem.removeprefix("kernel-")
        except (RuntimeError, ImportError, AttributeError):
            pass
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None:
                vscode = shell.user_ns.get("__vsc_ipynb_file__")  # VS Code's notebooks
                if "notebook" not in info and isinstance(vscode, str):
                    info["notebook"] = vscode
                # In[] already holds the running cell (IPython 9 bumps execution_count
                # before running it, IPython 8 after), so its last index is this cell's number.
                history = shell.user_ns.get("In")
                count = len(history) - 1 if history else shell.execution_count
                info["execution_count"] = count
        except ImportError:
            pass
    return info


def package_versions(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def capture_source(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Lineage of a checkpoint being created now, in this process."""
    kernel = kernel_info()
    origin = Path(kernel["notebook"]).parent if "notebook" in kernel else Path.cwd()
    source: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "cwd": os.getcwd(),
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "packages": package_versions(),
        **kernel,
    }
    if "notebook" not in kernel and sys.argv and sys.argv[0]:
        source["script"] = sys.argv[0]
    git = git_state(origin if origin.is_dir() else Path.cwd())
    if git:
        source["git"] = git
    source.update(extra or {})
    return source


def default_run(source: dict[str, Any]) -> str:
    """A run groups the checkpoints of one notebook session or one script run."""
    origin = source.get("notebook") or source.get("script") or "python"
    session = source.get("kernel_id") or f"pid{os.getpid()}"
    return f"{Path(str(origin)).stem or 'python'}@{session}"
