"""Initial schema: models, labels, blobs, checkpoints and their files, versions, aliases.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the first schema.

    Long because it spells out every table and index as they were then,
    without importing the ORM (which describes the schema of today).
    """
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("creation_time", TIME, nullable=False),
        sa.Column("last_updated_time", TIME, nullable=False),
        sa.Column("last_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_models_creation_time", "models", ["creation_time"])
    op.create_index("ix_models_last_updated_time", "models", ["last_updated_time"])
    op.create_index("ix_models_description", "models", ["description"])

    op.create_table(
        "model_labels",
        sa.Column(
            "model_id",
            sa.Integer,
            sa.ForeignKey("models.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label", sa.String(128), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_model_labels_label", "model_labels", ["label"])

    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("creation_time", TIME, nullable=False),
    )

    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("run", sa.String(512)),
        sa.Column("framework", sa.String(256)),
        sa.Column("format", sa.String(64)),
        sa.Column("entrypoint", sa.String(512)),
        sa.Column("hparams", JSON, nullable=False),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("source", JSON, nullable=False),
        sa.Column("creation_time", TIME, nullable=False),
    )
    op.create_index("ix_checkpoints_run", "checkpoints", ["run"])

    op.create_table(
        "checkpoint_files",
        sa.Column(
            "checkpoint_id",
            sa.Integer,
            sa.ForeignKey("checkpoints.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256")),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_checkpoint_files_sha256", "checkpoint_files", ["sha256"])

    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "checkpoint_id",
            sa.Integer,
            sa.ForeignKey("checkpoints.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("name", sa.String(256)),
        sa.Column("comment", sa.Text),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("creation_time", TIME, nullable=False),
        sa.UniqueConstraint("model_id", "version", name="uq_model_versions_number"),
    )
    op.create_index("ix_model_versions_checkpoint_id", "model_versions", ["checkpoint_id"])

    op.create_table(
        "aliases",
        sa.Column(
            "model_id",
            sa.Integer,
            sa.ForeignKey("models.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey("model_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_index("ix_aliases_version_id", "aliases", ["version_id"])


def downgrade() -> None:
    for table in (
        "aliases",
        "model_versions",
        "checkpoint_files",
        "checkpoints",
        "blobs",
        "model_labels",
        "models",
    ):
        op.drop_table(table)
