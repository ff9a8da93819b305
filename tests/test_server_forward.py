"""A Jupyter server with ``RegistryConfig.server`` forwards its registry API to a central one.

Two real ``jupyter server`` processes: ``central`` holds the registry (SQLite
and a folder); ``edge`` has only the central URL and a token, as a JupyterHub
user's server does (tests/test_hub.py runs the same through a real hub).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from jupyter_proc import JupyterServer, PeakRss, run_in_kernel, server_kernel, start_jupyter
from servers import free_port
from websocket import create_connection

from benchmarks.transfer import MIB, write_random
from jupyter_registry import NotFoundError, Registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    home = tmp_path_factory.mktemp("central")
    server = start_jupyter(
        {"database": f"sqlite:///{home / 'registry.db'}", "artifacts": str(home / "artifacts")}
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def edge(central: JupyterServer) -> Iterator[JupyterServer]:
    server = start_jupyter({"server": central.url, "token": central.token})
    yield server
    server.stop()


def test_the_sdk_through_the_edge_reaches_the_central_registry(
    central: JupyterServer, edge: JupyterServer, model_folder: Path, tmp_path: Path
) -> None:
    via_edge = Registry(server=edge.url, token=edge.token)
    model = via_edge.create_model("forwarded-model", labels=["team"])
    checkpoint = via_edge.create_checkpoint(model_folder)
    model.register_version(checkpoint, aliases=["production"])

    direct = Registry(server=central.url, token=central.token)
    assert direct.get_model_version("forwarded-model:production").checkpoint.uuid == (
        checkpoint.uuid
    )
    copy = direct.get_checkpoint(checkpoint.uuid).download(tmp_path / "copy")
    assert (copy / "weights.bin").read_bytes() == (model_folder / "weights.bin").read_bytes()
    with pytest.raises(NotFoundError):
        via_edge.get_model("no-such-model")


def test_statuses_errors_and_locations_are_the_central_ones(
    central: JupyterServer, edge: JupyterServer
) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"token {edge.token}"
    created = http.post(edge.api("models"), json={"name": "located"})
    assert created.status_code == 201
    assert created.headers["Location"] == "/registry/api/v1/models/located"
    at_central = requests.get(central.api("models", "located"), headers=central.headers())
    assert at_central.status_code == 200
    missing = http.get(edge.api("models", "nowhere"))
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "NotFoundError"
    invalid = http.post(edge.api("models"), json={"name": ""})
    assert invalid.status_code == 400
    assert invalid.json()["error"]["type"] == "ValidationError"
    listed = http.get(edge.api("models"), params={"label": "nothing-has-this"})
    assert listed.json() == {"models": [], "total": 0, "total_is_estimate": False}


def test_unauthenticated_requests_stop_at_the_edge(
    central: JupyterServer, edge: JupyterServer
) -> None:
    response = requests.post(edge.api("models"), json={"name": "anonymous"})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "Unauthorized"
    check = requests.get(central.api("models", "anonymous"), headers=central.headers())
    assert check.status_code == 404


def test_large_transfers_stream_through_with_flat_memory(
    central: JupyterServer, edge: JupyterServer, tmp_path: Path
) -> None:
    size = 192 * MIB
    registry = Registry(server=edge.url, token=edge.token)
    write_random(tmp_path / "warm" / "w.bin", MIB)
    registry.create_checkpoint(tmp_path / "warm")  # the edge's first upload sets up its pools
    source = tmp_path / "big" / "weights.bin"
    expected = write_random(source, size)
    with PeakRss(edge.pid) as upload:
        registry.create_checkpoint(source.parent)
    assert upload.growth < 64 * MIB, upload.growth

    for server in (central, edge):
        head = requests.head(server.api("blobs", expected), headers=server.headers())
        assert head.status_code == 200
        assert head.headers["Content-Length"] == str(size)

    # A reader that stops after 1 MiB: the edge must wait for it, not fill up
    # its memory with the rest of the blob that upstream could send at once.
    with PeakRss(edge.pid) as download:
        blob = requests.get(edge.api("blobs", expected), headers=edge.headers(), stream=True)
        assert blob.headers["Content-Length"] == str(size)
        chunks = blob.iter_content(MIB)
        digest = hashlib.sha256(next(chunks))
        time.sleep(3)
        for chunk in chunks:
            digest.update(chunk)
    assert digest.hexdigest() == expected
    assert download.growth < 64 * MIB, download.growth


def test_an_edge_on_a_hub_forwards_only_its_owner(central: JupyterServer) -> None:
    # The token acts as the server's owner; anyone else reaching this server
    # (plain token auth names them with a random id) would act under that name.
    shared = start_jupyter(
        {"server": central.url, "token": central.token},
        env={"JUPYTERHUB_USER": "alice"},
        ready_status=403,
    )
    try:
        refused = requests.post(shared.api("models"), json={"name": "x"}, headers=shared.headers())
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert error["type"] == "PermissionDenied"
        assert "alice" in error["message"]
    finally:
        shared.stop()
    assert requests.get(central.api("models", "x"), headers=central.headers()).status_code == 404


def test_kernels_get_the_central_url_and_token_and_no_storage(
    central: JupyterServer, tmp_path: Path
) -> None:
    runtime = tmp_path / "runtime"
    stray = {
        "JUPYTER_REGISTRY_DATABASE": f"sqlite:///{tmp_path / 'stray.db'}",
        "JUPYTER_REGISTRY_STORAGE_OPTIONS": '{"secret": "s3cr3t"}',
        "JUPYTER_RUNTIME_DIR": str(runtime),
    }
    edge = start_jupyter({"server": central.url, "token": central.token}, env=stray)
    try:
        with server_kernel(edge.url, edge.headers(), runtime) as client:
            output = run_in_kernel(
                client,
                "import json, os\n"
                "from jupyter_registry import Registry\n"
                "reg = Registry()\n"
                "reg.create_model('made-in-an-edge-kernel')\n"
                "print(json.dumps(dict(os.environ)))",
            )
    finally:
        edge.stop()
    environment = json.loads(output.splitlines()[-1])
    assert environment["JUPYTER_REGISTRY_SERVER"] == central.url
    assert environment["JUPYTER_REGISTRY_TOKEN"] == central.token
    assert "JUPYTER_REGISTRY_DATABASE" not in environment
    assert "s3cr3t" not in output
    made = requests.get(central.api("models", "made-in-an-edge-kernel"), headers=central.headers())
    assert made.status_code == 200


def test_an_unreachable_central_registry_is_a_502() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/"
    edge = start_jupyter({"server": nowhere, "token": "unused"}, ready_status=502)
    try:
        response = requests.get(edge.api("models"), headers=edge.headers())
        assert response.status_code == 502
        assert response.json()["error"]["type"] == "RegistryUnavailable"
    finally:
        edge.stop()


def test_the_edge_announces_changes_made_at_the_central_registry(
    central: JupyterServer, edge: JupyterServer
) -> None:
    """Another user's change, made straight at the central registry, reaches the edge's
    event stream, which keeps the edge user's lab panel current."""
    socket = create_connection(
        edge.url.replace("http", "ws") + "api/events/subscribe",
        header=[f"Authorization: token {edge.token}"],
        timeout=10,
    )
    time.sleep(1.2)  # the edge's watcher has taken its starting point
    Registry(server=central.url, token=central.token).create_model("changed-centrally")
    while True:
        event = json.loads(socket.recv())
        if event["schema_id"].endswith("jupyter_registry/model.changed"):
            break
    socket.close()
    assert (event["model"], event["action"]) == ("changed-centrally", "model.created")
