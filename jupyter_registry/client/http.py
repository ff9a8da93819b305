"""The remote client: the same contract as the local one, over the REST API.

API calls go straight to a pooled urllib3 connection (``requests`` adds
its own per-call work, a large share of a small read's latency); file transfers use
a ``requests.Session`` for its streaming. Proxies come from the environment
for both, as ``requests`` takes them. Error bodies
(``{"error": {"type", "message"}}``) come back as the same typed errors the
embedded registry raises. File uploads are hashed locally first and skipped
when the server already holds that content; downloads are re-verified here
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
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, BinaryIO
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
    ChangesQuery,
    CollectGarbage,
    CompareQuery,
    CompleteDirectUpload,
    CreateCheckpoint,
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
    UpdateModel,
    UpdateVersion,
)
from . import presigned
from .protocol import Progress, VersionKey

CHUNK = 4 * 1024 * 1024
TIMEOUT = (10, 600)
CALL_TIMEOUT = urllib3.Timeout(connect=TIMEOUT[0], read=TIMEOUT[1])
POOL_SIZE = 8
RESUME_ATTEMPTS = 3
RESUME_GRAIN = 1024 * 1024  # a dropped download resumes from the last whole MiB received


class AuthenticationError(RegistryError):
    """The server refused the token (or none was given)."""


class _CountingReader:
    """A file wrapper that reports progress as requests streams it (and knows its length)."""

    def __init__(self, handle: BinaryIO, size: int, progress: Progress | None) -> None:
        self.handle = handle
        self.size = size
        self.progress = progress

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        data = self.handle.read(CHUNK if n is None or n < 0 else max(n, 1 << 20))
        if data and self.progress is not None:
            self.progress(len(data))
        return data


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


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

    def __init__(self, server: str, token: str | None = None) -> None:
        self.server = server.rstrip("/") + "/"
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
        headers = {**self._headers, **self._cookie_header()}
        if payload is not None:
            headers["Content-Type"] = "application/json"
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
        """Upload one file unless the server already has its content (dedup by SHA-256)."""
        sha256, size = _hash_file(path)
        blob = operation("blob_size").url(sha256)
        try:
            head = self._request("HEAD", blob)
            if int(head.headers.get("Content-Length", -1)) == size:
                if progress is not None:
                    progress(size)
                return BlobInfo(sha256=sha256, size=size)
        except RegistryError as exc:
            if isinstance(exc, AuthenticationError):
                raise
        if self._offers_direct():
            return presigned.upload(self, path, sha256, size, progress)
        with open(path, "rb") as handle:
            body = _CountingReader(handle, size, progress)
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
            return BlobInfo.model_validate(
                self._request("PUT", blob, data=body, headers=headers).json()
            )

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
