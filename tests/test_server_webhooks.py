"""Outgoing webhooks from a real server: signed, in order, one per change."""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from jupyter_proc import JupyterServer, start_jupyter

from jupyter_registry import Registry
from jupyter_registry.server.webhooks import signature

SECRET = "hook-secret"


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.deliveries.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooked_server(tmp_path: Path, receiver: Receiver) -> Iterator[JupyterServer]:
    server = start_jupyter(
        {"database": f"sqlite:///{tmp_path / 'hooks.db'}", "artifacts": str(tmp_path / "blobs")},
        extra_config={
            "RegistryWebhooks": {
                "urls": [receiver.url],
                "secret": SECRET,
                "events": ["model.created", "version.registered", "alias.set"],
            }
        },
    )
    yield server
    server.stop()


def test_changes_are_posted_signed(
    hooked_server: JupyterServer, receiver: Receiver, model_folder: Path
) -> None:
    registry = Registry(server=hooked_server.url, token=hooked_server.token)
    model = registry.create_model("hooked")
    model.register_version(registry.create_checkpoint(model_folder))
    model.set_alias("production", 1)
    model.set_description("not delivered: filtered out")
    deadline = time.monotonic() + 20
    while len(receiver.deliveries) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    events = [json.loads(body) for _, body in receiver.deliveries]
    assert [e["event"] for e in events] == ["model.created", "version.registered", "alias.set"]
    assert events[2]["data"] == {"model": "hooked", "alias": "production", "version": 1}
    assert all(e["user"] for e in events)
    for headers, body in receiver.deliveries:
        expected = signature(
            SECRET, headers["X-Registry-Delivery"], headers["X-Registry-Timestamp"], body
        )
        assert hmac.compare_digest(headers["X-Registry-Signature"], expected)
        assert abs(int(headers["X-Registry-Timestamp"]) - time.time()) < 60
    tampered = receiver.deliveries[0][1].replace(b"hooked", b"hacked")
    headers = receiver.deliveries[0][0]
    forged = signature(
        SECRET, headers["X-Registry-Delivery"], headers["X-Registry-Timestamp"], tampered
    )
    assert not hmac.compare_digest(headers["X-Registry-Signature"], forged)
