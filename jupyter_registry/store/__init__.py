"""Persistence: the ORM schema, managed sessions and Alembic migrations."""

from .sql import Store

__all__ = ["Store"]
