"""RegistryService: the one API that validates, orchestrates and decides.

Every adapter (local client, REST handlers, CLI, magics, widgets) calls these
methods with the typed requests of :mod:`jupyter_registry.schemas` and gets
typed responses back. Each method runs in one managed transaction; ORM rows
are turned into response objects before the session closes.

Version numbers come from a per-model counter bumped by a single
``UPDATE … RETURNING`` inside the registration transaction. On PostgreSQL that
statement row-locks the model, so concurrent registrations on one model queue
for a few microseconds instead of failing and retrying on a unique-constraint
violation; on SQLite the whole write transaction holds the database lock from
``BEGIN IMMEDIATE``. The counter is never decremented, so numbers are never
reused after a delete.
"""

from __future__ import annotations

import getpass
import logging
import time
import uuid as uuid_lib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, BinaryIO

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError as SQLIntegrityError
from sqlalchemy.orm import Session

from .artifacts import BlobStore
from .config import RegistryConfig
from .errors import ConflictError, IntegrityError, NotFoundError, ValidationError
from .schemas import (
    AliasName,
    BlobInfo,
    CheckName,
    CreateCheckpoint,
    CreateModel,
    DescribeAction,
    DescribeCheckpoint,
    DescribeModel,
    DescribeVersion,
    ListActionsResponse,
    ListCheckpointsResponse,
    ListModelsQuery,
    ListModelsResponse,
    ListVersionsResponse,
    ModelSortBy,
    OrderBy,
    PatchMetadata,
    RegisterVersion,
    SetAlias,
    UpdateModel,
    UpdateVersion,
    VersionRef,
    check_alias,
    check_metadata,
    parse,
    parse_version_ref,
)
from .store import Store
from .store.orm import (
    ActionRow,
    AliasRow,
    BlobRow,
    CheckpointFileRow,
    CheckpointRow,
    JsonValue,
    LabelRow,
    ModelRow,
    UTCDateTime,
    VersionRow,
    utcnow,
)

Listener = Callable[[str, dict[str, Any]], None]
log = logging.getLogger(__name__)

#: Called after every committed change of every service in this process (the
#: widgets use it to refresh after ``%register_version`` in the same kernel).
process_listeners: list[Listener] = []

_SORT_COLUMNS = {
    ModelSortBy.NAME: ModelRow.name,
    ModelSortBy.DESCRIPTION: ModelRow.description,
    ModelSortBy.CREATION_TIME: ModelRow.creation_time,
    ModelSortBy.LAST_UPDATED_TIME: ModelRow.last_updated_time,
}


