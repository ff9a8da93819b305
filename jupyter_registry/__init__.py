"""jupyter_registry: a model registry that lives inside Jupyter.

The SDK names below are the public API (SPEC §2). Jupyter extension points
(server extension, lab extension, IPython magics) are defined here and import
their implementation lazily, so ``import jupyter_registry`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from .errors import (
    ConflictError,
    IntegrityError,
    NotFoundError,
    RegistryError,
    UntrustedCodeError,
    ValidationError,
)
from .schemas import ModelSortBy, OrderBy
from .sdk import Checkpoint, Model, ModelVersion, Registry, current_checkpoint

__version__ = "0.1.0"

__all__ = [
    "Checkpoint",
    "ConflictError",
    "IntegrityError",
    "Model",
    "ModelSortBy",
    "ModelVersion",
    "NotFoundError",
    "OrderBy",
    "Registry",
    "RegistryError",
    "UntrustedCodeError",
    "ValidationError",
    "__version__",
    "current_checkpoint",
]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """The REST API server extension app (enabled by the installed jupyter-config file)."""
    from .server.app import RegistryApp

    return [{"module": "jupyter_registry.server.app", "app": RegistryApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The "Model Registry" JupyterLab panel, built from labextension/ at install time."""
    return [{"src": "labextension", "dest": "jupyter-registry"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_registry``: register the magics."""
    from .magics import register_magics

    register_magics(ipython)
