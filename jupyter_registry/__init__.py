"""jupyter_registry: a model registry that lives inside Jupyter.

The SDK names below are the public API (SPEC §2). Jupyter extension points
(server extension, lab extension, IPython magics) are defined here and import
their implementation lazily, so ``import jupyter_registry`` stays cheap: Jupyter
imports this package in every server and kernel that merely lists its
extensions. The SDK and schema names are imported on first access (module
``__getattr__``), since they pull in pydantic and the SDK's helpers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import (
    ConflictError,
    IntegrityError,
    NotFoundError,
    PermissionDeniedError,
    RegistryError,
    UntrustedCodeError,
    ValidationError,
)

if TYPE_CHECKING:
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
    "PermissionDeniedError",
    "Registry",
    "RegistryError",
    "UntrustedCodeError",
    "ValidationError",
    "__version__",
    "current_checkpoint",
]

#: The public names imported on first access, and the module each comes from.
_LAZY = {
    "Checkpoint": "sdk",
    "Model": "sdk",
    "ModelVersion": "sdk",
    "Registry": "sdk",
    "current_checkpoint": "sdk",
    "ModelSortBy": "schemas",
    "OrderBy": "schemas",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
