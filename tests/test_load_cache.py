"""Loading from the local cache (issue 17): one metadata request, a re-check that works, offline.

The SDK talks to a live Jupyter server through :class:`CountingProxy`, a
plain TCP relay that notes each HTTP request line it carries, so the counts
are what crossed the wire. A cached file changed behind the cache's back
(new bytes under a new mtime, or a new file in its place) must be re-hashed
and downloaded again, and what loads is the registry's bytes.

With ``JUPYTER_REGISTRY_OFFLINE=1``, each load runs in a new interpreter whose
audit hook records every socket and SQLite connection it attempts, while the
registry it would reach is gone (the proxy closed, the database file moved
away). Refs resolve from what earlier online loads recorded, with a warning
naming when; anything else is a typed error saying it is not cached.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from jupyter_proc import ThreadedJupyter
from safetensors.torch import save_file
from test_client_resume import FlakyProxy
from torch import nn

from jupyter_registry import Registry

REQUEST_LINE = re.compile(rb"(?:^|\r\n)(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]\r\n")
NET_CODE = """from torch import nn


class Net(nn.Linear):
    def __init__(self):
        super().__init__(3, 3)
"""


class CountingProxy(FlakyProxy):
    """A TCP relay to ``target`` that cuts nothing and records each request line (method, path)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.requests: list[tuple[str, str]] = []
        super().__init__(target, after=0, cuts=0)
        self.url = f"http://127.0.0.1:{self.port}/"

    def _requests(
        self, client: socket.socket, upstream: socket.socket, armed: threading.Event
    ) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                found = REQUEST_LINE.findall(data)
                self.requests += [(m.decode(), p.decode().split("?")[0]) for m, p in found]
                upstream.sendall(data)
        self._close(client, upstream)

    def take(self) -> list[tuple[str, str]]:
        """The requests seen since the last call."""
        seen, self.requests = self.requests, []
        return seen


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


