"""Substring search by index on PostgreSQL: trigram GIN indexes on model names and descriptions.

The ``name`` and ``description`` filters are ``ILIKE '%text%'``, which no
b-tree can serve; pg_trgm's GIN indexes can, so a search among many models is
an index lookup instead of a scan of every row. pg_trgm ships with PostgreSQL's contrib
package and is a trusted extension, so a database owner may create it; where it
is missing or not allowed, search keeps working as a scan and a warning says
so. SQLite has no such index and scans.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {"ix_models_name_trgm": "name", "ix_models_description_trgm": "description"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        detail = str(exc.orig).strip().splitlines()[0]
        logging.getLogger(__name__).warning("pg_trgm unavailable (%s): search will scan", detail)
        return
    for index, column in INDEXES.items():
        using = f"USING gin ({column} gin_trgm_ops)"
        op.execute(f"CREATE INDEX IF NOT EXISTS {index} ON models {using}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {index}")
