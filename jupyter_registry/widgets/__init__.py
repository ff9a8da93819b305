"""Notebook views: ``ModelList``, ``VersionTable``, ``ModelCard``, ``CompareView``."""

from __future__ import annotations

from .compare import CompareView
from .views import ModelCard, ModelList, VersionTable

__all__ = ["CompareView", "ModelCard", "ModelList", "VersionTable"]
