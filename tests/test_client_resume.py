"""The remote client resumes a download whose connection drops, and still verifies it."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_proc import ThreadedJupyter

from jupyter_registry import Registry


class FlakyProxy:
    """A TCP proxy that cuts the first ``cuts`` blob downloads after ``after`` bytes."""

    def __init__(self, target: tuple[str, int], after: int, cuts: int) -> None:
        self.target, self.after, self.cuts = target, after, cuts
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.ranges: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            armed = threading.Event()
            threading.Thread(
                target=self._requests, args=(client, upstream, armed), daemon=True
            ).start()
            threading.Thread(
                target=self._responses, args=(upstream, client, armed), daemon=True
            ).start()

    def _requests(
        self, client: socket.socket, upstream: socket.socket, armed: threading.Event
    ) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if b"GET /registry/api/v1/blobs/" in data:
                    self.ranges += [
                        line.decode()
                        for line in data.split(b"\r\n")
                        if line.lower().startswith(b"range:")
                    ]
                    if self.cuts > 0:
                        self.cuts -= 1
                        armed.set()
                upstream.sendall(data)
        self._close(client, upstream)

    def _responses(
        self, upstream: socket.socket, client: socket.socket, armed: threading.Event
    ) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while data := upstream.recv(65536):
                if armed.is_set():
                    if sent + len(data) > self.after:
                        client.sendall(data[: self.after - sent])
                        break
                    sent += len(data)
                client.sendall(data)
        self._close(client, upstream)

    @staticmethod
    def _close(*sockets: socket.socket) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxied(
    threaded_jupyter: ThreadedJupyter, tmp_path: Path
) -> Iterator[tuple[Registry, FlakyProxy]]:
    threaded_jupyter.use_registry(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "blobs"))
    port = int(threaded_jupyter.url.rsplit(":", 1)[1].strip("/"))
    proxy = FlakyProxy(("127.0.0.1", port), after=3 * 1024 * 1024, cuts=2)
    yield Registry(server=f"http://127.0.0.1:{proxy.port}/", token=threaded_jupyter.token), proxy
    proxy.close()


def test_download_survives_dropped_connections(
    proxied: tuple[Registry, FlakyProxy], tmp_path: Path
) -> None:
    registry, proxy = proxied
    source = tmp_path / "ckpt"
    source.mkdir()
    payload = bytes(range(256)) * (40 * 1024)  # 10 MiB
    (source / "weights.bin").write_bytes(payload)
    checkpoint = registry.create_checkpoint(source)
    target = checkpoint.download(tmp_path / "out")
    assert (target / "weights.bin").read_bytes() == payload
    starts = [int(r.split("=", 1)[1].rstrip("-")) for r in proxy.ranges]
    assert len(starts) == 2 and 0 < starts[0] < starts[1] < len(payload), proxy.ranges
