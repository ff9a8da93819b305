"""The remote client: the same contract as the local one, over the REST API.

API calls go straight to a pooled urllib3 connection (``requests`` adds
its own per-call work, a large share of a small read's latency); file transfers use
a ``requests.Session`` for its streaming. Proxies come from the environment
for both, as ``requests`` takes them. Error bodies
(``{"error": {"type", "message"}}``) come back as the same typed errors the
embedded registry raises. File uploads are hashed while they are sent, in
resumable chunks, and a small checkpoint goes whole in one request (see
:mod:`.transfer`); downloads are re-verified here
against their SHA-256, so a cut connection or a corrupted byte is an
:class:`~jupyter_registry.errors.IntegrityError`, never a silent bad file.

Each JSON method is one :meth:`HttpClient.call` of the operation of its name
in :mod:`jupyter_registry.api`, which gives the verb, the route with its
typed path values, the query's wire names and the response schema.

This module must not import the server or the store (checked by a test).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from urllib.request import getproxies, proxy_bypass

import requests
import urllib3
from pydantic import BaseModel

from ..api import API_PREFIX, operation
from ..config import token_digest
from ..errors import IntegrityError, PermissionDeniedError, RegistryError, error_for_type
from ..schemas import (
    BlobInfo,
    BundleVersion,
    ChangesQuery,
    ChunkInfo,
    CollectGarbage,
    CommitUpload,
    CompareQuery,
    CompleteDirectUpload,
    CreateCheckpoint,
    CreatedBundle,
    CreateModel,
    DescribeCheckpoint,
    DescribeComparison,
    DescribeIdentity,
    DescribeLineage,
    DescribeModel,
    DescribeTensors,
    DescribeVersion,
    DirectTransfer,
    GarbageCollected,
    ListActionsResponse,
    ListChangesResponse,
    ListCheckpointsResponse,
    ListMaintainersResponse,
    ListModelsQuery,
    ListModelsResponse,
    ListVersionsResponse,
    PatchMetadata,
    PresignedDownload,
    PresignedUpload,
    PresignUpload,
    RegisterVersion,
    SchemaRevision,
    SearchVersionsQuery,
    SetAlias,
    SetBases,
    StartUpload,
    UpdateModel,
    UpdateVersion,
    UploadStatus,
)
from . import presigned
from .protocol import Progress, VersionKey
from .transfer import (
    CHUNK_BYTES,
    EMPTY_SHA256,
    ChunkReader,
    UploadedHashes,
    check_chunk,
    encode_bundle,
    file_key,
    hash_range,
    read_bundle,
)

CHUNK = 4 * 1024 * 1024
TIMEOUT = (10, 600)
CALL_TIMEOUT = urllib3.Timeout(connect=TIMEOUT[0], read=TIMEOUT[1])
POOL_SIZE = 8
CHUNK_STREAMS = 1
RESUME_ATTEMPTS = 3
RESUME_GRAIN = 1024 * 1024  # a dropped download resumes from the last whole MiB received


class AuthenticationError(RegistryError):
    """The server refused the token (or none was given)."""


def _pool_for(server: str) -> urllib3.PoolManager:
    """A connection pool for ``server`` that trusts and proxies as ``requests`` would."""
    ca_certs = (
        os.environ.get("REQUESTS_CA_BUNDLE")
        or os.environ.get("CURL_CA_BUNDLE")
        or requests.utils.DEFAULT_CA_BUNDLE_PATH
    )
    parts = urlsplit(server)
    proxy = getproxies().get(parts.scheme)
    if proxy and not proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy, maxsize=POOL_SIZE, ca_certs=ca_certs)
    return urllib3.PoolManager(maxsize=POOL_SIZE, ca_certs=ca_certs)


class HttpClient:
    """Satisfies :class:`~jupyter_registry.client.protocol.RegistryClient` over HTTP."""

    def __init__(
        self, server: str, token: str | None = None, chunk_size: int = CHUNK_BYTES
    ) -> None:
        self.server = server.rstrip("/") + "/"
        #: Files over this many bytes are sent in several resumable chunks.
        self.chunk_size = chunk_size
        self._uploaded = UploadedHashes()
        self.base = f"{self.server}{API_PREFIX}/"
        #: Which registry this is, and whose token it speaks with (a digest): the load
        #: cache records refs per registry and the identity a token was given per token.
        self.location = self.server
        self.credential = token_digest(token)
        self.session = requests.Session()
        self.pool = _pool_for(self.server)
        self._headers = {"Authorization": f"token {token}"} if token else {}
        self.session.headers.update(self._headers)
        #: What the server said of presigned transfers, asked on the first file transfer.
        self._direct: DirectTransfer | None = None

    def __repr__(self) -> str:
        return f"<HttpClient {self.server}>"

    # --- transport ----------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        try:
            response = self.session.request(method, self.base + path, **kwargs)
        except requests.ConnectionError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            raise self._error(response.status_code, response.content, response.reason)
        return response

    def _unreachable(self, exc: Exception) -> RegistryError:
        return RegistryError(f"cannot reach the registry server at {self.server}: {exc}")

    @staticmethod
    def _error(status: int, body: bytes, reason: str) -> RegistryError:
        try:
            error = json.loads(body)["error"]
            kind, message = str(error["type"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            kind, message = "", body[:500].decode(errors="replace") or reason
        typed = error_for_type(kind, message)
        if isinstance(typed, PermissionDeniedError):  # authenticated, but the rules say no
            return typed
        if status in (401, 403):
            return AuthenticationError(
                f"the registry server refused the request ({status}): {message}; "
                "pass token= or set JUPYTER_REGISTRY_TOKEN"
            )
        return typed

    def _json(
        self,
        method: str,
        path: str,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
    ) -> bytes:
        """One API call; the response body's JSON bytes, for ``model_validate_json``."""
        url = self.base + path + (f"?{urlencode(params, doseq=True)}" if params else "")
        payload = None
        if body is not None:
            # Fields left out keep their meaning: an update leaves them alone, and
            # any other request takes the same defaults on the server.
            payload = body.model_dump_json(exclude_unset=True).encode()
        return self._send(method, url, payload, "application/json")

    def _send(self, method: str, url: str, payload: bytes | None, content_type: str) -> bytes:
        """One request through the pool, its body in one piece; the response body."""
        headers = {**self._headers, **self._cookie_header()}
        if payload is not None:
            headers["Content-Type"] = content_type
        try:
            response = self.pool.request(
                method, url, body=payload, headers=headers, timeout=CALL_TIMEOUT, retries=False
            )
        except urllib3.exceptions.HTTPError as exc:
            raise self._unreachable(exc) from None
        for cookie in response.headers.getlist("Set-Cookie"):
            for morsel in SimpleCookie(cookie).values():
                self.session.cookies.set(morsel.key, morsel.value)
        if response.status >= 400:
            raise self._error(response.status, response.data, response.reason or "")
        return response.data

    def _cookie_header(self) -> dict[str, str]:
        """The session's cookies: Jupyter names a token-authenticated caller by its login cookie.

        Without it, every call would be a new anonymous user in the history.
        One jar, shared with the file transfers that go through ``requests``.
        """
        jar = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        return {"Cookie": jar} if jar else {}

    def call(
        self,
        name: str,
        *path: Any,
        body: BaseModel | None = None,
        query: BaseModel | dict[str, Any] | None = None,
    ) -> Any:
        """Call the API operation ``name`` (see :mod:`jupyter_registry.api`); its typed response."""
        op = operation(name)
        params = op.query_params(query) if query is not None else None
        data = self._json(op.method, op.url(*path), body, params)
        return None if op.response is None else op.response.model_validate_json(data)

    def get_identity(self) -> DescribeIdentity:
        return self.call("get_identity")

    # --- models -------------------------------------------------------------

    def create_model(self, request: CreateModel) -> DescribeModel:
        return self.call("create_model", body=request)

    def get_model(self, name: str) -> DescribeModel:
        return self.call("get_model", name)

    def list_models(self, query: ListModelsQuery) -> ListModelsResponse:
        return self.call("list_models", query=query)

    def update_model(self, name: str, request: UpdateModel) -> DescribeModel:
        return self.call("update_model", name, body=request)

    def patch_model_metadata(self, name: str, patch: PatchMetadata) -> DescribeModel:
        return self.call("patch_model_metadata", name, body=patch)

    def delete_model(self, name: str) -> None:
        self.call("delete_model", name)

    def list_maintainers(self, name: str) -> ListMaintainersResponse:
        return self.call("list_maintainers", name)

    def add_maintainer(self, name: str, user_name: str) -> ListMaintainersResponse:
        return self.call("add_maintainer", name, user_name)

    def remove_maintainer(self, name: str, user_name: str) -> None:
        self.call("remove_maintainer", name, user_name)

    # --- versions -----------------------------------------------------------

    def register_version(self, model_name: str, request: RegisterVersion) -> DescribeVersion:
        return self.call("register_version", model_name, body=request)

    def get_version(self, model_name: str, ref: VersionKey = None) -> DescribeVersion:
        return self.call("get_version", model_name, ref)

    def list_versions(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListVersionsResponse:
        page = {"offset": offset, "limit": limit}
        return self.call("list_versions", model_name, query=page)

    def compare_versions(self, model_name: str, query: CompareQuery) -> DescribeComparison:
        return self.call("compare_versions", model_name, query=query)

    def search_versions(self, query: SearchVersionsQuery) -> ListVersionsResponse:
        return self.call("search_versions", query=query)

    def update_version(
        self, model_name: str, ref: VersionKey, request: UpdateVersion
    ) -> DescribeVersion:
        return self.call("update_version", model_name, ref, body=request)

    def patch_version_metadata(
        self, model_name: str, ref: VersionKey, patch: PatchMetadata
    ) -> DescribeVersion:
        return self.call("patch_version_metadata", model_name, ref, body=patch)

    def delete_version(self, model_name: str, ref: VersionKey) -> None:
        self.call("delete_version", model_name, ref)

    def set_version_bases(
        self, model_name: str, ref: VersionKey, request: SetBases
    ) -> DescribeVersion:
        return self.call("set_version_bases", model_name, ref, body=request)

    def get_lineage(
        self, model_name: str, ref: VersionKey = None, depth: int = 3, max_nodes: int = 200
    ) -> DescribeLineage:
        return self.call(
            "get_lineage", model_name, ref, query={"depth": depth, "max_nodes": max_nodes}
        )

    def set_alias(self, model_name: str, alias: str, request: SetAlias) -> DescribeVersion:
        return self.call("set_alias", model_name, alias, body=request)

    def remove_alias(self, model_name: str, alias: str) -> None:
        self.call("remove_alias", model_name, alias)

    def get_history(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListActionsResponse:
        page = {"offset": offset, "limit": limit}
        return self.call("get_history", model_name, query=page)

    def list_changes(self, query: ChangesQuery) -> ListChangesResponse:
        return self.call("list_changes", query=query)

    # --- checkpoints and files ---------------------------------------------------

    def upload_file(self, path: Path, progress: Progress | None = None) -> BlobInfo:
        """Upload one file, hashed while it is sent (see :mod:`.transfer`)."""
        key = file_key(path)
        size = key[2]
        known = self._uploaded.get(key)
        if known is not None and self._stored_size(known) == size:
            if progress is not None:
                progress(size)
            return BlobInfo(sha256=known, size=size)
        if self._offers_direct():
            blob = self._send_direct(path, size, progress)
        else:
            blob = self._send_file(path, size, progress)
        if file_key(path) == key:  # unchanged while it was read: the hash is its content's
            self._uploaded.remember(key, blob.sha256)
        return blob

    def _send_direct(self, path: Path, size: int, progress: Progress | None) -> BlobInfo:
        """Upload straight to the server's bucket (:mod:`.presigned`).

        The presigned request signs the file's sha256, so the file is hashed
        first, and content the store already holds is not sent again.
        """
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            hash_range(handle, 0, size, digest)
        sha256 = digest.hexdigest()
        if self._stored_size(sha256) == size:
            if progress is not None:
                progress(size)
            return BlobInfo(sha256=sha256, size=size)
        return presigned.upload(self, path, sha256, size, progress)

    def _stored_size(self, sha256: str) -> int | None:
        try:
            head = self._request("HEAD", operation("blob_size").url(sha256))
        except AuthenticationError:
            raise
        except RegistryError:
            return None
        return int(head.headers.get("Content-Length", -1))

    def _send_file(self, path: Path, size: int, progress: Progress | None) -> BlobInfo:
        """Send a file through an upload session, chunk by chunk, hashing each as it goes.

        A file of one chunk is its own chunk: the server stores it under the
        hash both sides computed; a longer one under the server's own hash of it.
        """
        status = self.start_upload(StartUpload(size=size, chunk_size=self.chunk_size))
        count = -(-size // status.chunk_size)
        # One chunk after the other: the server then hashes the file as it arrives.
        with ThreadPoolExecutor(min(CHUNK_STREAMS, count) or 1) as streams:
            sent = streams.map(lambda i: self._send_chunk(status, i, path, progress), range(count))
            hashes = list(sent)
        whole = hashes[0] if count == 1 else EMPTY_SHA256 if count == 0 else None
        commit = CommitUpload(chunks=hashes, sha256=whole)
        return self.commit_upload(status.upload_id, commit)

    def _send_chunk(
        self, status: UploadStatus, index: int, path: Path, progress: Progress | None
    ) -> str:
        """Send chunk ``index``, resuming a dropped connection; its sha256.

        After a drop the server is asked what it holds: a chunk that did
        arrive (only its answer was lost) is hashed here from disk, not sent again.
        """
        offset = index * status.chunk_size
        length = min(status.chunk_size, status.size - offset)
        url = self.base + operation("put_chunk").url(status.upload_id, index)
        with open(path, "rb") as handle, ThreadPoolExecutor(1) as hasher:
            for attempt in range(RESUME_ATTEMPTS + 1):
                handle.seek(offset)
                body = ChunkReader(handle, length, hasher, progress)
                try:
                    response = self.session.put(url, data=body, timeout=TIMEOUT)
                except requests.RequestException as exc:
                    body.take_back()
                    if attempt == RESUME_ATTEMPTS:
                        raise self._unreachable(exc) from None
                    held = {c.index: c for c in self.get_upload(status.upload_id).chunks}
                    if index in held and held[index].size == length:
                        digest = hashlib.sha256()
                        hash_range(handle, offset, length, digest)
                        if held[index].sha256 == digest.hexdigest():
                            if progress is not None:
                                progress(length)
                            return digest.hexdigest()
                    continue
                if response.status_code >= 400:
                    raise self._error(response.status_code, response.content, response.reason)
                sha256 = body.sha256()
                check_chunk(ChunkInfo.model_validate_json(response.content), sha256, length)
                return sha256
        raise AssertionError("unreachable")

    def start_upload(self, request: StartUpload) -> UploadStatus:
        return self.call("start_upload", body=request)

    def get_upload(self, upload_id: str) -> UploadStatus:
        return self.call("get_upload", upload_id)

    def commit_upload(self, upload_id: str, request: CommitUpload) -> BlobInfo:
        return self.call("commit_upload", upload_id, body=request)

    def delete_upload(self, upload_id: str) -> None:
        self.call("delete_upload", upload_id)

    def sends_bundles(self) -> bool:
        """A bundle's bytes cross the server; with presigned transfers they go to the bucket."""
        return not self._offers_direct()

    def create_bundle(
        self,
        request: CreateCheckpoint,
        version: BundleVersion | None,
        sources: Sequence[tuple[str, Path]],
    ) -> CreatedBundle:
        """Create a small checkpoint (and its version) in one request: ``POST bundles``."""
        request, contents = read_bundle(request, sources)
        content_type, body = encode_bundle(request, version, contents)
        url = self.base + operation("create_bundle").url()
        return CreatedBundle.model_validate_json(self._send("POST", url, body, content_type))

    def read_blob(self, sha256: str) -> tuple[int, Iterator[bytes]]:
        if self._offers_direct():
            size, open_from = presigned.opener(self, sha256)
            return size, self._verified(open_from(0), sha256, size, open_from)
        response = self._request("GET", operation("read_blob").url(sha256), stream=True)
        size = int(response.headers["Content-Length"])
        return size, self._verified(response, sha256, size)

    def _offers_direct(self) -> bool:
        """Whether blobs go straight to and from the server's bucket; asked once per client.

        A server from before direct transfer answers 404: blobs go through it.
        """
        if self._direct is None:
            try:
                self._direct = self.get_direct_transfer()
            except RegistryError as exc:
                if isinstance(exc, AuthenticationError | PermissionDeniedError):
                    raise
                self._direct = DirectTransfer(available=False)
        return self._direct.available

    def _resume_from_server(self, sha256: str) -> Callable[[int], requests.Response]:
        def open_from(start: int) -> requests.Response:
            headers = {"Range": f"bytes={start}-"}
            url = operation("read_blob").url(sha256)
            return self._request("GET", url, stream=True, headers=headers)

        return open_from

    def _verified(
        self,
        response: requests.Response,
        sha256: str,
        size: int,
        open_from: Callable[[int], requests.Response] | None = None,
    ) -> Iterator[bytes]:
        """Yield the blob's bytes, resuming a dropped connection where it broke, then verify.

        ``open_from(offset)`` reopens the transfer (the server's route by default).
        """
        reopen = open_from or self._resume_from_server(sha256)
        digest = hashlib.sha256()
        seen = 0
        for attempt in range(RESUME_ATTEMPTS + 1):
            try:
                with response:
                    for chunk in response.iter_content(RESUME_GRAIN):
                        digest.update(chunk)
                        seen += len(chunk)
                        yield chunk
                break
            except requests.RequestException as exc:
                if attempt == RESUME_ATTEMPTS or seen >= size:
                    raise IntegrityError(
                        f"download of blob {sha256} was cut short: {exc}"
                    ) from None
                response = reopen(seen)
                if response.status_code != (206 if seen else 200):
                    raise IntegrityError(f"the server cannot resume blob {sha256}") from None
        if seen != size or digest.hexdigest() != sha256:
            raise IntegrityError(
                f"downloaded blob {sha256} does not match its hash ({seen} of {size} bytes)"
            )

    def create_checkpoint(self, request: CreateCheckpoint) -> DescribeCheckpoint:
        return self.call("create_checkpoint", body=request)

    def get_checkpoint(self, checkpoint_uuid: str) -> DescribeCheckpoint:
        return self.call("get_checkpoint", checkpoint_uuid)

    def list_checkpoints(
        self, run: str | None = None, limit: int | None = None
    ) -> ListCheckpointsResponse:
        filters = {"run": run, "limit": limit}
        return self.call("list_checkpoints", query=filters)

    def delete_checkpoint(self, checkpoint_uuid: str) -> None:
        self.call("delete_checkpoint", checkpoint_uuid)

    def get_tensors(self, checkpoint_uuid: str, path: str) -> DescribeTensors:
        return self.call("get_tensors", checkpoint_uuid, query={"path": path})

    def get_direct_transfer(self) -> DirectTransfer:
        return self.call("get_direct_transfer")

    def presign_upload(self, sha256: str, request: PresignUpload) -> PresignedUpload:
        return self.call("presign_upload", sha256, body=request)

    def complete_direct_upload(self, sha256: str, request: CompleteDirectUpload) -> BlobInfo:
        return self.call("complete_direct_upload", sha256, body=request)

    def presign_download(self, sha256: str) -> PresignedDownload:
        return self.call("presign_download", sha256)

    # --- administration -----------------------------------------------------

    def upgrade_schema(self) -> SchemaRevision:
        return self.call("upgrade_schema")

    def collect_garbage(self, request: CollectGarbage) -> GarbageCollected:
        return self.call("collect_garbage", body=request)
