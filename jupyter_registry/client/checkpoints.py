"""How a collected folder becomes a checkpoint through any client: one request, or many files.

A client that is a :class:`~jupyter_registry.client.protocol.BundleSender`
(the HTTP one) gets a small checkpoint — files under
:data:`~jupyter_registry.api.BUNDLE_MAX_BYTES` in all — with its version in
one request. Anything else uploads the files, a few at a time in parallel
(:data:`PARALLEL_UPLOADS`: a server or disk serves several streams better
than one, and more would only compete), then creates the checkpoint and
registers it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..api import BUNDLE_MAX_BYTES, BUNDLE_MAX_FILES
from ..artifacts.collect import Entry
from ..progress import transfer_progress
from ..schemas import (
    BlobInfo,
    BundleVersion,
    CheckpointFile,
    CreateCheckpoint,
    DescribeCheckpoint,
    DescribeVersion,
    parse,
)
from .protocol import BundleSender, Progress, RegistryClient

PARALLEL_UPLOADS = 4


def _locked(progress: Progress | None) -> Progress | None:
    """One progress callback safe to call from every upload thread at once."""
    if progress is None:
        return None
    lock = threading.Lock()

    def update(n: int) -> None:
        with lock:
            progress(n)

    return update


def upload_files(
    client: RegistryClient, sources: Sequence[tuple[str, Path]], total: int, label: str
) -> list[CheckpointFile]:
    """Upload each (checkpoint path, local file) in parallel streams, with one progress bar."""
    if not sources:
        return []
    with transfer_progress(total, f"upload {label}") as bar:
        progress = _locked(bar)
        send: Callable[[tuple[str, Path]], BlobInfo] = lambda s: client.upload_file(s[1], progress)  # noqa: E731
        with ThreadPoolExecutor(min(PARALLEL_UPLOADS, len(sources))) as pool:
            blobs = list(pool.map(send, sources))
    return [
        CheckpointFile(path=path, sha256=blob.sha256, size=blob.size)
        for (path, _), blob in zip(sources, blobs, strict=True)
    ]


def send_checkpoint(
    client: RegistryClient,
    entries: Sequence[Entry],
    request: CreateCheckpoint,
    version: BundleVersion | None,
    label: str,
) -> tuple[DescribeCheckpoint, DescribeVersion | None]:
    """Create the checkpoint of collected ``entries`` (and register it, given ``version``)."""
    sources = [(e.path, e.source) for e in entries if e.source is not None]
    total = sum(e.size for e in entries)
    directories = [e.path for e in entries if e.is_dir]
    request = parse(CreateCheckpoint, {**request.model_dump(), "directories": directories})
    small = total < BUNDLE_MAX_BYTES and len(sources) <= BUNDLE_MAX_FILES
    if small and isinstance(client, BundleSender) and client.sends_bundles():
        created = client.create_bundle(request, version, sources)
        return created.checkpoint, created.version
    files = upload_files(client, sources, total, label)
    # Parsed again, not copied: the file list is checked as a whole by its schema.
    request = parse(CreateCheckpoint, {**request.model_dump(), "files": files})
    checkpoint = client.create_checkpoint(request)
    if version is None:
        return checkpoint, None
    return checkpoint, client.register_version(
        version.model_name, version.register(checkpoint.uuid)
    )
