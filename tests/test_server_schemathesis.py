"""Schemathesis against a live ``jupyter server``: every route, stateful links, all checks.

It fuzzes each operation of ``registry/api/v1/openapi.json`` (coverage,
fuzzing and stateful phases) and fails on any 5xx, undocumented status,
content type or response that does not match the document. Two checks are
left out on purpose: ``positive_data_acceptance`` (some rules, such as the 1 MiB
metadata limit or an upload's hash matching its URL, are stricter than a JSON
schema can say, and are documented as 400s) and ``ensure_resource_availability``
(its inferred links register versions of checkpoints that were never created).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_proc import JupyterServer, start_jupyter

from jupyter_registry.server.openapi import openapi_document

pytestmark = pytest.mark.slow


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[JupyterServer]:
    server = start_jupyter(
        {"database": f"sqlite:///{tmp_path / 'fuzz.db'}", "artifacts": str(tmp_path / "blobs")}
    )
    yield server
    server.stop()


def test_schemathesis_finds_nothing(live_server: JupyterServer) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        live_server.api("openapi.json"),
        "--header",
        f"Authorization: token {live_server.token}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance,ensure_resource_availability",
        "--phases",
        "coverage,fuzzing,stateful",
        "--max-examples",
        "30",
        "--workers",
        "1",
        "--suppress-health-check",
        "all",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    operations = sum(len(item) for item in openapi_document()["paths"].values())
    assert f"Selected: {operations}/{operations}" in result.stdout, report
    assert f"Tested: {operations}" in result.stdout, report
    assert "Traceback" not in live_server.log(), live_server.log()[-5000:]
