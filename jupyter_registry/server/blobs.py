"""Streamed checkpoint file transfer: ``HEAD|GET|PUT blobs/{sha256}``.

Uploads never sit in memory: tornado hands each received chunk (1 MiB
rather than its default 64 KiB, see :mod:`.tornado_tuning`) to
:meth:`BlobHandler.data_received`, which passes it through a small bounded
queue to a writer thread streaming it into the content-addressed store (which
hashes as it writes). When the queue is full the handler waits, and tornado
stops reading the socket, so a fast client cannot outrun the disk. The blob
becomes visible only if the whole body hashes to the SHA-256 in the URL; a
short or wrong body is discarded. Downloads write one chunk at a time
and wait for the socket to drain (``await flush()``) while the next one is
read and hashed, so a multi-GB file passes through with constant memory; the
store withholds the last chunk of a blob that fails its hash, and the route
then cuts the connection, so no client ever gets a complete wrong body.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import tornado.web
from jupyter_core.utils import ensure_async

from ..api import SHA256, operation
from ..errors import NotFoundError, RegistryError, ValidationError
from ..schemas import BlobInfo
from .base import ApiError, RegistryHandler, endpoint, from_registry_error
from .tornado_tuning import large_body_chunks

MAX_UPLOAD_BYTES = 1 << 40
RECEIVE_BYTES = 1024 * 1024  # per socket read and per data_received while uploading
PIPE_DEPTH = 8  # chunks queued for the writer: at most ~8 MiB in flight per upload
BLOCK_BYTES = 1024 * 1024  # smaller chunks are regrouped before the store hashes and writes them
STALL_SECONDS = 600
#: The web app setting holding the extension's upload writer pool. Writers live
#: as long as their upload, so they get their own threads rather than holding
#: the default executor that serves every other API call.
UPLOAD_WRITERS_KEY = "jupyter_registry_upload_writers"
RESUME_RANGE = re.compile(r"bytes=([0-9]{1,18})-")
T = TypeVar("T")


def _checked(sha256: str) -> str:
    """The URL's hash by api.py's rule, refused here too: ``prepare`` runs outside the verb."""
    try:
        return SHA256.parse(sha256)
    except ValidationError as exc:
        raise from_registry_error(exc) from None


async def send_chunks(
    handler: RegistryHandler, sha256: str, chunks: Iterator[bytes], start: int = 0
) -> bool:
    """Write a verified blob's bytes from ``start`` on; False if the connection was cut.

    The next chunk is read (and hashed) while this one drains into the socket.
    """
    offset = 0
    sent = False
    ahead = asyncio.ensure_future(handler.call(next, chunks, None))
    try:
        # The whole blob is read even for a range: its hash is only known at the end.
        while (chunk := await ahead) is not None:
            ahead = asyncio.ensure_future(handler.call(next, chunks, None))
            skip = min(max(start - offset, 0), len(chunk))
            offset += len(chunk)
            if skip < len(chunk):
                handler.write(chunk[skip:])
                await handler.flush()
                sent = True
    except ApiError as exc:
        if not sent:
            # Nothing has left yet (a blob of one chunk is verified before its
            # first byte): the client gets the error as a JSON body.
            raise
        # The store withholds a bad blob's last chunk, so the client is still
        # short of Content-Length; cutting the connection now is the only
        # signal left, and no client can mistake the transfer for complete.
        handler.log.error("registry: aborting download of %s: %s", sha256, exc.message)
        handler.request.connection.close()
        return False
    finally:
        if not ahead.done():  # the client left mid-transfer: let the read finish, unused
            ahead.add_done_callback(lambda done: done.exception())
    return True


class UploadPipe(Generic[T]):
    """Received chunks on their way to the blob store's writer thread, with back-pressure.

    ``store`` runs on a writer thread and consumes the blocks as they arrive.
    """

    def __init__(self, store: Callable[[Iterator[bytes]], T], writers: ThreadPoolExecutor) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=PIPE_DEPTH)
        self.stored: Future[T] = writers.submit(store, self._blocks())

    def _blocks(self) -> Iterator[bytes]:
        """Received chunks; small ones regrouped into blocks the store hashes and writes at once."""
        block: list[bytes] = []
        size = 0
        while (chunk := self._next()) is not None:
            if not block and len(chunk) >= BLOCK_BYTES:
                yield chunk
                continue
            block.append(chunk)
            size += len(chunk)
            if size >= BLOCK_BYTES:
                yield b"".join(block)
                block, size = [], 0
        if block:
            yield b"".join(block)

    def _next(self) -> bytes | None:
        try:
            return self.chunks.get(timeout=STALL_SECONDS)
        except queue.Empty:
            # Never block a writer thread forever, whatever happened to the request.
            raise ValidationError(f"upload stalled for {STALL_SECONDS} s; abandoned") from None

    def offer(self, item: bytes | None) -> bool:
        try:
            self.chunks.put_nowait(item)
            return True
        except queue.Full:
            return False

    def put(self, item: bytes | None) -> None:
        """Wait for room (in a worker thread); give up if the writer has stopped."""
        while not self.stored.done():
            try:
                self.chunks.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    async def wait(self) -> T:
        """What the store made of the whole body (its errors raised here)."""
        return await asyncio.wrap_future(self.stored)

    async def send(self, item: bytes | None) -> None:
        if not self.offer(item):
            await asyncio.get_running_loop().run_in_executor(None, self.put, item)

    def abandon(self) -> None:
        """End the stream early: the writer sees a short body, refuses it and cleans up."""
        while not self.stored.done():
            if self.offer(None):
                return
            with contextlib.suppress(queue.Empty):
                self.chunks.get_nowait()


class StreamedUpload(RegistryHandler):
    """A handler whose PUT body streams through an :class:`UploadPipe` into the store.

    Subclasses are ``@tornado.web.stream_request_body`` and say where the
    bytes go (:meth:`open_pipe`); the verb awaits ``self._pipe.stored``.
    """

    _pipe: UploadPipe[Any] | None = None
    _large_chunks: contextlib.ExitStack | None = None
    max_body_bytes = MAX_UPLOAD_BYTES

    def open_pipe(self, writers: ThreadPoolExecutor) -> UploadPipe[Any]:
        raise NotImplementedError

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method not in ("PUT", "POST"):
            return
        await self.check_upload_allowed()
        self.request.connection.set_max_body_size(self.max_body_bytes)
        self._large_chunks = contextlib.ExitStack()
        self._large_chunks.enter_context(large_body_chunks(self.request.connection, RECEIVE_BYTES))
        self._pipe = self.open_pipe(self.settings[UPLOAD_WRITERS_KEY])

    async def check_upload_allowed(self) -> None:
        """Refuse before a single byte is stored (the verb's guards run after the body)."""
        user = self.current_user
        if not user:
            self.get_login_url()
        if not await ensure_async(
            self.authorizer.is_authorized(self, user, "write", self.auth_resource)
        ):
            raise tornado.web.HTTPError(403)
        try:
            self.service.check_writer("upload files")
        except RegistryError as exc:
            raise from_registry_error(exc) from None

    async def data_received(self, chunk: bytes) -> None:
        if self._pipe is not None:
            await self._pipe.send(chunk)

    def on_finish(self) -> None:
        if self._pipe is not None:
            self._pipe.abandon()
        if self._large_chunks is not None:
            self._large_chunks.close()

    def on_connection_close(self) -> None:
        if self._pipe is not None:
            self._pipe.abandon()
        super().on_connection_close()


@tornado.web.stream_request_body
class BlobHandler(StreamedUpload):
    def open_pipe(self, writers: ThreadPoolExecutor) -> UploadPipe[BlobInfo]:
        sha256 = _checked(self.path_args[0])
        service = self.service
        return UploadPipe(lambda blocks: service.put_blob(blocks, sha256), writers)

    @endpoint(operation("blob_size"))
    async def head(self, sha256: str) -> None:
        size = await self.call(self.service.blob_size, _checked(sha256))
        if size is None:
            raise NotFoundError(f"the artifact store holds no blob {sha256}")
        self.set_header("Content-Length", str(size))
        self.finish()

    @endpoint(operation("read_blob"))
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
        if await send_chunks(self, sha256, chunks, start):
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

    @endpoint(operation("put_blob"))
    async def put(self, sha256: str) -> BlobInfo:
        assert self._pipe is not None
        await self._pipe.send(None)
        return await self._pipe.wait()
