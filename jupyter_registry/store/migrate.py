"""Alembic migrations, run programmatically from the package.

``ensure_current`` runs when a process first opens a database: an empty or
older database is upgraded to the head revision with nothing lost. Many
processes may open the same database at once, so the upgrade is serialised by
a file lock (SQLite) or an advisory lock (PostgreSQL).

Opening an up-to-date database is the common case and must stay cheap, so it
never loads Alembic: the head revision is read from the migration files' names
and the database's from its ``alembic_version`` table. Alembic is imported only
when a migration actually runs.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_ADVISORY_LOCK_ID = 0x6A7570726567  # "jupreg"


def _config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The newest migration shipped in this package (read once per process).

    The migrations form one chain, each file named ``<revision>_<slug>.py``
    with four-digit revision ids, so the head is the greatest name; a test
    checks this against Alembic's own reading of the scripts.
    """
    revisions = [path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("*_*.py")]
    assert revisions, "the package ships at least one migration"
    return max(revisions)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when it has no registry schema yet)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return rows[0][0] if len(rows) == 1 else None


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        lock_path = Path(database).expanduser().with_suffix(".migrate.lock") if database else None
        if lock_path is None or database == ":memory:":
            with engine.begin() as connection:
                yield connection
            return
        with open(lock_path, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                with engine.begin() as connection:
                    yield connection
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        yield connection


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` under the migration lock."""
    from alembic import command

    with _migration_lock(engine) as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with _migration_lock(engine) as connection:
        command.downgrade(_config(connection), revision)


def ensure_current(engine: Engine) -> None:
    """Upgrade an empty or older database; a no-op costing one query when current."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
