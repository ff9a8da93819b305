"""Persistence: the schema, its migrations, and the only code that speaks SQL.

The service opens a transaction with :meth:`Store.read` or :meth:`Store.write`
and calls the :class:`Transaction` methods inside it; :class:`SqlStore` (SQLite
or PostgreSQL through SQLAlchemy Core) is the implementation.
"""

from .base import Store, Transaction
from .sql import SqlStore
from .transaction import LockedModel, LockedVersion

__all__ = ["LockedModel", "LockedVersion", "SqlStore", "Store", "Transaction"]
