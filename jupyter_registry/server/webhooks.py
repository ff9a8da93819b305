"""Outgoing webhooks: every registry change POSTed, HMAC-signed, to configured URLs (CI/CD).

Configured by traitlets::

    c.RegistryWebhooks.urls = ["https://ci.example.com/hooks/registry"]
    c.RegistryWebhooks.secret = "shared-secret"

Each delivery is a JSON body ``{"event", "data", "user", "delivery", "timestamp"}``
with headers ``X-Registry-Event``, ``X-Registry-Delivery``,
``X-Registry-Timestamp`` and ``X-Registry-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``"<delivery>.<timestamp>.<body>"`` under the secret (the scheme of
MLflow's webhooks: the receiver recomputes it and rejects stale timestamps, so
a captured delivery cannot be replayed). Deliveries run on the server's IO
loop after the change is committed, one at a time in commit order; a failing
receiver is logged and never slows or fails the registry call.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.ioloop import IOLoop
from traitlets import Float, List, Unicode
from traitlets.config import Configurable

log = logging.getLogger(__name__)


def signature(secret: str, delivery: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``delivery.timestamp.body``; receivers compare with compare_digest."""
    message = f"{delivery}.{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class RegistryWebhooks(Configurable):
    """Where registry changes are POSTed, and the secret that signs them."""

    urls = List(Unicode(), config=True, help="URLs that receive a POST for every registry change.")
    secret = Unicode(
        "", config=True, help="HMAC-SHA256 key for the X-Registry-Signature header (recommended)."
    )
    events = List(
        Unicode(),
        config=True,
        help="Event names to deliver (e.g. 'version.registered', 'alias.set'); empty: all.",
    )
    timeout = Float(10.0, config=True, help="Seconds to wait for a receiver.")


class WebhookSender:
    """A service listener that queues one signed POST per change and URL on the IO loop."""

    def __init__(self, config: RegistryWebhooks, loop: IOLoop) -> None:
        self.config = config
        self.loop = loop
        self._in_order: asyncio.Lock | None = None
        self._http: AsyncHTTPClient | None = None
        self.closed = False

    def close(self) -> None:
        """Stop sending: the server is stopping, and its connections with it."""
        self.closed = True
        if self._http is not None:
            self._http.close()

    def __call__(self, event: str, payload: dict[str, Any]) -> None:
        if self.closed or not self.config.urls:
            return
        if self.config.events and event not in self.config.events:
            return
        delivery = uuid.uuid4().hex
        timestamp = str(int(time.time()))
        data = {key: value for key, value in payload.items() if key != "user"}
        body = json.dumps(
            {
                "event": event,
                "data": data,
                "user": payload.get("user"),
                "delivery": delivery,
                "timestamp": int(timestamp),
            },
            sort_keys=True,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Registry-Event": event,
            "X-Registry-Delivery": delivery,
            "X-Registry-Timestamp": timestamp,
        }
        if self.config.secret:
            headers["X-Registry-Signature"] = signature(
                self.config.secret, delivery, timestamp, body
            )
        for url in self.config.urls:
            self.loop.add_callback(self._post, url, body, headers)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        # One delivery at a time, in commit order (asyncio.Lock wakes waiters FIFO),
        # so a receiver never sees an alias set before the version it points at.
        if self._in_order is None:
            self._in_order = asyncio.Lock()
        async with self._in_order:
            await self._deliver(url, body, headers)

    async def _deliver(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        if self.closed:
            return
        if self._http is None:  # its own client, created on the loop it runs on
            self._http = AsyncHTTPClient(force_instance=True)
        try:
            await self._http.fetch(
                url, method="POST", body=body, headers=headers, request_timeout=self.config.timeout
            )
        except (HTTPClientError, OSError) as exc:
            log.warning(
                "registry webhook %s for %s failed: %s", url, headers["X-Registry-Event"], exc
            )
