"""Checkpoint files: a content-addressed blob store and folder collection."""

from __future__ import annotations

import json
from typing import Any

from .cas import BlobStore
from .collect import Entry, collect
from .fsspec_store import FsspecBlobStore
from .local_store import LocalBlobStore, LocalFiles, local_root
from .s3_store import DirectSettings, S3BlobStore, is_s3, signed_v4

__all__ = [
    "BlobStore",
    "DirectSettings",
    "Entry",
    "FsspecBlobStore",
    "LocalBlobStore",
    "S3BlobStore",
    "collect",
    "open_blob_store",
]


def open_blob_store(uri: str, storage_options: dict[str, Any] | str | None = None) -> BlobStore:
    """The blob store for an fsspec URI: the local one for a folder, the S3 one (which can
    presign) for a bucket, the plain one otherwise.

    ``storage_options`` are the filesystem's options, as a dict or as the JSON
    text a config or environment variable holds. A local folder without
    options is opened without fsspec, which only other stores need.
    """
    if isinstance(storage_options, str):
        storage_options = json.loads(storage_options) if storage_options.strip() else {}
    root = None if storage_options else local_root(uri)
    if root is not None:
        return LocalBlobStore(uri, LocalFiles(), root)
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    fs, root = fsspec.core.url_to_fs(uri, **signed_v4(uri, storage_options or {}))
    if isinstance(fs, LocalFileSystem):
        return LocalBlobStore(uri, fs, root)
    return (S3BlobStore if is_s3(fs) else FsspecBlobStore)(uri, fs, root)
