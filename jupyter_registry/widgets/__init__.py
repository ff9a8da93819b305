"""Notebook views: ModelList, VersionTable, ModelCard, VersionPage, CompareView, LineageView."""

from __future__ import annotations

from .compare import CompareView
from .lineage import LineageView
from .views import ModelCard, ModelList, VersionPage, VersionTable

__all__ = ["CompareView", "LineageView", "ModelCard", "ModelList", "VersionPage", "VersionTable"]
