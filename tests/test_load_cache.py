"""Loading a cached version (issue 17): one metadata request, no blob, and a re-check that works.

The SDK talks to a live Jupyter server through :class:`CountingProxy`, a
plain TCP relay that notes each HTTP request line it carries, so the counts
are what crossed the wire. A cached file changed behind the cache's back
(new bytes under a new mtime, or a new file in its place) must be re-hashed
and downloaded again, and what loads is the registry's bytes.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from jupyter_proc import ThreadedJupyter
from safetensors.torch import save_file
from torch import nn

from jupyter_registry import Registry

REQUEST_LINE = re.compile(rb"(?:^|\r\n)(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]\r\n")
NET_CODE = """from torch import nn


class Net(nn.Linear):
    def __init__(self):
        super().__init__(3, 3)
"""


class CountingProxy:
    """A TCP relay to ``target`` that records every request line (method, path) sent through."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.requests: list[tuple[str, str]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, note: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if note:
                    self.requests += [
                        (m.decode(), p.decode().split("?")[0])
                        for m, p in REQUEST_LINE.findall(data)
                    ]
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def take(self) -> list[tuple[str, str]]:
        """The requests seen since the last call."""
        seen, self.requests = self.requests, []
        return seen

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(threaded_jupyter: ThreadedJupyter, tmp_path: Path) -> Iterator[CountingProxy]:
    threaded_jupyter.use_registry(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "blobs"))
    port = int(threaded_jupyter.url.rsplit(":", 1)[1].strip("/"))
    counting = CountingProxy(("127.0.0.1", port))
    yield counting
    counting.close()


@pytest.fixture
def remote(proxy: CountingProxy, threaded_jupyter: ThreadedJupyter) -> Registry:
    return Registry(server=proxy.url, token=threaded_jupyter.token)


def blob_reads(requests: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [r for r in requests if r[0] == "GET" and "/blobs/" in r[1]]


def own_torch_model(registry: Registry, tmp_path: Path) -> None:
    """``net:staging``: a torch checkpoint holding its own model code."""
    folder = tmp_path / "net"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "model_def.py").write_text(NET_CODE)
    torch.manual_seed(0)
    save_file(dict(nn.Linear(3, 3).state_dict()), folder / "weights.safetensors")
    checkpoint = registry.create_checkpoint(
        folder, format="safetensors", entrypoint="model_def:Net"
    )
    registry.create_model("net").register_version(checkpoint, aliases=["staging"])


def test_a_cached_version_loads_with_one_request_and_no_blob(
    remote: Registry, proxy: CountingProxy, tmp_path: Path, threaded_jupyter: ThreadedJupyter
) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "w.bin").write_bytes(os.urandom(3000))
    remote.create_model("plain").register_version(remote.create_checkpoint(tmp_path / "files"))
    own_torch_model(remote, tmp_path)
    first = remote.get_model_version("net:staging").load()
    remote.get_model_version("plain").load()
    proxy.take()

    again = Registry(server=proxy.url, token=threaded_jupyter.token)
    loaded = again.get_model_version("net:staging").load()
    assert proxy.take() == [("GET", "/registry/api/v1/models/net/versions/staging")]
    assert torch.equal(loaded.weight, first.weight)
    folder = again.get_model_version("plain").load()
    assert proxy.take() == [("GET", "/registry/api/v1/models/plain/versions/latest")]
    assert (folder / "w.bin").read_bytes() == (tmp_path / "files" / "w.bin").read_bytes()


def _same_size_new_mtime(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))


def _new_inode_same_mtime(path: Path) -> None:
    """A different file in its place: same size and mtime, other bytes, another inode."""
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    replacement = path.with_name("replacement")
    replacement.write_bytes(bytes(data))
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)
    assert path.stat().st_ino != before.st_ino


@pytest.mark.parametrize("change", [_same_size_new_mtime, _new_inode_same_mtime])
def test_a_changed_cached_file_is_rehashed_and_downloaded_again(
    remote: Registry, proxy: CountingProxy, tmp_path: Path, change: object
) -> None:
    payload = os.urandom(5000)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "w.bin").write_bytes(payload)
    remote.create_model("m").register_version(remote.create_checkpoint(tmp_path / "files"))
    cached = remote.get_model_version("m").load() / "w.bin"
    assert len(blob_reads(proxy.take())) == 1

    change(cached)  # type: ignore[operator]
    assert cached.read_bytes() != payload
    folder = remote.get_model_version("m").load()
    assert (folder / "w.bin").read_bytes() == payload
    assert len(blob_reads(proxy.take())) == 1
    remote.get_model_version("m").load()
    assert blob_reads(proxy.take()) == []  # sound again: stat only


def test_a_file_given_back_its_old_mtime_is_still_caught(
    remote: Registry, proxy: CountingProxy, tmp_path: Path
) -> None:
    """Same size, same mtime, same inode: the ctime, which no one can set, still moved."""
    payload = os.urandom(5000)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "w.bin").write_bytes(payload)
    remote.create_model("m").register_version(remote.create_checkpoint(tmp_path / "files"))
    cached = remote.get_model_version("m").load() / "w.bin"
    before = cached.stat()
    with open(cached, "r+b") as handle:
        handle.write(bytes([payload[0] ^ 0x01]))
    os.utime(cached, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert cached.stat().st_ino == before.st_ino
    proxy.take()
    assert (remote.get_model_version("m").load() / "w.bin").read_bytes() == payload
    assert len(blob_reads(proxy.take())) == 1
