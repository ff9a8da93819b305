"""A kernel started by the server sees the server's registry with no configuration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from jupyter_client import BlockingKernelClient
from jupyter_proc import JupyterServer, start_jupyter

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


def run_in_kernel(client: BlockingKernelClient, code: str) -> str:
    lines: list[str] = []

    def collect(message: dict) -> None:
        content = message["content"]
        if message["msg_type"] == "stream":
            lines.append(content["text"])
        elif message["msg_type"] == "error":
            lines.append("\n".join(content["traceback"]))

    reply = client.execute_interactive(code, timeout=120, output_hook=collect)
    assert reply["content"]["status"] == "ok", "".join(lines)
    return "".join(lines).strip()


def test_kernel_registry_is_the_servers(configured_server: JupyterServer) -> None:
    server = configured_server
    http = requests.Session()
    http.headers["Authorization"] = f"token {server.token}"
    http.post(server.api("models"), json={"name": "made-over-rest"}).raise_for_status()
    kernel = http.post(f"{server.url}api/kernels", json={"name": "python3"})
    kernel.raise_for_status()
    connection = server.runtime / f"kernel-{kernel.json()['id']}.json"  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while not connection.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        names = run_in_kernel(
            client,
            "from jupyter_registry import Registry\n"
            "reg = Registry()\n"
            "reg.create_model('made-in-kernel')\n"
            "print(sorted(m.name for m in reg.get_models()))",
        )
    finally:
        client.stop_channels()
    assert names == "['made-in-kernel', 'made-over-rest']"
    assert http.get(server.api("models", "made-in-kernel")).status_code == 200
