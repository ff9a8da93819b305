"""Sort indexes that end in the tie-breaking id, so every sort of a page of models walks one.

A page of models sorted by creation time, last update or description is
ordered by that column and then by id (ties broken for stable paging). With
indexes on the column alone, PostgreSQL sorted the whole table to find the
first page; with ``(column, id)`` it reads the page's rows from the index,
forwards for ascending and backwards for descending. Description sorts empty
descriptions first when ascending (SQLite's order of NULLs, kept on
PostgreSQL), so its PostgreSQL index stores NULLs first too; SQLite's plain
index already does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = {
    "ix_models_creation_time": "creation_time",
    "ix_models_last_updated_time": "last_updated_time",
    "ix_models_description": "description",
}


def _sort_key(column: str) -> sa.ColumnElement[object] | str:
    if column == "description" and op.get_bind().dialect.name == "postgresql":
        return sa.text("description NULLS FIRST")
    return column


def upgrade() -> None:
    for index, column in COLUMNS.items():
        op.drop_index(index, table_name="models")
        op.create_index(index, "models", [_sort_key(column), "id"])


def downgrade() -> None:
    for index, column in COLUMNS.items():
        op.drop_index(index, table_name="models")
        op.create_index(index, "models", [column])
