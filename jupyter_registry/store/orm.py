"""The relational schema, declared as SQLAlchemy 2 mapped classes.

The store reads and writes these tables with Core statements
(:mod:`.statements`) and turns rows into response schemas inside the
transaction (:mod:`.mappers`); the classes are the schema's one description,
which Alembic's migrations must match (a test compares them). Changes ship as
a migration in ``store/migrations/versions`` (which does not import this module).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.types import TypeEngine


class JsonDocument(TypeDecorator[Any]):
    """A JSON document: JSONB on PostgreSQL, JSON text elsewhere.

    The PostgreSQL type is looked up when a PostgreSQL engine first uses it,
    so a SQLite registry never imports that dialect (slow to import).
    """

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JsonValue = JsonDocument()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class ModelRow(Base):
    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JsonValue, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    creation_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_updated_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(256))
    updated_by: Mapped[str | None] = mapped_column(String(256))

    # Each sort of a page of models walks one index: the column, then the id
    # that breaks ties (migration 0005).
    __table_args__ = (
        Index("ix_models_creation_time", "creation_time", "id"),
        Index("ix_models_last_updated_time", "last_updated_time", "id"),
    )


# Ascending description sorts put NULLs first (SQLite's order, kept on
# PostgreSQL), and so does the index; SQLite's plain index already does.
Index("ix_models_description", ModelRow.description.asc().nulls_first(), ModelRow.id)


class LabelRow(Base):
    __tablename__ = "model_labels"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_model_labels_label", "label"),)


class MaintainerRow(Base):
    """A user who may archive and delete a model, manage its maintainers and move its
    protected aliases (SPEC §7); the model's creator is the first."""

    __tablename__ = "model_maintainers"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    username: Mapped[str] = mapped_column(String(256), primary_key=True)
    creation_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(256))


class BlobRow(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    creation_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckpointRow(Base):
    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    run: Mapped[str | None] = mapped_column(String(512), index=True)
    framework: Mapped[str | None] = mapped_column(String(256))
    format: Mapped[str | None] = mapped_column(String(64))
    entrypoint: Mapped[str | None] = mapped_column(String(512))
    hparams: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JsonValue, default=dict)
    source: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    creation_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(256))

    files: Mapped[list[CheckpointFileRow]] = relationship(
        order_by="CheckpointFileRow.path",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",  # the service reads files with Core queries, never through this
    )


class CheckpointFileRow(Base):
    """One entry of a checkpoint's ``resources``; directories have no blob."""

    __tablename__ = "checkpoint_files"

    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)


class VersionRow(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(256))
    comment: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JsonValue, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    creation_time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(256))
    updated_by: Mapped[str | None] = mapped_column(String(256))

    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_versions_number"),)


class AliasRow(Base):
    __tablename__ = "aliases"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(128), primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )


class ActionRow(Base):
    """One entry of a model's action history: who changed what, when.

    Keyed by model name rather than a foreign key, so the record of a deleted
    model (and of its deletion) outlives it.
    """

    __tablename__ = "model_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    version: Mapped[int | None] = mapped_column(Integer)
    alias: Mapped[str | None] = mapped_column(String(128))
    user: Mapped[str | None] = mapped_column(String(256))
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)

    __table_args__ = (Index("ix_model_actions_model_name", "model_name", "id"),)


class RelationRow(Base):
    """A version's base: ``version_id`` was made from ``base_id`` by ``relation``.

    ``base_model``/``base_version`` name the base as it is called now (kept on
    rename); deleting the base sets ``base_id`` to NULL and keeps the row, so
    the derived version still says where it came from (SPEC §9).
    """

    __tablename__ = "version_relations"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), index=True
    )
    base_model: Mapped[str] = mapped_column(String(128))
    base_version: Mapped[int] = mapped_column(Integer)
    relation: Mapped[str] = mapped_column(String(16))


class _SearchValue:
    """One top-level scalar of a JSON document, copied out so the filter language can find it
    by index (see :mod:`.search_values`): ``owner_id`` is the row of ``owner_table`` holding
    the document, ``field`` names it (``metadata``, ``metrics``, ``hparams``), ``kind`` is
    ``n`` (number), ``s`` (string) or ``b`` (boolean, ``number`` 1 or 0)."""

    owner_table: ClassVar[str]

    @declared_attr
    def owner_id(cls) -> Mapped[int]:
        target = ForeignKey(f"{cls.owner_table}.id", ondelete="CASCADE")
        return mapped_column(target, primary_key=True)

    field: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1))
    number: Mapped[float | None] = mapped_column(Float)
    string: Mapped[str | None] = mapped_column(String(200))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            Index(f"ix_{name}_number", "field", "key", "kind", "number", "owner_id"),
            Index(f"ix_{name}_string", "field", "key", "string", "owner_id"),
        )


class ModelValueRow(_SearchValue, Base):
    __tablename__ = "model_values"
    owner_table = "models"


class VersionValueRow(_SearchValue, Base):
    __tablename__ = "version_values"
    owner_table = "model_versions"


class CheckpointValueRow(_SearchValue, Base):
    __tablename__ = "checkpoint_values"
    owner_table = "checkpoints"
