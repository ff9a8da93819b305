"""One registry for a JupyterHub: a user's server forwards its registry API to the central one.

With ``c.RegistryConfig.server`` set (or ``JUPYTER_REGISTRY_SERVER``), the
extension opens no database and holds no bucket credentials. Every request to
``{base_url}registry/api/v1/...`` (the panel's calls, or anyone's
``Registry(server=this server)``) is sent on to the same path of the central
registry with ``Authorization: token <RegistryConfig.token>``, a token acting
as this server's user (on JupyterHub the server's own
``JUPYTERHUB_API_TOKEN``, given the ``access:services!service=registry``
scope), so the central registry names that user in its history and applies
that user's permissions. Kernels get the URL and the token, nothing else.

Bodies stream both ways with bounded memory. Upload chunks go through a small
queue into the upstream request; while it is full ``data_received`` waits and
tornado stops reading the client's socket. Response chunks are written one at
a time and each ``await flush()`` waits for the client's socket to drain
before the next is read from upstream. That second half is why the upstream
client is ``httpx``: tornado's own client hands a download to a
``streaming_callback`` that cannot wait, so a slow reader would make the
whole file pile up in this server's memory.

On JupyterHub only the server's owner may use the forwarder: the token acts
as the owner, so a request from anyone else (say, through a shared server)
would be recorded under the wrong name; it is refused with 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ..api import API_PREFIX
from ..config import (
    RegistryConfig,
)
from .base import ApiError, RegistryHandler
from .blobs import MAX_UPLOAD_BYTES
from .tornado_tuning import large_body_chunks

FORWARD_KEY = "jupyter_registry_upstream"
ENV_HUB_USER = "JUPYTERHUB_USER"
PIPE_DEPTH = 8  # upload chunks queued for upstream: a few MiB in flight per request
RELAY_BYTES = 1024 * 1024  # per read from the client and from upstream
STALL_SECONDS = 600
REQUEST_HEADERS = (
    "Accept",
    "Accept-Encoding",
    "Content-Length",
    "Content-Type",
    "If-None-Match",
    "Range",
)
RESPONSE_HEADERS = (
    "Accept-Ranges",
    "Allow",
    "Cache-Control",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Length",
    "Content-Range",
    "Content-Type",
    "ETag",
    "WWW-Authenticate",
    "X-Checksum-Sha256",
)


@dataclass
class Upstream:
    """The central registry this server forwards to, and as whom."""

    server: str  # its Jupyter base URL, ending in "/"
    token: str
    owner: str | None  # the one user whose requests may be forwarded (JupyterHub's server owner)
    client: httpx.AsyncClient

    @property
    def api(self) -> str:
        return f"{self.server}{API_PREFIX}/"


@tornado.web.stream_request_body
class ForwardHandler(RegistryHandler):
    """Every registry API route, relayed to :class:`Upstream` as this server's user."""

    _body: asyncio.Queue[bytes | None] | None = None
    _exchange: asyncio.Future[httpx.Response] | None = None
    _large_chunks: contextlib.ExitStack | None = None

    @property
    def upstream(self) -> Upstream:
        return self.settings[FORWARD_KEY]  # type: ignore[no-any-return]

    async def prepare(self) -> None:
        await super().prepare()
        # Authorised here, before the body streams upstream; the verbs' guards
        # only run once all of it has arrived.
        user = self.current_user
        if not user:
            self.get_login_url()
        action = "read" if self.request.method in ("GET", "HEAD") else "write"
        if not await ensure_async(
            self.authorizer.is_authorized(self, user, action, self.auth_resource)
        ):
            raise ApiError(403, "Forbidden", f"{user.username} may not {action} the registry")
        owner = self.upstream.owner
        if owner and user.username != owner:
            raise ApiError(
                403,
                "PermissionDenied",
                f"{user.username} may not use {owner}'s server to reach the team registry: "
                f"it acts as {owner}; use your own server",
            )
        self.request.connection.set_max_body_size(MAX_UPLOAD_BYTES)
        self._large_chunks = contextlib.ExitStack()
        self._large_chunks.enter_context(large_body_chunks(self.request.connection, RELAY_BYTES))
        self._body = asyncio.Queue(maxsize=PIPE_DEPTH)
        self._exchange = asyncio.ensure_future(self._send())

    def _has_body(self) -> bool:
        headers = self.request.headers
        return int(headers.get("Content-Length", "0") or 0) > 0 or "Transfer-Encoding" in headers

    async def _send(self) -> httpx.Response:
        upstream = self.upstream
        path = self.request.path[len(url_path_join(self.base_url, API_PREFIX)) + 1 :]
        url = upstream.api + path + (f"?{self.request.query}" if self.request.query else "")
        headers = {k: v for k in REQUEST_HEADERS if (v := self.request.headers.get(k))}
        headers["Authorization"] = f"token {upstream.token}"
        content = self._chunks() if self._has_body() else None
        request = upstream.client.build_request(
            self.request.method or "GET", url, headers=headers, content=content
        )
        return await upstream.client.send(request, stream=True)

    async def _chunks(self) -> AsyncIterator[bytes]:
        assert self._body is not None
        while (chunk := await self._body.get()) is not None:
            yield chunk

    async def _pass(self, item: bytes | None) -> None:
        """Queue a body chunk for upstream, unless upstream has already answered or failed."""
        assert self._body is not None and self._exchange is not None
        if self._exchange.done():
            return
        queued = asyncio.ensure_future(self._body.put(item))
        await asyncio.wait({queued, self._exchange}, return_when=asyncio.FIRST_COMPLETED)
        if not queued.done():
            queued.cancel()

    async def data_received(self, chunk: bytes) -> None:
        if self._body is not None:
            await self._pass(chunk)

    def on_connection_close(self) -> None:
        if self._exchange is not None and not self._exchange.done():
            self._exchange.cancel()
        super().on_connection_close()

    def on_finish(self) -> None:
        if self._large_chunks is not None:
            self._large_chunks.close()

    def compute_etag(self) -> None:
        """Upstream's ETag is relayed as it is; a streamed body has no whole to hash here."""
        return None

    async def _relay(self) -> None:
        assert self._exchange is not None
        await self._pass(None)
        try:
            response = await self._exchange
        except httpx.HTTPError as exc:
            raise ApiError(
                502,
                "RegistryUnavailable",
                f"cannot reach the team registry at {self.upstream.server}: {exc}",
            ) from None
        try:
            self.set_status(response.status_code, response.reason_phrase or None)
            for name in RESPONSE_HEADERS:
                if name in response.headers:
                    self.set_header(name, response.headers[name])
            if "Location" in response.headers:
                self.set_header("Location", self._local(response.headers["Location"]))
            async for chunk in response.aiter_raw(RELAY_BYTES):
                self.write(chunk)
                await self.flush()
        except httpx.HTTPError as exc:
            # Upstream broke off mid-body: break ours off too, so the client is
            # left short of Content-Length rather than holding a cut file.
            self.log.error("registry: forwarding %s cut short: %s", self.request.path, exc)
            self.request.connection.close()
            return
        finally:
            await response.aclose()
        self.finish()

    def _local(self, location: str) -> str:
        """Upstream's ``Location`` (its API path) as the same resource under this server."""
        marker = f"/{API_PREFIX}/"
        if marker not in location:
            return location
        return self.api_url(location.split(marker, 1)[1])

    @tornado.web.authenticated
    @authorized
    async def get(self, _path: str) -> None:
        """Every verb: relay the request upstream and stream the answer back."""
        await self._relay()

    head = post = put = patch = delete = get


def forward_registry(server_app: Any, config: RegistryConfig) -> None:
    """Serve the registry API by forwarding it to ``config.server``; no database is opened."""
    server = config.server.rstrip("/") + "/"
    timeout = httpx.Timeout(10.0, read=STALL_SECONDS, write=STALL_SECONDS, pool=None)
    web_app = server_app.web_app
    web_app.settings[FORWARD_KEY] = Upstream(
        server=server,
        token=config.token,
        owner=os.environ.get(ENV_HUB_USER) or None,
        client=httpx.AsyncClient(timeout=timeout, follow_redirects=False),
    )
    prefix = url_path_join(web_app.settings["base_url"], API_PREFIX)
    web_app.add_handlers(".*$", [(url_path_join(prefix, "(.*)"), ForwardHandler)])
    server_app.log.info("jupyter_registry: REST API at %s forwarded to %s", prefix, server)
