"""Transfers through a live server: small checkpoints in one request, resumable chunked uploads.

Every request the client makes goes through a TCP proxy in this test that
records the request lines and, when armed, cuts the connection after a number
of uploaded bytes, so a dropped connection is a real one.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from jupyter_proc import ThreadedJupyter
from test_client_resume import FlakyProxy

from jupyter_registry import Registry
from jupyter_registry.api import API_PREFIX, BUNDLE_MAX_BYTES
from jupyter_registry.artifacts import open_blob_store
from jupyter_registry.artifacts.uploads import UploadSessions
from jupyter_registry.client.http import HttpClient
from jupyter_registry.client.transfer import encode_bundle
from jupyter_registry.errors import NotFoundError, ValidationError
from jupyter_registry.schemas import (
    BundleVersion,
    CheckpointFile,
    CommitUpload,
    CreateCheckpoint,
    StartUpload,
)

REQUEST_LINE = re.compile(
    rb"(GET|HEAD|PUT|POST|PATCH|DELETE) /" + API_PREFIX.encode() + rb"/(\S*) HTTP/1.1\r\n"
)


class CuttingProxy(FlakyProxy):
    """A TCP proxy that records API requests and can cut one request after ``cut_after`` bytes."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.requests: list[tuple[str, str]] = []
        self.cut_after: int | None = None
        self.cut_when = re.compile(b"")
        super().__init__(target, after=0, cuts=0)

    def arm(self, cut_after: int, when: bytes) -> None:
        """Cut the next request matching ``when`` (a regex) after that many bytes of it."""
        self.cut_after, self.cut_when = cut_after, re.compile(when)

    def _requests(
        self, client: socket.socket, upstream: socket.socket, armed: threading.Event
    ) -> None:
        forwarded = 0
        cutting: int | None = None
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                for method, path in REQUEST_LINE.findall(data):
                    self.requests.append((method.decode(), path.decode()))
                    if self.cut_after is not None and self.cut_when.match(data):
                        cutting, self.cut_after, forwarded = self.cut_after, None, 0
                if cutting is not None and forwarded + len(data) >= cutting:
                    upstream.sendall(data[: cutting - forwarded])
                    break
                forwarded += len(data)
                upstream.sendall(data)
        self._close(client, upstream)


@pytest.fixture
def server(threaded_jupyter: ThreadedJupyter, tmp_path: Path) -> ThreadedJupyter:
    threaded_jupyter.use_registry(f"sqlite:///{tmp_path / 'r.db'}", str(tmp_path / "blobs"))
    return threaded_jupyter


@pytest.fixture
def proxy(server: ThreadedJupyter) -> Iterator[CuttingProxy]:
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    proxy = CuttingProxy(("127.0.0.1", port))
    yield proxy
    proxy.close()


def _client(server: ThreadedJupyter, proxy: CuttingProxy, chunk_size: int) -> HttpClient:
    return HttpClient(f"http://127.0.0.1:{proxy.port}/", server.token, chunk_size=chunk_size)


def _calls(proxy: CuttingProxy) -> list[tuple[str, str]]:
    """The requests the proxy saw, less the one each client makes once to learn whether
    blobs go straight to a bucket (``GET direct``, see tests/test_s3_direct.py)."""
    return [call for call in proxy.requests if call != ("GET", "direct")]


@pytest.fixture
def registry(server: ThreadedJupyter, proxy: CuttingProxy) -> Registry:
    return Registry(client=_client(server, proxy, 1024 * 1024))


def _folder(root: Path, sizes: dict[str, int]) -> Path:
    root.mkdir()
    for index, (name, size) in enumerate(sizes.items()):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            hashlib.sha256(str(index).encode()).digest() * (size // 32) + b"x" * (size % 32)
        )
    return root


def _same_files(source: Path, target: Path) -> None:
    names = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    for name in names:
        assert (source / name).read_bytes() == (target / name).read_bytes(), name


def test_a_small_checkpoint_and_its_version_are_one_request(
    registry: Registry, proxy: CuttingProxy, tmp_path: Path
) -> None:
    model = registry.create_model("small")
    source = _folder(tmp_path / "small", {"weights.bin": 1024, "sub/config.json": 100})
    proxy.requests.clear()
    version = model.save_version(source, comment="one request", aliases=["staging"])
    assert _calls(proxy) == [("POST", "bundles")]
    assert (version.version, version.info.aliases, version.info.comment) == (
        1,
        ["staging"],
        "one request",
    )
    _same_files(source, version.download(tmp_path / "out"))

    proxy.requests.clear()
    checkpoint = registry.create_checkpoint(source)
    model.register_version(checkpoint)
    assert _calls(proxy) == [("POST", "bundles"), ("POST", "models/small/versions")]
    assert registry.get_model_version("small:2").checkpoint.uuid == checkpoint.uuid


