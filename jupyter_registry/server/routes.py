"""The route table tornado serves, read from :data:`jupyter_registry.api.OPERATIONS`.

Paths are written OpenAPI-style (``models/{name}``) relative to the API
prefix; :func:`tornado_pattern` turns each ``{param}`` into a capture group
handed to the verb in order. JSON routes get a generated handler; the routes
that take or give raw bytes keep their hand-written ones, which must serve exactly
the operations api.py declares for it (checked at import).
"""

from __future__ import annotations

from ..api import PLACEHOLDER, routes
from .base import RegistryHandler
from .blobs import BlobHandler
from .handlers import json_handler
from .uploads import BundleHandler, ChunkHandler

HAND_WRITTEN: dict[str, type[RegistryHandler]] = {
    "blobs/{sha256}": BlobHandler,
    "bundles": BundleHandler,
    "uploads/{upload_id}/chunks/{index}": ChunkHandler,
}


def _handler(route: str) -> type[RegistryHandler]:
    operations = routes()[route]
    handler = HAND_WRITTEN.get(route)
    if handler is None:
        return json_handler(route, operations)
    served = {
        getattr(getattr(handler, verb.lower()), "__registry_operation__", None)
        for verb in handler.allowed_methods()
    }
    if served != set(operations):
        raise RuntimeError(f"{handler.__name__} does not serve api.py's operations on {route}")
    return handler


ROUTES: list[tuple[str, type[RegistryHandler]]] = [(route, _handler(route)) for route in routes()]


def tornado_pattern(path: str) -> str:
    return PLACEHOLDER.sub(r"([^/]+)", path)
