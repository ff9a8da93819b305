"""``GET models?filter=…`` and ``GET versions?filter=…&order_by=…``; refusals are JSON 400s."""

from __future__ import annotations

from pathlib import Path

import requests
from jupyter_proc import ThreadedJupyter

from jupyter_registry import Registry


def test_search_routes_answer_and_refuse_with_positions(
    threaded_jupyter: ThreadedJupyter, tmp_path: Path
) -> None:
    database, blobs = f"sqlite:///{tmp_path / 'api.db'}", str(tmp_path / "blobs")
    threaded_jupyter.use_registry(database, blobs)
    local = Registry(database=database, artifacts=blobs)
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    for name, acc in [("cnn", 0.95), ("mlp", 0.6)]:
        model = local.create_model(name, labels=["vision"], metadata={"owner": name})
        model.register_version(local.create_checkpoint(weights, metrics={"acc": acc}))
    api = f"{threaded_jupyter.url}registry/api/v1/"
    with requests.Session() as http:
        http.headers["Authorization"] = f"token {threaded_jupyter.token}"

        got = http.get(api + "models", params={"filter": "metadata.owner = 'mlp'"})
        assert got.status_code == 200, got.text
        assert [m["name"] for m in got.json()["models"]] == ["mlp"] and got.json()["total"] == 1

        query = {"filter": "labels contains 'vision'", "order_by": "metrics.acc desc"}
        got = http.get(api + "versions", params=query)
        assert got.status_code == 200, got.text
        assert [v["model_name"] for v in got.json()["versions"]] == ["cnn", "mlp"]

        for route, params, where in [
            ("models", {"filter": "metadata.owner = 'x' or"}, "position 24"),
            ("models", {"filter": "name = 'x'; DROP TABLE models"}, "position 11"),
            ("models", {"filter": "name = 'a\x00'"}, "position 10"),
            ("models", {"filter": "x" * 5000}, "position 4097"),
            ("versions", {"filter": "(" * 3000}, "position 3001"),
            ("versions", {"order_by": "metrics.acc; --"}, "position 12"),
            ("versions", {"filter": "metrics.'a\\'' > 'b' and ((("}, "ends too early"),
        ]:
            refused = http.get(api + route, params=params)
            assert refused.status_code == 400, (params, refused.text)
            error = refused.json()["error"]
            assert error["type"] == "ValidationError" and where in error["message"], error
        assert len(local.get_models()) == 2
