"""Lineage recorded in ``checkpoint.source`` outside a kernel: script, git, packages.

The notebook side (notebook path, kernel id, execution count) is checked on a
real kernel in ``test_magics.py``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from jupyter_registry import Registry
from jupyter_registry.lineage import capture_source, default_run


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, cwd=folder, check=True, capture_output=True, text=True).stdout


def test_source_outside_git_has_no_git_entry_and_names_the_script() -> None:
    source = capture_source()
    assert "git" not in source
    assert source["python"] == platform.python_version()
    assert source["cwd"] == str(Path.cwd())
    assert source["script"] == sys.argv[0]
    assert "notebook" not in source and "kernel_id" not in source
    assert source["packages"]["torch"].startswith("2.13.0")
    assert set(source["packages"]) >= {"numpy", "pandas", "jupyter_registry", "safetensors"}


def test_git_commit_and_dirty_flag_follow_the_working_tree() -> None:
    work = Path.cwd()
    git(work, "init", "-q")
    (work / "train.py").write_text("print(1)\n")
    git(work, "add", "train.py")
    git(work, "commit", "-q", "-m", "first")
    head = git(work, "rev-parse", "HEAD").strip()
    (work / "scratch.txt").write_text("untracked files do not make it dirty")
    assert capture_source()["git"] == {"commit": head, "dirty": False}
    (work / "train.py").write_text("print(2)\n")
    assert capture_source()["git"] == {"commit": head, "dirty": True}


def test_checkpoint_source_and_run_are_recorded_and_extras_kept(tmp_path: Path) -> None:
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"\0" * 10)
    ckpt = Registry().create_checkpoint(weights, source={"step": 1200, "batch": 7})
    assert ckpt.source["step"] == 1200 and ckpt.source["batch"] == 7
    assert ckpt.source["timestamp"][:4].isdigit()
    assert ckpt.run == default_run(ckpt.source)
    assert ckpt.run.endswith(f"@pid{os.getpid()}")
