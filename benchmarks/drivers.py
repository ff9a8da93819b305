"""One registry workload, two systems: our SDK in remote mode and MLflow's REST API.

Each method is one logical registry call as its users make it, so the
benchmark compares what a user would wait for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import requests

from jupyter_registry import Model, Registry


class Driver(Protocol):
    name: str

    def create_model(self, name: str, description: str, metadata: dict[str, str]) -> None: ...
    def create_version(self, model: str, metadata: dict[str, str]) -> int: ...
    def page(self, offset: int, token: Any) -> Any: ...
    def search(self, substring: str, limit: int) -> int: ...
    def latest(self, model: str) -> int: ...
    def set_alias(self, model: str, alias: str, version: int) -> None: ...
    def by_alias(self, model: str, alias: str) -> int: ...
    def set_metadata(self, model: str, key: str, value: str) -> None: ...
    def upload(self, path: Path) -> Any: ...
    def download(self, handle: Any, dest: Path) -> None: ...


class OurDriver:
    name = "jupyter_registry"

    def __init__(self, url: str, token: str, checkpoint_folder: Path) -> None:
        self.registry = Registry(server=url, token=token)
        self.checkpoint = self.registry.create_checkpoint(checkpoint_folder)
        self._models: dict[str, Model] = {}

    def _model(self, name: str) -> Model:
        if name not in self._models:
            self._models[name] = self.registry.get_model(name)
        return self._models[name]

    def create_model(self, name: str, description: str, metadata: dict[str, str]) -> None:
        self._models[name] = self.registry.create_model(name, description, metadata=metadata)

    def create_version(self, model: str, metadata: dict[str, str]) -> int:
        return self._model(model).register_version(self.checkpoint, metadata=metadata).version

    def page(self, offset: int, token: Any) -> Any:
        return self.registry.get_models(limit=100, offset=offset)

    def search(self, substring: str, limit: int) -> int:
        return len(self.registry.get_models(name=substring, limit=limit))

    def latest(self, model: str) -> int:
        return self._model(model).get_version().version

    def set_alias(self, model: str, alias: str, version: int) -> None:
        self._model(model).set_alias(alias, version)

    def by_alias(self, model: str, alias: str) -> int:
        return self._model(model).get_version(alias).version

    def set_metadata(self, model: str, key: str, value: str) -> None:
        self._model(model).add_metadata({key: value})

    def upload(self, path: Path) -> Any:
        return self.registry.create_checkpoint(path)

    def download(self, handle: Any, dest: Path) -> None:
        handle.download(dest)


class MlflowDriver:
    """MLflow's registry through its REST API (what its Python client calls underneath)."""

    name = "mlflow"

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, f"{self.url}/api/2.0/mlflow/{path}", **kwargs)
        response.raise_for_status()
        return response.json() if response.content else {}

    @staticmethod
    def _tags(metadata: dict[str, str]) -> list[dict[str, str]]:
        return [{"key": k, "value": str(v)} for k, v in metadata.items()]

    def create_model(self, name: str, description: str, metadata: dict[str, str]) -> None:
        self._call(
            "POST",
            "registered-models/create",
            json={"name": name, "description": description, "tags": self._tags(metadata)},
        )

    def create_version(self, model: str, metadata: dict[str, str]) -> int:
        body = {"name": model, "source": "s3://bench/model", "tags": self._tags(metadata)}
        return int(
            self._call("POST", "model-versions/create", json=body)["model_version"]["version"]
        )

    def page(self, offset: int, token: Any) -> Any:
        params = {"max_results": 100, **({"page_token": token} if token else {})}
        return self._call("GET", "registered-models/search", params=params).get("next_page_token")

    def search(self, substring: str, limit: int) -> int:
        params = {"max_results": limit, "filter": f"name LIKE '%{substring}%'"}
        found = self._call("GET", "registered-models/search", params=params)
        return len(found.get("registered_models", []))

    def latest(self, model: str) -> int:
        found = self._call("POST", "registered-models/get-latest-versions", json={"name": model})
        return max(int(v["version"]) for v in found["model_versions"])

    def set_alias(self, model: str, alias: str, version: int) -> None:
        body = {"name": model, "alias": alias, "version": str(version)}
        self._call("POST", "registered-models/alias", json=body)

    def by_alias(self, model: str, alias: str) -> int:
        found = self._call("GET", "registered-models/alias", params={"name": model, "alias": alias})
        return int(found["model_version"]["version"])

    def set_metadata(self, model: str, key: str, value: str) -> None:
        self._call(
            "POST", "registered-models/set-tag", json={"name": model, "key": key, "value": value}
        )

    def upload(self, path: Path) -> Any:
        target = f"{self.url}/api/2.0/mlflow-artifacts/artifacts/bench/{path.name}"
        with open(path, "rb") as body:
            self.http.put(target, data=body).raise_for_status()
        return target

    def download(self, handle: Any, dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        with self.http.get(handle, stream=True) as response, open(dest / "file", "wb") as out:
            response.raise_for_status()
            for chunk in response.iter_content(4 * 1024 * 1024):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
