"""The SQL the store runs, as SQLAlchemy Core statements built once at import.

On SQLite, building a statement costs more than running it, so the hot ones
are prebuilt with bind parameters. Writes go to the tables directly rather
than through the ORM's unit of work, which cost more than the rest of a write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from .orm import (
    ActionRow,
    AliasRow,
    BlobRow,
    CheckpointFileRow,
    CheckpointRow,
    JsonValue,
    LabelRow,
    MaintainerRow,
    ModelRow,
    RelationRow,
    UTCDateTime,
    VersionRow,
)

MODELS_T, VERSIONS_T, ALIASES_T = ModelRow.__table__, VersionRow.__table__, AliasRow.__table__
LABELS_T, FILES_T = LabelRow.__table__, CheckpointFileRow.__table__
MAINTAINERS_T = MaintainerRow.__table__

# --- reads ------------------------------------------------------------------

CHECKPOINTS = select(
    CheckpointRow.id.label("checkpoint_id"),
    CheckpointRow.uuid.label("checkpoint_uuid"),
    CheckpointRow.run,
    CheckpointRow.framework,
    CheckpointRow.format,
    CheckpointRow.entrypoint,
    CheckpointRow.hparams,
    CheckpointRow.metrics,
    CheckpointRow.metadata_.label("checkpoint_meta"),
    CheckpointRow.source,
    CheckpointRow.creation_time.label("checkpoint_time"),
    CheckpointRow.created_by.label("checkpoint_created_by"),
)

DIALECTS = ("sqlite", "postgresql")
S = TypeVar("S", Select[Any], CompoundSelect[Any])


def _among_ids(column: ColumnElement[int], dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the ``ids`` parameter's values (a page's rows).

    PostgreSQL gets one array parameter, so the statement's text is the same
    for every page: an expanded ``IN`` has a parameter per id, and psycopg
    parsed that long text again on every call (it caches short statements
    only), which cost more than the query. SQLite has no arrays.
    """
    if dialect == "postgresql":
        return column == any_(bindparam("ids", type_=ARRAY(Integer)))
    return column.in_(bindparam("ids", expanding=True))


def _by_dialect(build: Callable[[str], S]) -> dict[str, S]:
    """One prebuilt statement per database the store runs on."""
    return {dialect: build(dialect) for dialect in DIALECTS}


