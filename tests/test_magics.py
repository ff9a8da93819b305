"""``%register_version`` in real notebooks, loaded back in a fresh process elsewhere.

Each test writes a notebook, executes it with nbclient on a real ipykernel
(the venv's Python) in its own folder, then runs a *separate* Python process
in another folder that loads the ``production`` version with nothing but
``Registry()`` and compares its outputs bit for bit with the ones the notebook
saved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_registry import Registry

pytestmark = pytest.mark.slow


def run_notebook(
    folder: Path, cells: list[str], allow_errors: bool = False
) -> nbformat.NotebookNode:
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    path = folder / "train.ipynb"
    nbformat.write(nb, path)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(path)})
    nbformat.write(nb, path)
    return nb


def fill(name: str, cells: list[str]) -> list[str]:
    return [c.replace("{name}", name) for c in cells]


def text_of(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}\n" + "\n".join(out.traceback))
    return "".join(parts)


def load_elsewhere(tmp_path: Path, script: str) -> str:
    """Run ``script`` in a fresh interpreter, in a folder the notebook never saw."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        env={k: v for k, v in os.environ.items() if k != "JPY_SESSION_NAME"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


TORCH_CELLS = [
    "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n\nSCALE = 0.5",
    "def squash(x):\n    return torch.tanh(x) * SCALE",
    (
        "class Net(nn.Module):\n"
        "    def __init__(self, hidden, classes=3):\n"
        "        super().__init__()\n"
        "        self.hidden = hidden\n"
        "        self.fc = nn.Linear(4, hidden)\n"
        "        self.head = nn.Linear(hidden, classes)\n"
        "        self.register_buffer('steps', torch.zeros((), dtype=torch.long))\n"
        "\n"
        "    def forward(self, x):\n"
        "        return self.head(squash(F.relu(self.fc(x))))"
    ),
    (
        "torch.manual_seed(0)\n"
        "model = Net(hidden=16)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "x = torch.randn(32, 4)\n"
        "loss = model(x).pow(2).mean(); loss.backward(); opt.step(); model.steps += 1\n"
        "model.eval()\n"
        "from safetensors.torch import save_file\n"
        "save_file({'x': x, 'y': model(x).detach()}, 'io.safetensors')\n"
        "metrics = {'loss': loss.detach()}"
    ),
    "%load_ext jupyter_registry",
    (
        "mv = %register_version {name} model --create --metrics metrics "
        "--hparams \"{'hidden': 16, 'lr': 0.1}\" --alias production --comment 'first cut'"
    ),
    "mv2 = %register_version {name}\nprint(mv.version, mv2.version)",
]

TORCH_LOAD = """
import sys
from safetensors.torch import load_file
import torch
from jupyter_registry import Registry
io = load_file({io!r})
model = Registry().get_model({name!r}).get_version("production").load()
print(type(model).__name__, model.training, int(model.steps))
print("identical" if torch.equal(model(io["x"]), io["y"]) else "DIFFERENT")
print("model_def" in sys.modules)
"""


def git_repo(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for cmd in (
        ["git", "init", "-q"],
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ],
    ):
        subprocess.run(cmd, cwd=folder, check=True)


def test_torch_module_from_a_cell_loads_bit_identical_in_a_fresh_process(
    tmp_path: Path, ns: str
) -> None:
    name = f"{ns}net"
    folder = tmp_path / "project"
    git_repo(folder)
    (folder / "untracked-but-ignored.txt").write_text("x")
    nb = run_notebook(folder, fill(name, TORCH_CELLS))

    assert f"Registered {name} v1" in text_of(nb.cells[5])
    assert "aliases: production" in text_of(nb.cells[5])
    assert text_of(nb.cells[6]).splitlines()[-1] == "1 2"

    model = Registry().get_model(name)
    v1, v2 = model.get_version(1), model.get_version(2)
    assert v2.checkpoint.uuid == v1.checkpoint.uuid  # no args: the current checkpoint
    assert model.get_version("production").version == 1
    assert v1.comment == "first cut"
    ckpt = v1.checkpoint
    assert ckpt.framework == "torch-2.13.0" and ckpt.format == "safetensors"
    assert ckpt.entrypoint == "model_def:Net"
    assert set(ckpt.resources) == {
        "code/",
        "code/model_def.py",
        "module.json",
        "weights.safetensors",
    }
    assert ckpt.hparams == {"hidden": 16, "lr": 0.1}
    assert isinstance(ckpt.metrics["loss"], float)

    # lineage
    source = ckpt.source
    assert source["notebook"] == str(folder / "train.ipynb")
    assert len(source["kernel_id"]) >= 8
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert source["git"] == {"commit": head, "dirty": False}
    assert source["python"].count(".") == 2
    assert source["packages"]["torch"].startswith("2.13.0")
    assert source["execution_count"] == 6
    assert source["timestamp"].startswith("20")
    assert ckpt.run.startswith("train@")

    out = load_elsewhere(tmp_path, TORCH_LOAD.format(io=str(folder / "io.safetensors"), name=name))
    assert out.split() == ["Net", "False", "1", "identical", "False"]


