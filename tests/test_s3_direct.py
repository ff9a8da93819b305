"""S3 direct transfer: blob bytes between clients and the bucket through presigned URLs.

Against a real SeaweedFS S3 that checks signatures (its own random key pair)
and a real Jupyter server: uploads and downloads never use the server's
``blobs/{sha256}`` route and the server process moves far fewer bytes than it
records; big files go in parallel parts; content that does not hash to the
SHA-256 a client announced is refused and never stored; read-only users get no
upload URL; URLs expire and carry no secret; a local store, or
``direct_transfer = False``, falls back to streaming through the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from jupyter_proc import JupyterServer, start_jupyter
from servers import S3Server, start_s3

from jupyter_registry import NotFoundError, PermissionDeniedError, Registry, ValidationError
from jupyter_registry.client import presigned
from jupyter_registry.client.http import HttpClient
from jupyter_registry.config import RegistryConfig
from jupyter_registry.schemas import (
    BlobInfo,
    CompleteDirectUpload,
    CreateCheckpoint,
    PresignedDownload,
    PresignedUpload,
    PresignUpload,
    UploadedPart,
)
from jupyter_registry.service import RegistryService

pytestmark = [pytest.mark.slow, pytest.mark.s3]

MIB = 1024 * 1024
PART = 5 * MIB  # S3's smallest part
TESTS = str(Path(__file__).parent)
ANA, RITA = "ana", "rita"
BLOB_ROUTE = re.compile(r"\b(\d{3}) (GET|PUT|HEAD|POST) /registry/api/v1/blobs/")


@pytest.fixture(scope="module")
def bucket_s3() -> Iterator[S3Server]:
    """An S3 that checks every signature, unlike the shared fixture's open one."""
    server = start_s3(authenticated=True)
    yield server
    server.stop()


def new_bucket(s3: S3Server) -> str:
    import s3fs

    bucket = f"direct{uuid.uuid4().hex[:10]}"
    s3fs.S3FileSystem(**s3.storage_options).mkdir(bucket)
    s3fs.S3FileSystem.clear_instance_cache()
    return bucket


def s3_files(s3: S3Server, bucket: str) -> list[str]:
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    return sorted(s3fs.S3FileSystem(**s3.storage_options).find(bucket))


def registry_config(s3: S3Server, bucket: str, folder: Path, **extra: Any) -> dict[str, Any]:
    return {
        "database": f"sqlite:///{folder / 'registry.db'}",
        "artifacts": f"s3://{bucket}/registry",
        "storage_options": json.dumps(s3.storage_options),
        **extra,
    }


@dataclass
class DirectServer:
    server: JupyterServer
    s3: S3Server
    bucket: str
    tokens: dict[str, str]

    def client(self, user: str = ANA) -> HttpClient:
        return HttpClient(self.server.url, self.tokens[user])

    def registry(self, user: str = ANA) -> Registry:
        return Registry(server=self.server.url, token=self.tokens[user])

    def blob_route_hits(self) -> list[tuple[str, str]]:
        return BLOB_ROUTE.findall(self.server.log())