FILES_OF = _by_dialect(
    lambda dialect: (
        select(
            CheckpointFileRow.checkpoint_id,
            CheckpointFileRow.path,
            CheckpointFileRow.sha256,
            CheckpointFileRow.size,
        )
        .where(_among_ids(CheckpointFileRow.checkpoint_id, dialect))
        .order_by(CheckpointFileRow.checkpoint_id, CheckpointFileRow.path)
    )
)
VERSIONS = CHECKPOINTS.add_columns(
    VersionRow.id,
    VersionRow.version,
    VersionRow.name,
    VersionRow.comment,
    VersionRow.metadata_.label("meta"),
    VersionRow.notes,
    VersionRow.creation_time,
    VersionRow.created_by,
    VersionRow.updated_by,
).join(VersionRow, VersionRow.checkpoint_id == CheckpointRow.id)
VERSIONS_OF_MODEL = VERSIONS.join(ModelRow, ModelRow.id == VersionRow.model_id).where(
    ModelRow.name == bindparam("model")
)
LATEST = VERSIONS_OF_MODEL.order_by(VersionRow.version.desc()).limit(1)
BY_NUMBER = VERSIONS_OF_MODEL.where(VersionRow.version == bindparam("number"))
BY_ALIAS = VERSIONS_OF_MODEL.join(AliasRow, AliasRow.version_id == VersionRow.id).where(
    AliasRow.alias == bindparam("alias")
)
VERSION_BY_ID = VERSIONS.where(VersionRow.id == bindparam("id"))
ALIASES_OF_VERSIONS = _by_dialect(
    lambda dialect: (
        select(AliasRow.version_id, AliasRow.alias)
        .where(_among_ids(AliasRow.version_id, dialect))
        .order_by(AliasRow.alias)
    )
)
# a version's bases, in the order given; a NULL base_id is a deleted base
BASES_OF_VERSIONS = (
    select(
        RelationRow.version_id,
        RelationRow.base_model,
        RelationRow.base_version,
        RelationRow.relation,
        RelationRow.base_id.is_(None).label("deleted"),
    )
    .where(RelationRow.version_id.in_(bindparam("ids", expanding=True)))
    .order_by(RelationRow.version_id, RelationRow.position)
)
MODEL_ID = select(ModelRow.id).where(ModelRow.name == bindparam("name"))
# Model columns plus version count and latest number. Core rows, not ORM
# objects: building ORM instances was most of the cost of listing a page.
MODELS = select(
    ModelRow.id,
    ModelRow.name,
    ModelRow.description,
    ModelRow.metadata_.label("meta"),
    ModelRow.notes,
    ModelRow.archived,
    ModelRow.creation_time,
    ModelRow.last_updated_time,
    ModelRow.created_by,
    ModelRow.updated_by,
    select(func.count(VersionRow.id))
    .where(VersionRow.model_id == ModelRow.id)
    .scalar_subquery()
    .label("num_versions"),
    select(func.max(VersionRow.version))
    .where(VersionRow.model_id == ModelRow.id)
    .scalar_subquery()
    .label("latest_version"),
)
MODEL_BY_NAME = MODELS.where(ModelRow.name == bindparam("name"))
MODEL_BY_ID = MODELS.where(ModelRow.id == bindparam("id"))


def _model_details(dialect: str) -> CompoundSelect[Any]:
    """A page's maintainers, labels and aliases in one statement.

    One round trip instead of three; the mapper puts each kind in its order.
    Maintainers come first so the typed creation time names the column's type.
    """
    return union_all(
        select(
            literal_column("'maintainer'", String).label("kind"),
            MaintainerRow.model_id,
            MaintainerRow.username.label("value"),
            null().label("number"),
            MaintainerRow.creation_time.label("since"),
        ).where(_among_ids(MaintainerRow.model_id, dialect)),
        select(
            literal_column("'label'", String),
            LabelRow.model_id,
            LabelRow.label,
            LabelRow.position,
            null(),
        ).where(_among_ids(LabelRow.model_id, dialect)),
        select(
            literal_column("'alias'", String),
            AliasRow.model_id,
            AliasRow.alias,
            VersionRow.version,
            null(),
        )
        .join(VersionRow, VersionRow.id == AliasRow.version_id)
        .where(_among_ids(AliasRow.model_id, dialect)),
    )


MODEL_DETAILS = _by_dialect(_model_details)
# in the order they became maintainers (the creator first)
MAINTAINERS_OF = (
    select(MaintainerRow.model_id, MaintainerRow.username)
    .where(MaintainerRow.model_id.in_(bindparam("ids", expanding=True)))
    .order_by(MaintainerRow.model_id, MaintainerRow.creation_time, MaintainerRow.username)
)
CHECKPOINT_ID = select(CheckpointRow.id).where(CheckpointRow.uuid == bindparam("uuid"))
CHECKPOINT_BY_UUID = CHECKPOINTS.where(CheckpointRow.uuid == bindparam("uuid"))
CHECKPOINT_BY_ID = CHECKPOINTS.where(CheckpointRow.id == bindparam("id"))
CHECKPOINT_USERS = (
    select(ModelRow.name, VersionRow.version)
    .join(VersionRow, VersionRow.model_id == ModelRow.id)
    .where(VersionRow.checkpoint_id == bindparam("id"))
    .order_by(ModelRow.name, VersionRow.version)
)
BLOB_SIZE = select(BlobRow.size).where(BlobRow.sha256 == bindparam("sha256"))
BLOB_SIZES = select(BlobRow.sha256, BlobRow.size).where(
    BlobRow.sha256.in_(bindparam("shas", expanding=True))
)

