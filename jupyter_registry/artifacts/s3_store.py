"""Blobs in an S3 bucket, and presigned URLs that let clients move them without the server.

A client uploads a file's bytes to a staging key (``<root>/tmp/direct-<id>``)
through presigned ``PUT`` URLs, never to a blob's own key: a blob's key must
only ever hold content that hashes to its name, because the store's listing is
what a checkpoint trusts. When the client says it is done, the upload is
verified and only then renamed into place (a copy inside the bucket):

- A file of at most one part goes in one ``PUT`` whose URL signs the header
  ``x-amz-checksum-sha256`` with the SHA-256 the client announced: the bucket
  refuses a body with another hash (``BadDigest``) and a request without that
  header (the signature no longer matches), and keeps the checksum, which the
  server reads back with ``HeadObject`` (``ChecksumMode``). No byte passes
  through the server.
- A bigger file goes in parts, in parallel. S3 can check each part but never
  the SHA-256 of the whole (SHA-256 does not compose), so the server reads the
  completed staging object back from the bucket and hashes it. That read is the
  one step where blob bytes still reach the server; the client's bytes never do.
  A bucket that does not keep checksums gets the same read for single ``PUT``s.

Anything that fails verification is deleted and no blob is stored. Staging
objects and multipart uploads left behind by clients that never finished are
removed by garbage collection, like the plain store's temporary files.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import NotFoundError, StorageError, ValidationError
from ..schemas import (
    MAX_PARTS,
    BlobInfo,
    CompleteDirectUpload,
    PresignedDownload,
    PresignedPart,
    PresignedUpload,
)
from .cas import CHUNK
from .fsspec_store import FsspecBlobStore

STAGING = "direct-"
MAX_OBJECT_BYTES = 5 * 1024**4


@dataclass(frozen=True)
class DirectSettings:
    """How presigned transfers are cut and how long their URLs live (from ``RegistryConfig``)."""

    part_bytes: int
    expires_seconds: int


def checksum_header(sha256: str) -> str:
    """The value of ``x-amz-checksum-sha256`` for a hex SHA-256: its digest in base64."""
    return base64.b64encode(bytes.fromhex(sha256)).decode()


def signed_v4(uri: str, options: dict[str, Any]) -> dict[str, Any]:
    """An S3 store's options with Signature Version 4 unless they choose otherwise.

    Left alone, botocore presigns URLs with the legacy version 2, which newer
    AWS regions refuse; version 4 also bounds a URL's life (``X-Amz-Expires``).
    """
    if uri.partition("://")[0] not in ("s3", "s3a"):
        return options
    config = dict(options.get("config_kwargs") or {})
    config.setdefault("signature_version", "s3v4")
    return {**options, "config_kwargs": config}


def is_s3(fs: Any) -> bool:
    """Whether an fsspec filesystem is s3fs's (by protocol, so s3fs need not be imported)."""
    protocol = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
    return "s3" in protocol


