"""Larger request-body reads for one tornado connection, for the duration of an upload.

Tornado reads a request body in pieces of 64 KiB by default, and a streamed
handler pays one coroutine step, queue hand-off and allocation per piece,
which caps an upload well below what the disk and the hash can take. Neither
size is a public setting per request, so this reaches into tornado's HTTP/1
connection: its shared parameters object is copied for this connection
alone, and the defaults come back for the connection's next request. Any
other connection (HTTP/2, a test double) keeps its defaults.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator


@contextlib.contextmanager
def large_body_chunks(connection: object, chunk_bytes: int) -> Iterator[None]:
    """Have tornado read this connection's request body in pieces of at least ``chunk_bytes``."""
    stream, params = getattr(connection, "stream", None), getattr(connection, "params", None)
    if stream is None or not hasattr(params, "chunk_size"):
        yield
        return
    large = copy.copy(params)
    large.chunk_size = max(params.chunk_size, chunk_bytes)  # type: ignore[union-attr]
    read_chunk_size = stream.read_chunk_size
    stream.read_chunk_size = max(read_chunk_size, chunk_bytes)
    connection.params = large  # type: ignore[attr-defined]
    try:
        yield
    finally:
        stream.read_chunk_size = read_chunk_size
        connection.params = params  # type: ignore[attr-defined]
