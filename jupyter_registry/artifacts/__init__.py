"""Checkpoint files: a content-addressed blob store and folder collection."""

from .cas import BlobStore
from .collect import Entry, collect

__all__ = ["BlobStore", "Entry", "collect"]