SKLEARN_CELLS = [
    (
        "import numpy as np\n"
        "from sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(200, 5)); y = (X[:, 0] + X[:, 1] > 0).astype(int)\n"
        "pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5)).fit(X, y)\n"
        "np.save('X.npy', X); np.save('proba.npy', pipe.predict_proba(X))\n"
        "metrics = {'accuracy': pipe.score(X, y)}"
    ),
    "%load_ext jupyter_registry",
    "%register_version {name} pipe --create --metrics metrics --alias production",
    "%register_version {name}",
    (
        "from sklearn.base import BaseEstimator, TransformerMixin\n\nLIMIT = 0.5\n\n\n"
        "class Clip(TransformerMixin, BaseEstimator):\n"
        "    def __init__(self, limit=LIMIT):\n"
        "        self.limit = limit\n\n"
        "    def fit(self, X, y=None):\n"
        "        return self\n\n"
        "    def transform(self, X):\n"
        "        return np.clip(X, -self.limit, self.limit)"
    ),
    (
        "clipped = make_pipeline(Clip(), LogisticRegression()).fit(X, y)\n"
        "np.save('proba2.npy', clipped.predict_proba(X))\n"
        "%register_version {name}-custom clipped --create --alias production"
    ),
]

SKLEARN_LOAD = """
import sys
import numpy as np
from jupyter_registry import Registry, ValidationError
X = np.load({folder!r} + "/X.npy")
pipe = Registry().get_model({name!r}).get_version("production").load()
same = np.array_equal(pipe.predict_proba(X), np.load({folder!r} + "/proba.npy"))
print(type(pipe).__name__, "identical" if same else "DIFFERENT")
custom = Registry().get_model({name!r} + "-custom").get_version("production")
try:
    custom.load()
except ValidationError as exc:
    print("refused" if "__main__.Clip would run code stored" in str(exc) else exc)
pipe = custom.load(trusted=True)
same = np.array_equal(pipe.predict_proba(X), np.load({folder!r} + "/proba2.npy"))
print(type(pipe.steps[0][1]).__name__, "identical" if same else "DIFFERENT")
print("model_def" in sys.modules, hasattr(sys.modules["__main__"], "Clip"))
"""


def round_trip(tmp_path: Path, name: str, cells: list[str], load_script: str) -> tuple:
    """Run the notebook, then ``load_script`` in a fresh process: (nb, checkpoint, words)."""
    folder = tmp_path / "nb"
    nb = run_notebook(folder, fill(name, cells))
    ckpt = Registry().get_model(name).get_version("production").checkpoint
    out = load_elsewhere(tmp_path, load_script.format(name=name, folder=str(folder)))
    return nb, ckpt, out.split()


def test_sklearn_pipeline_round_trip(tmp_path: Path, ns: str) -> None:
    name = f"{ns}pipe"
    nb, ckpt, out = round_trip(tmp_path, name, SKLEARN_CELLS, SKLEARN_LOAD)
    assert f"Registered {name} v2" in text_of(nb.cells[3])
    assert ckpt.format == "skops" and ckpt.framework.startswith("scikit-learn-")
    assert list(ckpt.resources) == ["model.skops"]
    assert 0.9 < ckpt.metrics["accuracy"] <= 1.0
    custom = Registry().get_model_version(f"{name}-custom:production").checkpoint
    assert custom.metadata["custom_classes"] == {"__main__.Clip": "model_def:Clip"}
    assert set(custom.resources) == {"code/", "code/model_def.py", "model.skops"}
    assert out == ["Pipeline", "identical", "refused", "Clip", "identical", "False", "False"]


