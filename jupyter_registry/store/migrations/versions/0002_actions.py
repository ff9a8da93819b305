"""Who did what: created_by/updated_by on models and versions, and a per-model action history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)
IDENTITY_TABLES = ("models", "model_versions")


def upgrade() -> None:
    for table in IDENTITY_TABLES:
        op.add_column(table, sa.Column("created_by", sa.String(256)))
        op.add_column(table, sa.Column("updated_by", sa.String(256)))
    op.create_table(
        "model_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("alias", sa.String(128)),
        sa.Column("user", sa.String(256)),
        sa.Column("time", TIME, nullable=False),
        sa.Column("details", JSON, nullable=False),
    )
    op.create_index("ix_model_actions_model_name", "model_actions", ["model_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_model_actions_model_name", table_name="model_actions")
    op.drop_table("model_actions")
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35), never a batch table
    # rebuild: dropping a parent table would cascade-delete its versions.
    for table in IDENTITY_TABLES:
        op.drop_column(table, "updated_by")
        op.drop_column(table, "created_by")
