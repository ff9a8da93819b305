"""The route table: one list read by tornado (to serve) and by OpenAPI (to describe).

Paths are written OpenAPI-style (``models/{name}``) relative to the API
prefix; :func:`tornado_pattern` turns each ``{param}`` into a capture group
handed to the verb in order.
"""

from __future__ import annotations

import re

from .base import RegistryHandler
from .blobs import BlobHandler
from .handlers import (
    AliasHandler,
    CheckpointHandler,
    CheckpointsHandler,
    HistoryHandler,
    ModelHandler,
    ModelMetadataHandler,
    ModelsHandler,
    VersionHandler,
    VersionMetadataHandler,
    VersionsHandler,
)

ROUTES: list[tuple[str, type[RegistryHandler]]] = [
    ("models", ModelsHandler),
    ("models/{name}", ModelHandler),
    ("models/{name}/metadata", ModelMetadataHandler),
    ("models/{name}/history", HistoryHandler),
    ("models/{name}/versions", VersionsHandler),
    ("models/{name}/versions/{ref}", VersionHandler),
    ("models/{name}/versions/{ref}/metadata", VersionMetadataHandler),
    ("models/{name}/aliases/{alias}", AliasHandler),
    ("checkpoints", CheckpointsHandler),
    ("checkpoints/{checkpoint_uuid}", CheckpointHandler),
    ("blobs/{sha256}", BlobHandler),
]

PATH_PARAM = re.compile(r"\{(\w+)\}")


def tornado_pattern(path: str) -> str:
    return PATH_PARAM.sub(r"([^/]+)", path)


def path_params(path: str) -> list[str]:
    return PATH_PARAM.findall(path)