def _same_mtime_same_inode(path: Path) -> None:
    """Rewritten in place and given back its mtime: only the ctime, which no one sets, moved."""
    before = path.stat()
    with open(path, "r+b") as handle:
        handle.write(bytes([path.read_bytes()[0] ^ 0x01]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_ino == before.st_ino


@pytest.mark.parametrize(
    "change", [_same_size_new_mtime, _new_inode_same_mtime, _same_mtime_same_inode]
)
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


SCALED_CODE = """import torch
from torch import nn


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3)
        self.register_buffer("scale", torch.empty(3), persistent=False)
        nn.init.constant_(self.scale, 2.0)

    def forward(self, x):
        return self.linear(x) * self.scale
"""


def test_a_loaded_module_has_the_saved_parameters_and_its_own_buffers(tmp_path: Path) -> None:
    """Parameter init is skipped on load, but a buffer the constructor fills keeps its values."""
    folder = tmp_path / "scaled"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "model_def.py").write_text(SCALED_CODE)
    saved = nn.Linear(3, 3)
    save_file(
        {f"linear.{k}": v for k, v in saved.state_dict().items()}, folder / "weights.safetensors"
    )
    registry = Registry()
    checkpoint = registry.create_checkpoint(
        folder, format="safetensors", entrypoint="model_def:Scaled"
    )
    loaded = checkpoint.load()
    assert torch.equal(loaded.scale, torch.full((3,), 2.0))
    assert torch.equal(loaded.linear.weight, saved.weight)
    assert torch.equal(loaded.linear.bias, saved.bias)
    assert isinstance(loaded.linear.weight, nn.Parameter) and loaded.linear.weight.requires_grad
    loaded(torch.ones(1, 3)).sum().backward()  # a trainable module, not a view of the file
    with torch.no_grad():
        loaded.linear.weight.add_(loaded.linear.weight.grad)


# --- offline -----------------------------------------------------------------

WATCH = """
import json, sys, warnings
CONNECTS = []
sys.addaudithook(
    lambda event, args: CONNECTS.append(event)
    if event in ("socket.connect", "socket.getaddrinfo", "sqlite3.connect") else None
)
warnings.simplefilter("always")
from jupyter_registry import NotFoundError, Registry

def refused(ref):
    try:
        Registry().get_model_version(ref)
    except NotFoundError as error:
        return type(error).__name__ + ": " + str(error)
    return "loaded"

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    {body}
warned = [str(w.message) for w in caught]
print(json.dumps({{"out": out, "warnings": warned, "connects": CONNECTS}}))
"""


def offline(body: str, **env: str) -> dict:
    """Run ``body`` (setting ``out``) offline in a new interpreter; its result and warnings."""
    environment = {**os.environ, **env, "JUPYTER_REGISTRY_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", WATCH.format(body=body)],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_remote_registry_down_still_loads_what_was_loaded(
    remote: Registry,
    proxy: CountingProxy,
    threaded_jupyter: ThreadedJupyter,
    tmp_path: Path,
) -> None:
    own_torch_model(remote, tmp_path)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "w.bin").write_bytes(b"weights")
    plain = remote.create_model("plain")
    plain.register_version(remote.create_checkpoint(tmp_path / "files"), aliases=["production"])
    net = remote.get_model_version("net:staging").load()
    remote.get_model_version("plain:production").load()
    uuid = remote.get_model_version("plain:1").checkpoint.uuid  # fetched, never loaded by "1"
    proxy.close()

    result = offline(
        "net = Registry().get_model_version('net:staging').load()\n"
        "    out = {'weight': net.weight.tolist(),\n"
        "           'production': (Registry().get_model_version('plain:production').load()\n"
        "                          / 'w.bin').read_text(),\n"
        "           'by number': str(Registry().get_model_version('plain:v1').load()),\n"
        f"           'by uuid': str(Registry().get_checkpoint({uuid!r}).load()),\n"
        "           'latest': refused('plain'), 'unknown': refused('other:production')}",
        JUPYTER_REGISTRY_SERVER=proxy.url,
        JUPYTER_REGISTRY_TOKEN=threaded_jupyter.token,
    )
    out = result["out"]
    assert result["connects"] == []
    assert torch.equal(torch.tensor(out["weight"]), net.weight)
    assert out["production"] == "weights"
    assert out["by number"] == out["by uuid"]
    assert out["latest"].startswith("NotCachedError: plain:latest is not in the local cache")
    assert out["unknown"].startswith("NotCachedError: other:production is not in the local cache")
    assert len(result["warnings"]) == 3
    for warning, ref in zip(
        result["warnings"], ["net:staging", "plain:production", "plain:1"], strict=True
    ):
        assert warning.startswith(
            f"JUPYTER_REGISTRY_OFFLINE: {ref} resolved from the local cache as of "
        )


def test_an_embedded_registry_loads_offline_without_its_database(
    registry_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "w.bin").write_bytes(b"first")
    registry = Registry()
    model = registry.create_model("m")
    model.register_version(registry.create_checkpoint(tmp_path / "files"), aliases=["staging"])
    cached = registry.get_model_version("m:staging").load()
    (registry_home / "registry.db").rename(tmp_path / "elsewhere.db")

    result = offline(
        "out = {'folder': str(Registry().get_model_version('m:staging').load()),\n"
        "           'downloaded': (Registry().get_model_version('m:1').download('out')\n"
        "                          / 'w.bin').read_text(),\n"
        "           'models': None}\n"
        "    try:\n"
        "        Registry().get_models()\n"
        "    except Exception as error:\n"
        "        out['models'] = type(error).__name__ + ': ' + str(error)"
    )
    assert result["connects"] == []
    assert result["out"]["folder"] == str(cached)
    assert result["out"]["downloaded"] == "first"
    assert result["out"]["models"].startswith("OfflineError: list_models needs the registry")
    assert not (registry_home / "registry.db").exists()

    (cached / "w.bin").write_bytes(b"other")  # changed on disk: no registry to fetch it again
    result = offline(
        "try:\n"
        "        Registry().get_model_version('m:staging').load()\n"
        "        out = 'loaded'\n"
        "    except NotFoundError as error:\n"
        "        out = type(error).__name__ + ': ' + str(error)"
    )
    assert result["out"].startswith("NotCachedError: blob ")
    assert result["connects"] == []
