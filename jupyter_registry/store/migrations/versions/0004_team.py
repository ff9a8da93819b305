"""A team registry: who created each checkpoint, and each model's maintainers.

Models that already name their creator get that creator as first maintainer;
models without one (or with the random id that a token-authenticated Jupyter
server used to record for an anonymous caller) get none until an admin adds one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import re
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
ANONYMOUS_ID = re.compile(r"[0-9a-f]{32}")


def upgrade() -> None:
    op.add_column("checkpoints", sa.Column("created_by", sa.String(256)))
    maintainers = op.create_table(
        "model_maintainers",
        sa.Column(
            "model_id",
            sa.Integer,
            sa.ForeignKey("models.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("username", sa.String(256), primary_key=True),
        sa.Column("creation_time", TIME, nullable=False),
        sa.Column("created_by", sa.String(256)),
    )
    models = sa.table("models", sa.column("id", sa.Integer), sa.column("created_by", sa.String))
    bind = op.get_bind()
    creators = bind.execute(sa.select(models.c.id, models.c.created_by)).all()
    # SQLite stores these timestamps naive, in UTC (see store/orm.py's UTCDateTime).
    now = datetime.now(timezone.utc)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    rows = [
        {"model_id": model_id, "username": user, "creation_time": now, "created_by": None}
        for model_id, user in creators
        if user and not ANONYMOUS_ID.fullmatch(user)
    ]
    if rows:
        op.bulk_insert(maintainers, rows)


def downgrade() -> None:
    op.drop_table("model_maintainers")
    # Plain ALTER TABLE … DROP COLUMN (SQLite >= 3.35), never a batch rebuild (see 0002).
    op.drop_column("checkpoints", "created_by")
