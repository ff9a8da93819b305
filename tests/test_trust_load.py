"""Nothing runs unasked (SPEC §7): what a default ``load()`` may import and construct.

Each hostile checkpoint is made by hand, the way an attacker with write access
to a shared registry would: an entrypoint or a custom-object table naming
something other than the checkpoint's own model code or the framework. Every
payload would leave a marker file if it ran; a default ``load()`` must refuse
with :class:`UntrustedCodeError` and leave no marker, and ``trusted=True``
must still let a reviewed checkpoint through.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from jupyter_registry import Registry, UntrustedCodeError, ValidationError

# A module with an import-time side effect, placed on sys.path (not in any checkpoint).
SIDE_EFFECT_MODULE = """
from pathlib import Path
Path({marker!r}).write_text("imported")

from torch import nn


class Net(nn.Linear):
    def __init__(self, width=3):
        super().__init__(width, width)
"""


def torch_folder(
    root: Path, manifest: dict | None = None, code: dict[str, str] | None = None
) -> Path:
    """A safetensors checkpoint folder: weights of a Linear(3, 3), module.json, code/."""
    folder = root / "ckpt"
    folder.mkdir()
    torch.manual_seed(0)
    save_file(dict(nn.Linear(3, 3).state_dict()), folder / "weights.safetensors")
    if manifest is not None:
        (folder / "module.json").write_text(json.dumps(manifest))
    for name, text in (code or {}).items():
        (folder / "code").mkdir(exist_ok=True)
        (folder / "code" / name).write_text(text)
    return folder


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


@pytest.fixture
def side_effect_module(tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``trust_probe_lib``: importable from sys.path, writes ``marker`` when imported."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "trust_probe_lib.py").write_text(SIDE_EFFECT_MODULE.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(lib))
    monkeypatch.delitem(sys.modules, "trust_probe_lib", raising=False)
    return "trust_probe_lib"


def test_an_entrypoint_naming_popen_is_refused_before_anything_runs(
    tmp_path: Path, marker: Path
) -> None:
    folder = torch_folder(
        tmp_path, {"init_args": {"args": ["sh", "-c", f"touch {marker}"], "shell": False}}
    )
    ckpt = Registry().create_checkpoint(folder, format="safetensors", entrypoint="subprocess:Popen")
    with pytest.raises(UntrustedCodeError, match=r"subprocess.*load\(trusted=True\)"):
        ckpt.load()
    assert not marker.exists()


def test_hparams_cannot_smuggle_arguments_to_a_non_framework_callable(
    tmp_path: Path, marker: Path
) -> None:
    ckpt = Registry().create_checkpoint(
        torch_folder(tmp_path),
        format="safetensors",
        entrypoint="os:system",
        hparams={"command": f"touch {marker}"},
    )
    with pytest.raises(UntrustedCodeError):
        ckpt.load()
    assert not marker.exists()


def test_a_module_outside_the_checkpoint_is_imported_only_when_trusted(
    tmp_path: Path, marker: Path, side_effect_module: str
) -> None:
    ckpt = Registry().create_checkpoint(
        torch_folder(tmp_path, {"init_args": {"width": 3}}),
        format="safetensors",
        entrypoint=f"{side_effect_module}:Net",
    )
    with pytest.raises(UntrustedCodeError, match=side_effect_module):
        ckpt.load()
    assert not marker.exists()
    assert side_effect_module not in sys.modules
    model = ckpt.load(trusted=True)  # a reviewed checkpoint: the user lifts the rule
    assert type(model).__name__ == "Net" and marker.read_text() == "imported"


def test_trusted_still_needs_the_entrypoint_to_build_a_module(tmp_path: Path) -> None:
    ckpt = Registry().create_checkpoint(
        torch_folder(tmp_path, {"init_args": {"maxlen": 3}}),
        format="safetensors",
        entrypoint="collections:deque",
    )
    with pytest.raises(ValidationError, match=r"deque.*not a torch\.nn\.Module"):
        ckpt.load(trusted=True)


CODE_WITH_A_FUNCTION = """
from pathlib import Path


def build(width):
    Path({marker!r}).write_text("called")


class NotAModule:
    def __init__(self, width):
        Path({marker!r}).write_text("constructed")
