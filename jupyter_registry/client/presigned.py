"""Blob bytes straight between this client and the server's S3 bucket, through presigned URLs.

The registry server hands out short-lived URLs (see
:mod:`jupyter_registry.artifacts.s3_store`) and afterwards verifies and
records; the bytes themselves never pass through it. An upload goes in one
``PUT`` (whose signed checksum header makes the bucket refuse any other
content) or in parts sent in parallel, then the server is told it is done. A
download is a plain ``GET`` of a presigned URL, resumed with ``Range`` after a
dropped connection (with a fresh URL, since the first may have expired) and
verified against its SHA-256 by the caller, as a download through the server is.

The requests to the bucket carry nothing of the registry's: no token and no
cookie, so neither can leak into the bucket's logs (and S3 would take an
``Authorization`` header for a signature of its own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO, Protocol

import requests

from ..errors import RegistryError, StorageError, ValidationError
from ..schemas import (
    BlobInfo,
    CompleteDirectUpload,
    PresignedDownload,
    PresignedPart,
    PresignedUpload,
    PresignUpload,
    UploadedPart,
)
from .protocol import Progress

TIMEOUT = (10, 600)
#: Parts in flight at once: enough to fill a link to S3, few enough for a laptop's memory.
PARALLEL_PARTS = 4
READ_BYTES = 1024 * 1024


class Presigner(Protocol):
    """The registry calls this module needs (the HTTP client has them)."""

    def presign_upload(self, sha256: str, request: PresignUpload) -> PresignedUpload: ...
    def complete_direct_upload(self, sha256: str, request: CompleteDirectUpload) -> BlobInfo: ...
    def presign_download(self, sha256: str) -> PresignedDownload: ...


class _PartReader:
    """``size`` bytes of a file from ``offset``, as a body requests streams with its length."""

    def __init__(self, handle: BinaryIO, size: int, progress: Progress | None) -> None:
        self.handle = handle
        self.left = size
        self.size = size
        self.progress = progress

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        data = self.handle.read(min(self.left, max(n, READ_BYTES)))
        self.left -= len(data)
        if data and self.progress is not None:
            self.progress(len(data))
        return data


def _refused(response: requests.Response, what: str) -> RegistryError:
    """The bucket's refusal as our error: a body that does not match its checksum is the
    client's mistake, anything else the bucket's (or an expired URL)."""
    detail = f"{what}: the bucket answered {response.status_code}: {response.text[:300]}"
    if response.status_code == 400:
        return ValidationError(detail)
    return StorageError(detail)


def _put_part(
    path: Path, part: PresignedPart, headers: dict[str, str], progress: Progress | None
) -> str:
    """PUT one part; the ETag the bucket gave it."""
    with open(path, "rb") as handle:
        handle.seek(part.offset)
        body = _PartReader(handle, part.size, progress)
        try:
            response = requests.put(part.url, data=body, headers=headers, timeout=TIMEOUT)
        except requests.ConnectionError as exc:
            raise StorageError(f"cannot reach the bucket: {exc}") from None
    if response.status_code >= 300:
        raise _refused(response, f"part {part.number} of {path.name}")
    etag = response.headers.get("ETag")
    if not etag:
        raise StorageError(f"the bucket gave part {part.number} of {path.name} no ETag")
    return etag


def _thread_safe(progress: Progress | None) -> Progress | None:
    """Parts report from several threads; a progress bar is called from one at a time."""
    if progress is None:
        return None
    lock = threading.Lock()

    def report(n: int) -> None:
        with lock:
            progress(n)

    return report


def upload(
    client: Presigner, path: Path, sha256: str, size: int, progress: Progress | None
) -> BlobInfo:
    """Upload a file, already hashed to ``sha256``, straight into the bucket."""
    offer = client.presign_upload(sha256, PresignUpload(size=size))
    report = _thread_safe(progress)
    with ThreadPoolExecutor(min(PARALLEL_PARTS, len(offer.parts))) as pool:
        etags = list(pool.map(lambda p: _put_part(path, p, offer.headers, report), offer.parts))
    done = CompleteDirectUpload(
        upload=offer.upload,
        multipart=offer.multipart,
        size=size,
        parts=[
            UploadedPart(number=part.number, etag=etag)
            for part, etag in zip(offer.parts, etags, strict=True)
        ]
        if offer.multipart is not None
        else [],
    )
    return client.complete_direct_upload(sha256, done)


def opener(client: Presigner, sha256: str) -> tuple[int, Callable[[int], requests.Response]]:
    """A blob's size and how to open its bytes from an offset, straight from the bucket.

    Resuming asks for a fresh URL, so a long download never meets an expired one.
    """
    first = client.presign_download(sha256)

    def open_from(start: int) -> requests.Response:
        url = client.presign_download(sha256).url if start else first.url
        headers = {"Range": f"bytes={start}-"} if start else {}
        try:
            response = requests.get(url, headers=headers, stream=True, timeout=TIMEOUT)
        except requests.ConnectionError as exc:
            raise StorageError(f"cannot reach the bucket: {exc}") from None
        if response.status_code >= 300:
            raise _refused(response, f"download of blob {sha256}")
        return response

    return first.size, open_from
