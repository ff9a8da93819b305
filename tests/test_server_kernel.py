"""A kernel started by the server sees the server's registry with no configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from jupyter_proc import JupyterServer, run_in_kernel, server_kernel, start_jupyter

pytestmark = pytest.mark.slow


@pytest.fixture
def configured_server(tmp_path: Path) -> Iterator[JupyterServer]:
    """A server whose registry is set only by c.RegistryConfig, nowhere in the environment."""
    runtime = tmp_path / "runtime"
    server = start_jupyter(
        {"database": f"sqlite:///{tmp_path / 'team.db'}", "artifacts": str(tmp_path / "blobs")},
        env={"JUPYTER_RUNTIME_DIR": str(runtime)},
    )
    server.runtime = runtime  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_kernel_registry_is_the_servers(configured_server: JupyterServer) -> None:
    server = configured_server
    http = requests.Session()
    http.headers["Authorization"] = f"token {server.token}"
    http.post(server.api("models"), json={"name": "made-over-rest"}).raise_for_status()
    runtime = server.runtime  # type: ignore[attr-defined]
    with server_kernel(server.url, server.headers(), runtime) as client:
        names = run_in_kernel(
            client,
            "from jupyter_registry import Registry\n"
            "reg = Registry()\n"
            "reg.create_model('made-in-kernel')\n"
            "print(sorted(m.name for m in reg.get_models()))",
        )
    assert names == "['made-in-kernel', 'made-over-rest']"
    assert http.get(server.api("models", "made-in-kernel")).status_code == 200