class S3BlobStore(FsspecBlobStore):
    """The plain store on S3 through s3fs, which can also hand out presigned URLs."""

    def _staging(self, upload: str) -> str:
        return f"{self.root}/tmp/{STAGING}{upload}"

    def _bucket_key(self, path: str) -> dict[str, str]:
        bucket, key, _ = self.fs.split_path(path)
        return {"Bucket": bucket, "Key": key}

    def _call(self, method: str, **params: Any) -> Any:
        """One S3 API call; s3fs turns S3's errors into ``OSError`` subclasses."""
        return self.fs.call_s3(method, **params)

    def _url(self, path: str, settings: DirectSettings, method: str, **params: Any) -> str:
        return str(
            self.fs.url(path, expires=settings.expires_seconds, client_method=method, **params)
        )

    def presign_upload(self, sha256: str, size: int, settings: DirectSettings) -> PresignedUpload:
        """URLs to put a file of ``size`` bytes that hashes to ``sha256`` into a staging key."""
        if size > MAX_OBJECT_BYTES:
            raise ValidationError(f"an S3 object holds at most 5 TiB, not {size} bytes")
        upload = uuid.uuid4().hex
        staging = self._staging(upload)
        expires_at = datetime.now(timezone.utc) + timedelta(seconds=settings.expires_seconds)
        if size <= settings.part_bytes:
            checksum = checksum_header(sha256)
            url = self._url(staging, settings, "put_object", ChecksumSHA256=checksum)
            return PresignedUpload(
                upload=upload,
                headers={"x-amz-checksum-sha256": checksum},
                parts=[PresignedPart(number=1, offset=0, size=size, url=url)],
                expires_at=expires_at,
            )
        part = max(settings.part_bytes, math.ceil(size / MAX_PARTS))
        try:
            created = self._call("create_multipart_upload", **self._bucket_key(staging))
        except OSError as exc:
            raise StorageError(f"cannot start an upload in {self.uri}: {exc}") from None
        multipart = str(created["UploadId"])
        parts = [
            PresignedPart(
                number=number,
                offset=offset,
                size=min(part, size - offset),
                url=self._url(
                    staging, settings, "upload_part", UploadId=multipart, PartNumber=number
                ),
            )
            for number, offset in enumerate(range(0, size, part), start=1)
        ]
        return PresignedUpload(
            upload=upload, multipart=multipart, parts=parts, expires_at=expires_at
        )

    def complete_upload(self, sha256: str, request: CompleteDirectUpload) -> BlobInfo:
        """Verify what the client put in the staging key and store it as blob ``sha256``.

        Refused (and the staging object deleted) unless it holds exactly
        ``request.size`` bytes hashing to ``sha256``.
        """
        staging = self._staging(request.upload)
        where = self._bucket_key(staging)
        try:
            if request.multipart is not None:
                self._finish_parts(where, request)
            self._verify(staging, where, sha256, request.size)
            self.fs.invalidate_cache(staging)
            try:
                self.commit_file(staging, sha256, request.size)
            except OSError as exc:
                raise StorageError(f"cannot store the upload in {self.uri}: {exc}") from None
        finally:
            with contextlib.suppress(OSError):
                self._call("delete_object", **where)
            self.fs.invalidate_cache(staging)
        return BlobInfo(sha256=sha256, size=request.size)

    def _finish_parts(self, where: dict[str, str], request: CompleteDirectUpload) -> None:
        parts = [{"PartNumber": p.number, "ETag": p.etag} for p in request.parts]
        try:
            self._call(
                "complete_multipart_upload",
                **where,
                UploadId=request.multipart,
                MultipartUpload={"Parts": parts},
            )
        except OSError as exc:
            with contextlib.suppress(OSError):
                self._call("abort_multipart_upload", **where, UploadId=request.multipart)
            raise ValidationError(f"the bucket refused to complete the upload: {exc}") from None

    def _verify(self, staging: str, where: dict[str, str], sha256: str, size: int) -> None:
        """Refuse unless the staging object is ``size`` bytes hashing to ``sha256``."""
        try:
            head = self._call("head_object", **where, ChecksumMode="ENABLED")
        except FileNotFoundError:
            raise ValidationError(
                "nothing was uploaded under this upload id (or the bucket refused the bytes)"
            ) from None
        except OSError as exc:
            raise StorageError(f"cannot read the upload back from {self.uri}: {exc}") from None
        stored = int(head["ContentLength"])
        if stored != size:
            raise ValidationError(f"upload does not match its size: expected {size}, got {stored}")
        checksum = head.get("ChecksumSHA256")
        # A multipart object's checksum is a checksum of its parts' ("…-N"), not the file's.
        if checksum and "-" not in checksum:
            actual = base64.b64decode(checksum).hex()
        else:
            actual = self._hash(staging)
        if actual != sha256:
            raise ValidationError(
                f"upload does not match its sha256: expected {sha256}, got {actual}"
            )

    def _hash(self, staging: str) -> str:
        """The SHA-256 of the staging object, read back from the bucket."""
        digest = hashlib.sha256()
        with self.fs.open(staging, "rb", block_size=CHUNK, cache_type="none") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def presign_download(
        self, sha256: str, size: int, settings: DirectSettings
    ) -> PresignedDownload:
        """A ``GET`` URL of a stored blob's own key."""
        expires_at = datetime.now(timezone.utc) + timedelta(seconds=settings.expires_seconds)
        url = self._url(self.path(sha256), settings, "get_object")
        return PresignedDownload(url=url, size=size, expires_at=expires_at)

    def remove_stale_uploads(self, cutoff: float) -> int:
        """Also abort multipart uploads clients started under the staging prefix and left."""
        removed = super().remove_stale_uploads(cutoff)
        prefix = self._bucket_key(self._staging(""))
        for upload in self._stale_multiparts(prefix["Bucket"], prefix["Key"]):
            if upload["Initiated"].timestamp() < cutoff:
                with contextlib.suppress(OSError):
                    self._call(
                        "abort_multipart_upload",
                        Bucket=prefix["Bucket"],
                        Key=upload["Key"],
                        UploadId=upload["UploadId"],
                    )
                    removed += 1
        return removed

    def _stale_multiparts(self, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
        markers: dict[str, str] = {}
        while True:
            try:
                page = self._call("list_multipart_uploads", Bucket=bucket, Prefix=prefix, **markers)
            except OSError:
                return
            yield from page.get("Uploads", []) or []
            if not page.get("IsTruncated"):
                return
            markers = {
                "KeyMarker": page.get("NextKeyMarker", ""),
                "UploadIdMarker": page.get("NextUploadIdMarker", ""),
            }


def offered(settings: DirectSettings | None, store: object) -> tuple[S3BlobStore, DirectSettings]:
    """The store as one that presigns, and how; NotFoundError when this registry offers none."""
    if settings is None or not isinstance(store, S3BlobStore):
        raise NotFoundError(
            "this registry offers no direct transfer (its artifact store is not S3, "
            "or RegistryConfig.direct_transfer is off): use the blobs/{sha256} route"
        )
    return store, settings