"""


@pytest.mark.parametrize("name", ["build", "NotAModule"])
def test_code_in_the_checkpoint_that_is_not_a_module_class_is_not_called(
    tmp_path: Path, marker: Path, name: str
) -> None:
    code = {"model_def.py": CODE_WITH_A_FUNCTION.format(marker=str(marker))}
    ckpt = Registry().create_checkpoint(
        torch_folder(tmp_path, {"init_args": {"width": 3}}, code),
        format="safetensors",
        entrypoint=f"model_def:{name}",
    )
    with pytest.raises(UntrustedCodeError, match=rf"model_def:{name}.*torch\.nn\.Module"):
        ckpt.load()
    assert not marker.exists()


def test_a_framework_class_reached_through_an_attribute_chain_must_come_from_the_framework(
    tmp_path: Path,
) -> None:
    """``torch.nn:modules.module.sys...`` could walk anywhere; only torch.nn's own classes go."""
    ckpt = Registry().create_checkpoint(
        torch_folder(tmp_path),
        format="safetensors",
        entrypoint="torch.nn:modules.module.warnings.catch_warnings",
    )
    with pytest.raises(UntrustedCodeError, match="warnings"):
        ckpt.load()


def test_a_torch_nn_class_with_init_args_loads_by_default(tmp_path: Path) -> None:
    folder = torch_folder(tmp_path, {"init_args": {"in_features": 3, "out_features": 3}})
    ckpt = Registry().create_checkpoint(folder, format="safetensors", entrypoint="torch.nn:Linear")
    model = ckpt.load()
    torch.manual_seed(0)
    expected = nn.Linear(3, 3)
    assert isinstance(model, nn.Linear) and torch.equal(model.weight, expected.weight)


MODEL_DEF = """
from torch import nn


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
"""


def test_captured_code_still_loads_by_default(tmp_path: Path) -> None:
    state = {f"fc.{k}": v for k, v in nn.Linear(3, 3).state_dict().items()}
    folder = torch_folder(tmp_path, {"init_args": {"width": 3}}, {"model_def.py": MODEL_DEF})
    save_file(state, folder / "weights.safetensors")
    ckpt = Registry().create_checkpoint(folder, format="safetensors", entrypoint="model_def:Net")
    model = ckpt.load()
    assert type(model).__name__ == "Net" and torch.equal(model.fc.weight, state["fc.weight"])


def test_a_broken_module_json_is_a_clear_error(tmp_path: Path) -> None:
    folder = torch_folder(tmp_path)
    (folder / "module.json").write_text('{"init_args": ["not", "a", "mapping"]}')
    ckpt = Registry().create_checkpoint(folder, format="safetensors", entrypoint="torch.nn:Linear")
    with pytest.raises(ValidationError, match=r"module\.json"):
        ckpt.load()


def test_sklearn_custom_classes_are_not_imported_by_a_default_load(
    tmp_path: Path, marker: Path, side_effect_module: str
) -> None:
    import skops.io
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path / "skl"
    folder.mkdir()
    estimator = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    (folder / "model.skops").write_bytes(skops.io.dumps(estimator))
    ckpt = Registry().create_checkpoint(
        folder,
        format="skops",
        metadata={"custom_classes": {"__main__.Evil": f"{side_effect_module}:Net"}},
    )
    back = ckpt.load()
    assert back.predict([[1.0]]).tolist() == [1]
    assert not marker.exists() and side_effect_module not in sys.modules


def keras_folder(root: Path) -> Path:
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    folder = root / "keras"
    folder.mkdir()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.save(folder / "model.keras")
    return folder


def test_keras_custom_objects_outside_the_checkpoint_are_not_imported(
    tmp_path: Path, marker: Path, side_effect_module: str
) -> None:
    ckpt = Registry().create_checkpoint(
        keras_folder(tmp_path),
        format="keras",
        metadata={"custom_objects": {"Evil": f"{side_effect_module}:Net"}},
    )
    with pytest.raises(UntrustedCodeError, match=side_effect_module):
        ckpt.load()
    assert not marker.exists() and side_effect_module not in sys.modules


def test_keras_custom_objects_must_be_layer_classes(tmp_path: Path, marker: Path) -> None:
    folder = keras_folder(tmp_path)
    (folder / "code").mkdir()
    (folder / "code" / "layers.py").write_text(CODE_WITH_A_FUNCTION.format(marker=str(marker)))
    ckpt = Registry().create_checkpoint(
        folder, format="keras", metadata={"custom_objects": {"build": "layers:build"}}
    )
    with pytest.raises(UntrustedCodeError, match=r"layers:build.*keras\.layers\.Layer"):
        ckpt.load()
    assert not marker.exists()
