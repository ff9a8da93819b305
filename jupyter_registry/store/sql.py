"""The relational store: an engine, and one transaction per service operation.

:meth:`SqlStore.read` and :meth:`SqlStore.write` hand the service a
:class:`~jupyter_registry.store.transaction.SqlTransaction` that commits when
the block ends and rolls back if it raises. Write transactions on SQLite queue
and start with ``BEGIN IMMEDIATE`` (:mod:`.sqlite`); on PostgreSQL they rely on
the row locks their statements take. A dropped or refused database
connection becomes a :class:`~jupyter_registry.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from ..errors import StorageError, ValidationError
from . import sqlite
from .migrate import current_revision, ensure_current, upgrade
from .transaction import SqlTransaction


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
            connect_args={"timeout": sqlite.BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        sqlite.configure(engine)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=8, max_overflow=8)
    except NoSuchModuleError:
        raise ValidationError(f"unsupported database URL {url!r}") from None


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


class SqlStore:
    """The registry's tables in one SQLite or PostgreSQL database, upgraded on open."""

    def __init__(self, url: str) -> None:
        self.engine = _create_engine(url)
        with unavailable_as_storage_error(self.engine):
            ensure_current(self.engine)
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        database = self.engine.url.database
        self._queue: sqlite.WriterQueue | None = None
        if self.dialect == "sqlite" and database and database != ":memory:":
            self._queue = sqlite.WriterQueue(database)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[SqlTransaction]:
        """A read transaction (a consistent snapshot on PostgreSQL and in SQLite's WAL)."""
        with unavailable_as_storage_error(self.engine), self.engine.begin() as connection:
            yield SqlTransaction(connection)

    @contextmanager
    def write(self) -> Iterator[SqlTransaction]:
        """A write transaction: queued behind other writers on SQLite, row locks on PostgreSQL."""
        with unavailable_as_storage_error(self.engine):
            if self._queue is None:
                with self._writer.begin() as connection:
                    yield SqlTransaction(connection)
            else:
                with self._queue.hold(), self._writer.begin() as connection:
                    yield SqlTransaction(connection)

    def migrate(self) -> str:
        """Upgrade the schema to this package's head revision; the revision now current."""
        with unavailable_as_storage_error(self.engine):
            upgrade(self.engine)
            return current_revision(self.engine) or ""

    def close(self) -> None:
        """Close the pooled connections (a server extension stopping, a test ending)."""
        self.engine.dispose()
