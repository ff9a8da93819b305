"""Notebook views of the registry: ModelList, VersionTable, ModelCard, LineageView."""

from __future__ import annotations

from .lineage import LineageView
from .views import ModelCard, ModelList, VersionTable

__all__ = ["LineageView", "ModelCard", "ModelList", "VersionTable"]