def test_a_big_checkpoint_falls_back_to_uploads(
    registry: Registry, proxy: CuttingProxy, tmp_path: Path
) -> None:
    model = registry.create_model("big")
    source = _folder(
        tmp_path / "big", {"a.bin": BUNDLE_MAX_BYTES // 2, "b.bin": BUNDLE_MAX_BYTES, "empty": 0}
    )
    proxy.requests.clear()
    version = model.save_version(source)
    verbs = {(method, path.split("/")[0]) for method, path in proxy.requests}
    assert ("POST", "bundles") not in verbs
    assert ("HEAD", "blobs") not in verbs  # hashed while sent: no "have you got it?" first
    assert {("POST", "uploads"), ("PUT", "uploads"), ("POST", "checkpoints")} <= verbs
    _same_files(source, version.download(tmp_path / "out"))


def _bundle(
    contents: dict[str, bytes], declared: dict[str, bytes] | None = None, model: str | None = None
) -> tuple[str, bytes]:
    """A bundle sending ``contents`` and declaring ``declared`` (by default the same)."""
    files = [
        CheckpointFile(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        for path, data in (declared if declared is not None else contents).items()
    ]
    request = CreateCheckpoint.model_construct(files=files, directories=[])
    version = BundleVersion(model_name=model) if model else None
    return encode_bundle(request, version, contents)


def _post_bundle(server: ThreadedJupyter, content_type: str, body: bytes) -> requests.Response:
    headers = {"Authorization": f"token {server.token}", "Content-Type": content_type}
    return requests.post(
        f"{server.url}{API_PREFIX}/bundles", data=body, headers=headers, timeout=30
    )


def _nothing_stored(server: ThreadedJupyter, *contents: bytes) -> None:
    assert server.service.list_checkpoints().checkpoints == []
    for data in contents:
        assert server.service.blob_size(hashlib.sha256(data).hexdigest()) is None


def test_a_bundle_with_a_wrong_hash_stores_nothing(server: ThreadedJupyter) -> None:
    content_type, body = _bundle({"w.bin": b"sent bytes"}, declared={"w.bin": b"other bytes"})
    response = _post_bundle(server, content_type, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "ValidationError"
    _nothing_stored(server, b"sent bytes", b"other bytes")


@pytest.mark.parametrize(
    ("sent", "declared"),
    [
        ({"../escape.bin": b"x"}, {"ok.bin": b"x"}),  # a part outside the checkpoint
        ({"../escape.bin": b"x"}, None),  # a declared path escaping the folder
        ({"/etc/passwd": b"x"}, None),  # an absolute path
        ({"a.bin": b"x"}, {"a.bin": b"x", "b.bin": b"y"}),  # a declared file with no part
    ],
)
def test_hostile_bundle_parts_are_refused(
    server: ThreadedJupyter, sent: dict[str, bytes], declared: dict[str, bytes] | None
) -> None:
    content_type, body = _bundle(sent, declared)
    response = _post_bundle(server, content_type, body)
    assert response.status_code == 400, response.text
    _nothing_stored(server, b"x", b"y")


def test_a_repeated_bundle_part_is_refused(server: ThreadedJupyter) -> None:
    content_type, body = _bundle({"a.bin": b"x"})
    boundary = content_type.split("boundary=")[1].encode()
    part = body[: body.rindex(b"--" + boundary + b"--")]
    file_part = part[part.rindex(b"--" + boundary + b"\r\n") :]
    doubled = part + file_part + b"--" + boundary + b"--\r\n"
    response = _post_bundle(server, content_type, doubled)
    assert response.status_code == 400, response.text
    assert "more than once" in response.json()["error"]["message"]
    _nothing_stored(server, b"x")


def test_a_refused_version_leaves_no_checkpoint(server: ThreadedJupyter) -> None:
    content_type, body = _bundle({"a.bin": b"payload"}, model="no-such-model")
    response = _post_bundle(server, content_type, body)
    assert response.status_code == 404, response.text
    assert server.service.list_checkpoints().checkpoints == []


def test_an_upload_resumes_after_a_dropped_connection(
    server: ThreadedJupyter, proxy: CuttingProxy, tmp_path: Path
) -> None:
    chunk = 2 * 1024 * 1024
    client = _client(server, proxy, chunk)
    source = _folder(tmp_path / "src", {"big.bin": 4 * chunk + 12345})
    payload = (source / "big.bin").read_bytes()
    # A real cut: the proxy closes both sockets half-way through chunk 2's body.
    proxy.arm(chunk // 2, rb"PUT /" + API_PREFIX.encode() + rb"/uploads/[0-9a-f]{32}/chunks/2 ")
    sent: list[int] = []
    blob = client.upload_file(source / "big.bin", sent.append)
    puts = [int(path.rsplit("/", 1)[1]) for method, path in proxy.requests if method == "PUT"]
    assert sorted(puts) == [0, 1, 2, 2, 3, 4], "only the chunk that was cut is sent again"
    asked = [path for method, path in proxy.requests if method == "GET" and "uploads/" in path]
    assert len(asked) == 1  # what the server has
    assert (blob.sha256, blob.size) == (hashlib.sha256(payload).hexdigest(), len(payload))
    assert sum(sent) == len(payload)  # the progress bar takes back the cut chunk's bytes

    # The same file again is known by its identity on disk: nothing is sent.
    proxy.requests.clear()
    checkpoint = Registry(client=client).create_checkpoint(source)
    assert [m for m, _ in proxy.requests] == ["HEAD", "POST"], proxy.requests
    _same_files(source, checkpoint.download(tmp_path / "out"))


def _six_bytes(server: ThreadedJupyter, proxy: CuttingProxy) -> tuple[HttpClient, str, str]:
    """A client, and an upload of 6 bytes in chunks of 4 with the URL of its chunks."""
    client = _client(server, proxy, 4)
    upload_id = client.start_upload(StartUpload(size=6, chunk_size=4)).upload_id
    return client, upload_id, f"{client.base}uploads/{upload_id}/chunks/"


def test_a_chunk_that_differs_from_what_was_sent_is_asked_for_again(
    server: ThreadedJupyter, proxy: CuttingProxy
) -> None:
    client, upload_id, url = _six_bytes(server, proxy)
    for index, data in enumerate([b"abcd", b"ef"]):
        client.session.put(f"{url}{index}", data=data, timeout=30).raise_for_status()
    claimed = [hashlib.sha256(b"abcX").hexdigest(), hashlib.sha256(b"ef").hexdigest()]
    whole = hashlib.sha256(b"abcdef").hexdigest()
    with pytest.raises(ValidationError, match=r"chunks \[0\]"):
        client.commit_upload(upload_id, CommitUpload(chunks=claimed, sha256=whole))
    assert [c.index for c in client.get_upload(upload_id).chunks] == [1]
    client.session.put(f"{url}0", data=b"abcd", timeout=30).raise_for_status()
    with pytest.raises(ValidationError, match="sha256"):
        right = [hashlib.sha256(b"abcd").hexdigest(), claimed[1]]
        client.commit_upload(upload_id, CommitUpload(chunks=right, sha256=claimed[0]))
    assert server.service.blob_size(whole) is None
    blob = client.commit_upload(upload_id, CommitUpload(chunks=right))
    assert (blob.sha256, blob.size) == (whole, 6)
    with pytest.raises(NotFoundError):
        client.get_upload(upload_id)


def test_a_chunk_of_the_wrong_length_is_not_kept(
    server: ThreadedJupyter, proxy: CuttingProxy
) -> None:
    client, upload_id, url = _six_bytes(server, proxy)
    assert client.session.put(f"{url}0", data=b"abc", timeout=30).status_code == 400
    assert client.session.put(f"{url}2", data=b"ab", timeout=30).status_code == 400
    assert client.get_upload(upload_id).chunks == []


def test_abandoned_uploads_are_collected(server: ThreadedJupyter, proxy: CuttingProxy) -> None:
    client, upload_id, url = _six_bytes(server, proxy)
    client.session.put(f"{url}0", data=b"abcd", timeout=30).raise_for_status()
    Registry(client=client).gc(timedelta(hours=1))
    assert len(client.get_upload(upload_id).chunks) == 1  # younger than the grace period
    Registry(client=client).gc(timedelta(0))
    with pytest.raises(NotFoundError):
        client.get_upload(upload_id)


def test_upload_sessions_on_an_fsspec_store(tmp_path: Path) -> None:
    """The sessions use only the store's filesystem calls: an object store holds them too."""
    blobs = open_blob_store("memory://transfer-test/store")
    sessions = UploadSessions(blobs)
    upload_id = sessions.start(10, 4).upload_id
    for index, data in [(2, b"ij"), (0, b"abcd"), (1, b"efgh")]:
        sessions.write_chunk(upload_id, index, [data])
    hashes = [c.sha256 for c in sessions.status(upload_id).chunks]
    blob = sessions.commit(upload_id, hashes, hashlib.sha256(b"abcdefghij").hexdigest())
    assert b"".join(blobs.read(blob.sha256, blob.size)) == b"abcdefghij"
    with pytest.raises(NotFoundError):
        sessions.status(upload_id)


def test_the_register_version_magic_sends_a_small_checkpoint_in_one_request(
    server: ThreadedJupyter,
    proxy: CuttingProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    monkeypatch.setenv("JUPYTER_REGISTRY_SERVER", f"http://127.0.0.1:{proxy.port}/")
    monkeypatch.setenv("JUPYTER_REGISTRY_TOKEN", server.token)
    for name in ("JUPYTER_REGISTRY_DATABASE", "JUPYTER_REGISTRY_ARTIFACTS"):
        monkeypatch.delenv(name, raising=False)
    shell = start_ipython() or get_ipython()  # one shell per test session
    shell.run_line_magic("load_ext", "jupyter_registry")
    Registry(server=f"http://127.0.0.1:{proxy.port}/", token=server.token).create_model("mag")
    source = _folder(tmp_path / "export", {"weights.bin": 2048})
    proxy.requests.clear()
    version = shell.run_line_magic("register_version", f"mag {source} --alias staging")
    assert _calls(proxy) == [("GET", "models/mag"), ("POST", "bundles")]
    assert (version.version, version.info.aliases) == (1, ["staging"])
