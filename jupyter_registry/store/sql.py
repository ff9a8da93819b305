"""Engines and managed sessions: one transaction per service operation.

SQLite is opened in WAL mode with foreign keys on and a busy timeout, and the
driver's own transaction handling is switched off so that write transactions
start with ``BEGIN IMMEDIATE``: a writer takes the database lock before it
reads, so two processes can never both read a model's version counter and
deadlock on upgrading their locks (SQLAlchemy's documented pysqlite recipe).
PostgreSQL write transactions rely on row locks taken by ``UPDATE … RETURNING``
and ``SELECT … FOR UPDATE`` in the service.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ValidationError
from .migrate import ensure_current

SQLITE_BUSY_TIMEOUT_MS = 60_000

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationError(f"invalid database URL {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=8)
    except NoSuchModuleError:
        raise ValidationError(f"unsupported database URL {url!r}") from None


def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per database URL per process, migrated on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            ensure_current(engine)
            _engines[url] = engine
        return engine


class Store:
    """Hands out managed sessions that commit on success and roll back on error."""

    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        maker = self._write if write else self._read
        with maker.begin() as session:
            yield session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
