"""Notebook views of the registry: ``ModelList``, ``VersionTable``, ``ModelCard``."""

from __future__ import annotations

from .views import ModelCard, ModelList, VersionTable

__all__ = ["ModelCard", "ModelList", "VersionTable"]
