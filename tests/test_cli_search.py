"""``jupyter registry model list --filter`` and ``jupyter registry version search``."""

from __future__ import annotations

from pathlib import Path

from conftest import Backend
from test_cli import assert_one_line_error, run, run_json


def test_filter_models_and_search_versions(backend: Backend, ns: str, tmp_path: Path) -> None:
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    registry = backend.registry()
    for name, owner, acc in [("cnn", "ana", 0.95), ("mlp", "bob", 0.6), ("rnn", "ana", 0.8)]:
        model = registry.create_model(f"{ns}{name}", labels=["vision"], metadata={"owner": owner})
        model.register_version(registry.create_checkpoint(weights, metrics={"acc": acc}))

    listed = run_json(backend, "model", "list", "--filter", "metadata.owner = 'ana'", "--name", ns)
    assert [m["name"] for m in listed["models"]] == [f"{ns}cnn", f"{ns}rnn"]

    found = run_json(
        backend, "version", "search", f"model contains '{ns}' and metrics.acc > 0.7",
        "--order-by", "metrics.acc desc",
    )  # fmt: skip
    assert [v["model_name"] for v in found["versions"]] == [f"{ns}cnn", f"{ns}rnn"]
    table = run(backend, "version", "search", "labels contains 'vision'", "--limit", "2").stdout
    assert table.splitlines()[0].split()[:3] == ["Model", "|", "Version"]
    assert len(table.splitlines()) == 4  # header, rule, two rows

    bad = run(backend, "version", "search", "metrics.acc > 0.7 and (", code=1)
    assert_one_line_error(bad, "position 24", "ends too early")
    bad = run(backend, "model", "list", "--filter", "owner = 'ana'", code=1)
    assert_one_line_error(bad, "position 1", "unknown field 'owner'")
    bad = run(backend, "version", "search", "--order-by", "metrics.acc upward", code=1)
    assert_one_line_error(bad, "invalid order at position 13")
