"""The example notebooks run top to bottom in a real kernel, so they can never rot."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from servers import Postgres, S3Server

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


def execute(name: str, workdir: Path) -> nbformat.NotebookNode:
    copy = workdir / name
    shutil.copy(NOTEBOOKS / name, copy)
    notebook = nbformat.read(copy, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    ).execute()
    return notebook


def outputs(notebook: nbformat.NotebookNode) -> str:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(json.dumps(output.get("data", {})))
    return "\n".join(texts)


def test_stored_without_outputs() -> None:
    for path in NOTEBOOKS.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


@pytest.mark.slow
def test_organizing_models(tmp_path: Path) -> None:
    notebook = execute("02-organizing-models.ipynb", tmp_path)
    text = outputs(notebook)
    assert "refused: a model named" in text
    assert "'metrics': {'test_set_acc': 0.97}" in text
    assert "no alias 'champion'" in text


@pytest.mark.slow
def test_team_registry_on_postgres_and_s3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres: Postgres, s3: S3Server
) -> None:
    import s3fs

    bucket = f"team{uuid.uuid4().hex[:8]}"
    s3fs.S3FileSystem(**s3.storage_options).mkdir(bucket)
    monkeypatch.setenv("JUPYTER_REGISTRY_DATABASE", postgres.create_database("team_notebook"))
    monkeypatch.setenv("JUPYTER_REGISTRY_ARTIFACTS", f"s3://{bucket}/registry")
    monkeypatch.setenv("JUPYTER_REGISTRY_STORAGE_OPTIONS", json.dumps(s3.storage_options))
    text = outputs(execute("03-team-registry.ipynb", tmp_path))
    assert "postgresql+psycopg://" in text
    assert f"s3://{bucket}/registry" in text
    assert "weights.bin" in text


@pytest.mark.slow
def test_quickstart(tmp_path: Path) -> None:
    text = outputs(execute("01-quickstart.ipynb", tmp_path))
    assert "Registered moons_" in text and " v3 " in text
    assert "identical outputs in a fresh process: True" in text
    assert "v3 reloaded equals the in-memory model: True" in text
    assert "hparams.hidden" in text and "files changed" in text  # compare, differences only
    # search by metric, best first: the version just promoted to production
    assert re.search(r"\[\(\d, \['production'\], [0-9.]+\)", text)
