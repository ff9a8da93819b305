"""What SQLite needs to serve many writers: connection settings and a writer queue.

The driver's own transaction handling is switched off so that write
transactions start with ``BEGIN IMMEDIATE``: a writer takes the database lock
before it reads, so two processes can never both read a model's version
counter and deadlock upgrading their locks (SQLAlchemy's documented pysqlite
recipe). WAL lets readers go on while one writer writes.

SQLite's busy handler polls with growing sleeps, which makes a crowd of
waiting writers slow. Writers therefore queue first on a thread lock and an
``flock`` beside the database file: the kernel wakes the next writer the
moment the previous one commits, and SQLite's own lock is then always free.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

BUSY_TIMEOUT_MS = 60_000


def configure(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and ``BEGIN <mode>`` taken from execution options."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Straight to the driver: SQLAlchemy's statement machinery (exec_driver_sql)
        # cost a tenth of a whole registry read for this one fixed statement.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.connection.driver_connection.execute(f"BEGIN {mode}")


class WriterQueue:
    """One writer at a time per SQLite file: across this store's threads, and across processes."""

    def __init__(self, database: str) -> None:
        self._path = Path(database).expanduser().with_suffix(".write.lock")
        self._thread_lock = threading.Lock()

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread_lock, open(self._path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
