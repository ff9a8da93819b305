"""The REST API of the server extension: auth on every route, error bodies, OpenAPI, events."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import requests
from jupyter_proc import ThreadedJupyter
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_registry import Registry
from jupyter_registry.server.openapi import openapi_document
from jupyter_registry.server.routes import ROUTES

VERBS = ("get", "head", "post", "put", "patch", "delete")


@pytest.fixture
def server(threaded_jupyter: ThreadedJupyter, tmp_path: Path) -> ThreadedJupyter:
    threaded_jupyter.use_registry(f"sqlite:///{tmp_path / 'api.db'}", str(tmp_path / "blobs"))
    return threaded_jupyter


@pytest.fixture
def http(server: ThreadedJupyter) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"token {server.token}"
        yield session


def api(server: ThreadedJupyter, path: str) -> str:
    return f"{server.url}registry/api/v1/{path}"


def every_route() -> list[tuple[str, str]]:
    filled = {
        "name": "m",
        "ref": "1",
        "alias": "prod",
        "checkpoint_uuid": "u",
        "sha256": "0" * 64,
        "user": "ana",
        "upload_id": "0" * 32,
        "index": "0",
    }
    routes = [(verb, path.format(**filled)) for path, verb, _ in _operations()]
    return [*routes, ("get", "openapi.json")]


def _operations() -> list[tuple[str, str, object]]:
    return [
        (path, verb, handler)
        for path, handler in ROUTES
        for verb in VERBS
        if hasattr(getattr(handler, verb, None), "__registry_operation__")
    ]


@pytest.mark.parametrize(("verb", "path"), every_route())
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_route_refuses_unauthenticated(
    server: ThreadedJupyter, verb: str, path: str, token: str | None
) -> None:
    headers = {"Authorization": f"token {token}"} if token else {}
    response = requests.request(verb.upper(), api(server, path), headers=headers, data=b"{}")
    assert response.status_code in (401, 403), response.text


def test_cookie_session_needs_xsrf(server: ThreadedJupyter) -> None:
    """A browser session (login cookie) must send the XSRF token on writes."""
    with requests.Session() as browser:
        browser.get(f"{server.url}login", params={"token": server.token}).raise_for_status()
        browser.get(f"{server.url}tree", params={"token": server.token})
        assert any(c.name.startswith("username-") for c in browser.cookies)
        assert browser.get(api(server, "models")).status_code == 200
        body = {"name": "from-browser"}
        refused = browser.post(api(server, "models"), json=body)
        assert refused.status_code == 403
        xsrf = browser.cookies.get("_xsrf")
        assert xsrf
        accepted = browser.post(api(server, "models"), json=body, headers={"X-XSRFToken": xsrf})
        assert accepted.status_code == 201, accepted.text


def error_of(response: requests.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"type", "message"} and error["message"]
    return error


def test_error_statuses_and_bodies(server: ThreadedJupyter, http: requests.Session) -> None:
    models = api(server, "models")
    assert error_of(http.post(models, data=b"{not json"), 400)["type"] == "ValidationError"
    assert "name" in error_of(http.post(models, json={"name": 5}), 400)["message"]
    assert "names are" in error_of(http.post(models, json={"name": "a b"}), 400)["message"]
    assert "names are" in error_of(http.get(api(server, "models/a%20b")), 400)["message"]
    error_of(http.post(models, json=["not", "an", "object"]), 400)
    error_of(http.post(models, json={"name": "x", "surprise": 1}), 400)
    error_of(http.get(models, params={"limit": -5}), 400)
    error_of(http.get(models, params={"sort_by": "bogus"}), 400)
    error_of(http.get(models, params={"archived": "maybe"}), 400)
    assert error_of(http.get(api(server, "models/nope")), 404)["type"] == "NotFoundError"
    error_of(http.get(api(server, "models/nope/versions/latest")), 404)
    error_of(http.get(api(server, "no/such/route")), 404)
    assert http.post(models, json={"name": "dup"}).status_code == 201
    assert error_of(http.post(models, json={"name": "dup"}), 409)["type"] == "ConflictError"
    error_of(http.get(api(server, "models/dup/versions/0")), 400)
    error_of(http.put(api(server, "models/dup/aliases/latest"), json={"version": 1}), 400)
    error_of(http.put(api(server, "models/dup/aliases/prod"), json={"version": 1}), 404)
    error_of(http.patch(models, json={}), 405)
    huge = b'{"name": "big", "notes": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    assert error_of(http.post(models, data=huge), 413)["type"] == "PayloadTooLarge"
    error_of(http.put(api(server, "blobs/" + "0" * 64), data=b"abc"), 400)
    error_of(http.get(api(server, "blobs/xyz")), 400)
    error_of(http.get(api(server, "blobs/" + "0" * 64)), 404)
    assert http.get(models, params={"name": "dup"}).json()["total"] == 1


def test_create_returns_location(server: ThreadedJupyter, http: requests.Session) -> None:
    created = http.post(api(server, "models"), json={"name": "located", "labels": ["a"]})
    assert created.status_code == 201
    assert created.headers["Location"] == "/registry/api/v1/models/located"
    listed = http.get(api(server, "models"), params={"label": "a", "archived": "false"}).json()
    assert [m["name"] for m in listed["models"]] == ["located"] and listed["total"] == 1


def test_blob_upload_is_verified_and_deduplicated(
    server: ThreadedJupyter, http: requests.Session
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    sha = hashlib.sha256(data).hexdigest()
    url = api(server, f"blobs/{sha}")
    assert http.head(url).status_code == 404
    wrong = hashlib.sha256(b"other").hexdigest()
    error_of(http.put(api(server, f"blobs/{wrong}"), data=data), 400)
    assert http.head(api(server, f"blobs/{wrong}")).status_code == 404
    stored = http.put(url, data=data)
    assert stored.status_code == 201 and stored.json() == {"sha256": sha, "size": len(data)}
    assert int(http.head(url).headers["Content-Length"]) == len(data)


def test_abandoned_upload_leaves_nothing(
    server: ThreadedJupyter, http: requests.Session, tmp_path: Path
) -> None:
    data = os.urandom(8 * 1024 * 1024)
    sha = hashlib.sha256(data).hexdigest()
    host, port = server.url.split("//")[1].strip("/").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(
            f"PUT /registry/api/v1/blobs/{sha} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: token {server.token}\r\nContent-Length: {len(data)}\r\n\r\n".encode()
            + data[: 5 * 1024 * 1024]  # more than one 4 MiB block: the writer has started
        )
    staging = tmp_path / "blobs" / "tmp"
    time.sleep(1.0)
    deadline = time.monotonic() + 10
    while any(staging.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(staging.iterdir())
    assert http.head(api(server, f"blobs/{sha}")).status_code == 404


def test_download_resumes_from_a_range(server: ThreadedJupyter, http: requests.Session) -> None:
    data = os.urandom(5 * 1024 * 1024 + 3)
    sha = hashlib.sha256(data).hexdigest()
    url = api(server, f"blobs/{sha}")
    http.put(url, data=data).raise_for_status()
    files = [{"path": "weights.bin", "sha256": sha, "size": len(data)}]
    http.post(api(server, "checkpoints"), json={"files": files}).raise_for_status()
    whole = http.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["Accept-Ranges"] == "bytes"
    tail = http.get(url, headers={"Range": "bytes=4194300-"})
    assert tail.status_code == 206 and tail.content == data[4194300:]
    assert tail.headers["Content-Range"] == f"bytes 4194300-{len(data) - 1}/{len(data)}"
    error_of(http.get(url, headers={"Range": f"bytes={len(data)}-"}), 416)
    assert http.get(url, headers={"Range": "bytes=-5"}).content == data  # not a resume: all


def test_openapi_describes_every_route(server: ThreadedJupyter, http: requests.Session) -> None:
    document = http.get(api(server, "openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/registry/api/v1"}]
    described = {(verb, path) for path, item in document["paths"].items() for verb in item}
    assert described == {(verb, f"/{path}") for path, verb, _ in _operations()}
    listing = document["paths"]["/models"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "filter", "sort_by", "order_by", "name", "description", "label", "archived", "offset",
        "limit",
    }  # fmt: skip
    assert "ListModelsResponse" in json.dumps(listing["responses"]["200"])
    assert document == {**openapi_document(), "servers": document["servers"]}


async def test_events_stream_in_order_with_identity(
    threaded_jupyter: ThreadedJupyter, tmp_path: Path, model_folder: Path
) -> None:
    threaded_jupyter.use_registry(f"sqlite:///{tmp_path / 'ev.db'}", str(tmp_path / "blobs"))
    ws_url = threaded_jupyter.url.replace("http", "ws") + "api/events/subscribe"
    headers = {"Authorization": f"token {threaded_jupyter.token}"}
    socket = await websocket_connect(HTTPRequest(ws_url, headers=headers))
    registry = Registry(server=threaded_jupyter.url, token=threaded_jupyter.token)

    def sequence() -> None:
        model = registry.create_model("evented")
        model.register_version(registry.create_checkpoint(model_folder), aliases=["staging"])
        model.set_alias("production", 1)
        model.remove_alias("staging")

    await asyncio.get_running_loop().run_in_executor(None, sequence)
    seen = []
    while len(seen) < 6:
        message = json.loads(await asyncio.wait_for(socket.read_message(), 10))
        if (
            "jupyter_registry" in message["schema_id"]
            and "model.changed" not in message["schema_id"]
        ):
            seen.append(message)
    socket.close()
    kinds = [(m["schema_id"].rsplit("/", 1)[1], m.get("alias")) for m in seen]
    assert kinds == [
        ("model.created", None),
        ("checkpoint.created", None),
        ("version.registered", None),
        ("alias.set", "staging"),
        ("alias.set", "production"),
        ("alias.removed", "staging"),
    ]
    assert seen[2]["model"] == "evented" and seen[2]["version"] == 1
    user = seen[0]["user"]
    assert user and all(m["user"] == user for m in seen)

    history = await asyncio.get_running_loop().run_in_executor(
        None, lambda: registry.get_model("evented").history()
    )
    aliases = [None if pd.isna(alias) else alias for alias in history["alias"]]
    assert list(zip(history["action"], aliases, strict=True)) == [
        (kind, alias) for kind, alias in kinds if kind != "checkpoint.created"
    ]
    assert set(history["user"]) == {user}
    described = registry.get_model("evented")
    assert described.info.created_by == user and described.info.updated_by == user


async def test_changes_by_other_writers_reach_the_event_stream(
    threaded_jupyter: ThreadedJupyter, tmp_path: Path, model_folder: Path
) -> None:
    """A kernel or the CLI writes the database directly; subscribers still hear of it."""
    database, artifacts = f"sqlite:///{tmp_path / 'other.db'}", str(tmp_path / "blobs")
    threaded_jupyter.use_registry(database, artifacts)
    ws_url = threaded_jupyter.url.replace("http", "ws") + "api/events/subscribe"
    headers = {"Authorization": f"token {threaded_jupyter.token}"}
    socket = await websocket_connect(HTTPRequest(ws_url, headers=headers))
    await asyncio.sleep(1.2)  # the watcher has taken its starting point on this registry
    direct = Registry(database=database, artifacts=artifacts)

    def elsewhere() -> None:
        model = direct.create_model("written-directly")
        model.register_version(direct.create_checkpoint(model_folder), aliases=["staging"])

    await asyncio.get_running_loop().run_in_executor(None, elsewhere)
    seen = []
    while len(seen) < 3:
        message = json.loads(await asyncio.wait_for(socket.read_message(), 10))
        if message["schema_id"].endswith("jupyter_registry/model.changed"):
            seen.append(message)
    socket.close()
    assert [(m["model"], m["action"], m.get("version")) for m in seen] == [
        ("written-directly", "model.created", None),
        ("written-directly", "version.registered", 1),
        ("written-directly", "alias.set", 1),
    ]
    assert seen[2]["alias"] == "staging"