# --- locks (row locks on PostgreSQL; SQLite's write transaction holds the database) ---

MODEL_LOCKED = (
    select(ModelRow.id, ModelRow.name, ModelRow.metadata_.label("meta"), ModelRow.archived)
    .where(ModelRow.name == bindparam("name"))
    .with_for_update()
)
_VERSION_ROW = select(VersionRow.id, VersionRow.version, VersionRow.metadata_.label("meta")).where(
    VersionRow.model_id == bindparam("model_id")
)
VERSION_BY_NUMBER_LOCKED = _VERSION_ROW.where(
    VersionRow.version == bindparam("number")
).with_for_update(of=VersionRow)
VERSION_BY_ALIAS_LOCKED = (
    _VERSION_ROW.join(AliasRow, AliasRow.version_id == VersionRow.id)
    .where(AliasRow.alias == bindparam("alias"))
    .with_for_update(of=VersionRow)
)
LATEST_VERSION_LOCKED = (
    _VERSION_ROW.order_by(VersionRow.version.desc()).limit(1).with_for_update(of=VersionRow)
)

# --- writes -----------------------------------------------------------------

STAMP = {  # who changed a model, and when: every model write sets these
    "last_updated_time": bindparam("now", type_=UTCDateTime()),
    "updated_by": bindparam("user", type_=String()),
}
INSERT_MODEL = insert(MODELS_T).returning(MODELS_T.c.id)
INSERT_LABEL = insert(LABELS_T)
DELETE_LABELS = delete(LABELS_T).where(LABELS_T.c.model_id == bindparam("model_id"))
TOUCH_MODEL = update(MODELS_T).where(MODELS_T.c.id == bindparam("model_id")).values(**STAMP)
SET_MODEL_METADATA = TOUCH_MODEL.values(metadata=bindparam("meta", type_=JsonValue))
DELETE_MODEL = delete(MODELS_T).where(MODELS_T.c.id == bindparam("model_id"))
ALLOCATE_VERSION = (
    update(MODELS_T)
    .where(MODELS_T.c.name == bindparam("model_name"))
    .values(last_version=MODELS_T.c.last_version + 1, **STAMP)
    .returning(MODELS_T.c.id, MODELS_T.c.last_version, MODELS_T.c.archived)
)
INSERT_MAINTAINER = insert(MAINTAINERS_T)
DELETE_MAINTAINER = delete(MAINTAINERS_T).where(
    MAINTAINERS_T.c.model_id == bindparam("model_id"),
    MAINTAINERS_T.c.username == bindparam("username"),
)
INSERT_VERSION = insert(VERSIONS_T).returning(VERSIONS_T.c.id)
DELETE_VERSION = delete(VERSIONS_T).where(VERSIONS_T.c.id == bindparam("version_id"))
SET_VERSION_METADATA = (
    update(VERSIONS_T)
    .where(VERSIONS_T.c.id == bindparam("version_id"))
    .values(
        metadata=bindparam("meta", type_=JsonValue), updated_by=bindparam("user", type_=String())
    )
)
INSERT_ALIAS = insert(ALIASES_T)
DELETE_ALIAS = delete(ALIASES_T).where(
    ALIASES_T.c.model_id == bindparam("model_id"), ALIASES_T.c.alias == bindparam("alias")
)
INSERT_ACTION = insert(ActionRow.__table__)
INSERT_BLOB = insert(BlobRow.__table__)
INSERT_CHECKPOINT = insert(CheckpointRow.__table__).returning(CheckpointRow.__table__.c.id)
INSERT_FILES = insert(FILES_T)
DELETE_CHECKPOINT = delete(CheckpointRow.__table__).where(
    CheckpointRow.__table__.c.id == bindparam("id")
)
