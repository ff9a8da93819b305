"""Notebook views: ``ModelList``, ``VersionTable``, ``ModelCard``, ``VersionPage``, ``LineageView``."""

from __future__ import annotations

from .lineage import LineageView
from .views import ModelCard, ModelList, VersionPage, VersionTable

__all__ = ["LineageView", "ModelCard", "ModelList", "VersionPage", "VersionTable"]
