"""The transfer routes that take raw bodies: small checkpoints whole, big files in chunks.

``POST bundles`` takes a whole small checkpoint in one ``multipart/form-data``
request (at most :data:`~jupyter_registry.api.BUNDLE_MAX_BYTES` of files, so
it is read into memory and checked whole before anything is stored): a
``checkpoint`` part (the CreateCheckpoint JSON), an optional ``version`` part
(BundleVersion JSON) and one ``file`` part per file, named by its checkpoint
path. The service verifies every part against its declared sha256 and
stores the files, checkpoint and version all or nothing.

``PUT uploads/{upload_id}/chunks/{index}`` streams one chunk of a resumable
upload through the same back-pressured pipe as ``PUT blobs/{sha256}``; the
JSON routes that start, inspect and commit an upload are generic ones.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import tornado.web
from tornado.httputil import HTTPInputError, ParseMultipartConfig, parse_multipart_form_data

from ..api import BUNDLE_MAX_BYTES, BUNDLE_MAX_FILES, operation
from ..errors import ValidationError
from ..schemas import (
    MAX_CHUNK_BYTES,
    BundleVersion,
    ChunkInfo,
    CreateCheckpoint,
    CreatedBundle,
    parse,
)
from .base import MAX_JSON_BODY, ApiError, endpoint
from .blobs import StreamedUpload, UploadPipe

#: room for the checkpoint and version JSON beside the files
BUNDLE_BODY_BYTES = BUNDLE_MAX_BYTES + 2 * MAX_JSON_BODY
MULTIPART = ParseMultipartConfig(max_parts=BUNDLE_MAX_FILES + 2)


def _json_part(arguments: dict[str, list[bytes]], name: str, required: bool) -> Any:
    values = arguments.get(name, [])
    if len(values) > 1:
        raise ValidationError(f"the {name!r} part appears {len(values)} times")
    if not values:
        if required:
            raise ValidationError(f"a {name!r} part (JSON) is required")
        return None
    try:
        return json.loads(values[0])
    except (ValueError, UnicodeError) as exc:
        raise ValidationError(f"the {name!r} part is not valid JSON: {exc}") from None


def parse_bundle(
    content_type: str, body: bytes
) -> tuple[CreateCheckpoint, BundleVersion | None, dict[str, bytes]]:
    """The checkpoint, the optional version and each file's bytes by path, from a bundle body."""
    kind, _, params = content_type.partition(";")
    boundary = next(
        (
            value.strip().encode()
            for key, _, value in (p.strip().partition("=") for p in params.split(";"))
            if key == "boundary"
        ),
        b"",
    )
    if kind.strip().lower() != "multipart/form-data" or not boundary:
        raise ValidationError("a bundle is sent as multipart/form-data with a boundary")
    arguments: dict[str, list[bytes]] = {}
    files: dict[str, list[Any]] = {}
    try:
        parse_multipart_form_data(boundary, body, arguments, files, config=MULTIPART)
    except HTTPInputError as exc:
        raise ValidationError(f"the bundle is not valid multipart/form-data: {exc}") from None
    extra = sorted(set(arguments) - {"checkpoint", "version"} | set(files) - {"file"})
    if extra:
        raise ValidationError(f"unexpected parts in the bundle: {extra}")
    request = parse(CreateCheckpoint, _json_part(arguments, "checkpoint", True), strict=True)
    version_json = _json_part(arguments, "version", False)
    version = None if version_json is None else parse(BundleVersion, version_json, strict=True)
    contents: dict[str, bytes] = {}
    for part in files.get("file", []):
        if part.filename in contents:
            raise ValidationError(f"file part {part.filename!r} appears more than once")
        contents[part.filename] = part.body
    return request, version, contents


@tornado.web.stream_request_body
class BundleHandler(StreamedUpload):
    """``POST bundles``: the body gathered in memory (it is small), then one service call."""

    max_body_bytes = BUNDLE_BODY_BYTES

    def open_pipe(self, writers: ThreadPoolExecutor) -> UploadPipe[bytes]:
        declared = int(self.request.headers.get("Content-Length", 0) or 0)
        if declared > BUNDLE_BODY_BYTES:
            raise ApiError(
                413,
                "PayloadTooLarge",
                f"a bundle is at most {BUNDLE_BODY_BYTES} bytes; upload bigger files separately",
            )
        return UploadPipe(b"".join, writers)

    @endpoint(operation("create_bundle"))
    async def post(self) -> CreatedBundle:
        assert self._pipe is not None
        await self._pipe.send(None)
        body = await self._pipe.wait()
        content_type = self.request.headers.get("Content-Type", "")
        request, version, contents = parse_bundle(content_type, body)
        return await self.call(self.service.create_bundle, request, version, contents)


@tornado.web.stream_request_body
class ChunkHandler(StreamedUpload):
    """``PUT uploads/{upload_id}/chunks/{index}``: one chunk, streamed into its session."""

    max_body_bytes = MAX_CHUNK_BYTES

    def open_pipe(self, writers: ThreadPoolExecutor) -> UploadPipe[ChunkInfo]:
        try:
            upload_id, index = operation("put_chunk").parse_path(*self.path_args)
        except ValidationError as exc:
            raise ApiError(400, "ValidationError", exc.message) from None
        service = self.service
        return UploadPipe(lambda blocks: service.put_chunk(upload_id, index, blocks), writers)

    @endpoint(operation("put_chunk"))
    async def put(self, upload_id: str, index: str) -> ChunkInfo:
        assert self._pipe is not None
        await self._pipe.send(None)
        return await self._pipe.wait()
