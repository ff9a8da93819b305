"""Framework adapters, entrypoint loading in isolation, and the trust checks.

In-process and quick; the notebook round trips are in ``test_magics.py``.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from jupyter_registry import Registry, ValidationError
from jupyter_registry.frameworks import adapter_for_format, adapters
from jupyter_registry.frameworks.code import build_kwargs, constructor_args
from jupyter_registry.frameworks.importer import load_entrypoint

MODEL_DEF = """
import torch
from torch import nn

VERSION = {version}


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.width = width
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x) * VERSION
"""


def make_checkpoint_folder(root: Path, version: int) -> Path:
    """A hand-made torch checkpoint: code/model_def.py + weights, Determined style."""
    folder = root / f"v{version}"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "model_def.py").write_text(MODEL_DEF.format(version=version))
    torch.manual_seed(version)
    state = nn.Linear(3, 3).state_dict()
    save_file({f"fc.{k}": v for k, v in state.items()}, folder / "weights.safetensors")
    return folder


def test_adapters_are_discovered_through_entry_points() -> None:
    names = {a.name for a in adapters()}
    assert {"files", "torch", "sklearn", "keras", "pickle"} <= names
    assert adapter_for_format("safetensors").name == "torch"
    assert adapter_for_format("skops").name == "sklearn"
    assert adapter_for_format("keras").name == "keras"
    assert adapter_for_format("joblib").name == "pickle"


def test_two_versions_of_the_same_module_load_side_by_side_without_polluting(
    tmp_path: Path,
) -> None:
    reg = Registry()
    preexisting = types.ModuleType("model_def")
    sys.modules["model_def"] = preexisting
    try:
        models = []
        for version in (1, 2):
            ckpt = reg.create_checkpoint(
                make_checkpoint_folder(tmp_path, version),
                framework="torch-2.13.0",
                format="safetensors",
                entrypoint="model_def:Net",
                hparams={"width": 3, "lr": 0.1},
            )
            models.append(ckpt.load())
        x = torch.ones(1, 3)
        one, two = (m(x) for m in models)
        assert type(models[0]) is not type(models[1])
        assert type(models[0]).__module__ == "model_def"
        assert sys.modules["model_def"] is preexisting  # put back, not replaced
        assert not torch.equal(one, two)
        assert models[0].width == 3
    finally:
        sys.modules.pop("model_def", None)
    assert "model_def" not in sys.modules


def test_a_flat_model_definition_folder_loads_from_its_top(tmp_path: Path) -> None:
    folder = tmp_path / "flat"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "train.csv").write_text("1,2,3\n")
    (folder / ".registryignore").write_text("data/\n")
    (folder / "model_def.py").write_text(MODEL_DEF.format(version=7))
    torch.manual_seed(7)
    state = {f"fc.{k}": v for k, v in nn.Linear(2, 2).state_dict().items()}
    save_file(state, folder / "weights.safetensors")
    ckpt = Registry().create_checkpoint(
        folder, format="safetensors", entrypoint="model_def:Net", hparams={"width": 2}
    )
    assert set(ckpt.resources) == {".registryignore", "model_def.py", "weights.safetensors"}
    model = ckpt.load()
    x = torch.ones(1, 2)
    assert torch.equal(model(x), nn.functional.linear(x, state["fc.weight"], state["fc.bias"]) * 7)


def test_empty_module_entrypoint_loads_the_code_folders_package(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "trial_classes").mkdir(parents=True)
    (code / "__init__.py").write_text("from .trial_classes import holder as trial_classes\n")
    (code / "trial_classes" / "__init__.py").write_text("")
    (code / "trial_classes" / "holder.py").write_text("class NestedTrial:\n    answer = 42\n")
    before = set(sys.modules)
    cls = load_entrypoint(code, ":trial_classes.NestedTrial")
    assert cls.answer == 42
    assert set(sys.modules) == before


@pytest.mark.parametrize(
    ("entrypoint", "message"),
    [
        ("model_def:Nope", "has no attribute 'Nope'"),
        ("missing_mod:Net", "is not in the checkpoint's code folder or this environment"),
        ("not an entrypoint", "invalid entrypoint"),
    ],
)
def test_bad_entrypoints_are_clear_errors(tmp_path: Path, entrypoint: str, message: str) -> None:
    code = make_checkpoint_folder(tmp_path, 1) / "code"
    with pytest.raises(ValidationError, match=message):
        load_entrypoint(code, entrypoint, environment=None)
    assert "model_def" not in sys.modules


class Wide(nn.Module):
    def __init__(self, n_in, n_out, *, bias=True):
        super().__init__()
        self.n_in = n_in
        self.lin = nn.Linear(n_in, n_out, bias=bias)


def test_constructor_arguments_from_attributes_then_hparams() -> None:
    found, missing = constructor_args(Wide(3, 5, bias=False))
    assert found == {"n_in": 3} and missing == ["n_out"]
    assert build_kwargs(Wide, found, {"n_out": 5, "lr": 0.1}) == {"n_in": 3, "n_out": 5}
    with pytest.raises(ValidationError, match="no value for constructor argument"):
        build_kwargs(Wide, found, {"lr": 0.1})


def test_torch_model_of_an_installed_class_needs_no_code() -> None:
    reg = Registry()
    torch.manual_seed(0)
    lin = nn.Linear(4, 2).double()
    ckpt = reg.save_checkpoint(lin)
    assert ckpt.entrypoint == "torch.nn.modules.linear:Linear"
    assert "code/" not in ckpt.resources
    back = ckpt.load()
    x = torch.randn(3, 4, dtype=torch.float64)
    assert back.weight.dtype == torch.float64
    assert torch.equal(back(x), lin(x))


def test_a_class_defined_inside_a_function_is_refused_at_save_time() -> None:
    class Local(nn.Module):
        pass

    with pytest.raises(ValidationError, match="defined inside a function"):
        Registry().save_checkpoint(Local())


def test_pickle_checkpoints_load_only_when_trusted(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    ckpt = Registry().create_checkpoint(path, format="pickle")
    with pytest.raises(ValidationError, match="unpickling runs arbitrary code"):
        ckpt.load()
    assert ckpt.load(trusted=True) == {"weights": [1, 2, 3]}


def test_pickle_adapter_never_writes_pickles() -> None:
    with pytest.raises(ValidationError, match="no framework adapter can save"):
        Registry().save_checkpoint(object())


def test_skops_refuses_types_it_does_not_trust_unless_trusted() -> None:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, X[:, 0] > 0)
    ckpt = Registry().save_checkpoint(forest)
    assert ckpt.format == "skops"
    with pytest.raises(ValidationError, match=r"sklearn\.tree\._tree\.Tree.*load\(trusted=True\)"):
        ckpt.load()
    back = ckpt.load(trusted=True)
    assert np.array_equal(back.predict_proba(X), forest.predict_proba(X))


SCRIPT = """
import sys
import torch
from torch import nn
from jupyter_registry import Registry

WIDTH = 4


class Head(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.classes = classes
        self.fc = nn.Linear(WIDTH, classes)

    def forward(self, x):
        return torch.log_softmax(self.fc(x), -1)


torch.manual_seed(3)
head = Head(classes=5)
x = torch.randn(2, WIDTH)
from safetensors.torch import save_file
save_file({"x": x, "y": head(x).detach()}, "io.safetensors")
print(Registry().save_checkpoint(head).uuid)
"""


def test_a_class_defined_in_a_training_script_is_captured_from_its_file(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    run = [sys.executable, str(script)]
    uuid = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    ckpt = Registry().get_checkpoint(uuid.strip())
    assert ckpt.entrypoint == "model_def:Head"
    assert ckpt.source["script"] == str(script)
    code = (ckpt.local_folder() / "code" / "model_def.py").read_text()
    assert "WIDTH = 4" in code and "from torch import nn" in code and "save_file" not in code
    io = load_file(tmp_path / "io.safetensors")
    model = ckpt.load()  # here: another process than the script's
    assert type(model).__name__ == "Head" and torch.equal(model(io["x"]), io["y"])
    assert "model_def" not in sys.modules