KERAS_CELLS = [
    (
        "import os\nos.environ['KERAS_BACKEND'] = 'torch'\n"
        "import numpy as np\nimport keras\n"
        "keras.utils.set_random_seed(0)\n"
        "inputs = keras.Input((6,))\n"
        "h = keras.layers.Dense(8, activation='relu')(inputs)\n"
        "outputs = keras.layers.Dense(2, activation='softmax')(h)\n"
        "net = keras.Model(inputs, outputs)\n"
        "net.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
        "X = np.random.default_rng(0).normal(size=(64, 6)).astype('float32')\n"
        "net.fit(X, (X[:, 0] > 0).astype('int32'), epochs=2, verbose=0)\n"
        "np.save('X.npy', X); np.save('y.npy', net.predict(X, verbose=0))"
    ),
    "%load_ext jupyter_registry",
    "%register_version {name} net --create --alias production",
    (
        "class Scale(keras.layers.Layer):\n"
        "    def __init__(self, factor=2.0, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.factor = factor\n\n"
        "    def call(self, x):\n"
        "        return x * self.factor\n\n"
        "    def get_config(self):\n"
        "        return {**super().get_config(), 'factor': self.factor}\n\n\n"
        "class Tower(keras.Model):\n"
        "    def __init__(self, units=4, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.units = units\n"
        "        self.dense = keras.layers.Dense(units)\n"
        "        self.scale = Scale(0.5)\n\n"
        "    def call(self, x):\n"
        "        return self.scale(self.dense(x))\n\n"
        "    def get_config(self):\n"
        "        return {**super().get_config(), 'units': self.units}"
    ),
    (
        "tower = Tower(3)\nnp.save('y2.npy', tower.predict(X, verbose=0))\n"
        "%register_version {name}-custom tower --create --alias production"
    ),
]

KERAS_LOAD = """
import os, sys
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np
from jupyter_registry import Registry
X = np.load({folder!r} + "/X.npy")
for name, y in (({name!r}, "y"), ({name!r} + "-custom", "y2")):
    net = Registry().get_model(name).get_version("production").load()
    same = np.array_equal(net.predict(X, verbose=0), np.load({folder!r} + f"/{{y}}.npy"))
    print(type(net).__name__, "identical" if same else "DIFFERENT")
print("model_def" in sys.modules)
"""


def test_keras_model_round_trip(tmp_path: Path, ns: str) -> None:
    name = f"{ns}keras"
    nb, ckpt, out = round_trip(tmp_path, name, KERAS_CELLS, KERAS_LOAD)
    assert f"Registered {name} v1" in text_of(nb.cells[2])
    assert ckpt.format == "keras" and ckpt.framework.startswith("keras-3")
    assert ckpt.metadata["keras_backend"] == "torch"
    assert ckpt.entrypoint is None and "custom_objects" not in ckpt.metadata
    # a subclassed model with a custom layer, both defined in cells: stored as code
    custom = Registry().get_model_version(f"{name}-custom:production").checkpoint
    assert custom.entrypoint == "model_def:Tower"
    assert custom.metadata["custom_objects"] == {
        "Tower": "model_def:Tower",
        "Scale": "model_def:Scale",
    }
    assert set(custom.resources) == {"code/", "code/model_def.py", "model.keras"}
    assert out == ["Functional", "identical", "Tower", "identical", "False"]


ZOO = """
import torch
from torch import nn

from .layers import Scale


class Zoo:
    class MLP(nn.Module):
        def __init__(self, width, depth=2):
            super().__init__()
            self.width, self.depth = width, depth
            self.layers = nn.Sequential(*[nn.Linear(width, width) for _ in range(depth)])
            self.scale = Scale(3.0)

        def forward(self, x):
            return self.scale(torch.sin(self.layers(x)))
"""

LAYERS = """
from torch import nn


class Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor
"""

