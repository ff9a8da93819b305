"""The Jupyter server extension: the registry's REST API at ``{base_url}registry/api/v1/``.

Enabled by the ``jupyter_server_config.d`` file that ``pip install`` puts in
place. Storage comes from ``c.RegistryConfig`` (or the ``JUPYTER_REGISTRY_*``
environment), and the resolved locations are exported to the environment
kernels inherit, so a notebook's ``Registry()`` and this server see the same
registry with no configuration.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from ..config import ENV_ARTIFACTS, ENV_DATABASE, RegistryConfig
from ..service import RegistryService
from .base import API_PREFIX, SERVICE_KEY, NotFoundHandler
from .events import EventForwarder
from .mlflow import mlflow_handlers
from .openapi import OpenAPIHandler
from .routes import ROUTES, tornado_pattern
from .webhooks import RegistryWebhooks, WebhookSender

ENV_STORAGE_OPTIONS = "JUPYTER_REGISTRY_STORAGE_OPTIONS"


def _share_with_kernels(config: RegistryConfig) -> None:
    for key, value in (
        (ENV_DATABASE, config.database),
        (ENV_ARTIFACTS, config.artifacts),
        (ENV_STORAGE_OPTIONS, config.storage_options),
    ):
        if value and not os.environ.get(key):
            os.environ[key] = value


def _load_jupyter_server_extension(server_app: Any) -> None:
    config = RegistryConfig(config=server_app.config)
    service = RegistryService.from_config(config)
    loop = IOLoop.current()
    if getattr(server_app, "event_logger", None) is not None:
        service.listeners.append(EventForwarder(server_app.event_logger, loop))
    service.listeners.append(WebhookSender(RegistryWebhooks(config=server_app.config), loop))
    _share_with_kernels(config)

    web_app = server_app.web_app
    web_app.settings[SERVICE_KEY] = service
    prefix = url_path_join(web_app.settings["base_url"], API_PREFIX)
    handlers: list[tuple[str, Any]] = [
        (url_path_join(prefix, tornado_pattern(path)), handler) for path, handler in ROUTES
    ]
    handlers.append((url_path_join(prefix, "openapi.json"), OpenAPIHandler))
    handlers.append((url_path_join(prefix, ".*"), NotFoundHandler))
    handlers.extend(mlflow_handlers(web_app.settings["base_url"]))
    web_app.add_handlers(".*$", handlers)
    server_app.log.info("jupyter_registry: REST API at %s (database %s)", prefix, config.database)
