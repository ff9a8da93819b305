"""Checkpoint files: a content-addressed blob store and folder collection."""

from __future__ import annotations

import json
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from .cas import BlobStore
from .collect import Entry, collect
from .fsspec_store import FsspecBlobStore
from .local_store import LocalBlobStore

__all__ = ["BlobStore", "Entry", "FsspecBlobStore", "LocalBlobStore", "collect", "open_blob_store"]


def open_blob_store(uri: str, storage_options: dict[str, Any] | str | None = None) -> BlobStore:
    """The blob store for an fsspec URI: the local one for a folder, the plain one otherwise.

    ``storage_options`` are the filesystem's options, as a dict or as the JSON
    text a config or environment variable holds.
    """
    if isinstance(storage_options, str):
        storage_options = json.loads(storage_options) if storage_options.strip() else {}
    fs, root = fsspec.core.url_to_fs(uri, **(storage_options or {}))
    store = LocalBlobStore if isinstance(fs, LocalFileSystem) else FsspecBlobStore
    return store(uri, fs, root)
