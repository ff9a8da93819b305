"""Lineage: typed relations from a version to the versions it was made from (SPEC §9).

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version_relations",
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey("model_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("base_id", sa.Integer, sa.ForeignKey("model_versions.id", ondelete="SET NULL")),
        sa.Column("base_model", sa.String(128), nullable=False),
        sa.Column("base_version", sa.Integer, nullable=False),
        sa.Column("relation", sa.String(16), nullable=False),
    )
    op.create_index("ix_version_relations_base_id", "version_relations", ["base_id"])


def downgrade() -> None:
    op.drop_index("ix_version_relations_base_id", "version_relations")
    op.drop_table("version_relations")
