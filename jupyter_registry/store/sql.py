"""Engines and managed sessions: one transaction per service operation.

SQLite is opened in WAL mode with foreign keys on and a busy timeout, and the
driver's own transaction handling is switched off so that write transactions
start with ``BEGIN IMMEDIATE``: a writer takes the database lock before it
reads, so two processes can never both read a model's version counter and
deadlock on upgrading their locks (SQLAlchemy's documented pysqlite recipe).
PostgreSQL write transactions rely on row locks taken by ``UPDATE … RETURNING``
and ``SELECT … FOR UPDATE`` in the service.

SQLite's own busy handler polls with sleeps of up to 100 ms, which makes many
waiting writers slow. SQLite writers therefore queue first on a thread lock and
an ``flock`` beside the database file: the kernel wakes the next writer the
moment the previous one commits, and SQLite's lock is then always free.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import StorageError, ValidationError
from .migrate import ensure_current

SQLITE_BUSY_TIMEOUT_MS = 60_000
BLOB_LOCK_ID = 0x6A7262626C6F  # "jrbblo": gc vs checkpoint creation

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
            with unavailable_as_storage_error(engine):
                ensure_current(engine)
            _engines[url] = engine
        return engine


@contextmanager
def unavailable_as_storage_error(engine: Engine) -> Iterator[None]:
    """A dropped or refused database connection becomes a clear, typed error."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageError(
            f"the registry database {engine.url.render_as_string(hide_password=True)} "
            f"is unavailable: {detail}"
        ) from None


class _WriterQueue:
    """One writer at a time per SQLite file, across threads and processes."""

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


_queues: dict[str, _WriterQueue] = {}


class Store:
    """Hands out managed sessions that commit on success and roll back on error."""

    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        database = self.engine.url.database
        self._queue: _WriterQueue | None = None
        if self.dialect == "sqlite" and database and database != ":memory:":
            with _engines_lock:
                self._queue = _queues.setdefault(database, _WriterQueue(database))

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        maker = self._write if write else self._read
        queue = self._queue if write else None
        with unavailable_as_storage_error(self.engine):
            if queue is None:
                with maker.begin() as session:
                    yield session
            else:
                with queue.hold(), maker.begin() as session:
                    yield session

    def hold_blobs(self, session: Session, exclusive: bool) -> None:
        """Order checkpoint creation (shared) against garbage collection (exclusive).

        Without it, on PostgreSQL, gc could delete an old unreferenced blob in
        the moment a new checkpoint with the same content finds it in the store
        and references it. Held to the end of the caller's transaction. SQLite
        needs nothing: its write transactions already run one at a time.
        """
        if self.dialect == "postgresql":
            lock = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            session.execute(text(f"SELECT {lock}(:id)"), {"id": BLOB_LOCK_ID})

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction on a plain connection, for Core queries on the hot read paths.

        An ORM session costs about as much as the query itself on SQLite, and
        reads of plain rows need none of what it does.
        """
        with unavailable_as_storage_error(self.engine), self.engine.begin() as connection:
            yield connection

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