# The hot read statements, built once: on SQLite, building a statement costs
# more than running it.
_CHECKPOINTS = select(
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
)
_FILES_OF = (
    select(
        CheckpointFileRow.checkpoint_id,
        CheckpointFileRow.path,
        CheckpointFileRow.sha256,
        CheckpointFileRow.size,
    )
    .where(CheckpointFileRow.checkpoint_id.in_(bindparam("ids", expanding=True)))
    .order_by(CheckpointFileRow.checkpoint_id, CheckpointFileRow.path)
)
_VERSIONS = _CHECKPOINTS.add_columns(
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
_VERSIONS_OF_MODEL = _VERSIONS.join(ModelRow, ModelRow.id == VersionRow.model_id).where(
    ModelRow.name == bindparam("model")
)
_LATEST = _VERSIONS_OF_MODEL.order_by(VersionRow.version.desc()).limit(1)
_BY_NUMBER = _VERSIONS_OF_MODEL.where(VersionRow.version == bindparam("number"))
_BY_ALIAS = _VERSIONS_OF_MODEL.join(AliasRow, AliasRow.version_id == VersionRow.id).where(
    AliasRow.alias == bindparam("alias")
)
_ALIASES_OF = (
    select(AliasRow.version_id, AliasRow.alias)
    .where(AliasRow.version_id.in_(bindparam("ids", expanding=True)))
    .order_by(AliasRow.alias)
)
_MODEL_ID = select(ModelRow.id).where(ModelRow.name == bindparam("name"))
# Model columns plus version count and latest number. Core rows, not ORM
# objects: building ORM instances was most of the cost of listing a page.
_MODELS = select(
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
_MODEL_BY_NAME = _MODELS.where(ModelRow.name == bindparam("name"))
_MODEL_BY_ID = _MODELS.where(ModelRow.id == bindparam("id"))
_VERSION_BY_ID = _VERSIONS.where(VersionRow.id == bindparam("id"))
_MODEL_ROW = select(ModelRow).where(ModelRow.name == bindparam("name"))
_MODEL_ROW_LOCKED = _MODEL_ROW.with_for_update()
_MODEL_METADATA_LOCKED = (
    select(ModelRow.id, ModelRow.metadata_.label("meta"))
    .where(ModelRow.name == bindparam("name"))
    .with_for_update()
)
_CHECKPOINT_ID = select(CheckpointRow.id).where(CheckpointRow.uuid == bindparam("uuid"))

# The write statements, also built once, on the tables rather than the ORM
# classes: a unit-of-work flush cost more than the rest of a write.
_models, _versions, _aliases = ModelRow.__table__, VersionRow.__table__, AliasRow.__table__
_INSERT_MODEL = insert(_models).returning(_models.c.id)
_INSERT_LABEL = insert(LabelRow.__table__)
_DELETE_LABELS = delete(LabelRow.__table__).where(
    LabelRow.__table__.c.model_id == bindparam("model_id")
)
_INSERT_VERSION = insert(_versions).returning(_versions.c.id)
_INSERT_ACTION = insert(ActionRow.__table__)
_INSERT_ALIAS = insert(_aliases)
_DELETE_ALIAS = delete(_aliases).where(
    _aliases.c.model_id == bindparam("model_id"), _aliases.c.alias == bindparam("alias")
)
_STAMP = {  # who changed a model, and when: every model write sets these
    "last_updated_time": bindparam("now", type_=UTCDateTime()),
    "updated_by": bindparam("user", type_=String()),
}
_TOUCH = update(_models).where(_models.c.id == bindparam("model_id")).values(**_STAMP)
_SET_MODEL_METADATA = _TOUCH.values(metadata=bindparam("meta", type_=JsonValue))
_ALLOCATE_VERSION = (
    update(_models)
    .where(_models.c.name == bindparam("model_name"))
    .values(last_version=_models.c.last_version + 1, **_STAMP)
    .returning(_models.c.id, _models.c.last_version, _models.c.archived)
)
_LABELS_OF = (
    select(LabelRow.model_id, LabelRow.label)
    .where(LabelRow.model_id.in_(bindparam("ids", expanding=True)))
    .order_by(LabelRow.model_id, LabelRow.position)
)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _merge(current: dict[str, Any], patch: PatchMetadata) -> dict[str, Any]:
    """Top-level merge: a key in ``add`` replaces the old value whole; then removals."""
    merged = {**current, **patch.add}
    for key in patch.remove:
        merged.pop(key, None)
    try:
        return check_metadata(merged)
    except ValueError as exc:
        raise ValidationError(f"metadata: {exc}") from None


def _as_ref(ref: VersionRef | int | str | None) -> VersionRef:
    return ref if isinstance(ref, VersionRef) else parse_version_ref(ref)


#: Who is making the current call: the REST layer sets the Jupyter identity of
#: the requester; in-process callers default to the operating-system user.
current_actor: ContextVar[str | None] = ContextVar("jupyter_registry_actor", default=None)


def actor() -> str | None:
    explicit = current_actor.get()
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return None


class RegistryService:
    """Models, versions, aliases and checkpoints over one store and one blob store."""

    def __init__(self, store: Store, blobs: BlobStore) -> None:
        self.store = store
        self.blobs = blobs
        self.listeners: list[Listener] = []

    @classmethod
    def from_config(cls, config: RegistryConfig | None = None) -> RegistryService:
        config = config or RegistryConfig()
        return cls(Store(config.database), BlobStore(config.artifacts, config.storage_options))

    def _emit(self, event: str, payload: dict[str, Any]) -> None:
        """Tell listeners about a committed change; one failing listener fails nothing else.

        The change is already committed, so raising here would report a
        success as an error (and a retry would, say, register a version twice).
        """
        for listener in (*self.listeners, *process_listeners):
            try:
                listener(event, payload)
            except Exception:
                log.exception("registry: a listener failed on %s %s", event, payload)

    @staticmethod
    def _record(
        session: Session, event: str, payload: dict[str, Any], user: str | None
    ) -> tuple[str, dict[str, Any]]:
        """Add a model action to the history in the caller's transaction; emit it after commit."""
        details = {k: v for k, v in payload.items() if k not in ("model", "version", "alias")}
        session.connection().execute(
            _INSERT_ACTION,
            {
                "model_name": payload["model"],
                "action": event,
                "version": payload.get("version"),
                "alias": payload.get("alias"),
                "user": user,
                "time": utcnow(),
                "details": details,
            },
        )
        return event, payload

    # --- models -----------------------------------------------------------

    @staticmethod
    def _describe_models(db: Connection, rows: Sequence[Any]) -> list[DescribeModel]:
        """Turn rows of :data:`_MODELS` into responses, with one query for all labels."""
        labels: dict[int, list[str]] = {row.id: [] for row in rows}
        if labels:
            for model_id, label in db.execute(_LABELS_OF, {"ids": list(labels)}):
                labels[model_id].append(label)
        return [
            DescribeModel(
                name=row.name,
                description=row.description,
                metadata=row.meta,
                labels=labels[row.id],
                notes=row.notes,
                archived=row.archived,
                creation_time=row.creation_time,
                last_updated_time=row.last_updated_time,
                num_versions=row.num_versions,
                latest_version=row.latest_version,
                created_by=row.created_by,
                updated_by=row.updated_by,
            )
            for row in rows
        ]

    def _describe_model_by_id(self, session: Session, model_id: int) -> DescribeModel:
        db = session.connection()
        rows = db.execute(_MODEL_BY_ID, {"id": model_id}).all()
        return self._describe_models(db, rows)[0]

    @staticmethod
    def _model_row(session: Session, name: str, lock: bool = False) -> ModelRow:
        row = session.scalars(_MODEL_ROW_LOCKED if lock else _MODEL_ROW, {"name": name}).first()
        if row is None:
            raise NotFoundError(f"no model named {name!r}")
        return row

    @staticmethod
    def _touch(session: Session, model_id: int, user: str | None) -> None:
        session.connection().execute(_TOUCH, {"model_id": model_id, "now": utcnow(), "user": user})

    @staticmethod
    def _add_labels(session: Session, model_id: int, labels: Iterable[str]) -> None:
        """Give a model (with none) its labels: the order given, duplicates dropped."""
        unique = dict.fromkeys(labels)
        if unique:
            session.connection().execute(
                _INSERT_LABEL,
                [
                    {"model_id": model_id, "label": label, "position": i}
                    for i, label in enumerate(unique)
                ],
            )

    def create_model(self, request: CreateModel) -> DescribeModel:
        user = actor()
        try:
            with self.store.session(write=True) as session:
                db = session.connection()
                if db.execute(_MODEL_ID, {"name": request.name}).first() is not None:
                    raise ConflictError(f"a model named {request.name!r} already exists")
                now = utcnow()
                model_id = db.execute(
                    _INSERT_MODEL,
                    {
                        "name": request.name,
                        "description": request.description,
                        "metadata": request.metadata,
                        "notes": request.notes,
                        "archived": False,
                        "creation_time": now,
                        "last_updated_time": now,
                        "last_version": 0,
                        "created_by": user,
                        "updated_by": user,
                    },
                ).scalar_one()
                self._add_labels(session, model_id, request.labels)
                model = self._describe_model_by_id(session, model_id)
                change = self._record(session, "model.created", {"model": model.name}, user)
        except SQLIntegrityError:
            raise ConflictError(f"a model named {request.name!r} already exists") from None
        self._emit(*change)
        return model

    def get_model(self, name: str) -> DescribeModel:
        with self.store.read() as db:
            rows = db.execute(_MODEL_BY_NAME, {"name": name}).all()
            if not rows:
                raise NotFoundError(f"no model named {name!r}")
            return self._describe_models(db, rows)[0]

    @staticmethod
    def _model_filters(query: ListModelsQuery) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if query.name:
            conditions.append(ModelRow.name.ilike(_like(query.name), escape="\\"))
        if query.description:
            conditions.append(ModelRow.description.ilike(_like(query.description), escape="\\"))
        for label in query.labels:
            conditions.append(
                exists().where(LabelRow.model_id == ModelRow.id, LabelRow.label == label)
            )
        if query.archived is not None:
            conditions.append(ModelRow.archived.is_(query.archived))
        return conditions

    def list_models(self, query: ListModelsQuery) -> ListModelsResponse:
        conditions = self._model_filters(query)
        column = _SORT_COLUMNS[query.sort_by]
        ascending = query.order_by is OrderBy.ASC
        primary = column.asc() if ascending else column.desc()
        if query.sort_by is ModelSortBy.DESCRIPTION:
            # Only description can be null; saying where nulls go on the NOT NULL
            # columns would stop PostgreSQL from walking their indexes.
            primary = primary.nulls_first() if ascending else primary.nulls_last()
        order = [primary]
        if query.sort_by is not ModelSortBy.NAME:  # names are unique: no tie to break
            order.append(ModelRow.id.asc() if ascending else ModelRow.id.desc())
        with self.store.read() as db:
            total = db.scalar(select(func.count(ModelRow.id)).where(*conditions)) or 0
            # Page the ids first, then compute the per-model columns for that page
            # only: PostgreSQL evaluates a select list's subqueries for the rows an
            # OFFSET skips too (a page 25,000 rows deep took 85 ms).
            page = (
                select(ModelRow.id)
                .where(*conditions)
                .order_by(*order)
                .offset(query.offset)
                .limit(query.limit)
                .subquery()
            )
            rows = db.execute(_MODELS.join(page, page.c.id == ModelRow.id).order_by(*order)).all()
            models = self._describe_models(db, rows)
        return ListModelsResponse(models=models, total=total)

    def update_model(self, name: str, request: UpdateModel) -> DescribeModel:
        changes = request.model_dump(exclude_unset=True)
        user = actor()
        with self.store.session(write=True) as session:
            row = self._model_row(session, name, lock=True)
            for field in ("description", "notes", "archived"):
                # description may be cleared with null; notes and archived are
                # never null, so an explicit null leaves them alone
                if field in changes and (changes[field] is not None or field == "description"):
                    setattr(row, field, changes[field])
            if request.labels is not None:
                session.connection().execute(_DELETE_LABELS, {"model_id": row.id})
                self._add_labels(session, row.id, request.labels)
            row.last_updated_time = utcnow()
            row.updated_by = user
            change = self._record(
                session, "model.updated", {"model": name, "fields": sorted(changes)}, user
            )
            session.flush()
            model = self._describe_model_by_id(session, row.id)
        self._emit(*change)
        return model

    def patch_model_metadata(self, name: str, patch: PatchMetadata) -> DescribeModel:
        """Merge/remove top-level keys in one transaction holding the model's row lock."""
        user = actor()
        with self.store.session(write=True) as session:
            db = session.connection()
            row = db.execute(_MODEL_METADATA_LOCKED, {"name": name}).first()
            if row is None:
                raise NotFoundError(f"no model named {name!r}")
            merged = _merge(row.meta, patch)
            db.execute(
                _SET_MODEL_METADATA,
                {"model_id": row.id, "meta": merged, "now": utcnow(), "user": user},
            )
            change = self._record(
                session, "model.updated", {"model": name, "fields": ["metadata"]}, user
            )
            model = self._describe_model_by_id(session, row.id)
        self._emit(*change)
        return model

    def delete_model(self, name: str) -> None:
        with self.store.session(write=True) as session:
            row = self._model_row(session, name, lock=True)
            session.execute(delete(ModelRow).where(ModelRow.id == row.id))
            change = self._record(session, "model.deleted", {"model": name}, actor())
        self._emit(*change)

    # --- versions ---------------------------------------------------------

    @staticmethod
    def _describe_checkpoints(db: Connection, rows: Sequence[Any]) -> list[DescribeCheckpoint]:
        """Turn rows of :data:`_CHECKPOINTS` into responses, with one query for all files."""
        files: dict[int, list[Any]] = {row.checkpoint_id: [] for row in rows}
        if files:
            for entry in db.execute(_FILES_OF, {"ids": list(files)}):
                files[entry.checkpoint_id].append(entry)
        return [
            DescribeCheckpoint(
                uuid=row.checkpoint_uuid,
                resources={f.path: f.size for f in files[row.checkpoint_id]},
                files=[
                    {"path": f.path, "sha256": f.sha256, "size": f.size}
                    for f in files[row.checkpoint_id]
                    if f.sha256 is not None
                ],
                framework=row.framework,
                format=row.format,
                entrypoint=row.entrypoint,
                hparams=row.hparams,
                metrics=row.metrics,
                metadata=row.checkpoint_meta,
                run=row.run,
                source=row.source,
                creation_time=row.checkpoint_time,
            )
            for row in rows
        ]

    def _describe_versions(
        self, db: Connection, rows: Sequence[Any], model_name: str
    ) -> list[DescribeVersion]:
        """Turn rows of :data:`_VERSIONS` into responses (one query for all aliases)."""
        aliases: dict[int, list[str]] = {row.id: [] for row in rows}
        if aliases:
            for version_id, alias in db.execute(_ALIASES_OF, {"ids": list(aliases)}):
                aliases[version_id].append(alias)
        checkpoints = self._describe_checkpoints(db, rows)
        return [
            DescribeVersion(
                model_name=model_name,
                version=row.version,
                name=row.name,
                comment=row.comment,
                metadata=row.meta,
                notes=row.notes,
                aliases=aliases[row.id],
                creation_time=row.creation_time,
                checkpoint=checkpoint,
                created_by=row.created_by,
                updated_by=row.updated_by,
            )
            for row, checkpoint in zip(rows, checkpoints, strict=True)
        ]

    def _describe_version_by_id(
        self, session: Session, version_id: int, model_name: str
    ) -> DescribeVersion:
        db = session.connection()
        rows = db.execute(_VERSION_BY_ID, {"id": version_id}).all()
        return self._describe_versions(db, rows, model_name)[0]

    @staticmethod
    def _version_query(ref: VersionRef) -> Select[Any]:
        stmt = select(VersionRow)
        if ref.alias is not None:
            return stmt.join(AliasRow, AliasRow.version_id == VersionRow.id).where(
                AliasRow.alias == ref.alias
            )
        if ref.number is not None:
            return stmt.where(VersionRow.version == ref.number)
        return stmt.order_by(VersionRow.version.desc()).limit(1)

    @staticmethod
    def _no_version(model_name: str, ref: VersionRef) -> NotFoundError:
        if ref.alias is not None:
            return NotFoundError(f"model {model_name!r} has no alias {ref.alias!r}")
        if ref.number is not None:
            return NotFoundError(f"model {model_name!r} has no version {ref.number}")
        return NotFoundError(f"model {model_name!r} has no versions")

    def _version_row(
        self, session: Session, model: ModelRow, ref: VersionRef, lock: bool = False
    ) -> VersionRow:
        stmt = self._version_query(ref).where(VersionRow.model_id == model.id)
        if lock:
            stmt = stmt.with_for_update(of=VersionRow)
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise self._no_version(model.name, ref)
        return row

    def _describe_checkpoint_by(
        self, session: Session, condition: ColumnElement[bool]
    ) -> DescribeCheckpoint | None:
        db = session.connection()
        rows = db.execute(_CHECKPOINTS.where(condition)).all()
        return self._describe_checkpoints(db, rows)[0] if rows else None

    @staticmethod
    def _no_checkpoint(checkpoint_uuid: str) -> NotFoundError:
        return NotFoundError(f"no checkpoint with uuid {checkpoint_uuid!r}")

    def _checkpoint_id(self, session: Session, checkpoint_uuid: str) -> int:
        found = session.connection().execute(_CHECKPOINT_ID, {"uuid": checkpoint_uuid}).scalar()
        if found is None:
            raise self._no_checkpoint(checkpoint_uuid)
        return int(found)

    @staticmethod
    def _assign_alias(session: Session, model_id: int, alias: str, version_id: int) -> None:
        db = session.connection()
        params = {"model_id": model_id, "alias": alias, "version_id": version_id}
        db.execute(_DELETE_ALIAS, params)
        db.execute(_INSERT_ALIAS, params)

    def register_version(self, model_name: str, request: RegisterVersion) -> DescribeVersion:
        """Give a checkpoint the model's next version number, in one transaction."""
        user = actor()
        with self.store.session(write=True) as session:
            allocated = (
                session.connection()
                .execute(
                    _ALLOCATE_VERSION, {"model_name": model_name, "now": utcnow(), "user": user}
                )
                .one_or_none()
            )
            if allocated is None:
                raise NotFoundError(f"no model named {model_name!r}")
            model_id, number, archived = allocated
            if archived:
                raise ConflictError(
                    f"model {model_name!r} is archived; unarchive it to register versions"
                )
            checkpoint_id = self._checkpoint_id(session, request.checkpoint_uuid)
            version_id = (
                session.connection()
                .execute(
                    _INSERT_VERSION,
                    {
                        "model_id": model_id,
                        "version": number,
                        "checkpoint_id": checkpoint_id,
                        "name": request.name,
                        "comment": request.comment,
                        "metadata": request.metadata,
                        "notes": "",
                        "creation_time": utcnow(),
                        "created_by": user,
                        "updated_by": user,
                    },
                )
                .scalar_one()
            )
            registered = {"model": model_name, "version": number}
            changes = [
                self._record(
                    session,
                    "version.registered",
                    {**registered, "checkpoint": request.checkpoint_uuid},
                    user,
                )
            ]
            for alias in dict.fromkeys(request.aliases):
                self._assign_alias(session, model_id, alias, version_id)
                changes.append(
                    self._record(session, "alias.set", {**registered, "alias": alias}, user)
                )
            version = self._describe_version_by_id(session, version_id, model_name)
        for change in changes:
            self._emit(*change)
        return version

    def get_version(
        self, model_name: str, ref: VersionRef | int | str | None = None
    ) -> DescribeVersion:
        version_ref = _as_ref(ref)
        if version_ref.alias is not None:
            stmt, params = _BY_ALIAS, {"model": model_name, "alias": version_ref.alias}
        elif version_ref.number is not None:
            stmt, params = _BY_NUMBER, {"model": model_name, "number": version_ref.number}
        else:
            stmt, params = _LATEST, {"model": model_name}
        with self.store.read() as db:
            rows = db.execute(stmt, params).all()
            if not rows:
                # Only now look the model up on its own, to say what was missing.
                if db.execute(_MODEL_ID, {"name": model_name}).first() is None:
                    raise NotFoundError(f"no model named {model_name!r}")
                raise self._no_version(model_name, version_ref)
            return self._describe_versions(db, rows, model_name)[0]

    def list_versions(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListVersionsResponse:
        """Versions newest first."""
        if offset < 0 or (limit is not None and limit < 1):
            raise ValidationError("offset must be >= 0 and limit >= 1")
        with self.store.session() as session:
            model = self._model_row(session, model_name)
            condition = VersionRow.model_id == model.id
            total = session.scalar(select(func.count(VersionRow.id)).where(condition)) or 0
            db = session.connection()
            rows = db.execute(
                _VERSIONS.where(condition)
                .order_by(VersionRow.version.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            versions = self._describe_versions(db, rows, model_name)
        return ListVersionsResponse(versions=versions, total=total)

    def _edit_version(
        self,
        model_name: str,
        ref: VersionRef | int | str | None,
        edit: Callable[[VersionRow], None],
        event: str,
        fields: list[str],
    ) -> DescribeVersion:
        version_ref = _as_ref(ref)
        user = actor()
        with self.store.session(write=True) as session:
            model = self._model_row(session, model_name, lock=True)
            row = self._version_row(session, model, version_ref, lock=True)
            edit(row)
            row.updated_by = user
            self._touch(session, model.id, user)
            payload = {"model": model_name, "version": row.version, "fields": fields}
            change = self._record(session, event, payload, user)
            session.flush()
            version = self._describe_version_by_id(session, row.id, model_name)
        self._emit(*change)
        return version

    def update_version(
        self, model_name: str, ref: VersionRef | int | str | None, request: UpdateVersion
    ) -> DescribeVersion:
        changes = request.model_dump(exclude_unset=True)

        def apply(row: VersionRow) -> None:
            for field, value in changes.items():
                setattr(row, field, value if field != "notes" or value is not None else "")

        return self._edit_version(model_name, ref, apply, "version.updated", sorted(changes))

    def patch_version_metadata(
        self, model_name: str, ref: VersionRef | int | str | None, patch: PatchMetadata
    ) -> DescribeVersion:
        def apply(row: VersionRow) -> None:
            row.metadata_ = _merge(row.metadata_, patch)

        return self._edit_version(model_name, ref, apply, "version.updated", ["metadata"])

    def delete_version(self, model_name: str, ref: VersionRef | int | str | None) -> None:
        version_ref = _as_ref(ref)
        with self.store.session(write=True) as session:
            model = self._model_row(session, model_name, lock=True)
            row = self._version_row(session, model, version_ref, lock=True)
            number = row.version
            session.execute(delete(VersionRow).where(VersionRow.id == row.id))
            user = actor()
            self._touch(session, model.id, user)
            payload = {"model": model_name, "version": number}
            change = self._record(session, "version.deleted", payload, user)
        self._emit(*change)

    def set_alias(self, model_name: str, alias: str, request: SetAlias) -> DescribeVersion:
        """Point ``alias`` at a version, moving it from whichever version held it."""
        try:
            check_alias(alias)
        except ValueError as exc:
            raise ValidationError(f"alias: {exc}") from None
        with self.store.session(write=True) as session:
            model = self._model_row(session, model_name, lock=True)
            row = self._version_row(session, model, VersionRef(number=request.version))
            self._assign_alias(session, model.id, alias, row.id)
            user = actor()
            self._touch(session, model.id, user)
            payload = {"model": model_name, "alias": alias, "version": request.version}
            change = self._record(session, "alias.set", payload, user)
            session.flush()
            version = self._describe_version_by_id(session, row.id, model_name)
        self._emit(*change)
        return version

    def remove_alias(self, model_name: str, alias: str) -> None:
        with self.store.session(write=True) as session:
            model = self._model_row(session, model_name, lock=True)
            removed = session.execute(
                delete(AliasRow).where(AliasRow.model_id == model.id, AliasRow.alias == alias)
            )
            if not removed.rowcount:
                raise NotFoundError(f"model {model_name!r} has no alias {alias!r}")
            user = actor()
            self._touch(session, model.id, user)
            payload = {"model": model_name, "alias": alias}
            change = self._record(session, "alias.removed", payload, user)
        self._emit(*change)

    def get_history(
        self, model_name: str, offset: int = 0, limit: int | None = None
    ) -> ListActionsResponse:
        """A model's actions, oldest first; kept after the model is deleted."""
        if offset < 0 or (limit is not None and limit < 1):
            raise ValidationError("offset must be >= 0 and limit >= 1")
        condition = ActionRow.model_name == model_name
        with self.store.session() as session:
            total = session.scalar(select(func.count(ActionRow.id)).where(condition)) or 0
            if total == 0:
                self._model_row(session, model_name)
            rows = session.scalars(
                select(ActionRow)
                .where(condition)
                .order_by(ActionRow.id)
                .offset(offset)
                .limit(limit)
            ).all()
            actions = [
                DescribeAction(
                    model_name=r.model_name,
                    action=r.action,
                    version=r.version,
                    alias=r.alias,
                    user=r.user,
                    time=r.time,
                    details=r.details,
                )
                for r in rows
            ]
        return ListActionsResponse(actions=actions, total=total)

    # --- checkpoints and blobs ----------------------------------------------

    def put_blob(
        self,
        stream: BinaryIO | Iterable[bytes],
        sha256: str | None = None,
        size: int | None = None,
    ) -> BlobInfo:
        """Store file content; it stays unreferenced until a checkpoint names it."""
        return self.blobs.put(stream, sha256, size)

    def put_file(self, path: str, progress: Callable[[int], object] | None = None) -> BlobInfo:
        """Store a local file's content (kernel-copied into a local store)."""
        return self.blobs.put_file(path, progress)

    def read_blob(self, sha256: str) -> tuple[int, Iterator[bytes]]:
        """The size and verified byte stream of a blob that a checkpoint references.

        A referenced blob that is missing or whose bytes no longer match is
        damage to the registry, not a user mistake: it is logged at error
        level, announced to listeners as ``blob.corrupted`` and raised as
        :class:`IntegrityError`.
        """
        with self.store.session() as session:
            size = session.scalar(select(BlobRow.size).where(BlobRow.sha256 == sha256))
        if size is None:
            raise NotFoundError(f"no blob {sha256} in this registry")
        try:
            chunks = self.blobs.read(sha256, size)
        except NotFoundError as exc:
            raise self._corrupted(sha256, exc.message) from None
        return size, self._reported(sha256, chunks)

    def _reported(self, sha256: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
        try:
            yield from chunks
        except IntegrityError as exc:
            raise self._corrupted(sha256, exc.message) from None

    def _corrupted(self, sha256: str, reason: str) -> IntegrityError:
        log.error("registry: stored blob %s is damaged: %s", sha256, reason)
        self._emit("blob.corrupted", {"sha256": sha256, "reason": reason})
        return IntegrityError(reason)

    def create_checkpoint(self, request: CreateCheckpoint) -> DescribeCheckpoint:
        """Record a checkpoint whose blobs are stored: files first, then one transaction.

        The request's paths were checked by its schema; here each file's
        declared size must be its blob's size, as the database (or, for a new
        blob, the store) records it, or a download could never match.
        """
        shas = list({f.sha256: None for f in request.files})
        with self.store.session(write=True) as session:
            self.store.hold_blobs(session, exclusive=False)
            sizes: dict[str, int | None] = dict(
                session.execute(
                    select(BlobRow.sha256, BlobRow.size).where(BlobRow.sha256.in_(shas))
                ).all()
            )
            known = set(sizes)
            for entry in request.files:
                if entry.sha256 not in sizes:
                    sizes[entry.sha256] = self.blobs.size(entry.sha256)
                stored = sizes[entry.sha256]
                if stored is None:
                    raise ValidationError(
                        f"file {entry.path!r}: blob {entry.sha256} has not been uploaded; "
                        "upload it first"
                    )
                if stored != entry.size:
                    raise ValidationError(
                        f"file {entry.path!r} declares {entry.size} bytes, "
                        f"but its blob {entry.sha256} holds {stored}"
                    )
            for sha in shas:
                if sha not in known:
                    session.add(BlobRow(sha256=sha, size=sizes[sha], creation_time=utcnow()))
            row = CheckpointRow(
                uuid=str(uuid_lib.uuid4()),
                run=request.run,
                framework=request.framework,
                format=request.format,
                entrypoint=request.entrypoint,
                hparams=request.hparams,
                metrics=request.metrics,
                metadata_=request.metadata,
                source=request.source,
                creation_time=utcnow(),
            )
            row.files = [
                CheckpointFileRow(path=f.path, sha256=f.sha256, size=f.size) for f in request.files
            ] + [
                CheckpointFileRow(path=d if d.endswith("/") else f"{d}/", sha256=None, size=0)
                for d in request.directories
            ]
            session.add(row)
            session.flush()
            checkpoint = self._describe_checkpoint_by(session, CheckpointRow.id == row.id)
            assert checkpoint is not None  # just inserted in this transaction
        self._emit("checkpoint.created", {"checkpoint": checkpoint.uuid})
        return checkpoint

    def get_checkpoint(self, checkpoint_uuid: str) -> DescribeCheckpoint:
        with self.store.session() as session:
            wanted = CheckpointRow.uuid == checkpoint_uuid
            checkpoint = self._describe_checkpoint_by(session, wanted)
        if checkpoint is None:
            raise self._no_checkpoint(checkpoint_uuid)
        return checkpoint

    def list_checkpoints(
        self, run: str | None = None, limit: int | None = None
    ) -> ListCheckpointsResponse:
        """Newest first; a run's checkpoints in the order they were saved."""
        if limit is not None and limit < 1:
            raise ValidationError("limit must be >= 1")
        stmt = _CHECKPOINTS
        if run is not None:
            stmt = stmt.where(CheckpointRow.run == run).order_by(CheckpointRow.id.asc())
        else:
            stmt = stmt.order_by(CheckpointRow.id.desc())
        with self.store.session() as session:
            db = session.connection()
            rows = db.execute(stmt.limit(limit)).all()
            return ListCheckpointsResponse(checkpoints=self._describe_checkpoints(db, rows))

    def delete_checkpoint(self, checkpoint_uuid: str) -> None:
        """Delete an unregistered checkpoint; its blobs are reclaimed by :meth:`gc`."""
        with self.store.session(write=True) as session:
            checkpoint_id = self._checkpoint_id(session, checkpoint_uuid)
            users = session.execute(
                select(ModelRow.name, VersionRow.version)
                .join(VersionRow, VersionRow.model_id == ModelRow.id)
                .where(VersionRow.checkpoint_id == checkpoint_id)
                .order_by(ModelRow.name, VersionRow.version)
            ).all()
            if users:
                refs = ", ".join(f"{name}:{number}" for name, number in users)
                raise ConflictError(
                    f"checkpoint {checkpoint_uuid} is registered as {refs}; "
                    "delete those versions first"
                )
            session.execute(delete(CheckpointRow).where(CheckpointRow.id == checkpoint_id))
        self._emit("checkpoint.deleted", {"checkpoint": checkpoint_uuid})

    def gc(self, grace: timedelta = timedelta(hours=1)) -> list[str]:
        """Delete blobs no checkpoint references, and uploads that died half-way.

        Blobs younger than ``grace`` are kept even when unreferenced: they may
        belong to a registration whose files are uploaded but not yet committed.
        """
        cutoff = time.time() - grace.total_seconds()
        self.blobs.remove_stale_uploads(cutoff)
        with self.store.session(write=True) as session:
            self.store.hold_blobs(session, exclusive=True)
            orphan_rows = session.scalars(
                select(BlobRow.sha256).where(
                    ~exists().where(CheckpointFileRow.sha256 == BlobRow.sha256)
                )
            ).all()
            session.execute(delete(BlobRow).where(BlobRow.sha256.in_(orphan_rows)))
            referenced = set(
                session.scalars(
                    select(CheckpointFileRow.sha256)
                    .where(CheckpointFileRow.sha256.is_not(None))
                    .distinct()
                )
            )
            removed = []
            for sha in self.blobs.all_blobs():
                if sha not in referenced and self.blobs.modified(sha) < cutoff:
                    self.blobs.delete(sha)
                    removed.append(sha)
        return removed


def validate_model_name(name: str) -> str:
    """Check a model name from a URL or a command line against SPEC §1."""
    return parse(CheckName, {"name": name}).name


__all__ = ["AliasName", "RegistryService", "validate_model_name"]
