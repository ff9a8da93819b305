"""``jupyter registry import mlflow`` / ``export mlflow`` against a real ``mlflow server``.

MLflow itself (the full package, with its server) lives in the benchmarks'
``benchmarks/.mlflow-venv``, installed on first use; models are logged there
with MLflow's own API by ``tests/mlflow_side.py``. The registry side runs in a
live ``jupyter server``, and the imported pyfunc model is loaded back through
MLflow's ``models:/NAME@ALIAS`` against that server.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from click.testing import CliRunner, Result
from jupyter_proc import JupyterServer, start_jupyter
from mlflow import MlflowClient

from benchmarks.compare import ensure_mlflow, mlflow_server
from jupyter_registry import Registry
from jupyter_registry.cli import cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
SIDE = str(Path(__file__).with_name("mlflow_side.py"))


@pytest.fixture(scope="module")
def mlflow_python() -> Path:
    return ensure_mlflow(ROOT / "benchmarks" / ".mlflow-venv").with_name("python")


@pytest.fixture(scope="module")
def mlflow_url(mlflow_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("mlflow-server")
    with mlflow_server(mlflow_python.with_name("mlflow"), folder) as (url, _pid):
        yield url


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    folder = tmp_path_factory.mktemp("registry")
    server = start_jupyter(
        {"database": f"sqlite:///{folder / 'registry.db'}", "artifacts": str(folder / "blobs")}
    )
    yield server
    server.stop()


def in_mlflow(python: Path, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(python), SIDE, *args],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def registry_cli(ours: JupyterServer, *args: str) -> Result:
    target = ["--server", ours.url, "--token", ours.token, "--json"]
    return CliRunner().invoke(cli, [*args, *target], catch_exceptions=False)


def test_import_then_load_then_export(
    mlflow_python: Path, mlflow_url: str, ours: JupyterServer, tmp_path: Path
) -> None:
    at_mlflow = {"MLFLOW_TRACKING_URI": mlflow_url}
    in_mlflow(mlflow_python, "seed", str(tmp_path), env=at_mlflow)
    expected = in_mlflow(mlflow_python, "predict", "models:/pyf@champion", env=at_mlflow)

    imported = registry_cli(ours, "import", "mlflow", "--tracking-uri", mlflow_url)
    assert imported.exit_code == 0, imported.output
    rows = {row["name"]: row for row in json.loads(imported.stdout)}
    assert rows["pyf"]["copied"] == [1, 2] and rows["plain"]["copied"] == [1, 3]

    registry = Registry(server=ours.url, token=ours.token)
    pyf, plain = registry.get_model("pyf").info, registry.get_model("plain").info
    assert (pyf.description, pyf.metadata, pyf.aliases) == (
        "scales x",
        {"kind": "pyfunc"},
        {"champion": 2},
    )
    assert (plain.metadata, plain.aliases) == ({"team": "search"}, {"prod": 3})
    versions = registry.get_model("plain").get_versions()
    assert [v.info.version for v in versions] == [3, 1]
    assert [(v.info.comment, v.info.metadata) for v in versions] == [
        ("plain v3", {"n": "3"}),
        ("plain v1", {"n": "1"}),
    ]
    assert registry.get_model("pyf").get_version(2).info.metadata == {"validated": "yes"}
    for version in versions:
        local = version.download(tmp_path / f"ours-v{version.info.version}")
        for name in ("weights.bin", "nested/config.json"):
            original = tmp_path / f"plain-v{version.info.version}" / name
            assert (local / name).read_bytes() == original.read_bytes()

    again = registry_cli(
        ours, "import", "mlflow", "--tracking-uri", mlflow_url, "--model", "pyf", "--model", "nope"
    )
    assert again.exit_code == 1
    assert "1 model(s) could not be copied: nope" in again.stderr
    rows = {row["name"]: row for row in json.loads(again.stdout)}
    assert (rows["pyf"]["copied"], rows["pyf"]["skipped"]) == ([], [1, 2])
    assert rows["nope"]["error"]

    at_ours = {
        "MLFLOW_TRACKING_URI": ours.url + "registry/mlflow",
        "MLFLOW_TRACKING_TOKEN": ours.token,
    }
    assert in_mlflow(mlflow_python, "predict", "models:/pyf@champion", env=at_ours) == expected

    native = registry.create_model("native", description="made here", metadata={"owner": "ana"})
    for number in (1, 2, 3):
        folder = tmp_path / f"native-v{number}"
        folder.mkdir()
        (folder / "model.bin").write_bytes(os.urandom(1000 + number))
        native.register_version(registry.create_checkpoint(folder), comment=f"n{number}")
    native.get_version(2).delete()
    native.set_alias("best", 3)

    exported = registry_cli(
        ours, "export", "mlflow", "--tracking-uri", mlflow_url, "--model", "native"
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)[0]["copied"] == [1, 3]
    client = MlflowClient(tracking_uri=mlflow_url, registry_uri=mlflow_url)
    there = client.get_registered_model("native")
    assert (there.description, there.tags, there.aliases) == (
        "made here",
        {"owner": "ana"},
        {"best": "3"},
    )
    assert client.get_model_version("native", "3").description == "n3"
    best = client.get_model_version_by_alias("native", "best")
    downloaded = mlflow.artifacts.download_artifacts(
        artifact_uri=client.get_model_version_download_uri("native", best.version),
        dst_path=str(tmp_path / "from-mlflow"),
        tracking_uri=mlflow_url,
    )
    original = (tmp_path / "native-v3" / "model.bin").read_bytes()
    assert (Path(downloaded) / "model.bin").read_bytes() == original

    rerun = registry_cli(
        ours,
        "export",
        "mlflow",
        "--tracking-uri",
        mlflow_url,
        "--model",
        "native",
        "--model",
        "nope",
    )
    assert rerun.exit_code == 1
    native_row, missing_row = json.loads(rerun.stdout)
    assert (native_row["copied"], native_row["skipped"]) == ([], [1, 3])
    assert missing_row["name"] == "nope" and "no model named 'nope'" in missing_row["error"]