def start_registry_server(registry: dict[str, Any], tokens: dict[str, str]) -> JupyterServer:
    """A Jupyter server logging every request, one identity per token."""
    return start_jupyter(
        registry,
        env={"PYTHONPATH": os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")])},
        extra_config={
            "ServerApp": {
                "identity_provider_class": "team_identity.TokenUsersIdentityProvider",
                "log_level": "DEBUG",
            },
            "TokenUsersIdentityProvider": {"users": {t: u for u, t in tokens.items()}},
        },
    )


@pytest.fixture(scope="module")
def direct(bucket_s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DirectServer]:
    bucket = new_bucket(bucket_s3)
    tokens = {ANA: uuid.uuid4().hex, RITA: uuid.uuid4().hex}
    folder = tmp_path_factory.mktemp("direct-server")
    config = registry_config(
        bucket_s3, bucket, folder, direct_part_bytes=PART, readonly_users=[RITA]
    )
    server = start_registry_server(config, tokens)
    yield DirectServer(server, bucket_s3, bucket, tokens)
    server.stop()


def write_random(path: Path, size: int) -> str:
    data = os.urandom(size)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


class CountingProxy:
    """A TCP proxy to the Jupyter server counting every byte either way: what crosses the
    server's door (requests to the bucket go straight to it, not through here)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.bytes = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
                for pair in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=pair, daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(1 << 20):
                with self.lock:
                    self.bytes += len(data)
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


def test_files_go_straight_to_the_bucket_and_back(direct: DirectServer, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    weights = write_random(folder / "weights.bin", 4 * MIB)
    (folder / "config.json").write_text('{"layers": 3}')
    proxy = CountingProxy(direct.server.url)
    registry = Registry(server=proxy.url, token=direct.tokens[ANA])
    try:
        checkpoint = registry.create_checkpoint(folder)
        model = registry.create_model(f"direct-{uuid.uuid4().hex[:6]}")
        model.register_version(checkpoint.uuid)
        fresh = Registry(server=proxy.url, token=direct.tokens[ANA])
        out = fresh.get_model(model.name).get_version().checkpoint.download(tmp_path / "out")
    finally:
        proxy.close()

    assert (out / "weights.bin").read_bytes() == (folder / "weights.bin").read_bytes()
    assert (out / "config.json").read_text() == '{"layers": 3}'
    # The 4 MiB went up and came back down without crossing the server's door.
    assert proxy.bytes < 256 * 1024, proxy.bytes
    assert [verb for _, verb in direct.blob_route_hits() if verb != "HEAD"] == []
    log = direct.server.log()
    assert f"POST /registry/api/v1/direct/uploads/{weights}" in log
    assert f"GET /registry/api/v1/direct/blobs/{weights}" in log
    stored = s3_files(direct.s3, direct.bucket)
    assert f"{direct.bucket}/registry/blobs/{weights[:2]}/{weights[2:]}" in stored
    assert not [f for f in stored if "/tmp/" in f]  # no staging object left behind


@dataclass
class Recorder:
    """The real client, keeping the offers it was given so the test can look at them."""

    client: HttpClient
    offer: PresignedUpload | None = None

    def presign_upload(self, sha256: str, request: PresignUpload) -> PresignedUpload:
        self.offer = self.client.presign_upload(sha256, request)
        return self.offer

    def complete_direct_upload(self, sha256: str, request: CompleteDirectUpload) -> BlobInfo:
        return self.client.complete_direct_upload(sha256, request)

    def presign_download(self, sha256: str) -> PresignedDownload:
        return self.client.presign_download(sha256)


def test_a_big_file_goes_in_parallel_parts(direct: DirectServer, tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    sha256 = write_random(path, 2 * PART + 123)
    recorder = Recorder(direct.client())
    reported: list[int] = []
    blob = presigned.upload(recorder, path, sha256, path.stat().st_size, reported.append)
    assert blob == BlobInfo(sha256=sha256, size=path.stat().st_size)
    assert recorder.offer is not None and recorder.offer.multipart is not None
    assert [p.size for p in recorder.offer.parts] == [PART, PART, 123]
    assert sum(reported) == path.stat().st_size

    client = direct.client()
    files = [{"path": "big.bin", "sha256": sha256, "size": blob.size}]
    checkpoint = client.create_checkpoint(CreateCheckpoint.model_validate({"files": files}))
    assert checkpoint.files[0].sha256 == sha256
    size, chunks = client.read_blob(sha256)
    assert size == blob.size
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == sha256
    assert [v for _, v in direct.blob_route_hits() if v != "HEAD"] == []


def assert_not_stored(direct: DirectServer, sha256: str) -> None:
    client = direct.client()
    with pytest.raises(NotFoundError):
        client.presign_download(sha256)
    files = [{"path": "x.bin", "sha256": sha256, "size": 1}]
    with pytest.raises(ValidationError, match="has not been uploaded"):
        client.create_checkpoint(CreateCheckpoint.model_validate({"files": files}))
    stored = s3_files(direct.s3, direct.bucket)
    assert not [f for f in stored if f.endswith(sha256[2:]) or "/tmp/" in f]


def test_a_single_put_of_other_bytes_is_refused_by_the_bucket(
    direct: DirectServer, tmp_path: Path
) -> None:
    claimed = hashlib.sha256(b"the weights I claim to upload").hexdigest()
    client = direct.client()
    offer = client.presign_upload(claimed, PresignUpload(size=12))
    (part,) = offer.parts
    forged = requests.put(part.url, data=b"other bytes!", headers=offer.headers, timeout=30)
    assert forged.status_code == 400 and "BadDigest" in forged.text
    unsigned = requests.put(part.url, data=b"other bytes!", timeout=30)
    assert unsigned.status_code == 403  # dropping the signed checksum breaks the signature
    done = CompleteDirectUpload(upload=offer.upload, size=12)
    with pytest.raises(ValidationError, match="nothing was uploaded"):
        client.complete_direct_upload(claimed, done)
    assert_not_stored(direct, claimed)


def test_parts_that_do_not_hash_to_the_claim_are_refused_and_discarded(
    direct: DirectServer, tmp_path: Path
) -> None:
    claimed = hashlib.sha256(b"a model").hexdigest()
    size = PART + 10
    client = direct.client()
    offer = client.presign_upload(claimed, PresignUpload(size=size))
    assert offer.multipart is not None
    parts = []
    for part in offer.parts:
        response = requests.put(part.url, data=os.urandom(part.size), timeout=30)
        assert response.status_code == 200, response.text
        parts.append(UploadedPart(number=part.number, etag=response.headers["ETag"]))
    done = CompleteDirectUpload(
        upload=offer.upload, multipart=offer.multipart, size=size, parts=parts
    )
    with pytest.raises(ValidationError, match="does not match its sha256"):
        client.complete_direct_upload(claimed, done)
    assert_not_stored(direct, claimed)


def test_completing_an_upload_of_another_size_is_refused(direct: DirectServer) -> None:
    data = b"twelve bytes"
    sha256 = hashlib.sha256(data).hexdigest()
    client = direct.client()
    offer = client.presign_upload(sha256, PresignUpload(size=len(data)))
    put = requests.put(offer.parts[0].url, data=data, headers=offer.headers, timeout=30)
    assert put.status_code == 200
    with pytest.raises(ValidationError, match="does not match its size"):
        client.complete_direct_upload(sha256, CompleteDirectUpload(upload=offer.upload, size=13))
    assert_not_stored(direct, sha256)


def test_a_reader_gets_no_upload_url(direct: DirectServer, tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    sha256 = write_random(tmp_path / "w" / "w.bin", 1000)
    reader = direct.client(RITA)
    with pytest.raises(PermissionDeniedError):
        reader.presign_upload(sha256, PresignUpload(size=1000))
    done = CompleteDirectUpload(upload=uuid.uuid4().hex, size=1000)
    with pytest.raises(PermissionDeniedError):
        reader.complete_direct_upload(sha256, done)
    with pytest.raises(PermissionDeniedError):
        direct.registry(RITA).create_checkpoint(tmp_path / "w")
    assert not [f for f in s3_files(direct.s3, direct.bucket) if f.endswith(sha256[2:])]


def test_urls_expire_and_carry_no_secret(bucket_s3: S3Server, tmp_path: Path) -> None:
    """Through the service in this process: what the server would hand out, with a 2 s life."""
    bucket = new_bucket(bucket_s3)
    config = RegistryConfig(**registry_config(bucket_s3, bucket, tmp_path))
    config.direct_transfer_expiry = 2
    service = RegistryService.from_config(config)
    try:
        data = b"weights"
        blob = service.put_blob([data])
        files = [{"path": "w", "sha256": blob.sha256, "size": blob.size}]
        service.create_checkpoint(CreateCheckpoint.model_validate({"files": files}))
        download = service.presign_download(blob.sha256)
        upload = service.presign_upload(blob.sha256, PresignUpload(size=len(data)))
        for url in (download.url, upload.parts[0].url):
            assert bucket_s3.secret not in url and "X-Amz-Expires=2&" in url
        assert requests.get(download.url, timeout=30).content == data
        tail = requests.get(download.url, headers={"Range": "bytes=3-"}, timeout=30)
        assert (tail.status_code, tail.content) == (206, data[3:])  # how a download resumes
        elsewhere = download.url.replace(blob.sha256[2:], "0" * 62)
        assert requests.get(elsewhere, timeout=30).status_code == 403
        time.sleep(3)
        expired = requests.get(download.url, timeout=30)
        assert expired.status_code == 403 and "expired" in expired.text
        late = requests.put(upload.parts[0].url, data=data, headers=upload.headers, timeout=30)
        assert late.status_code == 403
    finally:
        service.close()


def test_gc_aborts_parted_uploads_nobody_finished(bucket_s3: S3Server, tmp_path: Path) -> None:
    import s3fs

    bucket = new_bucket(bucket_s3)
    config = RegistryConfig(**registry_config(bucket_s3, bucket, tmp_path))
    service = RegistryService.from_config(config)
    try:
        sha256 = hashlib.sha256(b"never sent").hexdigest()
        offer = service.presign_upload(sha256, PresignUpload(size=200 * MIB))
        fs = s3fs.S3FileSystem(**bucket_s3.storage_options)
        started = [u["UploadId"] for u in fs.list_multipart_uploads(bucket)]
        assert offer.multipart in started
        service.gc(grace=timedelta(0))
        assert offer.multipart not in [u["UploadId"] for u in fs.list_multipart_uploads(bucket)]
    finally:
        service.close()


@pytest.mark.parametrize("store", ["local", "direct-transfer-off"])
def test_blobs_stream_through_the_server_without_direct_transfer(
    store: str, bucket_s3: S3Server, tmp_path: Path, model_folder: Path
) -> None:
    if store == "local":
        config: dict[str, Any] = {
            "database": f"sqlite:///{tmp_path / 'r.db'}",
            "artifacts": str(tmp_path / "artifacts"),
        }
    else:
        bucket = new_bucket(bucket_s3)
        config = registry_config(bucket_s3, bucket, tmp_path, direct_transfer=False)
    token = uuid.uuid4().hex
    server = start_registry_server(config, {ANA: token})
    try:
        client = HttpClient(server.url, token)
        assert not client.get_direct_transfer().available
        with pytest.raises(NotFoundError, match="no direct transfer"):
            client.presign_upload("a" * 64, PresignUpload(size=1))
        proxy = CountingProxy(server.url)
        registry = Registry(server=proxy.url, token=token)
        checkpoint = registry.create_checkpoint(model_folder)
        out = registry.get_checkpoint(checkpoint.uuid).download(tmp_path / "out")
        proxy.close()
        weights = (model_folder / "weights.bin").read_bytes()
        assert (out / "weights.bin").read_bytes() == weights
        assert proxy.bytes > 2 * len(weights)  # up and down through the server
        log = server.log()
        assert "POST /registry/api/v1/bundles" in log  # a small checkpoint: one request
        assert "GET" in {verb for _, verb in BLOB_ROUTE.findall(log)}
    finally:
        server.stop()


def test_a_file_s3_cannot_hold_is_refused_before_any_upload(
    bucket_s3: S3Server, tmp_path: Path
) -> None:
    bucket = new_bucket(bucket_s3)
    service = RegistryService.from_config(
        RegistryConfig(**registry_config(bucket_s3, bucket, tmp_path))
    )
    try:
        with pytest.raises(ValidationError, match="at most 5 TiB"):
            service.presign_upload("a" * 64, PresignUpload(size=6 * 1024**4))
        assert s3_files(bucket_s3, bucket) == []
    finally:
        service.close()
