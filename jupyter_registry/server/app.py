"""The server extension as a jupyter_server ``ExtensionApp``: what it owns and when it ends.

The app owns the registry's resources in a Jupyter server: the service (and
with it the database connections), the upload writer threads, and the
listeners that forward changes to the event bus and to webhooks. It builds
them in :meth:`RegistryApp.initialize_settings`, hands them to the handlers
through the web app's settings, and releases them in
:meth:`RegistryApp.stop_extension` when the server stops.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop
from traitlets import Float

from ..config import (
    ENV_ARTIFACTS,
    ENV_DATABASE,
    ENV_LISTS,
    ENV_SERVER,
    ENV_STORAGE_OPTIONS,
    ENV_TOKEN,
    ENV_USER,
    RegistryConfig,
)
from ..schemas import Listener
from ..service import RegistryService
from .base import API_PREFIX, SERVICE_KEY, NotFoundHandler
from .blobs import UPLOAD_WRITERS_KEY
from .changes import ChangeWatcher
from .events import EventForwarder
from .forward import FORWARD_KEY, forward_registry
from .mlflow import mlflow_handlers
from .openapi import OpenAPIHandler
from .routes import ROUTES, tornado_pattern
from .webhooks import RegistryWebhooks, WebhookSender

UPLOAD_WRITER_THREADS = 32


def share_with_kernels(config: RegistryConfig, log: Any) -> None:
    """Tell the kernels this server starts how to reach its registry, and as whom.

    The one place the extension touches ``os.environ``. Serving a registry
    itself, the server exports its storage, its default user and the team rules,
    so a notebook's ``Registry()`` opens the same registry under the same
    rules with no configuration (a value the environment already names is left
    alone). Forwarding to a central registry, kernels get its URL and this
    user's token, and never a database or bucket location.
    """
    if config.server:
        for key in (ENV_DATABASE, ENV_ARTIFACTS, ENV_STORAGE_OPTIONS):
            if os.environ.pop(key, None) is not None:
                log.warning(
                    "jupyter_registry: %s not passed to kernels: they use %s", key, ENV_SERVER
                )
        os.environ[ENV_SERVER] = config.server
        if config.token:
            os.environ[ENV_TOKEN] = config.token
        return
    shared = [
        (ENV_DATABASE, config.database),
        (ENV_ARTIFACTS, config.artifacts),
        (ENV_STORAGE_OPTIONS, config.storage_options),
        (ENV_USER, config.default_user),
    ]
    shared += [(env, ",".join(getattr(config, name))) for name, env in ENV_LISTS.items()]
    for key, value in shared:
        if value and not os.environ.get(key):
            os.environ[key] = value


class RegistryApp(ExtensionApp):
    """The REST API at ``{base_url}registry/api/v1/``, configured by ``c.RegistryConfig``."""

    name = "jupyter_registry"

    service: RegistryService | None = None
    upload_writers: ThreadPoolExecutor | None = None
    webhooks: WebhookSender | None = None
    watcher: ChangeWatcher | None = None

    forwarding = False

    watch_interval = Float(
        0.5,
        config=True,
        help="Seconds between reads of the registry's history for changes made by other "
        "writers (kernels, the CLI, other servers), announced as model.changed events "
        "that keep open lab panels current; 0 turns it off.",
    )

    def initialize_settings(self) -> None:
        config = RegistryConfig(config=self.config)
        share_with_kernels(config, self.log)
        if config.server:  # a single-user server of a hub: no database of its own
            forward_registry(self.serverapp, config)
            self.forwarding = True
            self._watch_changes(FORWARD_KEY)
            return
        self.service = RegistryService.from_config(config)
        self.webhooks = WebhookSender(RegistryWebhooks(config=self.config), IOLoop.current())
        listeners: list[Listener] = [self.webhooks]
        forwarder = self._watch_changes(SERVICE_KEY)
        if forwarder is not None:
            listeners.insert(0, forwarder)
        self.service.listeners.extend(listeners)
        self.upload_writers = ThreadPoolExecutor(
            max_workers=UPLOAD_WRITER_THREADS, thread_name_prefix="registry-upload"
        )
        self.settings.update({SERVICE_KEY: self.service, UPLOAD_WRITERS_KEY: self.upload_writers})
        self.log.info(
            "jupyter_registry: REST API at %s (database %s)",
            url_path_join(self.serverapp.base_url, API_PREFIX),
            config.database,
        )

    def _watch_changes(self, source_key: str) -> EventForwarder | None:
        """Put registry events on the server's bus, including other writers' changes.

        ``source_key`` names the web app setting that holds where changes are
        read: this server's service, or the registry it forwards to.
        """
        event_logger = getattr(self.serverapp, "event_logger", None)
        if event_logger is None:
            return None
        loop = IOLoop.current()
        forwarder = EventForwarder(event_logger, loop)
        if self.watch_interval > 0:
            settings = self.serverapp.web_app.settings
            self.watcher = ChangeWatcher(
                lambda: settings[source_key], forwarder, self.watch_interval
            )
            loop.add_callback(self.watcher.start)
        return forwarder

    def initialize_handlers(self) -> None:
        if self.forwarding:
            return  # forward_registry routed the whole API prefix to its upstream
        handlers: list[tuple[str, Any]] = [
            (url_path_join(API_PREFIX, tornado_pattern(path)), handler) for path, handler in ROUTES
        ]
        handlers.append((url_path_join(API_PREFIX, "openapi.json"), OpenAPIHandler))
        handlers.append((url_path_join(API_PREFIX, ".*"), NotFoundHandler))
        handlers.extend(mlflow_handlers())
        self.handlers.extend(handlers)

    async def stop_extension(self) -> None:
        """Stop sending webhooks, let running uploads end, close the database connections
        (or, when forwarding, the connections to the central registry)."""
        if self.watcher is not None:
            await self.watcher.stop()
        if self.webhooks is not None:
            self.webhooks.close()
        if self.upload_writers is not None:
            # Idle writers exit now; one still streaming an upload ends with its
            # request (or its stall timeout), so stopping never waits on a client.
            self.upload_writers.shutdown(wait=False, cancel_futures=True)
        if self.service is not None:
            self.service.close()
        upstream = self.serverapp.web_app.settings.get(FORWARD_KEY) if self.forwarding else None
        if upstream is not None:
            await upstream.client.aclose()