FOLDER_CELLS = [
    (
        "import sys; sys.path.insert(0, 'model_src')\n"
        "import torch\nfrom nets.zoo import Zoo\n"
        "torch.manual_seed(1)\nmlp = Zoo.MLP(width=5, depth=3).eval()\n"
        "x = torch.randn(7, 5)\n"
        "from safetensors.torch import save_file\n"
        "save_file({'x': x, 'y': mlp(x).detach()}, 'io.safetensors')"
    ),
    "%load_ext jupyter_registry",
    "%register_version {name} mlp --create --alias production",
    (
        "from torch import nn\nfrom nets.layers import Scale\n\n\n"
        "class Wrapped(nn.Module):\n"
        "    def __init__(self, width):\n"
        "        super().__init__()\n"
        "        self.width = width\n"
        "        self.inner = Zoo.MLP(width)\n"
        "        self.post = Scale(-1.0)\n\n"
        "    def forward(self, x):\n"
        "        return self.post(self.inner(x))"
    ),
    (
        "torch.manual_seed(2)\nwrapped = Wrapped(5).eval()\n"
        "save_file({'x': x, 'y': wrapped(x).detach()}, 'io2.safetensors')\n"
        "%register_version {name}-wrapped wrapped --create --alias production"
    ),
]


def test_model_from_a_module_folder_with_registryignore_and_dotted_entrypoint(
    tmp_path: Path, ns: str
) -> None:
    name = f"{ns}zoo"
    folder = tmp_path / "nb"
    src = folder / "model_src"
    (src / "nets").mkdir(parents=True)
    (src / "nets" / "__init__.py").write_text("")
    (src / "nets" / "zoo.py").write_text(ZOO)
    (src / "nets" / "layers.py").write_text(LAYERS)
    (src / "data").mkdir()
    (src / "data" / "train.bin").write_bytes(os.urandom(4096))
    (src / "notes.tmp").write_text("scratch")
    (src / ".registryignore").write_text("data/\n*.tmp\n")
    nb = run_notebook(folder, fill(name, FOLDER_CELLS))
    assert f"Registered {name} v1" in text_of(nb.cells[2])

    ckpt = Registry().get_model(name).get_version("production").checkpoint
    assert ckpt.entrypoint == "nets.zoo:Zoo.MLP"
    code = {p for p in ckpt.resources if p.startswith("code/")}
    assert code == {
        "code/",
        "code/.registryignore",
        "code/nets/",
        "code/nets/__init__.py",
        "code/nets/layers.py",
        "code/nets/zoo.py",
    }
    assert json.loads((ckpt.local_folder() / "module.json").read_text())["init_args"] == {
        "width": 5,
        "depth": 3,
    }
    script = (
        TORCH_LOAD.format(io=str(folder / "io.safetensors"), name=name)
        .replace(
            "print(type(model).__name__, model.training, int(model.steps))",
            "print(type(model).__qualname__, model.training)",
        )
        .replace('"model_def" in sys.modules', '{"nets", "model_def"} & set(sys.modules)')
    )
    out = load_elsewhere(tmp_path, script)
    assert out.split() == ["Zoo.MLP", "False", "identical", "set()"]

    # A notebook class built on the folder's classes: its cell code plus the folder.
    assert f"Registered {name}-wrapped v1" in text_of(nb.cells[4])
    wrapped = Registry().get_model(f"{name}-wrapped").get_version("production").checkpoint
    assert wrapped.entrypoint == "model_def:Wrapped"
    assert {"code/model_def.py", "code/nets/zoo.py", "code/nets/layers.py"} <= set(
        wrapped.resources
    )
    captured = (wrapped.local_folder() / "code" / "model_def.py").read_text()
    assert "from nets.zoo import Zoo" in captured and "from nets.layers import Scale" in captured
    out = load_elsewhere(
        tmp_path,
        script.replace("io.safetensors", "io2.safetensors").replace(
            repr(name), repr(f"{name}-wrapped")
        ),
    )
    assert out.split() == ["Wrapped", "False", "identical", "set()"]


