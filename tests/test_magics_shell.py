"""The magics in an in-process IPython shell (IPython's ``globalipapp``): quick paths.

The real-kernel round trips are in ``test_magics.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from IPython import get_ipython
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython
from safetensors.torch import save_file

from jupyter_registry import ModelVersion, Registry

NET = """
from torch import nn


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 1)
"""


@pytest.fixture
def ip() -> Any:
    shell = start_ipython() or get_ipython()  # one shell per test session
    shell.run_line_magic("load_ext", "jupyter_registry")
    return shell


def magic(ip: Any, line: str) -> Any:
    return ip.run_line_magic("register_version", line)


def test_a_folder_with_entrypoint_and_format_loads_as_a_module(
    ip: Any, tmp_path: Path, ns: str
) -> None:
    folder = tmp_path / "export"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "net.py").write_text(NET)
    torch.manual_seed(0)
    state = {"fc.weight": torch.randn(1, 3), "fc.bias": torch.randn(1)}
    save_file(state, folder / "weights.safetensors")
    ip.user_ns.update(export_dir=str(folder), np=np)
    mv = magic(
        ip,
        f"{ns}m export_dir --create --entrypoint net:Net --format safetensors "
        "--hparams \"{'width': 3}\" --metrics \"{'loss': np.float32(0.25)}\" "
        "--step 1200 --metadata \"{'reviewed': True}\"",
    )
    assert mv.metadata == {"reviewed": True}
    assert mv.checkpoint.source["step"] == 1200
    assert isinstance(mv, ModelVersion) and mv.version == 1
    ckpt = mv.checkpoint
    assert (ckpt.entrypoint, ckpt.format, ckpt.metrics) == (
        "net:Net",
        "safetensors",
        {"loss": 0.25},
    )
    model = mv.load()
    assert torch.equal(model.fc.weight, state["fc.weight"])

    # a ModelVersion (or Checkpoint) registers the same checkpoint elsewhere
    ip.user_ns["mv"] = mv
    other = magic(ip, f"{ns}other mv --create --alias best --comment 'same weights'")
    assert other.checkpoint.uuid == ckpt.uuid and other.aliases == ["best"]
    assert other.comment == "same weights"


def test_the_current_checkpoint_is_the_last_one_created_by_the_sdk(
    ip: Any, tmp_path: Path, ns: str
) -> None:
    Registry().create_model(f"{ns}m")
    path = tmp_path / "w.bin"
    path.write_bytes(b"\1" * 8)
    ckpt = Registry().create_checkpoint(path)
    mv = magic(ip, f"{ns}m")
    assert mv.checkpoint.uuid == ckpt.uuid
    with pytest.raises(UsageError, match=r"checkpoints are immutable"):
        magic(ip, f"{ns}m --metrics \"{{'acc': 1.0}}\"")
    with pytest.raises(UsageError, match=r"checkpoints are immutable"):
        magic(ip, f"{ns}m --step 0")
    with pytest.raises(UsageError, match=r"--metadata must evaluate to a dict"):
        magic(ip, f"{ns}m --metadata \"'text'\"")
    assert Registry().get_model(f"{ns}m").num_versions == 1


def test_object_only_options_and_bad_expressions(ip: Any, ns: str) -> None:
    ip.user_ns["lin"] = torch.nn.Linear(2, 2)
    with pytest.raises(UsageError, match="--entrypoint and --format apply to a file or folder"):
        magic(ip, f"{ns}m lin --create --entrypoint x:Y")
    with pytest.raises(UsageError, match=r"--hparams 'undefined_name': NameError"):
        magic(ip, f"{ns}m lin --create --hparams undefined_name")
    with pytest.raises(UsageError, match="neither a file or folder nor an expression"):
        magic(ip, f"{ns}m lin[")
    with pytest.raises(UsageError, match=r"invalid name 'bad/name'"):
        magic(ip, "bad/name lin --create")
    with pytest.raises(UsageError, match=r"'latest' is reserved"):
        magic(ip, f"{ns}m lin --create --alias latest")
    with pytest.raises(UsageError, match=r"--metrics: must not contain NaN"):
        magic(ip, f"{ns}m lin --create --metrics \"{{'loss': float('nan')}}\"")
    assert Registry().get_models(name=ns) == []
    assert Registry().get_checkpoints() == []  # nothing stored by any of these
