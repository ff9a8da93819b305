"""Streamed checkpoint file transfer: ``HEAD|GET|PUT blobs/{sha256}``.

Uploads never sit in memory: tornado hands each received chunk to
:meth:`BlobHandler.data_received`, which hashes it and appends it to a spool
file; only when the whole body has arrived and its SHA-256 equals the one in
the URL is it passed to the content-addressed store (off the event loop).
Downloads write one verified chunk at a time and wait for the socket to drain
(``await flush()``) before reading the next, so a multi-GB file passes through
with constant memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from typing import Any

import tornado.web
from jupyter_core.utils import ensure_async

from ..schemas import BlobInfo, check_sha256
from .base import ApiError, Operation, RegistryHandler, bad_request, endpoint

MAX_UPLOAD_BYTES = 1 << 40
RESUME_RANGE = re.compile(r"bytes=([0-9]{1,18})-")


def _checked(sha256: str) -> str:
    try:
        return check_sha256(sha256)
    except ValueError as exc:
        raise bad_request(str(exc)) from None


@tornado.web.stream_request_body
class BlobHandler(RegistryHandler):
    _spool: Any = None
    _digest: Any = None
    _received = 0

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method != "PUT":
            return
        # Refuse before a single byte is spooled: the verb's own guards run only
        # after the body has arrived.
        user = self.current_user
        if not user:
            self.get_login_url()
        if not await ensure_async(
            self.authorizer.is_authorized(self, user, "write", self.auth_resource)
        ):
            raise tornado.web.HTTPError(403)
        _checked(self.path_args[0])
        self.request.connection.set_max_body_size(MAX_UPLOAD_BYTES)
        self._spool = tempfile.NamedTemporaryFile(prefix="jupyter-registry-upload-", delete=False)  # noqa: SIM115
        self._digest = hashlib.sha256()

    def data_received(self, chunk: bytes) -> None:
        if self._spool is not None:
            self._digest.update(chunk)
            self._spool.write(chunk)
            self._received += len(chunk)

    def on_finish(self) -> None:
        self._discard_spool()

    def on_connection_close(self) -> None:
        self._discard_spool()
        super().on_connection_close()

    def _discard_spool(self) -> None:
        if self._spool is not None:
            self._spool.close()
            os.unlink(self._spool.name)
            self._spool = None

    @endpoint(
        Operation(
            "Whether the store already holds this content (size in Content-Length)",
            binary=True,
            errors=(400, 404),
        )
    )
    async def head(self, sha256: str) -> None:
        size = await self.call(self.service.blobs.size, _checked(sha256))
        if size is None:
            self.set_status(404)
        else:
            self.set_header("Content-Length", str(size))
        self.finish()

    @endpoint(
        Operation(
            "Stream a stored file; verified against its SHA-256 as it is read",
            binary=True,
            resumable=True,
            errors=(400, 404, 416),
        )
    )
    async def get(self, sha256: str) -> None:
        size, chunks = await self.call(self.service.read_blob, _checked(sha256))
        start = self._range_start(size)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("ETag", f'"{sha256}"')
        self.set_header("X-Checksum-Sha256", sha256)
        if start:
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.set_header("Content-Length", str(size - start))
        offset = 0
        try:
            # The whole blob is read even for a range: its hash is only known at the end.
            while (chunk := await self.call(next, chunks, None)) is not None:
                skip = min(max(start - offset, 0), len(chunk))
                offset += len(chunk)
                if skip < len(chunk):
                    self.write(chunk[skip:])
                    await self.flush()
        except ApiError as exc:
            # Headers are gone; cutting the connection short is the only honest
            # signal left, and the client's own hash check reports it.
            self.log.error("registry: aborting download of %s: %s", sha256, exc.message)
            self.request.connection.close()
            return
        self.finish()

    def _range_start(self, size: int) -> int:
        """The N of ``Range: bytes=N-`` (how a client resumes); other ranges get the whole blob."""
        match = RESUME_RANGE.fullmatch(self.request.headers.get("Range", "").strip())
        if match is None:
            return 0
        start = int(match.group(1))
        if start >= size > 0 or (size == 0 and start > 0):
            self.set_header("Content-Range", f"bytes */{size}")
            raise ApiError(416, "RangeNotSatisfiable", f"range starts at {start} of {size} bytes")
        return start

    @endpoint(
        Operation(
            "Upload a file's bytes as the request body; stored only if they hash to {sha256}",
            response=BlobInfo,
            status=201,
            raw_body=True,
            errors=(400, 413),
        )
    )
    async def put(self, sha256: str) -> BlobInfo:
        self._spool.close()
        actual = self._digest.hexdigest()
        if actual != sha256:
            raise bad_request(f"upload does not match its sha256: expected {sha256}, got {actual}")
        return await self.call(self._store, sha256, self._received)

    def _store(self, sha256: str, size: int) -> BlobInfo:
        with open(self._spool.name, "rb") as handle:
            return self.service.put_blob(handle, sha256, size)