ERROR_CELLS = [
    "%load_ext jupyter_registry\nimport pickle\nmetrics = [0.5]\nweights = {'w': [1, 2]}",
    "%register_version {name} no_such_variable --create",
    "%register_version {name} weights",
    "%register_version {name} weights --create --metrics metrics",
    "%register_version {name} weights --create --hparams '{\"lr\": '",
    "%register_version {name}",
    "pickle.dump(weights, open('w.pkl', 'wb'))\nmv = %register_version {name} w.pkl --create",
    "mv.load()",
    "print(mv.load(trusted=True))",
    "%register_version --help",
    "%versions {name}",
    "%versions no-such-model",
    (
        "import torch\nfrom torch import nn\nDEVICE = torch.device('cpu')\n\n\n"
        "class OnDevice(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(2, 2, device=DEVICE)"
    ),
    "%register_version {name} OnDevice()",
    "%models --name {name}",
    (
        "MEAN = torch.zeros(2)\n\n\n"
        "class Centered(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(2, 2)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(x - MEAN)"
    ),
    "%register_version {name} Centered()",
]


def test_bad_arguments_give_one_line_errors_and_pickle_needs_trust(tmp_path: Path, ns: str) -> None:
    name = f"{ns}err"
    nb = run_notebook(tmp_path / "nb", fill(name, ERROR_CELLS), allow_errors=True)

    def error_line(index: int) -> str:
        text = text_of(nb.cells[index]).strip()
        assert "Traceback" not in text and "---" not in text, text
        assert len(text.splitlines()) == 1, text
        return text

    assert error_line(1) == (
        "UsageError: 'no_such_variable' is neither a variable in this notebook nor a file or folder"
    )
    assert error_line(2) == f"UsageError: model '{name}' does not exist; add --create to create it"
    assert error_line(3) == (
        "UsageError: --metrics must evaluate to a dict, but 'metrics' is a list"
    )
    assert error_line(4).startswith("UsageError: --hparams '{\"lr\": ': SyntaxError")
    assert error_line(5).startswith("UsageError: no checkpoint was created in this kernel yet")
    assert f"Registered {name} v1" in text_of(nb.cells[6])
    assert "pickle" in text_of(nb.cells[6])
    refusal = nb.cells[7].outputs[-1]
    assert refusal.ename == "UntrustedCodeError"
    assert "unpickling runs arbitrary code" in refusal.evalue
    assert "load(trusted=True)" in refusal.evalue
    assert text_of(nb.cells[8]).strip() == "{'w': [1, 2]}"
    help_text = text_of(nb.cells[9])
    assert "%register_version [--metrics EXPR]" in help_text
    assert "--create              create MODEL if it does not exist" in help_text
    assert any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        for o in nb.cells[10].outputs
    )
    assert error_line(11) == "UsageError: no model named 'no-such-model'"
    assert error_line(13) == (
        "UsageError: the code stored for OnDevice cannot build it: name 'DEVICE' is not "
        "defined; define that name in a cell as a literal, a function or a class, or import it"
    )
    assert any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        for o in nb.cells[14].outputs
    )
    # nothing half-made by the failed calls: the two good ones made one version each
    warned = text_of(nb.cells[16])
    assert "Centered uses notebook name(s) MEAN whose values cannot be stored" in warned
    assert f"Registered {name} v2" in warned
    assert [v.version for v in Registry().get_model(name).get_versions()] == [2, 1]
    assert len(Registry().get_checkpoints()) == 2


def test_opt_in_autoload_gives_the_magics_without_load_ext(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ipython_dir = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    enable = [sys.executable, "-m", "jupyter_registry.magics", "enable"]
    out = subprocess.run(enable, capture_output=True, text=True, check=True).stdout
    startup = ipython_dir / "profile_default" / "startup" / "50-jupyter_registry.py"
    assert out.strip() == f"enabled: {startup}"
    nb = run_notebook(tmp_path / "nb", ["%register_version --help"])
    assert "%register_version [--metrics EXPR]" in text_of(nb.cells[0])

    disable = [sys.executable, "-m", "jupyter_registry.magics", "disable"]
    subprocess.run(disable, capture_output=True, text=True, check=True)
    assert not startup.exists()
    nb = run_notebook(tmp_path / "nb2", ["%register_version --help"], allow_errors=True)
    assert "UsageError: Line magic function `%register_version` not found" in text_of(nb.cells[0])
