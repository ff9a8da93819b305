"""The filter language's index: top-level scalars of metadata, metrics and hparams as rows.

Three tables (models' metadata, versions' metadata, checkpoints' metrics and
hparams) hold one row per top-level key whose value is a number, a boolean or
a string of at most 200 characters, under b-tree indexes, so ``metrics.acc >
0.9`` is a range scan instead of a read of every document (see
``store/search_values.py``). Existing documents are copied in; the rule is
repeated here, as migrations never import the live code that may change later.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03
"""

import math

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OWNERS = {
    "model_values": ("models", ("metadata",)),
    "version_values": ("model_versions", ("metadata",)),
    "checkpoint_values": ("checkpoints", ("metrics", "hparams")),
}
LARGEST = 1.7976931348623157e308


def _rows(owner_id: int, field: str, document: object) -> list[dict]:
    rows = []
    for key, value in (document or {}).items() if isinstance(document, dict) else ():
        if len(key) > 128:
            continue
        row = {"owner_id": owner_id, "field": field, "key": key, "number": None, "string": None}
        if isinstance(value, bool):
            rows.append({**row, "kind": "b", "number": 1.0 if value else 0.0})
        elif isinstance(value, int | float):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf if value > 0 else -math.inf
            rows.append({**row, "kind": "n", "number": max(-LARGEST, min(LARGEST, number))})
        elif isinstance(value, str) and len(value) <= 200:
            rows.append({**row, "kind": "s", "string": value})
    return rows


def upgrade() -> None:
    bind = op.get_bind()
    for name, (source, fields) in OWNERS.items():
        table = op.create_table(
            name,
            sa.Column("owner_id", sa.Integer, sa.ForeignKey(f"{source}.id", ondelete="CASCADE")),
            sa.Column("field", sa.String(16)),
            sa.Column("key", sa.String(128)),
            sa.Column("kind", sa.String(1), nullable=False),
            sa.Column("number", sa.Float),
            sa.Column("string", sa.String(200)),
            sa.PrimaryKeyConstraint("owner_id", "field", "key"),
        )
        op.create_index(f"ix_{name}_number", name, ["field", "key", "kind", "number", "owner_id"])
        op.create_index(f"ix_{name}_string", name, ["field", "key", "string", "owner_id"])
        documents = sa.table(source, sa.column("id", sa.Integer), *(sa.column(f) for f in fields))
        for row in bind.execute(sa.select(documents)).mappings():
            values = [v for f in fields for v in _rows(row["id"], f, _json(row[f]))]
            if values:
                op.bulk_insert(table, values)


def _json(value: object) -> object:
    """SQLite hands JSON columns back as text (no type here to decode them)."""
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value


def downgrade() -> None:
    for name in OWNERS:
        op.drop_table(name)
