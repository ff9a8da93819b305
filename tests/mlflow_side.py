"""Run by the real MLflow's own interpreter (``benchmarks/.mlflow-venv``), not by pytest.

``seed FOLDER``: log and register models on the MLflow server at
``MLFLOW_TRACKING_URI`` with MLflow's own API, keeping a copy of each plain
artifact folder in FOLDER; ``predict MODEL_URI``: load a pyfunc model and print
its predictions as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient

INPUT = pd.DataFrame({"x": [1.0, 2.5, -4.0]})


class Scaler(mlflow.pyfunc.PythonModel):
    def __init__(self, factor: float) -> None:
        self.factor = factor

    def predict(self, context, model_input, params=None):
        return [self.factor * x for x in model_input["x"]]


def seed(folder: Path) -> None:
    client = MlflowClient()
    client.create_registered_model("pyf", tags={"kind": "pyfunc"}, description="scales x")
    for factor in (2.0, 3.0):
        with mlflow.start_run():
            mlflow.pyfunc.log_model(
                name="model",
                python_model=Scaler(factor),
                registered_model_name="pyf",
                pip_requirements=["mlflow"],
            )
    client.set_registered_model_alias("pyf", "champion", "2")
    client.set_model_version_tag("pyf", "2", "validated", "yes")

    client.create_registered_model("plain", tags={"team": "search"})
    for number in (1, 2, 3):
        files = folder / f"plain-v{number}"
        (files / "nested").mkdir(parents=True)
        (files / "weights.bin").write_bytes(os.urandom(200_000 + number))
        (files / "nested" / "config.json").write_text(json.dumps({"version": number}))
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(files), "files")
        client.create_model_version(
            "plain",
            f"{run.info.artifact_uri}/files",
            run_id=run.info.run_id,
            tags={"n": str(number)},
            description=f"plain v{number}",
        )
    client.delete_model_version("plain", "2")
    client.set_registered_model_alias("plain", "prod", "3")


def predict(uri: str) -> None:
    print(json.dumps(list(mlflow.pyfunc.load_model(uri).predict(INPUT))))


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(Path(sys.argv[2]))
    else:
        predict(sys.argv[2])
