"""Notebook views: ``ModelList``, ``VersionTable``, ``ModelCard``, ``VersionPage``."""

from __future__ import annotations

from .views import ModelCard, ModelList, VersionPage, VersionTable

__all__ = ["ModelCard", "ModelList", "VersionPage", "VersionTable"]
